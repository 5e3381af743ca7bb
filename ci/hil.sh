#!/usr/bin/env bash
# The hardware-in-loop suite (tests/hil) on the real firmware:
#     QEMU=/path/to/qemu-system-riscv32 ci/hil.sh qemu [BOARD]
#     PORT=/dev/ttyACM0 WIFI='ssid:password' ci/hil.sh board [BOARD]
# builds the firmware twice (an update with another version, then the
# firmware under test: on qemu the board's QEMU variant), ESP-IDF's
# hello_world (an app that never confirms itself, which the bootloader must
# roll back), then runs tests/hil with pytest-embedded's qemu service, or
# its esp and idf services, which flash the build onto the board first.
# Needs an exported ESP-IDF (or the espressif/idf container), and for qemu
# Espressif's QEMU (idf_tools.py install qemu-riscv32); the test tools come
# from requirements.txt (.venv). BOARD defaults to ESP32_GENERIC_C3.
# Output in build/hil/: the images, the console logs, report.xml.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: ci/hil.sh qemu|board [BOARD]}
board=${2:-ESP32_GENERIC_C3}
out=build/hil
command -v idf.py >/dev/null || { echo "idf.py is not on PATH: export ESP-IDF first (. \$IDF_PATH/export.sh)" >&2; exit 2; }
case "$target" in
    qemu)
        qemu=${QEMU:-qemu-system-riscv32}
        command -v "$qemu" >/dev/null || { echo "no QEMU at $qemu: set QEMU (Espressif's qemu-system-riscv32: python \$IDF_PATH/tools/idf_tools.py install qemu-riscv32)" >&2; exit 2; }
        variant=QEMU
        name=$board-QEMU
        run=(--embedded-services qemu --qemu-prog-path "$(command -v "$qemu")");;
    board)
        : "${PORT:?set PORT to the serial port of the board, e.g. /dev/ttyACM0}"
        : "${WIFI:?set WIFI to the network the board joins, as ssid:password}"
        variant=
        name=$board
        run=(--embedded-services esp,idf --port "$PORT"
             --target "$(python3 firmware/boards.py --target "$board")"
             --app-path . --build-dir "build/idf-$board" --hil-wifi "$WIFI");;
    *) echo "ci/hil.sh: the target is qemu or board, not $target" >&2; exit 2;;
esac
rm -rf "$out" && mkdir -p "$out"
version=$(python3 firmware/build.py "$board" --print-version)
build() {
    FIRMWARE_VERSION=$1 python3 firmware/build.py "$board" ${variant:+--variant "$variant"}
    cp -r "build/firmware/$name" "$out/$2"
}

echo "[1/4] the update: $name, version ${version:0:24}-update"
build "${version:0:24}-update" update
# last, so that build/idf-<name> (what the esp and idf services flash) is it
echo "[2/4] the firmware under test: $name, version $version"
build "$version" firmware

echo "[3/4] ESP-IDF's hello_world, an app that never confirms itself"
cp -r "$IDF_PATH/examples/get-started/hello_world" "$out/hello_world"
# its own version (ESP-IDF would take this repository's git describe)
echo hello-world-never-confirms > "$out/hello_world/version.txt"
(cd "$out/hello_world" &&
 idf.py set-target "$(python3 ../../../firmware/boards.py --target "$board")" >/dev/null &&
 idf.py build >/dev/null)

echo "[4/4] tests/hil on $target"
make .venv/bin/.installed >/dev/null
.venv/bin/python -m pytest tests/hil "${run[@]}" --hil-board "$board" \
    --hil-firmware "$out/firmware" --hil-update "$out/update" \
    --hil-unconfirmed "$out/hello_world/build/hello_world.bin" \
    --root-logdir "$out/logs" --junitxml "$out/report.xml" \
    -o junit_family=xunit1 -v
