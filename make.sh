#!/bin/sh
# make.sh - make, on a machine that may not have it yet: a fresh Debian (a
# debootstrap, Debian's container image) has no make. When make is missing,
# tests/deps.sh installs it with the rest of what the build needs (as root,
# after apt-get update); then this is make with the same arguments, whose
# targets install what else they need (make check: the tests' packages).
#
#   ./make.sh sample    build, then audit (and dump) the bundled sample
#   ./make.sh check     every test
set -e
cd "$(dirname "$0")"
command -v make >/dev/null 2>&1 || sh tests/deps.sh build
exec make "$@"
