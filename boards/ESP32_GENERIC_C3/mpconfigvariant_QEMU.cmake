# BOARD_VARIANT=QEMU: this board's image for QEMU's esp32c3 machine, where
# the hardware-in-loop tests run the real firmware (README, "Hardware-in-loop
# tests"). QEMU emulates no Wi-Fi; it has an OpenCores Ethernet MAC, which
# ESP-IDF drives (sdkconfig.qemu) and the openeth module brings up with
# DHCP. app/hw/esp32.py uses it in place of Wi-Fi when it is there.
# Everything else is the shipped image.
list(APPEND SDKCONFIG_DEFAULTS ${MICROPY_BOARD_DIR}/sdkconfig.qemu)

# Set here, not on make's command line: a make variable given there would
# reach every nested make through MAKEFLAGS.
get_filename_component(USER_C_MODULES
    ${MICROPY_BOARD_DIR}/../openeth/micropython.cmake ABSOLUTE)

list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_BOARD_NAME="microdot-esp ESP32-C3 4MB OTA on QEMU"
)
