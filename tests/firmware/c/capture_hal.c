/* A hal for testing the core from Python (ctypes): writes are captured in a buffer,
 * the counter advances by a fixed step per read. */
#include <string.h>

#include "packetclip/hal.h"

static unsigned char captured[1 << 16];
static size_t captured_len;
static uint32_t counter, counter_step = 10;

void pc_hal_init(void) {}
int pc_hal_read_byte(void) { return -1; }
void pc_hal_idle(void) {}
void pc_hal_write(const uint8_t *data, size_t len)
{
    if (len > sizeof captured - captured_len)
        len = sizeof captured - captured_len;
    memcpy(captured + captured_len, data, len);
    captured_len += len;
}
uint32_t pc_hal_counter(void) { return counter += counter_step; }
uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_CYCLES; }
uint32_t pc_hal_counter_hz(void) { return 48000000u; }
const char *pc_hal_board_name(void) { return "unit"; }

size_t test_take_output(unsigned char *dst, size_t cap)
{
    size_t n = captured_len < cap ? captured_len : cap;
    memcpy(dst, captured, n);
    captured_len = 0;
    return n;
}
void test_set_counter_step(uint32_t step) { counter_step = step; }
