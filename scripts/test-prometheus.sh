# Sourced by ./run-tests: makes Debian's Prometheus available to the integration test that scrapes a running hub
# (exports FEDMERGE_TEST_PROMETHEUS). Installs the package when missing and we may; otherwise the test is skipped.
# Works under "set -euo pipefail".

fedmerge_find_prometheus() {
    local bin
    bin=$(command -v prometheus || true)
    if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "run-tests: installing Prometheus for the integration tests (apt-get)..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus) \
            >/tmp/fedmerge-apt-prometheus.log 2>&1 || true
        bin=$(command -v prometheus || true)
    fi
    if [ -n "$bin" ]; then
        export FEDMERGE_TEST_PROMETHEUS="$bin"
    else
        echo "run-tests: no Prometheus available; the scrape test will be skipped" >&2
    fi
}

fedmerge_find_prometheus
