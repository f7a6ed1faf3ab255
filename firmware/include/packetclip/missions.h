/* Text-mission prototypes on the device (docs/missions.md, docs/protocol.md "PROTOTYPES").
 *
 * A model distilled with an embedding head (model.json heads.embedding) outputs, beside its
 * logits, D int8 values e (output quantization). The host turns each mission's words into a
 * prototype p_k: D int8 values in the same space. After every invoke the device scores the
 * embedding against each of the K active prototypes with integers only:
 *
 *   e_i    = output[PC_MODEL_EMBED_OFFSET + i] - output_zero_point          (i < D)
 *   dot_k  = sum_i e_i * p_k[i]                                             (int32)
 *   den_k  = isqrt(sum_i e_i^2) * isqrt(sum_i p_k[i]^2)                     (floor square roots)
 *   score_k = trunc(dot_k * 2^PC_MISSIONS_SCORE_BITS / den_k), 0 when den_k is 0
 *
 * score_k is the cosine of the two vectors in Q14 (-16384 .. 16384, int16); `best` is the k of
 * the largest score (the lowest k on ties). packetclip.missions.score computes the same numbers
 * in numpy and `conform` checks them bit for bit.
 *
 * Storage is static RAM for PC_MISSIONS_MAX prototypes (16 by default, a build option). A set
 * arrives in PROTOTYPES frames (rows staged in order, then a commit naming the set's sha256
 * and the model it was made for) or is compiled in (`packetclip build --missions FILE`) and
 * copied to RAM at boot. Without an embedding head the capacity is 0. */
#ifndef PACKETCLIP_MISSIONS_H
#define PACKETCLIP_MISSIONS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_MISSIONS_SCORE_BITS 14
#define PC_MISSIONS_COMMIT 0xFFu       /* PROTOTYPES body[0] of a commit frame */
#define PC_MISSIONS_COMMIT_BYTES 46u   /* 0xFF, u8 K, u32 CRC-32, sha256[32], model sha256[8] */
#define PC_MISSIONS_MODEL_PREFIX 8u
/* Shortest request body that carries a commit or one row of `dim` values */
#define PC_MISSIONS_BODY(dim) (1u + (dim) > PC_MISSIONS_COMMIT_BYTES ? 1u + (dim) : PC_MISSIONS_COMMIT_BYTES)

/* Build sizes: 0 capacity without an embedding head. */
uint8_t pc_missions_capacity(void);
uint8_t pc_missions_dim(void);

/* Boot: the compiled-in set when there is one, else none. */
void pc_missions_init(void);

/* Stage rows `index` .. index + n - 1 (n * dim bytes). index 0 starts a new set and drops
 * the active one. Returns 0, or a PC_ERR_* code (nothing is written on error). */
int pc_missions_stage(uint32_t index, const int8_t *rows, uint32_t n);

/* Activate the K staged rows: K must equal the rows staged, crc their CRC-32, model_prefix the
 * first 8 bytes of this firmware's model sha256. K = 0 clears the set. 0 or a PC_ERR_* code. */
int pc_missions_commit(uint32_t k, uint32_t crc, const uint8_t *sha256, const uint8_t *model_prefix);

uint8_t pc_missions_staged(void);
uint8_t pc_missions_count(void);        /* active prototypes K */
const uint8_t *pc_missions_sha256(void); /* of the active set; zeros when K is 0 */

/* Scores of the model output `out` against the K active prototypes (see above), valid until
 * the next call; *best is the index of the largest. */
const int16_t *pc_missions_score(const int8_t *out, uint8_t *best);

#ifdef __cplusplus
}
#endif

#endif
