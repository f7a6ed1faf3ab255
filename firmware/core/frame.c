/* Frame parser and dispatch (docs/protocol.md, v2). The receive buffer holds one request of
 * at most PC_MAX_REQUEST_BODY bytes (a whole INFER when the model's input fits, else one
 * LOAD chunk); inputs are copied into the engine's input tensor and replies are COBS-encoded
 * on the fly from wherever their bytes are (the output tensor included), so neither buffer
 * grows with the model. Nothing here allocates or prints. */
#include <string.h>

#include "packetclip/engine.h"
#include "packetclip/hal.h"
#include "packetclip/hosts.h"
#include "packetclip/missions.h"
#include "packetclip/protocol.h"
#include "pc_model_config.h"

#if !defined(PC_MODEL_ABI_VERSION) || PC_MODEL_ABI_VERSION != PC_ENGINE_ABI_VERSION
#error "pc_model_config.h was generated for another packetclip/engine.h ABI: regenerate the model folder with `packetclip codegen`"
#endif

#ifndef PC_FW_VERSION
#define PC_FW_VERSION "0.1.0"
#endif
#define PC_MAX_NAME 32u /* board name and firmware version are cut to this in INFO */
/* A port whose counter ticks slower than its counter kind (QEMU's SysTick under -icount
 * ticks once per 1e9/SYSCLK instructions) scales deltas by PC_COUNTER_MUL / PC_COUNTER_DIV. */
#ifndef PC_COUNTER_MUL
#define PC_COUNTER_MUL 1u
#endif
#ifndef PC_COUNTER_DIV
#define PC_COUNTER_DIV 1u
#endif

/* Temporal context: a windowed model built with a host table takes one FLOW at a time and
 * builds its window itself (hosts.c); INFER, LOAD and RUN are then refused (WRONG_MODE). */
#if defined(PC_MODEL_WINDOW) && defined(PC_HOSTS)
#if PC_MODEL_WINDOW > 1u && PC_HOSTS > 0u
#define PC_CONTEXT 1
#endif
#endif
#ifndef PC_CONTEXT
#define PC_CONTEXT 0
#endif

#define LOAD_HEADER 4u /* u32 offset */
#if PC_MODEL_INPUT_BYTES <= PC_RX_CHUNK
#define PC_TENSOR_REQUEST (PC_MODEL_INPUT_BYTES > LOAD_HEADER + 1u ? PC_MODEL_INPUT_BYTES : LOAD_HEADER + 1u)
#else
#define PC_TENSOR_REQUEST PC_RX_CHUNK
#endif
#if PC_CONTEXT
#define FLOW_ROW (PC_MODEL_INPUT_BYTES / PC_MODEL_WINDOW)
#define FLOW_BODY (PC_FLOW_HEADER + FLOW_ROW)
#define PC_REQUEST_BODY (FLOW_BODY > PC_TENSOR_REQUEST ? FLOW_BODY : PC_TENSOR_REQUEST)
#else
#define PC_REQUEST_BODY PC_TENSOR_REQUEST
#endif
/* a model with an embedding head also takes PROTOTYPES frames (packetclip/missions.h) */
#if defined(PC_MODEL_EMBED_DIM) && PC_MODEL_EMBED_DIM > 0u
#define PC_MAX_REQUEST_BODY (PC_REQUEST_BODY > PC_MISSIONS_BODY(PC_MODEL_EMBED_DIM) ? PC_REQUEST_BODY : PC_MISSIONS_BODY(PC_MODEL_EMBED_DIM))
#else
#define PC_MAX_REQUEST_BODY PC_REQUEST_BODY
#endif
#define RX_ENC_MAX PC_COBS_MAX(PC_FRAME_OVERHEAD + PC_MAX_REQUEST_BODY)

static uint8_t rx[RX_ENC_MAX];
static size_t rx_len;
static uint8_t rx_overflow;
static uint32_t loaded;       /* input bytes written by LOADs since the last INFER/RUN */
static uint32_t counter_cost; /* counts spent by two back-to-back counter reads */
static pc_stats_t stats;

#if PC_CONTEXT
/* The last PC_FLOW_REPLAY FLOW results, so a FLOW resent after its reply was lost is answered
 * with the result it already had instead of entering the host's history twice. */
static struct {
    uint32_t id, delta;
    uint8_t history;
    int8_t out[PC_MODEL_OUTPUT_BYTES];
} replay[PC_FLOW_REPLAY];
static uint32_t next_flow; /* the only FLOW id the device computes next */
#endif

const pc_stats_t *pc_core_stats(void) { return &stats; }
uint32_t pc_core_max_request_body(void) { return PC_MAX_REQUEST_BODY; }

/* ---- replies: COBS and CRC computed while the bytes go out --------------------------- */

static struct {
    uint8_t block[254];
    uint8_t n;
    uint32_t crc;
} tx;

static void tx_flush(uint8_t code)
{
    pc_hal_write(&code, 1);
    if (tx.n)
        pc_hal_write(tx.block, tx.n);
    tx.n = 0;
}

static void tx_byte(uint8_t b)
{
    if (b == 0) {
        tx_flush((uint8_t)(tx.n + 1u));
        return;
    }
    tx.block[tx.n++] = b;
    if (tx.n == 254u)
        tx_flush(255u); /* a full block: no zero implied */
}

static void tx_put(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    tx.crc = pc_crc32(tx.crc, p, len);
    while (len--)
        tx_byte(*p++);
}

static void tx_begin(uint8_t type, uint8_t seq)
{
    const uint8_t head[2] = {type, seq};
    tx.n = 0;
    tx.crc = 0;
    tx_put(head, 2);
}

static void tx_end(void)
{
    static const uint8_t zero = 0;
    const uint32_t crc = tx.crc;
    int i;
    for (i = 0; i < 4; i++)
        tx_byte((uint8_t)(crc >> (8 * i)));
    tx_flush((uint8_t)(tx.n + 1u));
    pc_hal_write(&zero, 1);
}

static void tx_u8(uint8_t v) { tx_put(&v, 1); }

static void tx_u16(uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    tx_put(b, 2);
}

static void tx_u32(uint32_t v)
{
    const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    tx_put(b, 4);
}

static void tx_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    tx_u32(u);
}

static void send_error(uint8_t seq, uint8_t code, uint8_t request_type)
{
    stats.errors_sent++;
    tx_begin(PC_MSG_ERROR, seq);
    tx_u8(code);
    tx_u8(request_type);
    tx_end();
}

static void tx_name(const char *s)
{
    uint8_t n = 0;
    while (s[n] && n < PC_MAX_NAME)
        n++;
    tx_u8(n);
    tx_put(s, n);
}

static void tx_shape(uint8_t rank, const uint16_t *dims)
{
    uint8_t i;
    if (rank > PC_MAX_RANK)
        rank = PC_MAX_RANK;
    tx_u8(rank);
    for (i = 0; i < rank; i++)
        tx_u16(dims[i]);
}

static uint16_t u16_or_max(uint32_t v) { return v > 0xFFFFu ? 0xFFFFu : (uint16_t)v; }

static void tx_missions_record(void)
{
    tx_u8(PC_INFO_PROTOTYPES);
    tx_u8(36);
    tx_u8(pc_missions_capacity());
    tx_u8(pc_missions_dim());
    tx_u8(pc_missions_count());
    tx_u8(PC_MISSIONS_SCORE_BITS);
    tx_put(pc_missions_sha256(), 32);
}

/* INFO: the v1 fields, then (for a v2 host) the extension records. */
static void send_info(uint8_t seq, int records)
{
    const pc_model_info_t *m = pc_engine_info();
    tx_begin(PC_MSG_INFO, seq);
    tx_u16(PC_PROTO_VERSION);
    tx_u8(m->engine);
    tx_u8(pc_hal_counter_kind());
    tx_u32(pc_hal_counter_hz());
    tx_u32(m->arena_bytes);
    tx_put(m->model_sha256, 32);
    tx_u16(u16_or_max(m->input_bytes));
    tx_u16(u16_or_max(m->output_bytes));
    tx_f32(m->input_scale);
    tx_u32((uint32_t)m->input_zero_point);
    tx_f32(m->output_scale);
    tx_u32((uint32_t)m->output_zero_point);
    tx_shape(m->input_rank, m->input_dims);
    tx_shape(m->output_rank, m->output_dims);
    tx_name(pc_hal_board_name());
    tx_name(PC_FW_VERSION);
    if (records) {
        tx_u8(PC_INFO_MAX_REQUEST_BODY);
        tx_u8(2);
        tx_u16((uint16_t)PC_MAX_REQUEST_BODY);
        if (pc_hosts_capacity() > 0) {
            tx_u8(PC_INFO_TEMPORAL);
            tx_u8(10);
            tx_u16(pc_hosts_window());
            tx_u16(pc_hosts_capacity());
            tx_u32(pc_hosts_table_bytes());
            tx_u16((uint16_t)PC_FLOW_REPLAY);
        }
        if (m->input_bytes > 0xFFFFu || m->output_bytes > 0xFFFFu) {
            tx_u8(PC_INFO_TENSOR_BYTES);
            tx_u8(8);
            tx_u32(m->input_bytes);
            tx_u32(m->output_bytes);
        }
        if (pc_missions_capacity() > 0)
            tx_missions_record();
    }
    tx_end();
}

static void send_stats(uint8_t seq)
{
    const pc_hosts_stats_t *h = pc_hosts_stats();
    const uint32_t s[13] = {stats.rx_frames, stats.rx_bad_crc, stats.rx_bad_frame, stats.rx_too_long,
                            stats.inferences, stats.errors_sent, stats.last_counter_delta,
                            h->flows, h->hosts_seen, h->evictions, h->out_of_order, h->in_table,
                            stats.flow_replays};
    int i;
    tx_begin(PC_MSG_STATS_REPLY, seq);
    for (i = 0; i < 13; i++)
        tx_u32(s[i]);
    tx_end();
}

/* Invoke on the input tensor, timed; 0 on success, else ERROR ENGINE has been answered. */
static int invoke(uint8_t seq, uint8_t request_type)
{
    uint32_t t0, t1;
    int rc;
    loaded = 0; /* the engine may reuse the input tensor's memory: load the next input afresh */
    t0 = pc_hal_counter();
    rc = pc_engine_invoke();
    t1 = pc_hal_counter();
    if (rc != 0 || pc_engine_output() == NULL) {
        send_error(seq, PC_ERR_ENGINE, request_type);
        return -1;
    }
    t1 -= t0;
    t1 = t1 > counter_cost ? t1 - counter_cost : 0;
    stats.last_counter_delta = t1 * PC_COUNTER_MUL / PC_COUNTER_DIV;
    stats.inferences++;
    return 0;
}

/* The last block of a RESULT while missions are active: u8 K, u8 best, K x i16 scores. */
static void tx_mission_scores(const int8_t *out)
{
    uint8_t best, k, n = pc_missions_count();
    const int16_t *scores = pc_missions_score(out, &best);
    tx_u8(n);
    tx_u8(best);
    for (k = 0; k < n; k++)
        tx_u16((uint16_t)scores[k]);
}

/* Invoke and answer RESULT (counter delta + the output tensor [+ the missions block]). */
static void run(uint8_t seq, uint8_t request_type)
{
    if (invoke(seq, request_type) != 0)
        return;
    tx_begin(PC_MSG_RESULT, seq);
    tx_u32(stats.last_counter_delta);
    tx_put(pc_engine_output(), PC_MODEL_OUTPUT_BYTES);
    if (pc_missions_count() > 0)
        tx_mission_scores(pc_engine_output());
    tx_end();
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* PROTOTYPES: `u8 index, rows` stages rows, `0xFF, u8 K, u32 crc, sha256, model prefix` commits;
 * the reply is u8 rows staged, u8 prototypes active. */
static void prototypes(uint8_t seq, const uint8_t *body, size_t len)
{
    const uint32_t dim = pc_missions_dim();
    int rc;
    if (len < 2u || dim == 0u)
        rc = dim == 0u ? PC_ERR_NO_ROOM : PC_ERR_BAD_LENGTH;
    else if (body[0] == PC_MISSIONS_COMMIT)
        rc = len != PC_MISSIONS_COMMIT_BYTES ? PC_ERR_BAD_LENGTH
                                             : pc_missions_commit(body[1], get_u32(body + 2), body + 6, body + 38);
    else if ((len - 1u) % dim != 0u)
        rc = PC_ERR_BAD_LENGTH;
    else
        rc = pc_missions_stage(body[0], (const int8_t *)(body + 1), (uint32_t)((len - 1u) / dim));
    if (rc != 0) {
        send_error(seq, (uint8_t)rc, PC_MSG_PROTOTYPES);
        return;
    }
    tx_begin(PC_MSG_PROTOTYPES_REPLY, seq);
    tx_u8(pc_missions_staged());
    tx_u8(pc_missions_count());
    tx_end();
}

#if PC_CONTEXT
static void send_flow_result(uint8_t seq, uint32_t slot)
{
    tx_begin(PC_MSG_FLOW_RESULT, seq);
    tx_u32(replay[slot].delta);
    tx_u32(replay[slot].id);
    tx_u8(replay[slot].history);
    tx_put(replay[slot].out, PC_MODEL_OUTPUT_BYTES);
    tx_end();
}

/* FLOW: flows are computed strictly in id order, each exactly once, so a host's history is
 * the same however the link loses, duplicates or resends frames (docs/protocol.md). */
static void flow(uint8_t seq, const uint8_t *body, size_t len)
{
    uint32_t id, slot;
    uint64_t start;
    int8_t *input = pc_engine_input();
    if (len != FLOW_BODY) {
        send_error(seq, PC_ERR_BAD_LENGTH, PC_MSG_FLOW);
        return;
    }
    if (input == NULL) {
        send_error(seq, PC_ERR_ENGINE, PC_MSG_FLOW);
        return;
    }
    id = get_u32(body);
    slot = id % PC_FLOW_REPLAY;
    if (id < next_flow) { /* computed before: its reply was lost */
        if (next_flow - id > PC_FLOW_REPLAY) {
            send_error(seq, PC_ERR_FLOW_STALE, PC_MSG_FLOW);
            return;
        }
        stats.flow_replays++;
        send_flow_result(seq, slot);
        return;
    }
    if (id != next_flow) {
        send_error(seq, PC_ERR_FLOW_GAP, PC_MSG_FLOW);
        return;
    }
    start = (uint64_t)get_u32(body + 8) | ((uint64_t)get_u32(body + 12) << 32);
    replay[slot].history = pc_hosts_flow(get_u32(body + 4), start, (const int8_t *)(body + PC_FLOW_HEADER), input);
    if (invoke(seq, PC_MSG_FLOW) != 0)
        return;
    replay[slot].id = id;
    replay[slot].delta = stats.last_counter_delta;
    memcpy(replay[slot].out, pc_engine_output(), PC_MODEL_OUTPUT_BYTES);
    next_flow++;
    send_flow_result(seq, slot);
}
#endif

static void dispatch(uint8_t type, uint8_t seq, const uint8_t *body, size_t len)
{
    int8_t *input;
    switch (type) {
    case PC_MSG_HELLO: /* empty: a v1 host, answered with the v1 fields only (it refuses v2) */
        if (len != 0 && len != 2) {
            send_error(seq, PC_ERR_BAD_LENGTH, type);
            return;
        }
        send_info(seq, len == 2 && (body[0] | (body[1] << 8)) >= 2);
        return;
    case PC_MSG_STATS:
        if (len != 0)
            send_error(seq, PC_ERR_BAD_LENGTH, type);
        else
            send_stats(seq);
        return;
    case PC_MSG_PROTOTYPES:
        prototypes(seq, body, len);
        return;
    case PC_MSG_FLOW:
    case PC_MSG_RESET_CONTEXT:
#if PC_CONTEXT
        if (type == PC_MSG_FLOW) {
            flow(seq, body, len);
        } else if (len != 0) {
            send_error(seq, PC_ERR_BAD_LENGTH, type);
        } else {
            pc_hosts_reset();
            next_flow = 0;
            tx_begin(PC_MSG_CONTEXT, seq);
            tx_u32(next_flow);
            tx_end();
        }
#else
        send_error(seq, PC_ERR_WRONG_MODE, type); /* a per-flow model keeps no flow history */
#endif
        return;
    case PC_MSG_INFER:
    case PC_MSG_LOAD:
    case PC_MSG_RUN:
        if (PC_CONTEXT) { /* the device builds this model's windows itself: flows come as FLOW */
            send_error(seq, PC_ERR_WRONG_MODE, type);
            return;
        }
        break;
    default:
        send_error(seq, PC_ERR_UNKNOWN_TYPE, type);
        return;
    }
    input = pc_engine_input();
    if (input == NULL) {
        send_error(seq, PC_ERR_ENGINE, type);
        return;
    }
    if (type == PC_MSG_INFER) {
        /* a whole input in one request only when it fits the receive buffer (else LOAD + RUN) */
        if (PC_MODEL_INPUT_BYTES > PC_MAX_REQUEST_BODY || len != PC_MODEL_INPUT_BYTES) {
            send_error(seq, PC_ERR_BAD_LENGTH, type);
            return;
        }
        memcpy(input, body, len);
        run(seq, type);
    } else if (type == PC_MSG_LOAD) {
        uint32_t off, n;
        if (len <= LOAD_HEADER) {
            send_error(seq, PC_ERR_BAD_LENGTH, type);
            return;
        }
        off = get_u32(body);
        n = (uint32_t)(len - LOAD_HEADER);
        /* a chunk starts a new input (offset 0) or continues exactly where the last one ended */
        if ((off != 0 && off != loaded) || off > PC_MODEL_INPUT_BYTES || n > PC_MODEL_INPUT_BYTES - off) {
            send_error(seq, PC_ERR_BAD_OFFSET, type);
            return;
        }
        memcpy(input + off, body + LOAD_HEADER, n);
        loaded = off + n;
        tx_begin(PC_MSG_LOADED, seq);
        tx_u32(loaded);
        tx_end();
    } else if (len != 4u) {
        send_error(seq, PC_ERR_BAD_LENGTH, type);
    } else if (loaded != PC_MODEL_INPUT_BYTES ||
               get_u32(body) != pc_crc32(0, (const uint8_t *)input, PC_MODEL_INPUT_BYTES)) {
        /* RUN names the input it means by its CRC: a chunk lost or overwritten by another
         * input's LOADs is refused, never computed */
        send_error(seq, PC_ERR_NOT_LOADED, type);
    } else {
        run(seq, type);
    }
}

/* One chunk between delimiters has arrived in rx[0 .. rx_len). */
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
    n = pc_cobs_decode(rx, rx_len);
    if (n < (long)PC_FRAME_OVERHEAD) {
        stats.rx_bad_frame++;
        send_error(0, PC_ERR_BAD_FRAME, 0);
        return;
    }
    {
        const size_t m = (size_t)n - 4u;
        if (get_u32(rx + m) != pc_crc32(0, rx, m)) {
            stats.rx_bad_crc++;
            send_error(0, PC_ERR_BAD_CRC, 0);
            return;
        }
        dispatch(rx[0], rx[1], rx + 2, m - 2u);
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
            rx[rx_len++] = b;
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
    loaded = 0;
    stats = (pc_stats_t){0};
    pc_hosts_reset();
    pc_missions_init();
#if PC_CONTEXT
    next_flow = 0;
#endif
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
    pc_hal_write((const uint8_t *)s, strlen(s));
}

#define PC_STR2(x) #x
#define PC_STR(x) PC_STR2(x)

void pc_core_boot(void)
{
    static const uint8_t end[3] = {'\r', '\n', 0};
    /* a leading delimiter separates the line from whatever a ROM bootloader printed before */
    pc_hal_write(end + 2, 1);
    write_str("packetclip boot ");
    write_str(pc_hal_board_name());
    write_str(" fw=" PC_FW_VERSION " proto=" PC_STR(PC_PROTO_VERSION));
    pc_hal_write(end, 3);
}
