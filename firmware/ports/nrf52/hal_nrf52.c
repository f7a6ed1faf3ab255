/* nRF52840 (nRF52840-DK) port: HFXO started for an accurate baud rate, the legacy UART0
 * (byte-wise polling, no EasyDMA) on P0.06 TX / P0.08 RX (the J-Link OB virtual COM port),
 * DWT cycle counter at the fixed 64 MHz CPU clock. Addresses and bits: nRF52840 Product
 * Specification v1.7, chapters named next to each block. Polled: no interrupts are enabled. */
#include <stdint.h>

#include "dwt.h"
#include "packetclip/hal.h"

#ifndef PC_BOARD_NAME
#define PC_BOARD_NAME "nrf52840dk"
#endif
#ifndef PC_CLOCK_HZ
#define PC_CLOCK_HZ 64000000u
#endif
#ifndef PC_UART_BAUD
#define PC_UART_BAUD 115200u
#endif
#if PC_CLOCK_HZ != 64000000u
#error "nrf52 port: the nRF52840 CPU runs at 64 MHz; set clock_hz = 64_000_000"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

/* PS "CLOCK — Clock control", Registers (instance at 0x40000000, "Instantiation" table) */
#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART REG(CLOCK_BASE + 0x000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(CLOCK_BASE + 0x100u)

/* PS "GPIO — General purpose input/output", Registers (P0 at 0x50000000) */
#define P0_BASE 0x50000000u
#define P0_OUTSET REG(P0_BASE + 0x508u)
#define P0_PIN_CNF(n) REG(P0_BASE + 0x700u + 4u * (n))
#define PIN_CNF_OUTPUT_NO_INPUT 3u /* DIR = output, INPUT = disconnect */
#define PIN_CNF_INPUT 0u           /* DIR = input, INPUT = connect, no pull */

/* PS "UART — Universal asynchronous receiver/transmitter" (legacy, deprecated but present;
 * shares ID and base 0x40002000 with UARTE0), Registers */
#define UART0_BASE 0x40002000u
#define UART_TASKS_STARTRX REG(UART0_BASE + 0x000u)
#define UART_TASKS_STARTTX REG(UART0_BASE + 0x008u)
#define UART_EVENTS_RXDRDY REG(UART0_BASE + 0x108u)
#define UART_EVENTS_TXDRDY REG(UART0_BASE + 0x11Cu)
#define UART_EVENTS_ERROR REG(UART0_BASE + 0x124u)
#define UART_ERRORSRC REG(UART0_BASE + 0x480u)
#define UART_ENABLE REG(UART0_BASE + 0x500u)
#define UART_PSEL_TXD REG(UART0_BASE + 0x50Cu)
#define UART_PSEL_RXD REG(UART0_BASE + 0x514u)
#define UART_RXD REG(UART0_BASE + 0x518u)
#define UART_TXD REG(UART0_BASE + 0x51Cu)
#define UART_BAUDRATE REG(UART0_BASE + 0x524u)
#define UART_CONFIG REG(UART0_BASE + 0x56Cu)
#define UART_ENABLE_UART 4u /* 8 would select UARTE (EasyDMA) */

/* nRF52840-DK (PCA10056) VCOM pins, DK user guide "Virtual COM port" */
#define PIN_TXD 6u
#define PIN_RXD 8u

/* BAUDRATE register values (PS UART chapter, BAUDRATE register), not a plain divider */
#if PC_UART_BAUD == 115200u
#define BAUD_REG 0x01D7E000u
#elif PC_UART_BAUD == 230400u
#define BAUD_REG 0x03AFB000u
#elif PC_UART_BAUD == 460800u
#define BAUD_REG 0x075F7000u
#elif PC_UART_BAUD == 921600u
#define BAUD_REG 0x0EBED000u
#elif PC_UART_BAUD == 1000000u
#define BAUD_REG 0x10000000u
#else
#error "nrf52 port: serial.baud must be 115200, 230400, 460800, 921600 or 1000000"
#endif

void pc_hal_init(void)
{
    /* HFINT (the reset clock) is only +-1.5 %; the 32 MHz crystal makes the baud rate exact */
    CLOCK_EVENTS_HFCLKSTARTED = 0;
    CLOCK_TASKS_HFCLKSTART = 1;
    while (!CLOCK_EVENTS_HFCLKSTARTED) {
    }
    /* TXD idles high as an output, RXD is an input (PS UART chapter, "Pin configuration" table) */
    P0_OUTSET = 1u << PIN_TXD;
    P0_PIN_CNF(PIN_TXD) = PIN_CNF_OUTPUT_NO_INPUT;
    P0_PIN_CNF(PIN_RXD) = PIN_CNF_INPUT;
    UART_PSEL_TXD = PIN_TXD; /* port 0, CONNECT = 0 (connected); RTS/CTS stay disconnected */
    UART_PSEL_RXD = PIN_RXD;
    UART_BAUDRATE = BAUD_REG;
    UART_CONFIG = 0; /* no flow control, no parity, one stop bit */
    UART_ENABLE = UART_ENABLE_UART;
    UART_EVENTS_TXDRDY = 0;
    UART_EVENTS_RXDRDY = 0;
    UART_TASKS_STARTTX = 1;
    UART_TASKS_STARTRX = 1;
    pc_dwt_start();
}

int pc_hal_read_byte(void)
{
    if (UART_EVENTS_ERROR) { /* overrun/framing: clear so the receiver keeps reporting */
        UART_EVENTS_ERROR = 0;
        UART_ERRORSRC = UART_ERRORSRC; /* write-1-to-clear */
    }
    if (!UART_EVENTS_RXDRDY)
        return -1;
    UART_EVENTS_RXDRDY = 0; /* clear before reading RXD: the read moves the next FIFO byte in */
    return (int)(UART_RXD & 0xFFu);
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len--) {
        UART_TXD = *data++;
        while (!UART_EVENTS_TXDRDY) {
        }
        UART_EVENTS_TXDRDY = 0;
    }
}

uint32_t pc_hal_counter(void) { return pc_dwt_cycles(); }
uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_CYCLES; }
uint32_t pc_hal_counter_hz(void) { return PC_CLOCK_HZ; }
const char *pc_hal_board_name(void) { return PC_BOARD_NAME; }
void pc_hal_idle(void) {} /* polling: WFE/WFI would wait for an event that is never enabled */

void pc_port_fault(void)
{
    static const uint8_t msg[] = "packetclip fault\r\n";
    pc_hal_write(msg, sizeof msg - 1u);
    for (;;) {
    }
}
