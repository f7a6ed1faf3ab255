/* Serial protocol v2 (docs/protocol.md), device side: COBS frames with a CRC-32.
 * Pure C99; the port supplies bytes through hal.h, the model through engine.h. */
#ifndef PACKETCLIP_PROTOCOL_H
#define PACKETCLIP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_PROTO_VERSION 2

/* Requests longer than this go in LOAD chunks; a firmware's receive buffer holds one
 * request of at most max(input_bytes when that is <= PC_RX_CHUNK, PC_RX_CHUNK) body bytes. */
#ifndef PC_RX_CHUNK
#define PC_RX_CHUNK 256u
#endif

#define PC_MSG_HELLO 0x01
#define PC_MSG_INFO 0x81
#define PC_MSG_INFER 0x02
#define PC_MSG_RESULT 0x82
#define PC_MSG_STATS 0x03
#define PC_MSG_STATS_REPLY 0x83
#define PC_MSG_LOAD 0x04
#define PC_MSG_LOADED 0x84
#define PC_MSG_RUN 0x05
#define PC_MSG_FLOW 0x06          /* one flow of a windowed model: the device keeps the host's history */
#define PC_MSG_FLOW_RESULT 0x86
#define PC_MSG_PROTOTYPES 0x07    /* text-mission prototypes (packetclip/missions.h) */
#define PC_MSG_PROTOTYPES_REPLY 0x87
#define PC_MSG_RESET_CONTEXT 0x08 /* forget every host and start flow ids again at 0 */
#define PC_MSG_CONTEXT 0x88
#define PC_MSG_ERROR 0x7F

#define PC_ERR_BAD_CRC 1
#define PC_ERR_BAD_FRAME 2
#define PC_ERR_TOO_LONG 3
#define PC_ERR_UNKNOWN_TYPE 4
#define PC_ERR_BAD_LENGTH 5
#define PC_ERR_ENGINE 6
#define PC_ERR_BAD_OFFSET 7  /* LOAD outside the input tensor or not where the last one ended */
#define PC_ERR_NOT_LOADED 8  /* RUN before the whole input was loaded, or for another input (CRC) */
#define PC_ERR_WRONG_MODE 9  /* FLOW to a device without a host table, or INFER/LOAD/RUN to one with it */
#define PC_ERR_FLOW_GAP 10   /* FLOW whose id is past the next one expected: an earlier flow was lost */
#define PC_ERR_FLOW_STALE 11 /* FLOW whose id is older than the results the device still holds */
#define PC_ERR_NO_ROOM 12     /* more prototypes than the device holds (none without an embedding head) */
#define PC_ERR_WRONG_MODEL 13 /* prototypes made for another model */

/* INFO extension records: (u8 tag, u8 length, value) after the v1 fields. */
#define PC_INFO_MAX_REQUEST_BODY 1  /* u16: the longest request body this device accepts */
#define PC_INFO_TENSOR_BYTES 2      /* u32 input_bytes, u32 output_bytes (sent when either > 65535) */
#define PC_INFO_TEMPORAL 3          /* u16 window W, u16 host capacity N, u32 table bytes, u16 replay depth */
#define PC_INFO_PROTOTYPES 4        /* u8 capacity, u8 dim, u8 count, u8 score bits, sha256[32] */

/* FLOW body: u32 flow id, u32 host key, u64 start time (microseconds), then one flow row. */
#define PC_FLOW_HEADER 16u
/* FLOW results the device keeps to answer a resent FLOW whose reply was lost (the host keeps
 * at most this many FLOWs in flight) */
#ifndef PC_FLOW_REPLAY
#define PC_FLOW_REPLAY 8u
#endif

#define PC_FRAME_OVERHEAD 6u /* type, seq, CRC-32 */
/* Longest COBS encoding (without the delimiter) of a raw frame of n bytes. */
#define PC_COBS_MAX(n) ((n) + (n) / 254u + 1u)

/* CRC-32 (IEEE, reflected, as zlib.crc32): pass crc = 0 to start, the previous result to continue. */
uint32_t pc_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* Decode COBS in place (buf holds len encoded bytes, no delimiter). Returns the decoded
 * length, or -1 if the data is not valid COBS. The output is never longer than the input. */
long pc_cobs_decode(uint8_t *buf, size_t len);

/* Counters reported by STATS (docs/protocol.md order); the host-table counters follow them
 * (packetclip/hosts.h), then flow_replays (FLOWs answered from the replay buffer). */
typedef struct {
    uint32_t rx_frames, rx_bad_crc, rx_bad_frame, rx_too_long, inferences, errors_sent,
        last_counter_delta, flow_replays;
} pc_stats_t;

/* The protocol engine. pc_core_init resets the parser and measures the counter's own cost;
 * pc_core_boot writes the boot line; pc_core_feed takes received bytes and answers
 * complete frames through pc_hal_write. */
void pc_core_init(void);
void pc_core_boot(void);
void pc_core_feed(const uint8_t *data, size_t len);
const pc_stats_t *pc_core_stats(void);

/* The longest request body this firmware accepts (reported in INFO). */
uint32_t pc_core_max_request_body(void);

/* Everything a port's entry point needs: hal init, engine init, boot line, then serve forever. */
void pc_main(void);

#ifdef __cplusplus
}
#endif

#endif
