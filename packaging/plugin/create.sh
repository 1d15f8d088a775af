#!/usr/bin/env bash
# Builds the managed plugin bundle, runs `docker plugin create`, and points its state and config
# mounts at host directories (created if missing). Enable it afterwards:
#   docker plugin enable volplex:latest
# usage: packaging/plugin/create.sh [NAME] [BUNDLE_DIR]
#   env: VOLPLEX_PLUGIN_STATE (default /var/lib/volplex-plugin), VOLPLEX_PLUGIN_CONFIG (default /etc/volplex),
#        VOLPLEX_PLUGIN_DEVICES (default /srv: the host tree local volumes may bind, /srv inside the plugin)
set -euo pipefail
name=${1:-volplex:latest}
bundle=${2:-/tmp/volplex-plugin}
state=${VOLPLEX_PLUGIN_STATE:-/var/lib/volplex-plugin}
config=${VOLPLEX_PLUGIN_CONFIG:-/etc/volplex}
devices=${VOLPLEX_PLUGIN_DEVICES:-/srv}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$bundle"
mkdir -p "$bundle"
bash "$here/../rootfs/build.sh" "$bundle/rootfs" >/dev/null
cp "$here/config.json" "$bundle/config.json"
# The mount sources must exist on the host when the plugin is enabled.
mkdir -p "$state" "$config" "$devices"
chmod 0700 "$state"
[ -f "$config/config.yaml" ] || printf '# volplex configuration: see config/example.yaml\n{}\n' >"$config/config.yaml"
docker plugin create "$name" "$bundle" >/dev/null
docker plugin set "$name" "state.source=$state" "config.source=$config" "devices.source=$devices"
rm -rf "$bundle"
echo "$name"
