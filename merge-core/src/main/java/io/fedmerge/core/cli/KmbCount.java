package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Counts as mergekit's command line writes them: a whole number, optionally followed by K, M or B for thousand,
 * million, billion ({@code --out-shard-size 5B} is 5,000,000,000 bytes). B is billion here, not bytes, as in mergekit.
 */
final class KmbCount implements CommandLine.ITypeConverter<Long> {
    private static final Pattern COUNT = Pattern.compile("(\\d+)([kKmMbB]?)");

    @Override
    public Long convert(String value) {
        Matcher m = COUNT.matcher(value.trim());
        if (!m.matches()) {
            throw new FedmergeException("cannot read '" + value + "': write a whole number with an optional K, M or"
                    + " B (thousand, million, billion), e.g. 5B");
        }
        long unit = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
            case "k" -> 1_000L;
            case "m" -> 1_000_000L;
            case "b" -> 1_000_000_000L;
            default -> 1L;
        };
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new FedmergeException("'" + value + "' is too large for a size");
        }
        if (n <= 0) {
            throw new FedmergeException("a shard size must be positive, found '" + value + "'");
        }
        return n;
    }
}
