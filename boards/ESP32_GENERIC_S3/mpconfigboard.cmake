# microdot-esp on an ESP32-S3 module with 8 MB of flash: an out-of-tree
# board for MicroPython's esp32 port (make BOARD_DIR=<this folder>), after
# the port's ESP32_GENERIC_S3.
set(IDF_TARGET esp32s3)

# MicroPython's settings for every esp32 board, native USB, BLE and SPIRAM
# (found at boot if the module has it; names relative to ports/esp32), then
# this board's (sdkconfig.board overrides them).
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${SDKCONFIG_IDF_VERSION_SPECIFIC}
    boards/sdkconfig.usb
    boards/sdkconfig.ble
    boards/sdkconfig.spiram_sx
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

include(${MICROPY_BOARD_DIR}/../firmware.cmake)
