"""The canonical flow table: feature names, units and the column names each dialect uses.

One row of `_TABLE` per canonical feature:
    (canonical name, unit, CIC-IDS2017 MachineLearningCSV name, CICFlowMeter-4 / ACI-IoT-2023
     name, Python `cicflowmeter` package name)
Units are the same in the three dialects (CICFlowMeter writes durations and inter-arrival
times in microseconds, the Python package multiplies by 1e6 too), so reading is renaming.
"""

US = "microseconds"
B = "bytes"
N = "count"

_TABLE = [
    ("flow_duration", US, "Flow Duration", "Flow Duration", "flow_duration"),
    ("fwd_packets", N, "Total Fwd Packets", "Total Fwd Packet", "tot_fwd_pkts"),
    ("bwd_packets", N, "Total Backward Packets", "Total Bwd packets", "tot_bwd_pkts"),
    ("fwd_bytes", B, "Total Length of Fwd Packets", "Total Length of Fwd Packet", "totlen_fwd_pkts"),
    ("bwd_bytes", B, "Total Length of Bwd Packets", "Total Length of Bwd Packet", "totlen_bwd_pkts"),
    ("fwd_pkt_len_max", B, "Fwd Packet Length Max", "Fwd Packet Length Max", "fwd_pkt_len_max"),
    ("fwd_pkt_len_min", B, "Fwd Packet Length Min", "Fwd Packet Length Min", "fwd_pkt_len_min"),
    ("fwd_pkt_len_mean", B, "Fwd Packet Length Mean", "Fwd Packet Length Mean", "fwd_pkt_len_mean"),
    ("fwd_pkt_len_std", B, "Fwd Packet Length Std", "Fwd Packet Length Std", "fwd_pkt_len_std"),
    ("bwd_pkt_len_max", B, "Bwd Packet Length Max", "Bwd Packet Length Max", "bwd_pkt_len_max"),
    ("bwd_pkt_len_min", B, "Bwd Packet Length Min", "Bwd Packet Length Min", "bwd_pkt_len_min"),
    ("bwd_pkt_len_mean", B, "Bwd Packet Length Mean", "Bwd Packet Length Mean", "bwd_pkt_len_mean"),
    ("bwd_pkt_len_std", B, "Bwd Packet Length Std", "Bwd Packet Length Std", "bwd_pkt_len_std"),
    ("flow_bytes_per_s", "bytes/second", "Flow Bytes/s", "Flow Bytes/s", "flow_byts_s"),
    ("flow_packets_per_s", "packets/second", "Flow Packets/s", "Flow Packets/s", "flow_pkts_s"),
    ("flow_iat_mean", US, "Flow IAT Mean", "Flow IAT Mean", "flow_iat_mean"),
    ("flow_iat_std", US, "Flow IAT Std", "Flow IAT Std", "flow_iat_std"),
    ("flow_iat_max", US, "Flow IAT Max", "Flow IAT Max", "flow_iat_max"),
    ("flow_iat_min", US, "Flow IAT Min", "Flow IAT Min", "flow_iat_min"),
    ("fwd_iat_total", US, "Fwd IAT Total", "Fwd IAT Total", "fwd_iat_tot"),
    ("fwd_iat_mean", US, "Fwd IAT Mean", "Fwd IAT Mean", "fwd_iat_mean"),
    ("fwd_iat_std", US, "Fwd IAT Std", "Fwd IAT Std", "fwd_iat_std"),
    ("fwd_iat_max", US, "Fwd IAT Max", "Fwd IAT Max", "fwd_iat_max"),
    ("fwd_iat_min", US, "Fwd IAT Min", "Fwd IAT Min", "fwd_iat_min"),
    ("bwd_iat_total", US, "Bwd IAT Total", "Bwd IAT Total", "bwd_iat_tot"),
    ("bwd_iat_mean", US, "Bwd IAT Mean", "Bwd IAT Mean", "bwd_iat_mean"),
    ("bwd_iat_std", US, "Bwd IAT Std", "Bwd IAT Std", "bwd_iat_std"),
    ("bwd_iat_max", US, "Bwd IAT Max", "Bwd IAT Max", "bwd_iat_max"),
    ("bwd_iat_min", US, "Bwd IAT Min", "Bwd IAT Min", "bwd_iat_min"),
    ("fwd_psh_flags", N, "Fwd PSH Flags", "Fwd PSH Flags", "fwd_psh_flags"),
    ("bwd_psh_flags", N, "Bwd PSH Flags", "Bwd PSH Flags", "bwd_psh_flags"),
    ("fwd_urg_flags", N, "Fwd URG Flags", "Fwd URG Flags", "fwd_urg_flags"),
    ("bwd_urg_flags", N, "Bwd URG Flags", "Bwd URG Flags", "bwd_urg_flags"),
    ("fwd_header_bytes", B, "Fwd Header Length", "Fwd Header Length", "fwd_header_len"),
    ("bwd_header_bytes", B, "Bwd Header Length", "Bwd Header Length", "bwd_header_len"),
    ("fwd_packets_per_s", "packets/second", "Fwd Packets/s", "Fwd Packets/s", "fwd_pkts_s"),
    ("bwd_packets_per_s", "packets/second", "Bwd Packets/s", "Bwd Packets/s", "bwd_pkts_s"),
    ("pkt_len_min", B, "Min Packet Length", "Packet Length Min", "pkt_len_min"),
    ("pkt_len_max", B, "Max Packet Length", "Packet Length Max", "pkt_len_max"),
    ("pkt_len_mean", B, "Packet Length Mean", "Packet Length Mean", "pkt_len_mean"),
    ("pkt_len_std", B, "Packet Length Std", "Packet Length Std", "pkt_len_std"),
    ("pkt_len_var", "bytes^2", "Packet Length Variance", "Packet Length Variance", "pkt_len_var"),
    ("fin_flag_count", N, "FIN Flag Count", "FIN Flag Count", "fin_flag_cnt"),
    ("syn_flag_count", N, "SYN Flag Count", "SYN Flag Count", "syn_flag_cnt"),
    ("rst_flag_count", N, "RST Flag Count", "RST Flag Count", "rst_flag_cnt"),
    ("psh_flag_count", N, "PSH Flag Count", "PSH Flag Count", "psh_flag_cnt"),
    ("ack_flag_count", N, "ACK Flag Count", "ACK Flag Count", "ack_flag_cnt"),
    ("urg_flag_count", N, "URG Flag Count", "URG Flag Count", "urg_flag_cnt"),
    # CIC-IDS2017 spells the CWR flag "CWE"
    ("cwr_flag_count", N, "CWE Flag Count", "CWR Flag Count", "cwe_flag_count"),
    ("ece_flag_count", N, "ECE Flag Count", "ECE Flag Count", "ece_flag_cnt"),
    ("down_up_ratio", "ratio", "Down/Up Ratio", "Down/Up Ratio", "down_up_ratio"),
    ("avg_packet_size", B, "Average Packet Size", "Average Packet Size", "pkt_size_avg"),
    ("fwd_segment_size_avg", B, "Avg Fwd Segment Size", "Fwd Segment Size Avg", "fwd_seg_size_avg"),
    ("bwd_segment_size_avg", B, "Avg Bwd Segment Size", "Bwd Segment Size Avg", "bwd_seg_size_avg"),
    ("fwd_bulk_bytes_avg", B, "Fwd Avg Bytes/Bulk", "Fwd Bytes/Bulk Avg", "fwd_byts_b_avg"),
    ("fwd_bulk_packets_avg", N, "Fwd Avg Packets/Bulk", "Fwd Packet/Bulk Avg", "fwd_pkts_b_avg"),
    ("fwd_bulk_rate_avg", "bytes/second", "Fwd Avg Bulk Rate", "Fwd Bulk Rate Avg", "fwd_blk_rate_avg"),
    ("bwd_bulk_bytes_avg", B, "Bwd Avg Bytes/Bulk", "Bwd Bytes/Bulk Avg", "bwd_byts_b_avg"),
    ("bwd_bulk_packets_avg", N, "Bwd Avg Packets/Bulk", "Bwd Packet/Bulk Avg", "bwd_pkts_b_avg"),
    ("bwd_bulk_rate_avg", "bytes/second", "Bwd Avg Bulk Rate", "Bwd Bulk Rate Avg", "bwd_blk_rate_avg"),
    ("subflow_fwd_packets", N, "Subflow Fwd Packets", "Subflow Fwd Packets", "subflow_fwd_pkts"),
    ("subflow_fwd_bytes", B, "Subflow Fwd Bytes", "Subflow Fwd Bytes", "subflow_fwd_byts"),
    ("subflow_bwd_packets", N, "Subflow Bwd Packets", "Subflow Bwd Packets", "subflow_bwd_pkts"),
    ("subflow_bwd_bytes", B, "Subflow Bwd Bytes", "Subflow Bwd Bytes", "subflow_bwd_byts"),
    # initial TCP window; CIC-IDS2017 writes -1 when no TCP segment went that way
    ("fwd_init_win_bytes", B, "Init_Win_bytes_forward", "FWD Init Win Bytes", "init_fwd_win_byts"),
    ("bwd_init_win_bytes", B, "Init_Win_bytes_backward", "Bwd Init Win Bytes", "init_bwd_win_byts"),
    ("fwd_act_data_packets", N, "act_data_pkt_fwd", "Fwd Act Data Pkts", "fwd_act_data_pkts"),
    ("fwd_seg_size_min", B, "min_seg_size_forward", "Fwd Seg Size Min", "fwd_seg_size_min"),
    ("active_mean", US, "Active Mean", "Active Mean", "active_mean"),
    ("active_std", US, "Active Std", "Active Std", "active_std"),
    ("active_max", US, "Active Max", "Active Max", "active_max"),
    ("active_min", US, "Active Min", "Active Min", "active_min"),
    ("idle_mean", US, "Idle Mean", "Idle Mean", "idle_mean"),
    ("idle_std", US, "Idle Std", "Idle Std", "idle_std"),
    ("idle_max", US, "Idle Max", "Idle Max", "idle_max"),
    ("idle_min", US, "Idle Min", "Idle Min", "idle_min"),
]

FEATURES = [row[0] for row in _TABLE]
UNITS = {row[0]: row[1] for row in _TABLE}
# features in microseconds: a negative value there is a capture artefact, not a measurement
TIME_FEATURES = [f for f in FEATURES if UNITS[f] == US]

DIALECTS = ("cicids2017", "aciiot", "cicflowmeter")
# "packetclip" is our own canonical header (what `packetclip data flows` writes); it is
# detected too, so files we write read back without --dialect.
ALL_DIALECTS = DIALECTS + ("packetclip",)

COLUMNS = {
    "cicids2017": {row[0]: row[2] for row in _TABLE},
    "aciiot": {row[0]: row[3] for row in _TABLE},
    "cicflowmeter": {row[0]: row[4] for row in _TABLE},
    "packetclip": {f: f for f in FEATURES},
}

# Columns that repeat another one in some releases; dropped and reported.
DUPLICATE_COLUMNS = {"cicids2017": ["Fwd Header Length.1"]}

# Optional per-flow metadata: canonical name -> header spellings seen in the dialects.
META = {
    "src_ip": ["Src IP", "Source IP", "src_ip"],
    "dst_ip": ["Dst IP", "Destination IP", "dst_ip"],
    "src_port": ["Src Port", "Source Port", "src_port"],
    "dst_port": ["Dst Port", "Destination Port", "dst_port"],
    "protocol": ["Protocol", "protocol"],
    "timestamp": ["Timestamp", "timestamp"],
}
META_FIELDS = list(META)
META_NUMERIC = ("src_port", "dst_port", "protocol")
LABEL_NAMES = ["Label", "label"]


def norm_name(name):
    """Header-name key: case, spaces, punctuation and a UTF-8 BOM do not matter."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def describe():
    """[(feature, unit)] in canonical order, for docs and `data inspect`."""
    return [(f, UNITS[f]) for f in FEATURES]
