# microdot-esp on an ESP32-C3 module with 4 MB of flash: an out-of-tree
# board for MicroPython's esp32 port (make BOARD_DIR=<this folder>), after
# the port's ESP32_GENERIC_C3.
set(IDF_TARGET esp32c3)

# MicroPython's settings for every esp32 board and for BLE (names relative
# to ports/esp32), then this board's (sdkconfig.board overrides them).
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${SDKCONFIG_IDF_VERSION_SPECIFIC}
    boards/sdkconfig.ble
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

include(${MICROPY_BOARD_DIR}/../firmware.cmake)
