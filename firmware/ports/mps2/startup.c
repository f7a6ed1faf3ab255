/* Cortex-M startup for the QEMU MPS2/MPS3 machines: vector table, FPU enable, .data/.bss
 * set-up, then the firmware core. Secure-state images on the TrustZone machines (AN505,
 * AN547) run from the secure aliases, so no SAU/MPC set-up is needed. */
#include <stdint.h>

#include "packetclip/protocol.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
void pc_mps2_systick(void);
void pc_mps2_fault(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= 0xFu << 20; /* full access to CP10/CP11: FPU (and MVE) */
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

static void Default_Handler(void) { pc_mps2_fault(); }

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) static const vector_t vectors[16] = {
    (vector_t)&__stack_top, Reset_Handler,   Default_Handler, Default_Handler,
    Default_Handler,        Default_Handler, Default_Handler, 0,
    0,                      0,               0,               Default_Handler,
    Default_Handler,        0,               Default_Handler, pc_mps2_systick,
};
