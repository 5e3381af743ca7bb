# microdot-esp on an ESP32-C3 module with 4 MB of flash: an out-of-tree
# board for MicroPython's esp32 port (make BOARD_DIR=<this folder>), after
# the port's ESP32_GENERIC_C3. The chip (IDF_TARGET) and the flash size come
# from boards/boards.json, through firmware.cmake.

# MicroPython's settings as upstream's ESP32_GENERIC_C3 lists them (names
# relative to ports/esp32; sdkconfig.c3usb is its chip revision 3 minimum
# and the stack-guard workaround for ESP-IDF issue 14456), then this
# board's own, which override them.
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.riscv
    boards/sdkconfig.ble
    boards/ESP32_GENERIC_C3/sdkconfig.c3usb
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

include(${MICROPY_BOARD_DIR}/../firmware.cmake)
