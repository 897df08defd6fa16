#!/usr/bin/env bash
# Installs the real peers the interop test drives, outside the repo's sources:
#   DIR/venv-new   botocore[crt] >= 1.41 + current boto3 (has the LoginProvider)
#   DIR/venv-old   boto3 1.40.76 (before login support)
#   DIR/node-new   current @aws-sdk/client-sts + @aws-sdk/credential-provider-login
#   DIR/node-old   @aws-sdk/client-sts 3.934.0 (before 3.936)
# Usage: setup.sh [DIR]   (default: target/signin-mock-peers in the workspace)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-$here/../../../target/signin-mock-peers}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
if [ ! -x "$dir/venv-new/bin/python" ]; then
  python3 -m venv "$dir/venv-new"
  "$dir/venv-new/bin/pip" install -q 'botocore[crt]>=1.41' boto3
fi
if [ ! -x "$dir/venv-old/bin/python" ]; then
  python3 -m venv "$dir/venv-old"
  "$dir/venv-old/bin/pip" install -q 'boto3==1.40.76'
fi
if [ ! -d "$dir/node-new/node_modules/@aws-sdk/credential-provider-login" ]; then
  mkdir -p "$dir/node-new"
  (cd "$dir/node-new" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund -s @aws-sdk/client-sts @aws-sdk/credential-provider-login)
fi
if [ ! -d "$dir/node-old/node_modules/@aws-sdk/client-sts" ]; then
  mkdir -p "$dir/node-old"
  (cd "$dir/node-old" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund -s @aws-sdk/client-sts@3.934.0)
fi
echo "$dir"
