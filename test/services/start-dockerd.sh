#!/usr/bin/env bash
# Starts a private Docker Engine in $1 and imports local/busybox; writes DOCKER_HOST to $1/env.
set -euo pipefail
work=$1
dir=$work/docker
mkdir -p "$dir/data" "$dir/exec"
dockerd --storage-driver=vfs --iptables=false --bridge=none \
  --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
  -H "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 &
echo $! >"$dir/launcher.pid"
export DOCKER_HOST=unix://$dir/docker.sock
for _ in $(seq 1 100); do
  docker version >/dev/null 2>&1 && break
  sleep 0.3
done
docker version >/dev/null || { echo "dockerd did not start:" >&2; tail -20 "$dir/dockerd.log" >&2; exit 1; }

image=$work/busybox-root
mkdir -p "$image/bin" "$image/tmp"
cp /bin/busybox "$image/bin/busybox"
for tool in sh ls cat echo mkdir touch sleep test grep rm wc stat id; do ln -sf busybox "$image/bin/$tool"; done
tar -C "$image" -c . | docker import - local/busybox:latest >/dev/null
echo "export DOCKER_HOST=$DOCKER_HOST" >>"$work/env"
