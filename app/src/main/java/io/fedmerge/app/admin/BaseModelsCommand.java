package io.fedmerge.app.admin;

import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "base-models", mixinStandardHelpOptions = true, description = "Base models rounds merge onto: list,"
        + " register (a path on the hub), upload (from here).", subcommands = {BaseModelsCommand.List.class,
            BaseModelsCommand.Register.class, BaseUploadCommand.class})
final class BaseModelsCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Registered base models and digests.")
    static final class List implements Runnable {
        @Mixin
        HubOptions hub;

        @Override
        public void run() {
            hub.print(hub.api().get("/api/v1/base-models"), "NAME", "name", "PATH", "path", "TENSORS", "tensors",
                    "DIGEST", "digest");
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true, description = "Register a checkpoint directory"
            + " under the hub's models root (the hub hashes it; a 14 GB base takes a minute).")
    static final class Register implements Runnable {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "PATH", description = "Relative to the hub's models root.")
        String path;

        @Override
        public void run() {
            var b = hub.api().post("/api/v1/base-models", Map.of("name", name, "path", path));
            System.out.println(hub.json ? b.toPrettyString() : "registered " + b.path("name").asString() + " ("
                    + b.path("tensors").asInt() + " tensors, digest " + b.path("digest").asString() + ")");
        }
    }
}
