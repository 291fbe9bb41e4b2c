package io.fedmerge.hub.metrics;

import io.fedmerge.core.bench.PeakRss;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * process_resident_memory_bytes, the figure an OOM killer and a pod's memory limit judge (heap, metaspace, direct
 * buffers, mapped model pages and all): the JVM's own meters only see the heap and its pools. Read from
 * /proc/self/status at scrape time; NaN where there is no procfs.
 */
@Component
class ProcessMemoryMetrics implements MeterBinder {
    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("process.resident.memory", ProcessMemoryMetrics::residentBytes).baseUnit("bytes")
                .description("resident set size of the hub process").register(registry);
    }

    static double residentBytes() {
        long bytes = PeakRss.currentBytes();
        return bytes < 0 ? Double.NaN : bytes;
    }
}
