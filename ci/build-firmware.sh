#!/usr/bin/env bash
# CI's firmware job: builds one board (or one of its variants) in
# Espressif's ESP-IDF container (espressif/idf:<ESP_IDF_VERSION of
# firmware/versions.env>), then checks the images and that every file the
# boards name is in the MicroPython checkout the build used. The output
# folder build/firmware/<BOARD>[-<VARIANT>]/ is kept as an artifact.
#     ci/build-firmware.sh ESP32_GENERIC_C3 [QEMU]
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:?usage: ci/build-firmware.sh BOARD [VARIANT] (boards/boards.json)}
variant=${2:-}

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

python3 firmware/build.py "$board" --toolchain native ${variant:+--variant "$variant"}
python3 firmware/check.py "$board" ${variant:+--variant "$variant"}
. firmware/versions.env
python3 firmware/board_config.py --check "${MICROPY_DIR:-build/micropython-$MICROPYTHON_VERSION}"
