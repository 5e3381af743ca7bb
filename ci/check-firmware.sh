#!/usr/bin/env bash
# Checks a built firmware folder: both images present, the app image valid
# for the board's chip (esptool), the version in its app descriptor, the
# size within the app slot, the merged image holding the same app.
#     ci/check-firmware.sh ESP32_GENERIC_C3 [FOLDER]   (default build/firmware/<BOARD>)
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:?usage: ci/check-firmware.sh BOARD [FOLDER]}
python3 firmware/check.py "$board" ${2:+--dir "$2"}
