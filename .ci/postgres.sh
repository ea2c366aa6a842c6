#!/usr/bin/env bash
# Debian's PostgreSQL on loopback with a throw-away test database; prints its TEST_DATABASE_URL.
# Needs root (apt-get, pg_ctlcluster). Used by .ci/run; developers may run it too.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != "online" ]; then
    pg_ctlcluster "$version" "$cluster" start >&2
fi
su postgres -c "psql -q -p $port" >&2 <<SQL
DROP DATABASE IF EXISTS clv_test;
DROP ROLE IF EXISTS clv_test;
CREATE ROLE clv_test LOGIN PASSWORD 'clv_test';
CREATE DATABASE clv_test OWNER clv_test;
SQL
echo "postgresql://clv_test:clv_test@127.0.0.1:$port/clv_test"
