package io.fedmerge.app.admin;

import io.fedmerge.core.FedmergeException;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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
            + " under the hub's models root, or one synced into the hub's store under models/ (--store-key); the hub"
            + " hashes it (a 14 GB base takes a minute).")
    static final class Register implements Runnable {
        @Mixin
        HubOptions hub;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Relative to the hub's models"
                + " root.")
        String path;

        @Option(names = "--store-key", paramLabel = "KEY", description = "Instead of PATH: a directory under"
                + " models/ in the hub's blob store, e.g. models/mistral-7b (s3://BUCKET/PREFIX/models/mistral-7b).")
        String storeKey;

        @Override
        public void run() {
            if ((path == null) == (storeKey == null)) {
                throw new FedmergeException("give either PATH (under the hub's models root) or --store-key KEY");
            }
            var b = hub.api().post("/api/v1/base-models", path != null ? Map.of("name", name, "path", path)
                    : Map.of("name", name, "storeKey", storeKey));
            System.out.println(hub.json ? b.toPrettyString() : "registered " + b.path("name").asString() + " ("
                    + b.path("tensors").asInt() + " tensors, digest " + b.path("digest").asString() + ")");
        }
    }
}
