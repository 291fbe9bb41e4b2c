# Sourced by ./run-tests: makes Debian's Chromium and its ChromeDriver available for the web console's browser tests
# and exports FEDMERGE_TEST_CHROMEDRIVER / FEDMERGE_TEST_CHROMIUM. Installs the packages when they are missing and we
# may (root with apt-get). Works under "set -euo pipefail"; best effort: without a browser those tests are skipped.

fedmerge_find_browser() {
    local driver browser
    driver=$(command -v chromedriver 2>/dev/null || true)
    browser=$(command -v chromium 2>/dev/null || true)
    if { [ -z "$driver" ] || [ -z "$browser" ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "run-tests: installing chromium and chromium-driver for the console's browser tests (apt-get)..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver) >/tmp/fedmerge-apt-browser.log 2>&1 \
            || { echo "run-tests: chromium install failed (see /tmp/fedmerge-apt-browser.log)" >&2; return 0; }
        driver=$(command -v chromedriver 2>/dev/null || true)
        browser=$(command -v chromium 2>/dev/null || true)
    fi
    if [ -z "$driver" ] || [ -z "$browser" ]; then
        echo "run-tests: no chromium/chromedriver available; the browser tests will be skipped" >&2
        return 0
    fi
    export FEDMERGE_TEST_CHROMEDRIVER="$driver" FEDMERGE_TEST_CHROMIUM="$browser"
}

fedmerge_find_browser
