#!/usr/bin/env bash
# Every test, against real components: installs what is missing, starts a private dockerd
# (and the backends' servers), runs jest, stops all of it, and prints the totals last.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "run the tests as root: they mount filesystems and start dockerd" >&2
  exit 1
fi
# The services below are machine-wide (glusterd, the NFS ports, the e2e plugin socket): runs queue.
exec 9>/tmp/volplex-services.lock
flock 9
bash test/services/install-packages.sh
npm run --silent build
# Typed lint (strictTypeChecked) counts as one more test.
lint_failed=0
npx eslint . || lint_failed=1

work=$(mktemp -d /tmp/volplex-services.XXXXXX)
trap 'bash test/services/stop.sh "$work"' EXIT
: >"$work/env"
bash test/services/start-dockerd.sh "$work"
bash test/services/start-glusterd.sh "$work"
bash test/services/build-ossfs.sh "$work"
bash test/services/start-s3rver.sh "$work"
bash test/services/start-nfs.sh "$work"
# shellcheck disable=SC1091
source "$work/env"

status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --verbose --json --outputFile="$work/jest.json" "$@" || status=$?
cp "$work/jest.json" /tmp/volplex-last-jest.json 2>/dev/null || true
bash test/services/stop.sh "$work"
trap - EXIT
LINT_FAILED=$lint_failed node test/services/summarize.mjs /tmp/volplex-last-jest.json
[ "$lint_failed" = 0 ] || status=1
exit "$status"
