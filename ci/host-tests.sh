#!/usr/bin/env bash
# CI's host job: every test of `make test` (framework, app, firmware checks)
# on CPython and the MicroPython unix port. Runs as root in a Debian
# container, where the Makefile installs Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
make test
