/* Frame parser and dispatch (docs/protocol.md). Buffers are sized from the model compiled
 * into this firmware: the receive buffer holds the longest legal request (an INFER), the
 * transmit buffer the longest reply (INFO or RESULT). Nothing here allocates or prints. */
#include "packetclip/engine.h"
#include "packetclip/hal.h"
#include "packetclip/protocol.h"
#include "pc_model_config.h"

#ifndef PC_FW_VERSION
#define PC_FW_VERSION "0.1.0"
#endif
#define PC_MAX_NAME 32u
/* A port whose counter ticks slower than its counter kind (QEMU's SysTick under -icount
 * ticks once per 1e9/SYSCLK instructions) scales deltas by PC_COUNTER_MUL / PC_COUNTER_DIV. */
#ifndef PC_COUNTER_MUL
#define PC_COUNTER_MUL 1u
#endif
#ifndef PC_COUNTER_DIV
#define PC_COUNTER_DIV 1u
#endif /* board name and firmware version are cut to this in INFO */

#define RX_RAW_MAX (PC_FRAME_OVERHEAD + PC_MODEL_INPUT_BYTES)
#define RX_ENC_MAX PC_COBS_MAX(RX_RAW_MAX)

#define INFO_BODY_MAX (64u + 2u * (1u + 2u * PC_MAX_RANK) + 2u * (1u + PC_MAX_NAME))
#define RESULT_BODY_MAX (4u + PC_MODEL_OUTPUT_BYTES)
#define STATS_BODY (4u * 7u)
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define TX_BODY_MAX MAX2(MAX2(INFO_BODY_MAX, RESULT_BODY_MAX), STATS_BODY)
#define TX_RAW_MAX (PC_FRAME_OVERHEAD + TX_BODY_MAX)

/* Frames start 2 bytes into 4-aligned storage so that a body (and the INFER input and
 * RESULT output tensors) is 4-aligned for engines that load words. */
#define FRAME_AT 2u
static union {
    uint32_t align;
    uint8_t b[FRAME_AT + RX_ENC_MAX];
} rx;
static union {
    uint32_t align;
    uint8_t b[FRAME_AT + TX_RAW_MAX + 4u];
} tx;
#define RXF (rx.b + FRAME_AT)
#define TXF (tx.b + FRAME_AT)

static size_t rx_len;
static uint8_t rx_overflow;
static uint32_t counter_cost; /* counts spent by two back-to-back counter reads */
static pc_stats_t stats;

const pc_stats_t *pc_core_stats(void) { return &stats; }

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_f32(uint8_t *p, float f)
{
    union {
        float f;
        uint32_t u;
    } c;
    c.f = f;
    put_u32(p, c.u);
}

/* Encode TXF[0 .. 2+body_len) plus its CRC with COBS straight to the link. */
static void send_frame(uint8_t type, uint8_t seq, size_t body_len)
{
    static const uint8_t zero = 0;
    size_t n = 2u + body_len, start = 0;
    TXF[0] = type;
    TXF[1] = seq;
    put_u32(TXF + n, pc_crc32(0, TXF, n));
    n += 4u;
    for (;;) {
        size_t end = start;
        uint8_t code;
        while (end < n && TXF[end] != 0 && end - start < 254u)
            end++;
        code = (uint8_t)(end - start + 1u);
        pc_hal_write(&code, 1);
        if (end > start)
            pc_hal_write(TXF + start, end - start);
        if (end == n)
            break;
        /* a zero is replaced by the next code byte; after a full 254-byte block there is none */
        start = TXF[end] == 0 ? end + 1u : end;
    }
    pc_hal_write(&zero, 1);
}

static void send_error(uint8_t seq, uint8_t code, uint8_t request_type)
{
    TXF[2] = code;
    TXF[3] = request_type;
    stats.errors_sent++;
    send_frame(PC_MSG_ERROR, seq, 2);
}

static size_t put_name(uint8_t *p, const char *s)
{
    uint8_t n = 0;
    while (s[n] && n < PC_MAX_NAME) {
        p[1u + n] = (uint8_t)s[n];
        n++;
    }
    p[0] = n;
    return 1u + n;
}

static size_t put_shape(uint8_t *p, uint8_t rank, const uint16_t *dims)
{
    uint8_t i;
    if (rank > PC_MAX_RANK)
        rank = PC_MAX_RANK;
    p[0] = rank;
    for (i = 0; i < rank; i++)
        put_u16(p + 1 + 2 * i, dims[i]);
    return 1u + 2u * rank;
}

static size_t build_info(uint8_t *p)
{
    const pc_model_info_t *m = pc_engine_info();
    uint8_t *q = p;
    int i;
    put_u16(q, PC_PROTO_VERSION);
    q[2] = m->engine;
    q[3] = pc_hal_counter_kind();
    put_u32(q + 4, pc_hal_counter_hz());
    put_u32(q + 8, m->arena_bytes);
    for (i = 0; i < 32; i++)
        q[12 + i] = m->model_sha256[i];
    put_u16(q + 44, m->input_bytes);
    put_u16(q + 46, m->output_bytes);
    put_f32(q + 48, m->input_scale);
    put_u32(q + 52, (uint32_t)m->input_zero_point);
    put_f32(q + 56, m->output_scale);
    put_u32(q + 60, (uint32_t)m->output_zero_point);
    q += 64;
    q += put_shape(q, m->input_rank, m->input_dims);
    q += put_shape(q, m->output_rank, m->output_dims);
    q += put_name(q, pc_hal_board_name());
    q += put_name(q, PC_FW_VERSION);
    return (size_t)(q - p);
}

static void do_infer(uint8_t seq, const uint8_t *body)
{
    uint32_t t0, t1;
    int rc;
    t0 = pc_hal_counter();
    rc = pc_engine_invoke((const int8_t *)body, (int8_t *)(TXF + 6));
    t1 = pc_hal_counter();
    if (rc != 0) {
        send_error(seq, PC_ERR_ENGINE, PC_MSG_INFER);
        return;
    }
    t1 -= t0;
    t1 = t1 > counter_cost ? t1 - counter_cost : 0;
    stats.last_counter_delta = t1 * PC_COUNTER_MUL / PC_COUNTER_DIV;
    stats.inferences++;
    put_u32(TXF + 2, stats.last_counter_delta);
    send_frame(PC_MSG_RESULT, seq, RESULT_BODY_MAX);
}

static void dispatch(uint8_t type, uint8_t seq, const uint8_t *body, size_t len)
{
    size_t want = type == PC_MSG_INFER ? PC_MODEL_INPUT_BYTES : 0u;
    if (type != PC_MSG_HELLO && type != PC_MSG_INFER && type != PC_MSG_STATS) {
        send_error(seq, PC_ERR_UNKNOWN_TYPE, type);
        return;
    }
    if (len != want) {
        send_error(seq, PC_ERR_BAD_LENGTH, type);
        return;
    }
    if (type == PC_MSG_HELLO) {
        send_frame(PC_MSG_INFO, seq, build_info(TXF + 2));
    } else if (type == PC_MSG_INFER) {
        do_infer(seq, body);
    } else {
        const uint32_t s[7] = {stats.rx_frames, stats.rx_bad_crc, stats.rx_bad_frame,
                               stats.rx_too_long, stats.inferences, stats.errors_sent,
                               stats.last_counter_delta};
        int i;
        for (i = 0; i < 7; i++)
            put_u32(TXF + 2 + 4 * i, s[i]);
        send_frame(PC_MSG_STATS_REPLY, seq, STATS_BODY);
    }
}

/* One chunk between delimiters has arrived in RXF[0 .. rx_len). */
static void end_of_chunk(void)
{
    long n;
    if (rx_len == 0 && !rx_overflow)
        return; /* empty frame: a line flush */
    stats.rx_frames++;
    if (rx_overflow) {
        stats.rx_too_long++;
        send_error(0, PC_ERR_TOO_LONG, 0);
        return;
    }
    n = pc_cobs_decode(RXF, rx_len);
    if (n < (long)PC_FRAME_OVERHEAD) {
        stats.rx_bad_frame++;
        send_error(0, PC_ERR_BAD_FRAME, 0);
        return;
    }
    {
        size_t m = (size_t)n - 4u;
        uint32_t crc = (uint32_t)RXF[m] | ((uint32_t)RXF[m + 1] << 8) |
                       ((uint32_t)RXF[m + 2] << 16) | ((uint32_t)RXF[m + 3] << 24);
        if (crc != pc_crc32(0, RXF, m)) {
            stats.rx_bad_crc++;
            send_error(0, PC_ERR_BAD_CRC, 0);
            return;
        }
        dispatch(RXF[0], RXF[1], RXF + 2, m - 2u);
    }
}

void pc_core_feed(const uint8_t *data, size_t len)
{
    while (len--) {
        uint8_t b = *data++;
        if (b == 0) {
            end_of_chunk();
            rx_len = 0;
            rx_overflow = 0;
        } else if (rx_len < RX_ENC_MAX) {
            RXF[rx_len++] = b;
        } else {
            rx_overflow = 1; /* keep discarding until the delimiter */
        }
    }
}

void pc_core_init(void)
{
    uint32_t a, b, best = 0xFFFFFFFFu;
    int i;
    rx_len = 0;
    rx_overflow = 0;
    stats = (pc_stats_t){0};
    for (i = 0; i < 4; i++) {
        a = pc_hal_counter();
        b = pc_hal_counter();
        if (b - a < best)
            best = b - a;
    }
    counter_cost = best;
}

static void write_str(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    pc_hal_write((const uint8_t *)s, n);
}

void pc_core_boot(void)
{
    static const uint8_t end[3] = {'\r', '\n', 0};
    /* a leading delimiter separates the line from whatever a ROM bootloader printed */
    pc_hal_write(end + 2, 1);
    write_str("packetclip boot ");
    write_str(pc_hal_board_name());
    write_str(" fw=" PC_FW_VERSION " proto=1");
    pc_hal_write(end, 3);
}
