#!/usr/bin/env bash
# Turns a root filesystem from build.sh into the volplex container image (no registry needed).
# usage: packaging/rootfs/import-image.sh ROOTFS_DIR [TAG]      (default tag volplex:latest)
set -euo pipefail
root=$1
tag=${2:-volplex:latest}
tar -C "$root" -c . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/opt/volplex/dist/volplex.js", "serve"]' \
  --change 'WORKDIR /opt/volplex' \
  --change 'ENV VOLPLEX_DEPLOYMENT=container' \
  - "$tag" >/dev/null
echo "$tag"
