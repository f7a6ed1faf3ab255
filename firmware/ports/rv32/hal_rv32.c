/* RV32 port for QEMU virt: NS16550A UART at 0x10000000 and the minstret counter.
 * Under -icount shift=0 QEMU returns its instruction count for both mcycle and minstret;
 * minstret is also what a real core's "instructions retired" means, so the kind is
 * "instructions". */
#include <stdint.h>

#include "packetclip/hal.h"
#include "packetclip/protocol.h"

#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "qemu-rv32"
#endif
#ifndef PC_COUNTER_HZ
#define PC_COUNTER_HZ 160000000u
#endif

#define UART ((volatile uint8_t *)0x10000000u)
#define RBR 0
#define THR 0
#define IER 1
#define FCR 2
#define LCR 3
#define LSR 5
#define LSR_DR 0x01u
#define LSR_THRE 0x20u

void pc_hal_init(void)
{
    UART[IER] = 0;
    UART[LCR] = 0x03; /* 8N1 */
    UART[FCR] = 0x07; /* FIFOs on and cleared */
}

int pc_hal_read_byte(void)
{
    if (UART[LSR] & LSR_DR)
        return UART[RBR];
    return -1;
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (!(UART[LSR] & LSR_THRE)) {
        }
        UART[THR] = *data++;
    }
}

uint32_t pc_hal_counter(void)
{
    uint32_t v;
    __asm volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_INSTRUCTIONS; }
uint32_t pc_hal_counter_hz(void) { return PC_COUNTER_HZ; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }
void pc_hal_idle(void) {}

__attribute__((aligned(4))) void pc_rv32_trap(void)
{
    static const uint8_t msg[] = "packetclip fault\r\n";
    pc_hal_write(msg, sizeof msg - 1u);
    for (;;) {
    }
}
