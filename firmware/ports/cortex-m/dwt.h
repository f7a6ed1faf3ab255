/* DWT cycle counter of the Cortex-M3/M4/M7 (ARMv7-M ARM, C1.6.5 DEMCR and C1.8 DWT).
 * CYCCNT is 32 bits and wraps, as pc_hal_counter() promises. */
#ifndef PC_PORT_DWT_H
#define PC_PORT_DWT_H

#include <stdint.h>

#define PC_DEMCR (*(volatile uint32_t *)0xE000EDFCu)      /* Debug Exception and Monitor Control */
#define PC_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define PC_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define PC_DEMCR_TRCENA (1u << 24)                         /* powers the DWT/ITM blocks */
#define PC_DWT_CTRL_CYCCNTENA 1u

static inline void pc_dwt_start(void)
{
    PC_DEMCR |= PC_DEMCR_TRCENA;
    PC_DWT_CYCCNT = 0;
    PC_DWT_CTRL |= PC_DWT_CTRL_CYCCNTENA;
}

static inline uint32_t pc_dwt_cycles(void) { return PC_DWT_CYCCNT; }

#endif
