#!/bin/sh
# Install the Debian packages kaudit needs, only those missing.
#   deps.sh build   what `make` needs
#   deps.sh test    that plus what the tests need
set -e
pkgs="gcc make pkg-config libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libcjson-dev libxxhash-dev"
if [ "$1" = test ]; then
    pkgs="$pkgs python3 python3-kafka python3-lz4 python3-snappy python3-zstandard python3-xxhash python3-jsonschema clang libclang-rt-14-dev chromium cmark-gfm python3-prometheus-client"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
    echo "not root: run 'sudo apt-get update && sudo apt-get install -y$missing'" >&2
    exit 1
fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
