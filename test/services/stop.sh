#!/usr/bin/env bash
# Stops every service started under $1 by PID, unmounts what is left below it, removes it.
set -uo pipefail
work=$1
[ -d "$work" ] || exit 0
if [ -f "$work/docker/dockerd.pid" ]; then
  DOCKER_HOST=unix://$work/docker/docker.sock docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=unix://$work/docker/docker.sock docker rm -f >/dev/null 2>&1
fi
for pidfile in "$work"/*/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null
done
# Deepest first; lazily as a last resort so nothing stays mounted inside the work tree.
grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r mountpoint; do
  umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null
done
if grep -qF " $work/" /proc/self/mountinfo; then
  echo "still mounted below $work; not removing it" >&2
  exit 0
fi
rm -rf "$work"
