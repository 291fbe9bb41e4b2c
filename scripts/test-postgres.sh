# Sourced by ./run-tests: starts a throw-away PostgreSQL on loopback for the integration tests and exports
# Works under "set -euo pipefail" (run-tests): every step that may fail is guarded.
# FEDMERGE_TEST_PG_URL. Installs Debian's postgresql package when it is missing and we may (root with apt-get).
# Best effort: if no server can be started, the PostgreSQL tests say so and are skipped.

fedmerge_start_postgres() {
    local bin port=55432 data=/tmp/fedmerge-test-pg
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "run-tests: installing PostgreSQL for the integration tests (apt-get)..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/tmp/fedmerge-apt.log 2>&1 \
            || { echo "run-tests: PostgreSQL install failed (see /tmp/fedmerge-apt.log)" >&2; return 0; }
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
    [ -n "$bin" ] || { echo "run-tests: no PostgreSQL server available; its tests will be skipped" >&2; return 0; }
    local as=()
    if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
    "${as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data" && mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    if ! "${as[@]}" "$bin/initdb" -D "$data" -A trust -U fedmerge >/tmp/fedmerge-pg-init.log 2>&1 ||
       ! "${as[@]}" "$bin/pg_ctl" -D "$data" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -l "$data/log" -w start \
            >/dev/null 2>&1; then
        echo "run-tests: could not start PostgreSQL (see /tmp/fedmerge-pg-init.log); its tests will be skipped" >&2
        return 0
    fi
    "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p $port -U fedmerge fedmerge >/dev/null 2>&1 || true
    export FEDMERGE_TEST_PG_URL="jdbc:postgresql://127.0.0.1:$port/fedmerge?user=fedmerge"
    export FEDMERGE_TEST_PG_STOP="${as[*]} $bin/pg_ctl -D $data -m fast stop"
}

fedmerge_start_postgres
