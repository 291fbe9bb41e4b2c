package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses sizes as users write them: 5GB, 500MB, 2GiB, 1.5G, 1048576. Decimal units are powers of 1000. */
public final class ByteSize implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?)b?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    public static long parse(String value) {
        Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new FedmergeException("cannot read size '" + value + "': write e.g. 5GB, 500MB, 2GiB or a byte count");
        }
        double number = Double.parseDouble(m.group(1));
        int power = "kmgt".indexOf(m.group(2).isEmpty() ? "x" : m.group(2)) + 1;
        double unit = Math.pow(m.group(3).isEmpty() ? 1000 : 1024, power);
        long bytes = (long) (number * unit);
        if (bytes <= 0) {
            throw new FedmergeException("size must be positive, found '" + value + "'");
        }
        return bytes;
    }
}
