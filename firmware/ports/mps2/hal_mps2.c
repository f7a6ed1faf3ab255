/* MPS2/MPS3 port: CMSDK APB UART0 and a 32-bit counter built on SysTick.
 * QEMU has no DWT cycle counter; under -icount shift=0 SysTick advances with executed
 * instructions, so the counter kind is "instructions" (see the board files). */
#include <stdint.h>

#include "packetclip/hal.h"
#include "packetclip/protocol.h"

#ifndef PC_UART_BASE
#error "PC_UART_BASE must come from firmware/ports/mps2/machines.cmake"
#endif
#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "mps2"
#endif
#ifndef PC_COUNTER_HZ
#define PC_COUNTER_HZ 25000000u
#endif

#define UART_DATA (*(volatile uint32_t *)(PC_UART_BASE + 0x0u))
#define UART_STATE (*(volatile uint32_t *)(PC_UART_BASE + 0x4u))
#define UART_CTRL (*(volatile uint32_t *)(PC_UART_BASE + 0x8u))
#define UART_BAUDDIV (*(volatile uint32_t *)(PC_UART_BASE + 0x10u))
#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_MAX 0x00FFFFFFu

static volatile uint32_t systick_wraps;

/* overrides the weak no-op in ports/cortex-m/startup.c */
void pc_port_systick(void) { systick_wraps++; }

void pc_hal_init(void)
{
    UART_BAUDDIV = 16u; /* the smallest legal divider; QEMU ignores the rate */
    UART_CTRL = 3u;     /* TX and RX enable */
    (void)UART_DATA;    /* QEMU delays the first received bytes by ~1 s without this read */
    SYST_RVR = SYST_MAX;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* enable, interrupt on wrap, processor clock */
}

int pc_hal_read_byte(void)
{
    if (UART_STATE & STATE_RX_FULL)
        return (int)(UART_DATA & 0xFFu);
    return -1;
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (UART_STATE & STATE_TX_FULL) {
        }
        UART_DATA = *data++;
    }
}

uint32_t pc_hal_counter(void)
{
    uint32_t hi, lo;
    do {
        hi = systick_wraps;
        lo = SYST_CVR;
    } while (hi != systick_wraps);
    return (hi << 24) | (SYST_MAX - lo);
}

uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_INSTRUCTIONS; }
uint32_t pc_hal_counter_hz(void) { return PC_COUNTER_HZ; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }
void pc_hal_idle(void) {}

void pc_port_fault(void)
{
    static const uint8_t msg[] = "packetclip fault\r\n";
    pc_hal_write(msg, sizeof msg - 1u);
    for (;;) {
    }
}
