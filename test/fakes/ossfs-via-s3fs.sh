#!/bin/sh
# Stands in for Aliyun's ossfs (not packaged for Debian): ossfs takes s3fs's command line
# unchanged, so the arguments pass through to s3fs as they are. The local S3 server only
# understands path-style bucket addressing, which real OSS never uses; that one option is added.
exec s3fs -o use_path_request_style "$@"
