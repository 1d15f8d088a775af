#!/usr/bin/env bash
# Stops every service started under $1 by PID, unmounts what is left below it, removes it.
set -uo pipefail
work=$1
[ -d "$work" ] || exit 0
if [ -f "$work/docker/dockerd.pid" ]; then
  DOCKER_HOST=unix://$work/docker/docker.sock docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=unix://$work/docker/docker.sock docker rm -f >/dev/null 2>&1
fi
# Deepest first; lazily as a last resort so nothing stays mounted inside a test directory.
unmount_below() {
  grep -F " $1" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r mountpoint; do
    umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null
  done
}
# Test directories are /tmp/volplex-<kind>-XXXXXX: whatever a failed test left mounted there.
unmount_below /tmp/volplex-
if [ -f "$work/gluster/glusterd.pid" ]; then
  for volume in $(gluster --mode=script volume list 2>/dev/null); do
    gluster --mode=script volume stop "$volume" force >/dev/null 2>&1
  done
fi
# Brick and client daemons started for this run name its directory on their command line.
pkill -f -- "$work/" 2>/dev/null
for pidfile in "$work"/*/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile" 2>/dev/null) || continue
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null
done
unmount_below "$work/"
if grep -qF " $work/" /proc/self/mountinfo; then
  echo "still mounted below $work; not removing it" >&2
  exit 0
fi
rm -rf "$work"
