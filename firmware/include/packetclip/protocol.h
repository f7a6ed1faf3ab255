/* Serial protocol v1 (docs/protocol.md), device side: COBS frames with a CRC-32.
 * Pure C99; the port supplies bytes through hal.h, the model through engine.h. */
#ifndef PACKETCLIP_PROTOCOL_H
#define PACKETCLIP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_PROTO_VERSION 1
#define PC_MAX_BODY 1024 /* protocol maximum; a firmware accepts only what its model needs */

#define PC_MSG_HELLO 0x01
#define PC_MSG_INFO 0x81
#define PC_MSG_INFER 0x02
#define PC_MSG_RESULT 0x82
#define PC_MSG_STATS 0x03
#define PC_MSG_STATS_REPLY 0x83
#define PC_MSG_ERROR 0x7F

#define PC_ERR_BAD_CRC 1
#define PC_ERR_BAD_FRAME 2
#define PC_ERR_TOO_LONG 3
#define PC_ERR_UNKNOWN_TYPE 4
#define PC_ERR_BAD_LENGTH 5
#define PC_ERR_ENGINE 6

#define PC_FRAME_OVERHEAD 6u /* type, seq, CRC-32 */
/* Longest COBS encoding (without the delimiter) of a raw frame of n bytes. */
#define PC_COBS_MAX(n) ((n) + (n) / 254u + 1u)

/* CRC-32 (IEEE, reflected, as zlib.crc32): pass crc = 0 to start, the previous result to continue. */
uint32_t pc_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* Decode COBS in place (buf holds len encoded bytes, no delimiter). Returns the decoded
 * length, or -1 if the data is not valid COBS. The output is never longer than the input. */
long pc_cobs_decode(uint8_t *buf, size_t len);

/* Counters reported by STATS (docs/protocol.md order). */
typedef struct {
    uint32_t rx_frames, rx_bad_crc, rx_bad_frame, rx_too_long, inferences, errors_sent,
        last_counter_delta;
} pc_stats_t;

/* The protocol engine. pc_core_init resets the parser and measures the counter's own cost;
 * pc_core_boot writes the boot line; pc_core_feed takes received bytes and answers
 * complete frames through pc_hal_write. */
void pc_core_init(void);
void pc_core_boot(void);
void pc_core_feed(const uint8_t *data, size_t len);
const pc_stats_t *pc_core_stats(void);

/* Everything a port's entry point needs: hal init, engine init, boot line, then serve forever. */
void pc_main(void);

#ifdef __cplusplus
}
#endif

#endif
