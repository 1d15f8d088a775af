#!/usr/bin/env bash
# Starts a local S3-compatible server (s3rver, keys S3RVER:S3RVER) in $1 with two buckets, and in
# front of it the OSS dialect front that real ossfs talks to (test/services/oss-dialect-proxy.ts:
# its own access key, checked as OSS checks it; buckets virtual-hosted as <bucket>.s3.localhost).
# Writes VOLPLEX_TEST_S3_* and VOLPLEX_TEST_OSS_* to $1/env.
set -euo pipefail
work=$1
dir=$work/s3
mkdir -p "$dir/data/volplex-e2e" "$dir/data/volplex-second"
port=4569
oss_port=4570
node node_modules/s3rver/bin/s3rver.js -d "$dir/data" -p "$port" -a 127.0.0.1 --silent >"$dir/s3rver.log" 2>&1 &
echo $! >"$dir/s3rver.pid"
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done
oss_key_id=LTAI5tVolplexTestKey
# A fresh secret per run, passed in the environment only: the proxy checks every signature with it.
oss_key_secret=VOLPLEX-OSS-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
OSS_PROXY_UPSTREAM=http://127.0.0.1:$port OSS_PROXY_PORT=$oss_port OSS_PROXY_SERVICE_HOST=s3.localhost \
  OSS_PROXY_KEY_ID=$oss_key_id OSS_PROXY_KEY_SECRET=$oss_key_secret \
  node dist/test/services/oss-proxy.js >"$dir/oss-proxy.log" 2>&1 &
echo $! >"$dir/oss-proxy.pid"
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$oss_port") 2>/dev/null && break
  sleep 0.2
done
(exec 3<>"/dev/tcp/127.0.0.1/$oss_port") 2>/dev/null || { echo "the OSS dialect front did not start:" >&2; cat "$dir/oss-proxy.log" >&2; exit 1; }
{
  echo "export VOLPLEX_TEST_S3_URL=http://127.0.0.1:$port"
  echo "export VOLPLEX_TEST_S3_BUCKET=volplex-e2e"
  echo "export VOLPLEX_TEST_S3_SECOND_BUCKET=volplex-second"
  echo "export VOLPLEX_TEST_S3_DATA=$dir/data"
  echo "export VOLPLEX_TEST_S3_KEY_ID=S3RVER"
  echo "export VOLPLEX_TEST_S3_KEY_SECRET=S3RVER"
  echo "export VOLPLEX_TEST_OSS_URL=http://s3.localhost:$oss_port"
  echo "export VOLPLEX_TEST_OSS_PATH_STYLE_URL=http://127.0.0.1:$oss_port"
  echo "export VOLPLEX_TEST_OSS_KEY_ID=$oss_key_id"
  echo "export VOLPLEX_TEST_OSS_KEY_SECRET=$oss_key_secret"
} >>"$work/env"
