#!/usr/bin/env bash
# Builds the managed plugin bundle, runs `docker plugin create`, and points its state, config and
# devices mounts at host directories (created if missing). Enable it afterwards:
#   docker plugin enable volplex:latest
#
# usage: packaging/plugin/create.sh [NAME] [BUNDLE_DIR]     (run `npm ci && npm run build` first)
#   NAME        plugin name and tag (default volplex:latest)
#   BUNDLE_DIR  where the bundle (config.json + rootfs/, ~470 MB) is assembled for `docker plugin
#               create`; it must not exist or be empty, and is deleted at the end, success or not
#               (default: a new directory from mktemp in ${TMPDIR:-/tmp}).
#   env VOLPLEX_PLUGIN_STATE    host directory for the store and managed volumes (default /var/lib/volplex-plugin)
#       VOLPLEX_PLUGIN_CONFIG   host directory holding config.yaml and secret files (default /etc/volplex)
#       VOLPLEX_PLUGIN_DEVICES  host tree local volumes may bind, seen as /srv in the plugin (default /srv)
#       VOLPLEX_ROOTFS_CACHE    the Debian base tarball packaging/rootfs/build.sh keeps
#                               (default /var/cache/volplex/rootfs-bookworm.tar; the first build ~90 s)
# Progress: one line per step on stderr with the elapsed time; stdout is NAME.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../steps.sh
source "$here/../steps.sh"
name=${1:-volplex:latest}
bundle=${2:-}
state=${VOLPLEX_PLUGIN_STATE:-/var/lib/volplex-plugin}
config=${VOLPLEX_PLUGIN_CONFIG:-/etc/volplex}
devices=${VOLPLEX_PLUGIN_DEVICES:-/srv}

if [ -z "$bundle" ]; then
  bundle=$(mktemp -d "${TMPDIR:-/tmp}/volplex-plugin.XXXXXX")
elif [ -e "$bundle" ] && [ -n "$(ls -A "$bundle")" ]; then
  echo "$bundle exists and is not empty: give a new directory" >&2
  exit 1
fi
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle"
step "building the plugin's root filesystem in $bundle/rootfs (packaging/rootfs/build.sh)"
bash "$here/../rootfs/build.sh" "$bundle/rootfs" >/dev/null
cp "$here/config.json" "$bundle/config.json"
# The mount sources must exist on the host when the plugin is enabled.
step "making the host directories the plugin mounts, if missing: state $state (0700), config $config, devices $devices"
mkdir -p "$state" "$config" "$devices"
chmod 0700 "$state"
[ -f "$config/config.yaml" ] || printf '# volplex configuration: see config/example.yaml\n{}\n' >"$config/config.yaml"
step "docker plugin create $name (copies the bundle into dockerd: about 30 s)"
docker plugin create "$name" "$bundle" >/dev/null
docker plugin set "$name" "state.source=$state" "config.source=$config" "devices.source=$devices"
step "removing the bundle $bundle"
rm -rf "$bundle"
step "created $name; enable it with: docker plugin enable $name"
echo "$name"
