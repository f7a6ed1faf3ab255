"""The canonical flow table: feature names and units (the column names of each CSV dialect
are in packetclip.data.dialects, the one registry of dialects).

Times (durations, inter-arrival, active and idle) are microseconds in the canonical table,
whatever unit the file had; the reader converts (see dialects.TIME_UNITS).
"""

US = "microseconds"
B = "bytes"
N = "count"

_TABLE = [
    ("flow_duration", US),
    ("fwd_packets", N),
    ("bwd_packets", N),
    ("fwd_bytes", B),
    ("bwd_bytes", B),
    ("fwd_pkt_len_max", B),
    ("fwd_pkt_len_min", B),
    ("fwd_pkt_len_mean", B),
    ("fwd_pkt_len_std", B),
    ("bwd_pkt_len_max", B),
    ("bwd_pkt_len_min", B),
    ("bwd_pkt_len_mean", B),
    ("bwd_pkt_len_std", B),
    ("flow_bytes_per_s", "bytes/second"),
    ("flow_packets_per_s", "packets/second"),
    ("flow_iat_mean", US),
    ("flow_iat_std", US),
    ("flow_iat_max", US),
    ("flow_iat_min", US),
    ("fwd_iat_total", US),
    ("fwd_iat_mean", US),
    ("fwd_iat_std", US),
    ("fwd_iat_max", US),
    ("fwd_iat_min", US),
    ("bwd_iat_total", US),
    ("bwd_iat_mean", US),
    ("bwd_iat_std", US),
    ("bwd_iat_max", US),
    ("bwd_iat_min", US),
    ("fwd_psh_flags", N),
    ("bwd_psh_flags", N),
    ("fwd_urg_flags", N),
    ("bwd_urg_flags", N),
    ("fwd_header_bytes", B),
    ("bwd_header_bytes", B),
    ("fwd_packets_per_s", "packets/second"),
    ("bwd_packets_per_s", "packets/second"),
    ("pkt_len_min", B),
    ("pkt_len_max", B),
    ("pkt_len_mean", B),
    ("pkt_len_std", B),
    ("pkt_len_var", "bytes^2"),
    ("fin_flag_count", N),
    ("syn_flag_count", N),
    ("rst_flag_count", N),
    ("psh_flag_count", N),
    ("ack_flag_count", N),
    ("urg_flag_count", N),
    # CIC-IDS2017/2018 and cicflowmeter 0.1.x spell the CWR flag "CWE"
    ("cwr_flag_count", N),
    ("ece_flag_count", N),
    ("down_up_ratio", "ratio"),
    ("avg_packet_size", B),
    ("fwd_segment_size_avg", B),
    ("bwd_segment_size_avg", B),
    ("fwd_bulk_bytes_avg", B),
    ("fwd_bulk_packets_avg", N),
    ("fwd_bulk_rate_avg", "bytes/second"),
    ("bwd_bulk_bytes_avg", B),
    ("bwd_bulk_packets_avg", N),
    ("bwd_bulk_rate_avg", "bytes/second"),
    ("subflow_fwd_packets", N),
    ("subflow_fwd_bytes", B),
    ("subflow_bwd_packets", N),
    ("subflow_bwd_bytes", B),
    # initial TCP window; CIC-IDS2017 writes -1 when no TCP segment went that way
    ("fwd_init_win_bytes", B),
    ("bwd_init_win_bytes", B),
    ("fwd_act_data_packets", N),
    ("fwd_seg_size_min", B),
    ("active_mean", US),
    ("active_std", US),
    ("active_max", US),
    ("active_min", US),
    ("idle_mean", US),
    ("idle_std", US),
    ("idle_max", US),
    ("idle_min", US),
]

FEATURES = [row[0] for row in _TABLE]
UNITS = {row[0]: row[1] for row in _TABLE}
# features in microseconds: a negative value there is a capture artefact, not a measurement
TIME_FEATURES = [f for f in FEATURES if UNITS[f] == US]

# Optional per-flow metadata (canonical names; each dialect says how its header spells them).
META_FIELDS = ["src_ip", "dst_ip", "src_port", "dst_port", "protocol", "timestamp"]
META_NUMERIC = ("src_port", "dst_port", "protocol")
LABEL_NAMES = ["Label", "label"]


def norm_name(name):
    """Header-name key: case, spaces, punctuation and a UTF-8 BOM do not matter."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def describe():
    """[(feature, unit)] in canonical order, for docs and `data inspect`."""
    return [(f, UNITS[f]) for f in FEATURES]
