package io.fedmerge.app;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.cli.SecretInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "provision-demo", mixinStandardHelpOptions = true,
        description = "For the docker-compose demo: generate a tiny model family into a shared directory, register"
                + " its base with a running hub and open a round that merges when its deadline passes.")
final class ProvisionCommand implements Callable<Integer> {
    @Option(names = "--admin-url", required = true)
    String adminUrl;

    @Option(names = "--admin-token-file", description = "File holding the admin API token (or set"
            + " FEDMERGE_ADMIN_TOKEN).")
    Path adminTokenFile;

    @Option(names = "--admin-token", description = "The admin API token itself (visible in ps: prefer"
            + " --admin-token-file or FEDMERGE_ADMIN_TOKEN).")
    String adminToken;

    @Option(names = "--models", required = true, description = "Shared directory for the generated models.")
    Path models;

    @Option(names = "--hospitals", defaultValue = "2")
    int hospitals;

    @Option(names = "--deadline-seconds", defaultValue = "120")
    int deadlineSeconds;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(models.resolve("base"))) {
            new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("tiny"),
                    hospitals, 42, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        }
        String token = SecretInput.resolve(adminToken, adminTokenFile, "FEDMERGE_ADMIN_TOKEN", "--admin-token",
                System.getenv());
        if (token == null) {
            throw new FedmergeException("no admin token: give --admin-token-file or set FEDMERGE_ADMIN_TOKEN");
        }
        AdminApi admin = new AdminApi(adminUrl, token);
        for (int i = 0; ; i++) {
            try {
                admin.get("/api/v1/base-models");
                break;
            } catch (FedmergeException e) {
                if (i > 120) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
        if (admin.get("/api/v1/base-models").isEmpty()) {
            admin.post("/api/v1/base-models", Map.of("name", "demo-base", "path",
                    models.resolve("base").toAbsolutePath().toString()));
        }
        String round = admin.post("/api/v1/rounds", Map.of("baseModel", "demo-base", "mergeMethod",
                "hierarchical_cosine_ot_lerp", "modelParameters", Map.of("weight", 1), "minContributions", hospitals,
                "deadline", Instant.now().plusSeconds(deadlineSeconds).toString())).path("round").path("id").asString();
        System.out.println("opened round " + round + "; it merges when its deadline passes");
        return 0;
    }
}
