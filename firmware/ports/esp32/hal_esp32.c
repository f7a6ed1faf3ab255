/* ESP32 / ESP32-S3 / ESP32-C3 port (ESP-IDF >= 5.1): UART0 through the IDF driver and the
 * CPU cycle counter. Copied into the ESP-IDF project that `packetclip build` writes.
 * The IDF console is disabled in sdkconfig.defaults so UART0 carries only the protocol;
 * the ROM bootloader's banner still appears at reset, which is why the boot line starts
 * with a delimiter. */
#include <stdint.h>

#include "driver/uart.h"
#include "esp_cpu.h"
#include "freertos/FreeRTOS.h"
#include "packetclip/hal.h"
#include "packetclip/protocol.h"

#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "esp32"
#endif
#ifndef PC_COUNTER_HZ
#define PC_COUNTER_HZ 240000000u
#endif
#ifndef PC_UART_BAUD
#define PC_UART_BAUD 115200
#endif
#define PC_UART UART_NUM_0

static int pushback = -1; /* a byte pc_hal_idle waited for */

void pc_hal_init(void)
{
    const uart_config_t cfg = {
        .baud_rate = PC_UART_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    uart_driver_install(PC_UART, 2048, 2048, 0, NULL, 0);
    uart_param_config(PC_UART, &cfg);
}

int pc_hal_read_byte(void)
{
    uint8_t b;
    if (pushback >= 0) {
        int c = pushback;
        pushback = -1;
        return c;
    }
    return uart_read_bytes(PC_UART, &b, 1, 0) == 1 ? b : -1;
}

void pc_hal_write(const uint8_t *data, size_t len) { uart_write_bytes(PC_UART, data, len); }

/* Block (yielding to FreeRTOS, so no watchdog trips) until a byte arrives. */
void pc_hal_idle(void)
{
    uint8_t b;
    if (uart_read_bytes(PC_UART, &b, 1, pdMS_TO_TICKS(1000)) == 1)
        pushback = b;
}

uint32_t pc_hal_counter(void) { return (uint32_t)esp_cpu_get_cycle_count(); }
uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_CYCLES; }
uint32_t pc_hal_counter_hz(void) { return PC_COUNTER_HZ; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }

void app_main(void) { pc_main(); }
