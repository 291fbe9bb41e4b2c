package io.fedmerge.core.adapter;

import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Regex matching with a work budget. target_modules, rank_pattern and alpha_pattern are regular expressions from
 * the adapter's config — on a hub, a network peer's input — and Java's backtracking matcher can take exponential
 * time on a pattern such as {@code (a+)+b}. No maintained library bounds java.util.regex, so the budget is counted
 * here, in the character reads of the matcher's input.
 */
final class BoundedMatch {
    /** Character reads allowed per match: far above any real pattern on a module name, far below a stall. */
    static final int BUDGET = 200_000;

    private BoundedMatch() {}

    static boolean matches(String regex, String input, Path where, String field) {
        try {
            return Pattern.compile(regex).matcher(new Budgeted(input, new int[] {BUDGET})).matches();
        } catch (PatternSyntaxException e) {
            throw new InvalidAdapterException(where, field + " '" + regex + "' is not a valid regular expression: "
                    + e.getDescription());
        } catch (BudgetExceeded e) {
            throw new InvalidAdapterException(where, field + " '" + regex + "' takes too long to match module '"
                    + input + "' (catastrophic backtracking); simplify the pattern");
        }
    }

    private static final class BudgetExceeded extends RuntimeException {
        BudgetExceeded() {
            super(null, null, false, false);
        }
    }

    /** The input, counting every character the matcher reads against a budget shared by its sub-sequences. */
    private record Budgeted(String s, int[] left) implements CharSequence {
        @Override
        public int length() {
            return s.length();
        }

        @Override
        public char charAt(int index) {
            if (--left[0] < 0) {
                throw new BudgetExceeded();
            }
            return s.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Budgeted(s.substring(start, end), left);
        }

        @Override
        public String toString() {
            return s;
        }
    }
}
