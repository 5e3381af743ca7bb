#!/usr/bin/env bash
# The hardware-in-loop suite on its qemu target: the QEMU variant of a
# board built twice (the firmware under test, and an update with another
# version), ESP-IDF's hello_world (an app that never confirms itself, for
# the bootloader's rollback), then tests/hil with pytest-embedded's qemu
# service. Needs an exported ESP-IDF (or the espressif/idf container) and
# Espressif's QEMU; the test tools come from requirements.txt (.venv).
#     QEMU=/path/to/qemu-system-riscv32 ci/hil-qemu.sh [BOARD]
# Output in build/hil/: the images, the console logs, report.xml.
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:-ESP32_GENERIC_C3}
qemu=${QEMU:-qemu-system-riscv32}
out=build/hil
command -v "$qemu" >/dev/null || { echo "no QEMU at $qemu: set QEMU (Espressif's qemu-system-riscv32, from idf_tools.py install qemu-riscv32)" >&2; exit 2; }
command -v idf.py >/dev/null || { echo "idf.py is not on PATH: export ESP-IDF first (. \$IDF_PATH/export.sh)" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"

echo "[1/4] the firmware under test: $board, variant QEMU"
python3 firmware/build.py "$board" --variant QEMU
cp -r "build/firmware/$board-QEMU" "$out/firmware"

version=$(cat "$out/firmware/version.txt")
echo "[2/4] the update: the same build, version ${version:0:24}-update"
FIRMWARE_VERSION="${version:0:24}-update" python3 firmware/build.py "$board" --variant QEMU
cp -r "build/firmware/$board-QEMU" "$out/update"

echo "[3/4] ESP-IDF's hello_world, an app that never confirms itself"
cp -r "$IDF_PATH/examples/get-started/hello_world" "$out/hello_world"
# its own version (ESP-IDF would take this repository's git describe)
echo hello-world-never-confirms > "$out/hello_world/version.txt"
(cd "$out/hello_world" && idf.py set-target "$(python3 ../../../firmware/boards.py --target "$board")" >/dev/null && idf.py build >/dev/null)

echo "[4/4] tests/hil on qemu"
make .venv/bin/.installed >/dev/null
.venv/bin/python -m pytest tests/hil --embedded-services qemu \
    --qemu-prog-path "$(command -v "$qemu")" --hil-board "$board" \
    --hil-firmware "$out/firmware" --hil-update "$out/update" \
    --hil-unconfirmed "$out/hello_world/build/hello_world.bin" \
    --root-logdir "$out/logs" --junitxml "$out/report.xml" -v
