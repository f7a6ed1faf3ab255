"""The one registry of flow CSV dialects: who writes each, its column names, the unit of its
time columns and the format of its timestamps. Every list and click Choice of dialects is
derived from `DIALECTS` (esptool's CHIP_DEFS is the model).

Time units: CICFlowMeter (Java) and the Python `cicflowmeter` before 0.3 write durations and
inter-arrival times in microseconds; `cicflowmeter` 0.3 and later (0.5.0 on PyPI today) write
seconds under the same column names. So the unit is read from the values where they tell
(`detect_time_unit`: duration x Flow Packets/s / packets is 1 in seconds, 1e6 in
microseconds), declared with --time-unit, or taken from a dialect that has only one; a
declared unit that the values contradict is refused. The canonical table is microseconds.
"""

from dataclasses import dataclass

import numpy as np

from packetclip.data.schema import FEATURES, norm_name
from packetclip.errors import PacketclipError

# canonical -> (CIC-IDS2017, CSE-CIC-IDS2018, CICFlowMeter-4 / ACI-IoT-2023, Python cicflowmeter >= 0.1.9)
_NAMES = [
    ("flow_duration", "Flow Duration", "Flow Duration", "Flow Duration", "flow_duration"),
    ("fwd_packets", "Total Fwd Packets", "Tot Fwd Pkts", "Total Fwd Packet", "tot_fwd_pkts"),
    ("bwd_packets", "Total Backward Packets", "Tot Bwd Pkts", "Total Bwd packets", "tot_bwd_pkts"),
    ("fwd_bytes", "Total Length of Fwd Packets", "TotLen Fwd Pkts", "Total Length of Fwd Packet", "totlen_fwd_pkts"),
    ("bwd_bytes", "Total Length of Bwd Packets", "TotLen Bwd Pkts", "Total Length of Bwd Packet", "totlen_bwd_pkts"),
    ("fwd_pkt_len_max", "Fwd Packet Length Max", "Fwd Pkt Len Max", "Fwd Packet Length Max", "fwd_pkt_len_max"),
    ("fwd_pkt_len_min", "Fwd Packet Length Min", "Fwd Pkt Len Min", "Fwd Packet Length Min", "fwd_pkt_len_min"),
    ("fwd_pkt_len_mean", "Fwd Packet Length Mean", "Fwd Pkt Len Mean", "Fwd Packet Length Mean", "fwd_pkt_len_mean"),
    ("fwd_pkt_len_std", "Fwd Packet Length Std", "Fwd Pkt Len Std", "Fwd Packet Length Std", "fwd_pkt_len_std"),
    ("bwd_pkt_len_max", "Bwd Packet Length Max", "Bwd Pkt Len Max", "Bwd Packet Length Max", "bwd_pkt_len_max"),
    ("bwd_pkt_len_min", "Bwd Packet Length Min", "Bwd Pkt Len Min", "Bwd Packet Length Min", "bwd_pkt_len_min"),
    ("bwd_pkt_len_mean", "Bwd Packet Length Mean", "Bwd Pkt Len Mean", "Bwd Packet Length Mean", "bwd_pkt_len_mean"),
    ("bwd_pkt_len_std", "Bwd Packet Length Std", "Bwd Pkt Len Std", "Bwd Packet Length Std", "bwd_pkt_len_std"),
    ("flow_bytes_per_s", "Flow Bytes/s", "Flow Byts/s", "Flow Bytes/s", "flow_byts_s"),
    ("flow_packets_per_s", "Flow Packets/s", "Flow Pkts/s", "Flow Packets/s", "flow_pkts_s"),
    ("flow_iat_mean", "Flow IAT Mean", "Flow IAT Mean", "Flow IAT Mean", "flow_iat_mean"),
    ("flow_iat_std", "Flow IAT Std", "Flow IAT Std", "Flow IAT Std", "flow_iat_std"),
    ("flow_iat_max", "Flow IAT Max", "Flow IAT Max", "Flow IAT Max", "flow_iat_max"),
    ("flow_iat_min", "Flow IAT Min", "Flow IAT Min", "Flow IAT Min", "flow_iat_min"),
    ("fwd_iat_total", "Fwd IAT Total", "Fwd IAT Tot", "Fwd IAT Total", "fwd_iat_tot"),
    ("fwd_iat_mean", "Fwd IAT Mean", "Fwd IAT Mean", "Fwd IAT Mean", "fwd_iat_mean"),
    ("fwd_iat_std", "Fwd IAT Std", "Fwd IAT Std", "Fwd IAT Std", "fwd_iat_std"),
    ("fwd_iat_max", "Fwd IAT Max", "Fwd IAT Max", "Fwd IAT Max", "fwd_iat_max"),
    ("fwd_iat_min", "Fwd IAT Min", "Fwd IAT Min", "Fwd IAT Min", "fwd_iat_min"),
    ("bwd_iat_total", "Bwd IAT Total", "Bwd IAT Tot", "Bwd IAT Total", "bwd_iat_tot"),
    ("bwd_iat_mean", "Bwd IAT Mean", "Bwd IAT Mean", "Bwd IAT Mean", "bwd_iat_mean"),
    ("bwd_iat_std", "Bwd IAT Std", "Bwd IAT Std", "Bwd IAT Std", "bwd_iat_std"),
    ("bwd_iat_max", "Bwd IAT Max", "Bwd IAT Max", "Bwd IAT Max", "bwd_iat_max"),
    ("bwd_iat_min", "Bwd IAT Min", "Bwd IAT Min", "Bwd IAT Min", "bwd_iat_min"),
    ("fwd_psh_flags", "Fwd PSH Flags", "Fwd PSH Flags", "Fwd PSH Flags", "fwd_psh_flags"),
    ("bwd_psh_flags", "Bwd PSH Flags", "Bwd PSH Flags", "Bwd PSH Flags", "bwd_psh_flags"),
    ("fwd_urg_flags", "Fwd URG Flags", "Fwd URG Flags", "Fwd URG Flags", "fwd_urg_flags"),
    ("bwd_urg_flags", "Bwd URG Flags", "Bwd URG Flags", "Bwd URG Flags", "bwd_urg_flags"),
    ("fwd_header_bytes", "Fwd Header Length", "Fwd Header Len", "Fwd Header Length", "fwd_header_len"),
    ("bwd_header_bytes", "Bwd Header Length", "Bwd Header Len", "Bwd Header Length", "bwd_header_len"),
    ("fwd_packets_per_s", "Fwd Packets/s", "Fwd Pkts/s", "Fwd Packets/s", "fwd_pkts_s"),
    ("bwd_packets_per_s", "Bwd Packets/s", "Bwd Pkts/s", "Bwd Packets/s", "bwd_pkts_s"),
    ("pkt_len_min", "Min Packet Length", "Pkt Len Min", "Packet Length Min", "pkt_len_min"),
    ("pkt_len_max", "Max Packet Length", "Pkt Len Max", "Packet Length Max", "pkt_len_max"),
    ("pkt_len_mean", "Packet Length Mean", "Pkt Len Mean", "Packet Length Mean", "pkt_len_mean"),
    ("pkt_len_std", "Packet Length Std", "Pkt Len Std", "Packet Length Std", "pkt_len_std"),
    ("pkt_len_var", "Packet Length Variance", "Pkt Len Var", "Packet Length Variance", "pkt_len_var"),
    ("fin_flag_count", "FIN Flag Count", "FIN Flag Cnt", "FIN Flag Count", "fin_flag_cnt"),
    ("syn_flag_count", "SYN Flag Count", "SYN Flag Cnt", "SYN Flag Count", "syn_flag_cnt"),
    ("rst_flag_count", "RST Flag Count", "RST Flag Cnt", "RST Flag Count", "rst_flag_cnt"),
    ("psh_flag_count", "PSH Flag Count", "PSH Flag Cnt", "PSH Flag Count", "psh_flag_cnt"),
    ("ack_flag_count", "ACK Flag Count", "ACK Flag Cnt", "ACK Flag Count", "ack_flag_cnt"),
    ("urg_flag_count", "URG Flag Count", "URG Flag Cnt", "URG Flag Count", "urg_flag_cnt"),
    ("cwr_flag_count", "CWE Flag Count", "CWE Flag Count", "CWR Flag Count", "cwr_flag_count"),
    ("ece_flag_count", "ECE Flag Count", "ECE Flag Cnt", "ECE Flag Count", "ece_flag_cnt"),
    ("down_up_ratio", "Down/Up Ratio", "Down/Up Ratio", "Down/Up Ratio", "down_up_ratio"),
    ("avg_packet_size", "Average Packet Size", "Pkt Size Avg", "Average Packet Size", "pkt_size_avg"),
    ("fwd_segment_size_avg", "Avg Fwd Segment Size", "Fwd Seg Size Avg", "Fwd Segment Size Avg", "fwd_seg_size_avg"),
    ("bwd_segment_size_avg", "Avg Bwd Segment Size", "Bwd Seg Size Avg", "Bwd Segment Size Avg", "bwd_seg_size_avg"),
    ("fwd_bulk_bytes_avg", "Fwd Avg Bytes/Bulk", "Fwd Byts/b Avg", "Fwd Bytes/Bulk Avg", "fwd_byts_b_avg"),
    ("fwd_bulk_packets_avg", "Fwd Avg Packets/Bulk", "Fwd Pkts/b Avg", "Fwd Packet/Bulk Avg", "fwd_pkts_b_avg"),
    ("fwd_bulk_rate_avg", "Fwd Avg Bulk Rate", "Fwd Blk Rate Avg", "Fwd Bulk Rate Avg", "fwd_blk_rate_avg"),
    ("bwd_bulk_bytes_avg", "Bwd Avg Bytes/Bulk", "Bwd Byts/b Avg", "Bwd Bytes/Bulk Avg", "bwd_byts_b_avg"),
    ("bwd_bulk_packets_avg", "Bwd Avg Packets/Bulk", "Bwd Pkts/b Avg", "Bwd Packet/Bulk Avg", "bwd_pkts_b_avg"),
    ("bwd_bulk_rate_avg", "Bwd Avg Bulk Rate", "Bwd Blk Rate Avg", "Bwd Bulk Rate Avg", "bwd_blk_rate_avg"),
    ("subflow_fwd_packets", "Subflow Fwd Packets", "Subflow Fwd Pkts", "Subflow Fwd Packets", "subflow_fwd_pkts"),
    ("subflow_fwd_bytes", "Subflow Fwd Bytes", "Subflow Fwd Byts", "Subflow Fwd Bytes", "subflow_fwd_byts"),
    ("subflow_bwd_packets", "Subflow Bwd Packets", "Subflow Bwd Pkts", "Subflow Bwd Packets", "subflow_bwd_pkts"),
    ("subflow_bwd_bytes", "Subflow Bwd Bytes", "Subflow Bwd Byts", "Subflow Bwd Bytes", "subflow_bwd_byts"),
    ("fwd_init_win_bytes", "Init_Win_bytes_forward", "Init Fwd Win Byts", "FWD Init Win Bytes", "init_fwd_win_byts"),
    ("bwd_init_win_bytes", "Init_Win_bytes_backward", "Init Bwd Win Byts", "Bwd Init Win Bytes", "init_bwd_win_byts"),
    ("fwd_act_data_packets", "act_data_pkt_fwd", "Fwd Act Data Pkts", "Fwd Act Data Pkts", "fwd_act_data_pkts"),
    ("fwd_seg_size_min", "min_seg_size_forward", "Fwd Seg Size Min", "Fwd Seg Size Min", "fwd_seg_size_min"),
    ("active_mean", "Active Mean", "Active Mean", "Active Mean", "active_mean"),
    ("active_std", "Active Std", "Active Std", "Active Std", "active_std"),
    ("active_max", "Active Max", "Active Max", "Active Max", "active_max"),
    ("active_min", "Active Min", "Active Min", "Active Min", "active_min"),
    ("idle_mean", "Idle Mean", "Idle Mean", "Idle Mean", "idle_mean"),
    ("idle_std", "Idle Std", "Idle Std", "Idle Std", "idle_std"),
    ("idle_max", "Idle Max", "Idle Max", "Idle Max", "idle_max"),
    ("idle_min", "Idle Min", "Idle Min", "Idle Min", "idle_min"),
]

# header spellings of the metadata columns (Flow ID is read by no one: it repeats the 5-tuple)
_META_2017 = {"src_ip": "Source IP", "src_port": "Source Port", "dst_ip": "Destination IP",
              "dst_port": "Destination Port", "protocol": "Protocol", "timestamp": "Timestamp"}
_META_CFM4 = {"src_ip": "Src IP", "src_port": "Src Port", "dst_ip": "Dst IP", "dst_port": "Dst Port",
              "protocol": "Protocol", "timestamp": "Timestamp"}
_META_PY = {k: k for k in ("src_ip", "dst_ip", "src_port", "dst_port", "protocol", "timestamp")}

# unit name -> (words, factor to microseconds)
TIME_UNITS = {"us": ("microseconds", 1.0), "ms": ("milliseconds", 1e3), "s": ("seconds", 1e6)}


@dataclass(frozen=True)
class Dialect:
    name: str
    writer: str              # the tool / release that writes it
    columns: dict            # canonical feature -> header spelling
    meta: dict               # canonical metadata field -> header spelling
    time_unit: str | None    # unit of the time columns; None: it changed between versions (read the values)
    timestamps: str          # how its Timestamp column looks
    duplicate_columns: tuple = ()   # columns that repeat another one (dropped and reported)

    def score(self, header):
        """(feature columns the header has by name key, of those spelled exactly): CSE-CIC-IDS2018's
        'Flow Byts/s' and cicflowmeter's 'flow_byts_s' share a key, only the spelling tells them apart."""
        keys, exact = {norm_name(h) for h in header}, set(header)
        return (sum(norm_name(c) in keys for c in self.columns.values()),
                sum(c in exact for c in self.columns.values()))


def _cols(i, **override):
    return {row[0]: override.get(row[0], row[i]) for row in _NAMES}


_DEFS = (
    Dialect("cicids2017", "CICFlowMeter-Java 3 of CIC-IDS2017 (MachineLearningCSV; TrafficLabelling adds "
            "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp)",
            _cols(1), _META_2017, "us", "d/m/yyyy h:mm[:ss] [AM|PM]", ("Fwd Header Length.1",)),
    Dialect("cicids2018", "CICFlowMeter-V3 of CSE-CIC-IDS2018 (Dst Port, Protocol, Timestamp; one day's file "
            "adds Flow ID, Src IP, Src Port, Dst IP)", _cols(2), _META_CFM4, "us", "dd/mm/yyyy hh:mm:ss"),
    Dialect("aciiot", "CICFlowMeter-4 of ACI-IoT-2023 (Flow ID, Src IP, Src Port, Dst IP, Dst Port, Protocol, "
            "Timestamp, ..., Label, Connection Type)", _cols(3), _META_CFM4, "us", "dd/mm/yyyy hh:mm:ss AM|PM"),
    Dialect("cicflowmeter", "Python cicflowmeter >= 0.1.9 (cwr_flag_count; microseconds before 0.3, seconds "
            "since: read from the values)", _cols(4), _META_PY, None, "yyyy-mm-dd hh:mm:ss (local time)"),
    Dialect("cicflowmeter-0.1", "Python cicflowmeter 0.1.x before 0.1.9 (cwe_flag_count)",
            _cols(4, cwr_flag_count="cwe_flag_count"), _META_PY, "us", "yyyy-mm-dd hh:mm:ss (local time)"),
    Dialect("packetclip", "packetclip's own canonical header (`data flows`, `data split`)",
            {f: f for f in FEATURES}, _META_PY, "us", "epoch seconds"),
)
DIALECTS = {d.name: d for d in _DEFS}
NAMES = tuple(DIALECTS)
COLUMNS = {d.name: d.columns for d in _DEFS}


def get(name):
    if name not in DIALECTS:
        raise PacketclipError(f"--dialect {name}: unknown dialect; use one of {', '.join(NAMES)}")
    return DIALECTS[name]


def detect(header, path, name=None):
    """The dialect whose feature names the header covers best (or the one asked for)."""
    if name is not None:
        return get(name)
    best = max(_DEFS, key=lambda d: d.score(header))  # ties: the first in the registry
    if best.score(header)[0] < len(FEATURES) // 2:
        raise PacketclipError(
            f"{path}: header matches none of the flow dialects {', '.join(NAMES)} "
            f"(best: {best.name}, {best.score(header)[0]} of {len(FEATURES)} feature columns); "
            f"rename the columns or pass --dialect {'|'.join(NAMES)}")
    return best


# -- time units --------------------------------------------------------------------------------
def detect_time_unit(duration, packets, packets_per_s, min_rows=5, agree=0.9):
    """(unit or None, evidence) from the values: rates are per second in every dialect, so
    flow_duration x Flow Packets/s / packets is 1 when durations are seconds, 1e3 ms, 1e6 us."""
    ok = (duration > 0) & (packets >= 2) & (packets_per_s > 0) & np.isfinite(packets_per_s) & np.isfinite(duration)
    if ok.sum() < min_rows:
        return None, f"{int(ok.sum())} flows with two or more packets and a duration: too few to tell"
    v = np.log10(duration[ok] * packets_per_s[ok] / packets[ok])
    med = float(np.median(v))
    expect = {u: 6.0 - np.log10(factor) for u, (_, factor) in TIME_UNITS.items()}  # us: 1e6, s: 1
    unit = min(expect, key=lambda u: abs(expect[u] - med))
    share = float((np.abs(v - expect[unit]) < 0.5).mean())
    evidence = (f"flow_duration x flow_packets_per_s / packets = 1e{med:.1f} (median of {int(ok.sum())} flows, "
                f"{share:.0%} within half a decade)")
    if abs(med - expect[unit]) > 0.5 or share < agree:
        return None, evidence + ": inconsistent"
    return unit, evidence


def resolve_time_unit(dialect, declared, detected, evidence, where):
    """-> (unit, how): `declared` (--time-unit) or the dialect's unit, checked against the values."""
    if declared is not None and declared not in TIME_UNITS:
        raise PacketclipError(f"--time-unit {declared}: unknown unit; use one of {', '.join(TIME_UNITS)}")
    claim, by = (declared, "--time-unit") if declared else (dialect.time_unit, f"the {dialect.name} dialect")
    if claim and detected and claim != detected:
        raise PacketclipError(
            f"{where}: {by} says the time columns are {TIME_UNITS[claim][0]} but the values say "
            f"{TIME_UNITS[detected][0]} ({evidence}); pass --time-unit {detected} or fix the file")
    if claim:
        return claim, ("declared (--time-unit)" if declared else f"the {dialect.name} dialect") + (
            ", the values agree" if detected else "")
    if detected:
        return detected, "detected from the values"
    raise PacketclipError(f"{where}: cannot tell the unit of the time columns ({dialect.writer}; {evidence}); "
                          f"pass --time-unit s or --time-unit us")
