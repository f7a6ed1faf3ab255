/* Cortex-M4F startup shared by the real-board ports (stm32f4, nrf52): core vector table at
 * the flash base, FPU enable, .data copy, .bss zeroing, then the firmware core.
 * Only the 16 core exceptions have entries: the ports poll and never enable an NVIC IRQ. */
#include <stdint.h>

#include "packetclip/protocol.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
void pc_port_fault(void);

/* Coprocessor Access Control Register (ARMv7-M ARM, B3.2.20) */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
#if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20; /* full access to CP10/CP11 before any FP instruction */
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
    Default_Handler,        0,               Default_Handler, Default_Handler, /* DebugMon, PendSV, SysTick */
};
