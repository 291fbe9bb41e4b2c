package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.storage.BlobStore;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a round publishes (the mergekit config and the model card) names contributors by pseudonymous node id and
 * carries no hub file-system path and no hospital's name.
 */
class PublishedConfigTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 2);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void thePublishedMergekitConfigNamesNodeIdsAndNoPaths() throws Exception {
        String round = Federation.openRound(hub);
        NodeRegistry.Enrollment a = hub.enroll("st-marys-hospital");
        NodeRegistry.Enrollment b = hub.enroll("royal-infirmary");
        int variant = 1;
        for (NodeRegistry.Enrollment node : new NodeRegistry.Enrollment[] {a, b}) {
            try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
                Path tv = models.taskVector(variant++);
                c.upload(round, tv, Manifests.of(tv), n -> { });
            }
        }
        hub.bean(RoundService.class).trigger(round, "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
        String config;
        try (var in = Channels.newInputStream(hub.bean(BlobStore.class).read("rounds/" + round
                + "/artifact/mergekit_config.yml"))) {
            config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(config).contains("base_model: \"base\"", "contributions/" + a.nodeId() + ".safetensors",
                "contributions/" + b.nodeId() + ".safetensors")
                .doesNotContain("st-marys-hospital", "royal-infirmary", dir.toString())
                .doesNotContainPattern("(^|[\\s\"'])/"); // no absolute path anywhere
        assertThat(hub.bean(RoundService.class).get(round).artifact().files())
                .extracting(Artifact.File::name).noneMatch(n -> n.contains("/")).contains("README.md");
        String card;
        try (var in = Channels.newInputStream(hub.bean(BlobStore.class).read("rounds/" + round
                + "/artifact/README.md"))) {
            card = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        var committed = hub.bean(io.fedmerge.hub.transfer.UploadStore.class).mergeInputs(round);
        assertThat(committed).hasSize(2);
        assertThat(card).startsWith("---\nbase_model:\n- \"base\"\n").contains("- mergekit\n", "## Federated provenance",
                "| round | `" + round + "` |", hub.bean(io.fedmerge.hub.model.BaseModelRegistry.class).list().getFirst()
                        .digest());
        for (var u : committed) {
            assertThat(card).contains("| `" + u.nodeId() + "` | task vector | `" + u.sha256() + "` |");
        }
        assertThat(card).doesNotContain("st-marys-hospital", "royal-infirmary", dir.toString());
    }
}
