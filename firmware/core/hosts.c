/* The per-host flow history (packetclip/hosts.h). Static storage sized at build time:
 * PC_HOSTS entries of PC_MODEL_WINDOW - 1 rows each; a linear scan finds a host (tables are a
 * few dozen entries on a microcontroller, where a scan of 32-bit keys beats hashing). */
#include <string.h>

#include "packetclip/hosts.h"
#include "pc_model_config.h"

#ifndef PC_MODEL_WINDOW
#define PC_MODEL_WINDOW 1u
#endif
#ifndef PC_HOSTS
#define PC_HOSTS 0u
#endif
#ifndef PC_MODEL_INPUT_ZERO_POINT
#define PC_MODEL_INPUT_ZERO_POINT 0
#endif

#if PC_MODEL_WINDOW > 1u && PC_HOSTS > 0u
#define PAST (PC_MODEL_WINDOW - 1u)
#define ROW (PC_MODEL_INPUT_BYTES / PC_MODEL_WINDOW)
#if ROW * PC_MODEL_WINDOW != PC_MODEL_INPUT_BYTES
#error "PC_MODEL_INPUT_BYTES is not PC_MODEL_WINDOW rows; regenerate with packetclip codegen"
#endif

typedef struct {
    uint32_t key;
    uint32_t seen;      /* value of `clock` when last seen: the least recent is evicted */
    uint8_t len, head;  /* rows held; ring slot the next row goes to */
    int8_t rows[PAST][ROW];
} host_t;

static host_t pc_hosts_table[PC_HOSTS];
static uint32_t used, clock_now;
static uint64_t last_start;
static pc_hosts_stats_t stats;

uint16_t pc_hosts_capacity(void) { return (uint16_t)PC_HOSTS; }
uint16_t pc_hosts_window(void) { return (uint16_t)PC_MODEL_WINDOW; }
uint32_t pc_hosts_table_bytes(void) { return (uint32_t)sizeof pc_hosts_table; }

void pc_hosts_reset(void)
{
    used = 0;
    clock_now = 0;
    last_start = 0;
    stats = (pc_hosts_stats_t){0};
}

static host_t *find_or_add(uint32_t key)
{
    uint32_t i, victim = 0;
    for (i = 0; i < used; i++)
        if (pc_hosts_table[i].key == key)
            return &pc_hosts_table[i];
    if (used < PC_HOSTS) {
        victim = used++;
    } else {
        /* ages are differences, so a wrapped clock still orders them */
        for (i = 1; i < used; i++)
            if ((uint32_t)(clock_now - pc_hosts_table[i].seen) > (uint32_t)(clock_now - pc_hosts_table[victim].seen))
                victim = i;
        stats.evictions++;
    }
    stats.hosts_seen++;
    pc_hosts_table[victim].key = key;
    pc_hosts_table[victim].len = 0;
    pc_hosts_table[victim].head = 0;
    return &pc_hosts_table[victim];
}

uint8_t pc_hosts_flow(uint32_t key, uint64_t start_us, const int8_t *row, int8_t *window)
{
    host_t *h;
    uint32_t i, pad;
    uint8_t len;
    if (stats.flows > 0 && start_us < last_start)
        stats.out_of_order++;
    last_start = start_us;
    stats.flows++;
    h = find_or_add(key);
    h->seen = ++clock_now;
    len = h->len;
    pad = PAST - len;
    memset(window, (int)(int8_t)PC_MODEL_INPUT_ZERO_POINT, (size_t)pad * ROW);
    for (i = 0; i < len; i++) { /* oldest first: the ring slot `len` rows before head */
        uint32_t slot = (h->head + PAST - len + i) % PAST;
        memcpy(window + (size_t)(pad + i) * ROW, h->rows[slot], ROW);
    }
    memcpy(window + (size_t)PAST * ROW, row, ROW);
    memcpy(h->rows[h->head], row, ROW);
    h->head = (uint8_t)((h->head + 1u) % PAST);
    if (h->len < PAST)
        h->len++;
    stats.in_table = used;
    return len;
}

const pc_hosts_stats_t *pc_hosts_stats(void) { return &stats; }

#else /* a per-flow model, or a build without a host table */

uint16_t pc_hosts_capacity(void) { return 0; }
uint16_t pc_hosts_window(void) { return (uint16_t)PC_MODEL_WINDOW; }
uint32_t pc_hosts_table_bytes(void) { return 0; }
void pc_hosts_reset(void) {}

uint8_t pc_hosts_flow(uint32_t key, uint64_t start_us, const int8_t *row, int8_t *window)
{
    (void)key;
    (void)start_us;
    (void)row;
    (void)window;
    return 0;
}

const pc_hosts_stats_t *pc_hosts_stats(void)
{
    static const pc_hosts_stats_t none = {0};
    return &none;
}

#endif
