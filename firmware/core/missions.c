/* Text-mission prototypes and their integer cosine scores (packetclip/missions.h). */
#include <string.h>

#include "packetclip/engine.h"
#include "packetclip/missions.h"
#include "packetclip/protocol.h"
#include "pc_model_config.h"

#ifndef PC_MISSIONS_MAX
#define PC_MISSIONS_MAX 16u
#endif
#ifndef PC_MODEL_OUTPUT_ZERO_POINT
#define PC_MODEL_OUTPUT_ZERO_POINT 0
#endif

#if defined(PC_MODEL_EMBED_DIM) && PC_MODEL_EMBED_DIM > 0u && PC_MISSIONS_MAX > 0u
#define DIM PC_MODEL_EMBED_DIM
#if PC_MISSIONS_MAX > 254u || DIM > 64u
#error "PC_MISSIONS_MAX must be <= 254 and the embedding at most 64 values (int32 scores)"
#endif
#if PC_MODEL_EMBED_OFFSET + DIM > PC_MODEL_OUTPUT_BYTES
#error "PC_MODEL_EMBED_OFFSET + PC_MODEL_EMBED_DIM is past the output: regenerate with packetclip codegen"
#endif

static int8_t rows[PC_MISSIONS_MAX][DIM];
static uint16_t norms[PC_MISSIONS_MAX]; /* isqrt(sum p^2) per active prototype */
static uint8_t staged, active, sha[32];

#ifdef PC_MISSIONS_BUILTIN_COUNT /* `packetclip build --missions`: pc_missions_builtin.c */
extern const int8_t pc_missions_builtin_rows[PC_MISSIONS_BUILTIN_COUNT][DIM];
extern const uint8_t pc_missions_builtin_sha256[32];
#if PC_MISSIONS_BUILTIN_COUNT > PC_MISSIONS_MAX
#error "more compiled-in missions than PC_MISSIONS_MAX"
#endif
#endif

uint8_t pc_missions_capacity(void) { return (uint8_t)PC_MISSIONS_MAX; }
uint8_t pc_missions_dim(void) { return (uint8_t)DIM; }
uint8_t pc_missions_staged(void) { return staged; }
uint8_t pc_missions_count(void) { return active; }
const uint8_t *pc_missions_sha256(void) { return sha; }

/* floor(sqrt(x)), bit by bit: no floating point, no division */
static uint32_t isqrt(uint32_t x)
{
    uint32_t r = 0, bit = 1u << 30;
    while (bit > x)
        bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

static void activate(uint32_t k)
{
    uint32_t i, j;
    for (i = 0; i < k; i++) {
        uint32_t s = 0;
        for (j = 0; j < DIM; j++)
            s += (uint32_t)((int32_t)rows[i][j] * rows[i][j]);
        norms[i] = (uint16_t)isqrt(s);
    }
    active = (uint8_t)k;
}

void pc_missions_init(void)
{
    staged = 0;
    active = 0;
    memset(sha, 0, sizeof sha);
#ifdef PC_MISSIONS_BUILTIN_COUNT
    memcpy(rows, pc_missions_builtin_rows, sizeof pc_missions_builtin_rows);
    memcpy(sha, pc_missions_builtin_sha256, sizeof sha);
    staged = PC_MISSIONS_BUILTIN_COUNT;
    activate(PC_MISSIONS_BUILTIN_COUNT);
#endif
}

int pc_missions_stage(uint32_t index, const int8_t *src, uint32_t n)
{
    if (index != 0 && index != staged)
        return PC_ERR_BAD_OFFSET; /* rows arrive in order; index 0 starts a new set */
    if (n == 0 || index + n > PC_MISSIONS_MAX)
        return n == 0 ? PC_ERR_BAD_LENGTH : PC_ERR_NO_ROOM;
    if (index == 0) { /* the active set is being overwritten */
        active = 0;
        memset(sha, 0, sizeof sha);
    }
    memcpy(rows[index], src, (size_t)n * DIM);
    staged = (uint8_t)(index + n);
    return 0;
}

int pc_missions_commit(uint32_t k, uint32_t crc, const uint8_t *set_sha, const uint8_t *model_prefix)
{
    if (memcmp(model_prefix, pc_engine_info()->model_sha256, PC_MISSIONS_MODEL_PREFIX) != 0)
        return PC_ERR_WRONG_MODEL; /* prototypes live in the space of the model they were made for */
    if (k > PC_MISSIONS_MAX)
        return PC_ERR_NO_ROOM;
    if (k == 0) /* clears the set */
        staged = 0;
    if (k != staged || crc != pc_crc32(0, (const uint8_t *)rows, (size_t)k * DIM))
        return PC_ERR_NOT_LOADED;
    activate(k);
    if (k)
        memcpy(sha, set_sha, sizeof sha);
    else
        memset(sha, 0, sizeof sha);
    return 0;
}

const int16_t *pc_missions_score(const int8_t *out, uint8_t *best)
{
    static int16_t scores[PC_MISSIONS_MAX];
    const int8_t *e8 = out + PC_MODEL_EMBED_OFFSET;
    int32_t e[DIM];
    uint32_t i, k, n2 = 0, en;
    *best = 0;
    for (i = 0; i < DIM; i++) {
        e[i] = (int32_t)e8[i] - (int32_t)(PC_MODEL_OUTPUT_ZERO_POINT);
        n2 += (uint32_t)(e[i] * e[i]);
    }
    en = isqrt(n2);
    for (k = 0; k < active; k++) {
        int32_t dot = 0, s = 0;
        const int32_t den = (int32_t)(en * norms[k]); /* <= 1443 * 1016: fits */
        for (i = 0; i < DIM; i++)
            dot += e[i] * rows[k][i];
        if (den != 0) /* C99 division truncates toward zero */
            s = (int32_t)((int64_t)dot * (1 << PC_MISSIONS_SCORE_BITS) / den);
        /* |dot| <= den by Cauchy-Schwarz, up to the floors of the square roots: clamp */
        if (s > (1 << PC_MISSIONS_SCORE_BITS))
            s = 1 << PC_MISSIONS_SCORE_BITS;
        if (s < -(1 << PC_MISSIONS_SCORE_BITS))
            s = -(1 << PC_MISSIONS_SCORE_BITS);
        scores[k] = (int16_t)s;
        if (s > scores[*best])
            *best = (uint8_t)k;
    }
    return scores;
}

#else /* no embedding head: no missions */

uint8_t pc_missions_capacity(void) { return 0; }
uint8_t pc_missions_dim(void) { return 0; }
void pc_missions_init(void) {}
int pc_missions_stage(uint32_t index, const int8_t *src, uint32_t n)
{
    (void)index;
    (void)src;
    (void)n;
    return PC_ERR_NO_ROOM;
}
int pc_missions_commit(uint32_t k, uint32_t crc, const uint8_t *set_sha, const uint8_t *model_prefix)
{
    (void)k;
    (void)crc;
    (void)set_sha;
    (void)model_prefix;
    return PC_ERR_NO_ROOM;
}
uint8_t pc_missions_staged(void) { return 0; }
uint8_t pc_missions_count(void) { return 0; }
const uint8_t *pc_missions_sha256(void)
{
    static const uint8_t none[32] = {0};
    return none;
}
const int16_t *pc_missions_score(const int8_t *out, uint8_t *best)
{
    static const int16_t none[1] = {0};
    (void)out;
    *best = 0;
    return none;
}

#endif
