# fedmerge edge agent. Build from the repository root: docker build -f deploy/docker/edge.Dockerfile -t fedmerge-edge .
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -q install -DskipTests

FROM eclipse-temurin:25-jre
RUN useradd --system --uid 10002 --home-dir /var/lib/fedmerge-edge fedmerge \
    && mkdir -p /var/lib/fedmerge-edge /opt/fedmerge/lib && chown fedmerge /var/lib/fedmerge-edge
COPY --from=build /src/app/target/lib/ /opt/fedmerge/lib/
COPY --from=build /src/app/target/fedmerge-app-*.jar /opt/fedmerge/lib/
ENV JAVA_TOOL_OPTIONS="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
USER fedmerge
WORKDIR /var/lib/fedmerge-edge
HEALTHCHECK --interval=30s --timeout=5s CMD ["test", "-f", "/var/lib/fedmerge-edge/edge.json"]
ENTRYPOINT ["java", "-cp", "/opt/fedmerge/lib/*", "io.fedmerge.app.Fedmerge", "edge"]
