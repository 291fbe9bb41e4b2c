package io.fedmerge.hub;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The fedmerge hub: `./fedmerge hub` or `java -jar`. Embedded defaults: H2 file database and files under ./hub-data. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class HubApplication {
    public static void main(String[] args) {
        SpringApplication.run(HubApplication.class, args);
    }
}
