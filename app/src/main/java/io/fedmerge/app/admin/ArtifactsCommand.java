package io.fedmerge.app.admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "artifacts", mixinStandardHelpOptions = true, description = "A published round's files, their"
        + " SHA-256s and the checkpoint digest.")
final class ArtifactsCommand implements Runnable {
    @Mixin
    HubOptions hub;

    @Parameters(paramLabel = "ROUND_ID")
    String round;

    @Override
    public void run() {
        var a = hub.api().get("/api/v1/rounds/" + ApiPaths.segment(round) + "/artifact");
        if (hub.json) {
            System.out.println(a.toPrettyString());
            return;
        }
        System.out.println("checkpoint digest " + a.path("checkpointDigest").asString() + ", "
                + a.path("contributions").asInt() + " contributions");
        Table.print(a.path("files"), System.out, "FILE", "name", "BYTES", "size", "SHA-256", "sha256");
    }
}
