/* Cortex-M startup shared by every Cortex-M port (QEMU mps2, stm32f4, nrf52): core vector
 * table at the flash base, FPU/MVE enable, .data copy, .bss zeroing, then the firmware core.
 * Only the 16 core exceptions have entries: the ports poll and never enable an NVIC IRQ.
 * Secure-state images on the TrustZone QEMU machines (AN505, AN547) run from the secure
 * aliases, so no SAU/MPC set-up is needed. Each port defines pc_port_fault(); a port that
 * counts SysTick wraps defines pc_port_systick(), the others get the no-op below. */
#include <stdint.h>

#include "packetclip/protocol.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
void pc_port_fault(void);

/* Coprocessor Access Control Register (ARMv7-M ARM, B3.2.20) */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

__attribute__((weak)) void pc_port_systick(void) {}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= 0xFu << 20; /* full access to CP10/CP11 (FPU, and MVE on M55) before any FP instruction */
    __asm volatile("dsb\n isb" ::: "memory");
#endif
    while (dst < &__data_end)
        *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    pc_main();
    for (;;) {
    }
}

static void Default_Handler(void) { pc_port_fault(); }

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) static const vector_t vectors[16] = {
    (vector_t)&__stack_top, Reset_Handler,   Default_Handler, Default_Handler, /* SP, reset, NMI, HardFault */
    Default_Handler,        Default_Handler, Default_Handler, 0,               /* MemManage, BusFault, UsageFault */
    0,                      0,               0,               Default_Handler, /* SVCall */
    Default_Handler,        0,               Default_Handler, pc_port_systick, /* DebugMon, PendSV, SysTick */
};
