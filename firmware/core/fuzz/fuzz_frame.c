/* libFuzzer target for the frame parser and dispatch (firmware/core), built with
 * ASan + UBSan:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -Ifirmware/include -Ifirmware/core/fuzz firmware/core/{cobs,crc32,frame}.c \
 *         firmware/core/fuzz/fuzz_frame.c -o fuzz_frame
 * Each input is a byte stream fed to the parser in pieces whose sizes come from the input.
 * Every reply the firmware writes must be a well-formed frame of a reply type; the stub
 * engine checks that it is only ever called with a complete INFER body. At exit the
 * target prints how many frames (non-empty chunks) the parser handled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packetclip/engine.h"
#include "packetclip/hal.h"
#include "packetclip/protocol.h"
#include "pc_model_config.h"

static uint8_t out[8192];
static size_t out_len;
static unsigned long long frames_total, replies_total;

void pc_hal_init(void) {}
int pc_hal_read_byte(void) { return -1; }
void pc_hal_idle(void) {}
uint32_t pc_hal_counter(void)
{
    static uint32_t t;
    return t += 7u;
}
uint8_t pc_hal_counter_kind(void) { return PC_COUNTER_INSTRUCTIONS; }
uint32_t pc_hal_counter_hz(void) { return 1000000u; }
const char *pc_hal_board_name(void) { return "fuzz-board-with-a-rather-long-name-beyond-32"; }

static void check_reply(uint8_t *frame, size_t len)
{
    long n = pc_cobs_decode(frame, len);
    uint32_t crc;
    if (n < 6)
        abort();
    crc = (uint32_t)frame[n - 4] | ((uint32_t)frame[n - 3] << 8) | ((uint32_t)frame[n - 2] << 16) |
          ((uint32_t)frame[n - 1] << 24);
    if (crc != pc_crc32(0, frame, (size_t)n - 4u))
        abort();
    switch (frame[0]) {
    case PC_MSG_INFO:
    case PC_MSG_STATS_REPLY:
        break;
    case PC_MSG_RESULT:
        if ((size_t)n != 6u + 4u + PC_MODEL_OUTPUT_BYTES)
            abort();
        break;
    case PC_MSG_ERROR:
        if (n != 8 || frame[2] < PC_ERR_BAD_CRC || frame[2] > PC_ERR_ENGINE)
            abort();
        break;
    default:
        abort();
    }
    replies_total++;
}

void pc_hal_write(const uint8_t *data, size_t len)
{
    while (len--) {
        uint8_t b = *data++;
        if (b == 0) {
            check_reply(out, out_len);
            out_len = 0;
        } else {
            if (out_len >= sizeof out)
                abort(); /* a reply longer than any legal frame */
            out[out_len++] = b;
        }
    }
}

static const pc_model_info_t info = {
    PC_ENGINE_AOT, {0}, 64u, PC_MODEL_INPUT_BYTES, PC_MODEL_OUTPUT_BYTES, 0.5f, 0.25f, -3, 7,
    2, 2, {1, PC_MODEL_INPUT_BYTES, 0, 0}, {1, PC_MODEL_OUTPUT_BYTES, 0, 0},
};
int pc_engine_init(void) { return 0; }
const pc_model_info_t *pc_engine_info(void) { return &info; }
int pc_engine_invoke(const int8_t *in, int8_t *o)
{
    volatile int8_t sink = 0;
    unsigned i;
    for (i = 0; i < PC_MODEL_INPUT_BYTES; i++) /* ASan sees any read past the body */
        sink = (int8_t)(sink ^ in[i]);
    for (i = 0; i < PC_MODEL_OUTPUT_BYTES; i++)
        o[i] = (int8_t)(sink + (int8_t)i);
    return in[0] == 0x55 && in[1] == 0x55; /* sometimes fail, to reach ERROR ENGINE */
}

static void report(void)
{
    fprintf(stderr, "packetclip-fuzz: frames=%llu replies=%llu\n", frames_total, replies_total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    size_t pos = 0;
    if (!registered) {
        registered = 1;
        atexit(report);
    }
    pc_core_init();
    out_len = 0;
    /* the first byte picks the feeding piece size: bytes arrive in bursts over a link */
    while (pos < size) {
        size_t piece = size > 0 ? (size_t)(data[0] % 61u) + 1u : 1u;
        if (piece > size - pos)
            piece = size - pos;
        pc_core_feed(data + pos, piece);
        pos += piece;
    }
    pc_core_feed((const uint8_t *)"", 1); /* end the stream: a pending chunk is answered */
    if (out_len != 0)
        abort(); /* every reply ends with its delimiter */
    frames_total += pc_core_stats()->rx_frames;
    return 0;
}
