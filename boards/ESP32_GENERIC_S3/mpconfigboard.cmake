# microdot-esp on an ESP32-S3 module with 8 MB of flash: an out-of-tree
# board for MicroPython's esp32 port (make BOARD_DIR=<this folder>), after
# the port's ESP32_GENERIC_S3. The chip (IDF_TARGET) and the flash size come
# from boards/boards.json, through firmware.cmake.

# MicroPython's settings as upstream's ESP32_GENERIC_S3 lists them: every
# esp32 board, BLE, SPIRAM (found at boot if the module has it), and its
# board file (quad I/O flash at 80 MHz); names relative to ports/esp32.
# Then this board's own, which override them.
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.ble
    boards/sdkconfig.spiram_sx
    boards/ESP32_GENERIC_S3/sdkconfig.board
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

include(${MICROPY_BOARD_DIR}/../firmware.cmake)
