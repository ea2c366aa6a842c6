#!/usr/bin/env bash
# Waits until a container's HEALTHCHECK reports healthy: wait-healthy.sh CONTAINER [SECONDS, 300].
# Fails, printing the container's log, when it turns unhealthy, stops, or the time runs out.
# Used by the GitHub workflows (.github/workflows/ci.yml and release.yml).
set -euo pipefail
container="$1"
deadline=$((SECONDS + ${2:-300}))
status=starting
while ((SECONDS < deadline)); do
    status="$(docker inspect --format '{{.State.Health.Status}}' "$container")"
    if [ "$status" = healthy ]; then
        echo "$container: healthy"
        exit 0
    fi
    running="$(docker inspect --format '{{.State.Running}}' "$container")"
    if [ "$status" = unhealthy ] || [ "$running" != true ]; then
        break
    fi
    sleep 5
done
echo "$container: $status, not healthy" >&2
docker logs "$container" >&2
exit 1
