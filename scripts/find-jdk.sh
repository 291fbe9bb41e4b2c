# Sourced by ./fedmerge, ./run-tests and .ci/run: sets JAVA_HOME to a JDK >= 25 or exits with a clear message.
# The machine's default java may be older (Debian's 17), which cannot compile or run fedmerge (FFM, Float16).

fedmerge_java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}

fedmerge_find_jdk() {
    local candidate major
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/*3[0-9]*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        major=$(fedmerge_java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then
            export JAVA_HOME="$candidate"
            return 0
        fi
    done
    echo "fedmerge: no JDK 25 or newer found (looked at JAVA_HOME and /usr/lib/jvm)." >&2
    echo "  Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    exit 3
}

fedmerge_find_jdk
