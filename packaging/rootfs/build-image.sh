#!/usr/bin/env bash
# Builds the volplex container image for docker-compose.yml without a registry: the root
# filesystem of build.sh, in a temporary directory that is deleted at the end (success or not),
# turned into an image by import-image.sh.
# usage: packaging/rootfs/build-image.sh [TAG]     (default volplex:latest; run `npm ci && npm run build` first)
#   env VOLPLEX_ROOTFS_CACHE: see build.sh (the Debian base tarball; the first build ~90 s).
# Progress: one line per step on stderr with the elapsed time; stdout is TAG.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../steps.sh
source "$here/../steps.sh"
tag=${1:-volplex:latest}
work=$(mktemp -d "${TMPDIR:-/tmp}/volplex-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
step "building the root filesystem in $work (packaging/rootfs/build.sh)"
bash "$here/build.sh" "$work/rootfs" >/dev/null
step "docker import as $tag"
bash "$here/import-image.sh" "$work/rootfs" "$tag" >/dev/null
step "removing $work"
rm -rf "$work"
step "image $tag ready: docker-compose up -d"
echo "$tag"
