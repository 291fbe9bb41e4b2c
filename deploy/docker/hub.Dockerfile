# fedmerge hub. Build from the repository root: docker build -f deploy/docker/hub.Dockerfile -t fedmerge-hub .
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -q install -DskipTests

FROM eclipse-temurin:25-jre
RUN useradd --system --uid 10001 --home-dir /var/lib/fedmerge fedmerge \
    && mkdir -p /var/lib/fedmerge /opt/fedmerge/lib && chown fedmerge /var/lib/fedmerge
COPY --from=build /src/app/target/lib/ /opt/fedmerge/lib/
COPY --from=build /src/app/target/fedmerge-app-*.jar /opt/fedmerge/lib/
# The Vector API is incubating in JDK 25: a jar manifest cannot add the module, the environment can.
ENV JAVA_TOOL_OPTIONS="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
USER fedmerge
WORKDIR /var/lib/fedmerge
EXPOSE 8080 8081 9090
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s \
    CMD ["java", "-cp", "/opt/fedmerge/lib/*", "io.fedmerge.app.HealthProbe", "http://127.0.0.1:8081/actuator/health/readiness"]
ENTRYPOINT ["java", "-cp", "/opt/fedmerge/lib/*", "io.fedmerge.app.Fedmerge", "hub", "--data-dir", "/var/lib/fedmerge"]
