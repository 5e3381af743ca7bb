#!/usr/bin/env bash
# CI's firmware job: builds one board in Espressif's ESP-IDF container
# (espressif/idf:<ESP_IDF_VERSION of firmware/versions.env>), then checks
# the images. The output folder build/firmware/<BOARD>/ is kept as an
# artifact.
#     ci/build-firmware.sh ESP32_GENERIC_C3
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:?usage: ci/build-firmware.sh BOARD (a folder of boards/)}

# GitHub runs a job's container without the image's entrypoint, which is
# what exports ESP-IDF's environment.
if ! command -v idf.py >/dev/null; then
    : "${IDF_PATH:?IDF_PATH is not set: run this in the espressif/idf container, or export ESP-IDF first}"
    . "$IDF_PATH/export.sh" >/dev/null
fi
# mpy-cross is built with the host's C compiler, which the image may lack
if ! command -v cc >/dev/null; then
    echo "installing gcc for mpy-cross"
    apt-get update -qq && apt-get install -y -qq gcc libc6-dev >/dev/null
fi
# the checkout belongs to another user than the container's root: let git
# describe it (the firmware's version)
git config --global --add safe.directory "$PWD"

python3 firmware/build.py "$board" --toolchain native
ci/check-firmware.sh "$board"
