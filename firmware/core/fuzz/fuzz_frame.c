/* libFuzzer target for the frame parser and dispatch (firmware/core), built with
 * ASan + UBSan:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -Ifirmware/include -Ifirmware/core/fuzz firmware/core/{cobs,crc32,frame,hosts,missions}.c \
 *         firmware/core/fuzz/fuzz_frame.c -o fuzz_frame
 * (add -DPC_MODEL_INPUT_BYTES=600u for a model whose input needs LOAD chunks, or
 * -DPC_MODEL_WINDOW=4u -DPC_HOSTS=3u for a windowed model fed FLOW by FLOW through a
 * three-host table, or -DPC_MODEL_EMBED_OFFSET=4u -DPC_MODEL_EMBED_DIM=8u for a model with an
 * embedding head, whose RESULTs carry mission scores once PROTOTYPES were committed).
 * Each input is a byte stream fed to the parser in pieces whose sizes come from the input.
 * Every reply the firmware writes must be a well-formed frame of a reply type with the right
 * length; the stub engine's tensors are heap blocks of exactly input_bytes / output_bytes, so
 * ASan catches any access past them. (The LOAD/RUN rules themselves are unit-tested in
 * tests/firmware/test_core_unit.py.) At exit it prints how many frames (non-empty chunks)
 * the parser handled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packetclip/engine.h"
#include "packetclip/hal.h"
#include "packetclip/missions.h"
#include "packetclip/protocol.h"
#include "pc_model_config.h"

static uint8_t out[2 * (PC_MODEL_OUTPUT_BYTES + 300u)];
static size_t out_len;
static unsigned long long frames_total, replies_total, scored_total;

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
        if (n < 6 + 64 || frame[2] != PC_PROTO_VERSION || frame[3] != 0)
            abort();
        break;
    case PC_MSG_STATS_REPLY:
        if (n != 6 + 52)
            abort();
        break;
#if defined(PC_HOSTS) && PC_HOSTS > 0
    case PC_MSG_FLOW_RESULT:
        if ((size_t)n != 6u + 9u + PC_MODEL_OUTPUT_BYTES || frame[10] >= PC_MODEL_WINDOW)
            abort();
        break;
    case PC_MSG_CONTEXT:
        if (n != 6 + 4)
            abort();
        break;
#endif
    case PC_MSG_LOADED: {
        uint32_t loaded = (uint32_t)frame[2] | ((uint32_t)frame[3] << 8) | ((uint32_t)frame[4] << 16) |
                          ((uint32_t)frame[5] << 24);
        if (n != 6 + 4 || loaded == 0 || loaded > PC_MODEL_INPUT_BYTES)
            abort();
        break;
    }
    case PC_MSG_RESULT: {
        const size_t k = pc_missions_count(), tail = k ? 2u + 2u * k : 0u;
        if ((size_t)n != 6u + 4u + PC_MODEL_OUTPUT_BYTES + tail)
            abort();
        if (k && (frame[n - 4 - tail] != k || frame[n - 4 - tail + 1] >= k))
            abort(); /* the missions block: K, best < K */
        scored_total += k != 0;
        break;
    }
    case PC_MSG_PROTOTYPES_REPLY:
        if (n != 6 + 2 || frame[2] > pc_missions_capacity() || frame[3] > frame[2])
            abort();
        break;
    case PC_MSG_ERROR:
        if (n != 8 || frame[2] < PC_ERR_BAD_CRC || frame[2] > PC_ERR_WRONG_MODEL)
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
    .engine = PC_ENGINE_AOT,
    .arena_bytes = 64u,
    .input_bytes = PC_MODEL_INPUT_BYTES,
    .output_bytes = PC_MODEL_OUTPUT_BYTES,
    .input_scale = 0.5f,
    .output_scale = 0.25f,
    .input_zero_point = -3,
    .output_zero_point = 7,
    .input_rank = 2,
    .output_rank = 2,
    .input_dims = {1, PC_MODEL_INPUT_BYTES, 0, 0},
    .output_dims = {1, PC_MODEL_OUTPUT_BYTES, 0, 0},
};
/* exactly the tensor sizes: ASan reports any byte written or read past them */
static int8_t *input, *output;

int pc_engine_init(void)
{
    if (input == NULL) {
        input = (int8_t *)malloc(PC_MODEL_INPUT_BYTES);
        output = (int8_t *)malloc(PC_MODEL_OUTPUT_BYTES);
        memset(input, 0, PC_MODEL_INPUT_BYTES);
    }
    return 0;
}
const pc_model_info_t *pc_engine_info(void) { return &info; }
int8_t *pc_engine_input(void) { return input; }
const int8_t *pc_engine_output(void) { return output; }
int pc_engine_invoke(void)
{
    volatile int8_t sink = 0;
    unsigned i;
    for (i = 0; i < PC_MODEL_INPUT_BYTES; i++)
        sink = (int8_t)(sink ^ input[i]);
    for (i = 0; i < PC_MODEL_OUTPUT_BYTES; i++)
        output[i] = (int8_t)(sink + (int8_t)i);
    return input[0] == 0x55 && input[1] == 0x55; /* sometimes fail, to reach ERROR ENGINE */
}

static void report(void)
{
    fprintf(stderr, "packetclip-fuzz: frames=%llu replies=%llu scored=%llu\n", frames_total, replies_total, scored_total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    size_t pos = 0;
    if (!registered) {
        registered = 1;
        atexit(report);
    }
    pc_engine_init();
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
