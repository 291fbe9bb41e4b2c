package io.fedmerge.hub;

import java.util.regex.Pattern;

/**
 * Names admins and nodes choose (node names, base model names): 1-100 letters, digits, '.', '_' or '-', starting
 * with a letter or digit. A name is echoed in an error only once it is known to be short.
 */
public final class Names {
    public static final int MAX_LENGTH = 100;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private Names() {}

    public static String check(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw HubException.invalid("bad_name", "a " + what + " needs a name");
        }
        if (name.length() > MAX_LENGTH) {
            throw HubException.invalid("bad_name", what + " name is " + name.length() + " characters long; at most "
                    + MAX_LENGTH + " are allowed");
        }
        if (!VALID.matcher(name).matches()) {
            throw HubException.invalid("bad_name", what + " name '" + name + "' must be letters, digits, '.', '_'"
                    + " or '-', starting with a letter or digit");
        }
        return name;
    }
}
