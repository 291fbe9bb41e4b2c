package io.fedmerge.edge.cli;

import java.time.Duration;
import picocli.CommandLine;

/** Durations as people write them on a command line: 90s, 5m, 2h, 1d (or ISO-8601, PT5M). */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.startsWith("pt") || v.startsWith("p")) {
            return Duration.parse(value.trim().toUpperCase(java.util.Locale.ROOT));
        }
        if (!v.matches("\\d+(ms|s|m|h|d)")) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: write e.g. 90s, 5m,"
                    + " 2h or 1d");
        }
        long n = Long.parseLong(v.replaceAll("\\D", ""));
        return switch (v.replaceAll("\\d", "")) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
