/* STM32F446RE (NUCLEO-F446RE) port: SYSCLK from the 16 MHz HSI through the main PLL to the
 * board file's clock_hz, USART2 on PA2/PA3 (the ST-LINK virtual COM port), DWT cycle counter.
 * Register addresses and bits: RM0390 Rev 6 (STM32F446xx reference manual); section numbers
 * are given next to each block. Polled: no interrupts are enabled. */
#include <stdint.h>

#include "dwt.h"
#include "packetclip/hal.h"

#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "nucleo-f446re"
#endif
#ifndef PC_CLOCK_HZ
#define PC_CLOCK_HZ 180000000u
#endif
#ifndef PC_UART_BAUD
#define PC_UART_BAUD 115200u
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

/* Memory map, RM0390 2.2.2 Table 1 */
#define PWR_BASE 0x40007000u
#define USART2_BASE 0x40004400u
#define GPIOA_BASE 0x40020000u
#define RCC_BASE 0x40023800u
#define FLASH_BASE_R 0x40023C00u

/* RCC, RM0390 6.3 */
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG(RCC_BASE + 0x40u)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_PLLP 2u          /* SW[1:0] = 10: PLL_P is SYSCLK; SWS[3:2] reads it back */
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR_USART2EN (1u << 17)
#define RCC_APB1ENR_PWREN (1u << 28)

/* PWR, RM0390 5.4 */
#define PWR_CR REG(PWR_BASE + 0x00u)
#define PWR_CSR REG(PWR_BASE + 0x04u)
#define PWR_CR_VOS_SCALE1 (3u << 14)
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

/* Flash interface, RM0390 3.8.1 FLASH_ACR */
#define FLASH_ACR REG(FLASH_BASE_R + 0x00u)
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

/* GPIO, RM0390 7.4 */
#define GPIOA_MODER REG(GPIOA_BASE + 0x00u)
#define GPIOA_PUPDR REG(GPIOA_BASE + 0x0Cu)
#define GPIOA_AFRL REG(GPIOA_BASE + 0x20u)

/* RM0390 "USART" chapter, USART registers */
#define USART2_SR REG(USART2_BASE + 0x00u)
#define USART2_DR REG(USART2_BASE + 0x04u)
#define USART2_BRR REG(USART2_BASE + 0x08u)
#define USART2_CR1 REG(USART2_BASE + 0x0Cu)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_UE (1u << 13)

/* Clock plan. HSI / M = 2 MHz PLL input (RM0390 6.3.2: 1..2 MHz, 2 MHz limits jitter);
 * VCO = 2 MHz * N (100..432 MHz), SYSCLK = VCO / P with P = 2, so N = SYSCLK in MHz.
 * Above 168 MHz the regulator needs over-drive (RM0390 5.1, "Entering Over-drive mode"). */
#define HSI_HZ 16000000u
#define PLL_M 8u
#define PLL_N (PC_CLOCK_HZ / 1000000u)
#define PLL_Q 8u  /* 48 MHz domain unused; any legal value (2..15) */
#define PLL_R 2u  /* unused; legal 2..7 */
#if PC_CLOCK_HZ != HSI_HZ && (PC_CLOCK_HZ % 1000000u != 0 || PC_CLOCK_HZ < 50000000u || PC_CLOCK_HZ > 180000000u)
#error "stm32f4 port: clock_hz must be 16 MHz (HSI) or a whole MHz in 50..180 MHz (PLL)"
#endif
/* Flash wait states at 2.7-3.6 V: one per 30 MHz of HCLK (RM0390 3.4.1 Table 5) */
#define FLASH_WS ((PC_CLOCK_HZ - 1u) / 30000000u)
/* APB1 at most 45 MHz, APB2 at most 90 MHz (RM0390 6.2 and DS10693); RCC_CFGR PPRE codes 0 = /1, 4 = /2, 5 = /4 */
#if PC_CLOCK_HZ <= 45000000u
#define PPRE1 0u
#define APB1_DIV 1u
#elif PC_CLOCK_HZ <= 90000000u
#define PPRE1 4u
#define APB1_DIV 2u
#else
#define PPRE1 5u
#define APB1_DIV 4u
#endif
#define PPRE2 (PC_CLOCK_HZ <= 90000000u ? 0u : 4u)
#define PCLK1_HZ (PC_CLOCK_HZ / APB1_DIV)

static void clock_init(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR; /* the enable takes effect after two clock cycles */
    if (PC_CLOCK_HZ == HSI_HZ)
        return; /* reset state: HSI is SYSCLK, 0 wait states */
    while (!(RCC_CR & RCC_CR_HSIRDY)) {
    }
    PWR_CR |= PWR_CR_VOS_SCALE1; /* VOS may change only while the PLL is off */
    RCC_PLLCFGR = PLL_M | (PLL_N << 6) | (0u << 16) /* P = 2 */ | (0u << 22) /* source HSI */
                  | (PLL_Q << 24) | (PLL_R << 28);
    RCC_CR |= RCC_CR_PLLON;
    if (PC_CLOCK_HZ > 168000000u) { /* RM0390 5.1 "Entering Over-drive mode": PLL on, then ODEN, ODSWEN */
        PWR_CR |= PWR_CR_ODEN;
        while (!(PWR_CSR & PWR_CSR_ODRDY)) {
        }
        PWR_CR |= PWR_CR_ODSWEN;
        while (!(PWR_CSR & PWR_CSR_ODSWRDY)) {
        }
    }
    FLASH_ACR = FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    while ((FLASH_ACR & 0xFu) != FLASH_WS) { /* RM0390 3.4.2: check the latency is set */
    }
    RCC_CFGR = (PPRE1 << 10) | (PPRE2 << 13); /* AHB /1, SYSCLK still HSI */
    while (!(RCC_CR & RCC_CR_PLLRDY)) {
    }
    RCC_CFGR |= RCC_CFGR_SW_PLLP;
    while (((RCC_CFGR >> 2) & 3u) != RCC_CFGR_SW_PLLP) {
    }
}

static void uart_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
    (void)RCC_APB1ENR;
    /* PA2 = USART2_TX, PA3 = USART2_RX: alternate function 7 (STM32F446xx datasheet DS10693, alternate function mapping table) */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (7u << 8) | (7u << 12);
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(0xFu << 4)) | (1u << 6); /* pull-up on RX: idle high if unplugged */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (2u << 4) | (2u << 6);
    /* 16x oversampling: BRR = f_PCLK1 / baud, rounded (RM0390 USART "Fractional baud rate generation") */
    USART2_BRR = (PCLK1_HZ + PC_UART_BAUD / 2u) / PC_UART_BAUD;
    USART2_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE; /* 8N1 */
}

void pc_hal_init(void)
{
    clock_init();
    uart_init();
    pc_dwt_start();
}

int pc_hal_read_byte(void)
{
    /* reading SR then DR also clears overrun/framing/noise flags (RM0390 USART_SR description) */
    if (USART2_SR & USART_SR_RXNE)
        return (int)(USART2_DR & 0xFFu);
    return -1;
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len--) {
        while (!(USART2_SR & USART_SR_TXE)) {
        }
        USART2_DR = *data++;
    }
}

uint32_t pc_hal_counter(void) { return pc_dwt_cycles(); }
uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_CYCLES; }
uint32_t pc_hal_counter_hz(void) { return PC_CLOCK_HZ; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }
void pc_hal_idle(void) {} /* polling: WFI would wait for an interrupt that is never enabled */

void pc_port_fault(void)
{
    static const uint8_t msg[] = "packetclip fault\r\n";
    pc_hal_write(msg, sizeof msg - 1u);
    for (;;) {
    }
}
