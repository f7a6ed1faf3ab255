/* What a board port provides to the firmware core. */
#ifndef PACKETCLIP_HAL_H
#define PACKETCLIP_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_COUNTER_NONE 0
#define PC_COUNTER_CYCLES 1
#define PC_COUNTER_INSTRUCTIONS 2
#define PC_COUNTER_NANOSECONDS 3   /* wall time, for the host port */

void pc_hal_init(void);

/* Next received byte, or -1 if none is waiting (never blocks). */
int pc_hal_read_byte(void);

/* Write bytes to the serial link; returns when they are queued or sent. */
void pc_hal_write(const uint8_t *data, size_t len);

/* Free-running counter for timing the invoke; wraps modulo 2^32. */
uint32_t pc_hal_counter(void);
uint8_t pc_hal_counter_kind(void);   /* PC_COUNTER_* */
uint32_t pc_hal_counter_hz(void);    /* counts per second */

/* Board name as in boards/<name>.toml (set by the build). */
const char *pc_hal_board_name(void);

/* Called when there is nothing to do (may sleep until the next interrupt). */
void pc_hal_idle(void);

#ifdef __cplusplus
}
#endif

#endif
