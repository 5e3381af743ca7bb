// microdot-esp firmware on a generic ESP32-S3 module, 8 MB of flash.
// The MCU name is upstream's; os.uname().machine is "<board name> with
// <MCU name>".
#define MICROPY_HW_BOARD_NAME               "microdot-esp ESP32-S3 8MB OTA"
#define MICROPY_HW_MCU_NAME                 "ESP32S3"

// The REPL on UART0 too, for modules with a USB-UART chip.
#define MICROPY_HW_ENABLE_UART_REPL         (1)

#define MICROPY_HW_I2C0_SCL                 (9)
#define MICROPY_HW_I2C0_SDA                 (8)
