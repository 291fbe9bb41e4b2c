package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.hub.HubException;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TaskVectorProvenance;
import org.junit.jupiter.api.Test;

/** A sparse contribution must say how it was thinned; its declared tensors are checked like any task vector's. */
class SparseManifestTest {
    static TaskVectorManifest sparse(String method, double density) {
        return ManifestFuzzTest.valid().toBuilder().setKind("sparse_delta").setTotalBytes(4096)
                .setProvenance(TaskVectorProvenance.newBuilder().setMethod(method).setDensity(density)).build();
    }

    @Test
    void aThinnedTaskVectorSmallerThanItsTensorsIsAccepted() {
        assertThatCode(() -> ManifestCheck.check(sparse("magnitude", 0.1), ManifestFuzzTest.BASE, 1L << 30))
                .doesNotThrowAnyException();
        assertThatCode(() -> ManifestCheck.check(sparse("random", 1.0), ManifestFuzzTest.BASE, 1L << 30))
                .doesNotThrowAnyException();
    }

    @Test
    void anUnknownSparsifierOrADensityOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> ManifestCheck.check(sparse("topk", 0.1), ManifestFuzzTest.BASE, 1L << 30))
                .isInstanceOf(HubException.class).hasMessageContaining("method is 'topk'; expected magnitude or random");
        for (double d : new double[] {0, -1, 1.5, Double.NaN}) {
            assertThatThrownBy(() -> ManifestCheck.check(sparse("magnitude", d), ManifestFuzzTest.BASE, 1L << 30))
                    .isInstanceOf(HubException.class).hasMessageContaining("is outside (0, 1]");
        }
    }

    @Test
    void aSparseManifestMustStillDeclareEveryTensorOfTheBase() {
        TaskVectorManifest m = sparse("magnitude", 0.5).toBuilder().removeTensors(1).build();
        assertThatThrownBy(() -> ManifestCheck.check(m, ManifestFuzzTest.BASE, 1L << 30))
                .isInstanceOf(HubException.class).hasMessageContaining("lacks tensor(s) [model.norm.weight]");
    }
}
