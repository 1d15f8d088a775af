#!/usr/bin/env bash
# Starts a private glusterd (its own working directory under $1) with two one-brick volumes.
# Writes VOLPLEX_TEST_GLUSTER_* to $1/env.
set -euo pipefail
work=$1
dir=$work/gluster
mkdir -p "$dir/state" "$dir/bricks" "$dir/logs"
sed -e "s|option working-directory .*|option working-directory $dir/state|" /etc/glusterfs/glusterd.vol >"$dir/glusterd.vol"
glusterd -N -f "$dir/glusterd.vol" -p "$dir/glusterd.pid" -l "$dir/logs/glusterd.log" &
echo $! >"$dir/launcher.pid"
for _ in $(seq 1 50); do
  gluster --mode=script volume list >/dev/null 2>&1 && break
  sleep 0.2
done
host=$(hostname)
for volume in vpe2e vpsecond; do
  gluster --mode=script volume create "$volume" "$host:$dir/bricks/$volume" force >/dev/null
  gluster --mode=script volume start "$volume" >/dev/null
done
{
  echo "export VOLPLEX_TEST_GLUSTER_SERVER=127.0.0.1"
  echo "export VOLPLEX_TEST_GLUSTER_VOLUME=vpe2e"
  echo "export VOLPLEX_TEST_GLUSTER_SECOND_VOLUME=vpsecond"
  echo "export VOLPLEX_TEST_GLUSTER_BRICKS=$dir/bricks"
} >>"$work/env"
