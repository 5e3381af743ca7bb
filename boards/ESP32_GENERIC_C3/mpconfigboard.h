// microdot-esp firmware on a generic ESP32-C3 module, 4 MB of flash.
// The MCU name is upstream's; os.uname().machine is "<board name> with
// <MCU name>".
#ifndef MICROPY_HW_BOARD_NAME  // a variant may name itself
#define MICROPY_HW_BOARD_NAME               "microdot-esp ESP32-C3 4MB OTA"
#endif
#define MICROPY_HW_MCU_NAME                 "ESP32C3"

#define MICROPY_HW_ENABLE_SDCARD            (0)
#define MICROPY_PY_MACHINE_I2S              (0)

// The REPL on UART0 too, for modules with a USB-UART chip.
#define MICROPY_HW_ENABLE_UART_REPL         (1)
