/* Per-host flow history for windowed models: the device keeps each host's recent flows and
 * builds the model's window itself, one FLOW at a time (docs/protocol.md, "Temporal context").
 *
 * The table holds the PC_HOSTS most recently seen host keys, each with its last
 * PC_HOSTS_WINDOW - 1 flow rows (PC_HOSTS_ROW_BYTES int8 values each). A flow's window is,
 * oldest first: padding rows (every byte the input zero point) for missing predecessors, the
 * host's history, then the flow itself; afterwards the flow joins the history. A new host in a
 * full table evicts the least recently seen one. Hosts are their 32-bit keys, so two addresses
 * whose keys collide share one history: exactly what the host reference (packetclip.data.prep
 * window_index with capacity=PC_HOSTS) computes. */
#ifndef PACKETCLIP_HOSTS_H
#define PACKETCLIP_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t flows;         /* FLOW requests windowed since boot */
    uint32_t hosts_seen;    /* hosts that entered the table (a returning evicted host counts again) */
    uint32_t evictions;     /* hosts dropped from a full table */
    uint32_t out_of_order;  /* flows whose start time is before the previous flow's */
    uint32_t in_table;      /* hosts held now */
} pc_hosts_stats_t;

/* Build sizes (0 for a per-flow model or a firmware built with --hosts 0). */
uint16_t pc_hosts_capacity(void);
uint16_t pc_hosts_window(void);
uint32_t pc_hosts_table_bytes(void);

void pc_hosts_reset(void);

/* Window for one flow of host `key` that started at `start_us` (microseconds, only compared):
 * writes window() rows of PC_HOSTS_ROW_BYTES into `window`, then remembers `row`.
 * Returns the host's history length used (0 .. window() - 1). */
uint8_t pc_hosts_flow(uint32_t key, uint64_t start_us, const int8_t *row, int8_t *window);

const pc_hosts_stats_t *pc_hosts_stats(void);

#ifdef __cplusplus
}
#endif

#endif
