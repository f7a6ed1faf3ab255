"""The cleaning report a user sees: what was read, kept, dropped and why."""

from dataclasses import asdict, dataclass, field

from packetclip.data.schema import TIME_FEATURES

DROP_REASONS = {
    "non_numeric": "non-numeric cell or wrong field count (--drop-bad-rows)",
    "bad_timestamp": "timestamp that could not be parsed (--drop-bad-rows)",
    "nonfinite": "inf or NaN (or empty) feature value",
    "negative_time": "negative duration / inter-arrival / active / idle time",
    "unknown_label": "label not in the taxonomy (--drop-unknown)",
    "duplicate": "exact duplicate of an earlier row (features, label and addresses/time)",
}


@dataclass
class CleaningReport:
    source: str = ""
    dialect: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict = field(default_factory=dict)           # reason -> rows
    dropped_by_column: dict = field(default_factory=dict)  # reason -> {feature: rows}
    raw_labels: dict = field(default_factory=dict)        # raw label -> rows read
    unknown_labels: dict = field(default_factory=dict)    # raw label -> rows (class 'unknown')
    classes: dict = field(default_factory=dict)           # kept rows per class
    missions: dict = field(default_factory=dict)          # kept rows per mission
    dropped_columns: list = field(default_factory=list)   # [name, why]
    ignored_columns: list = field(default_factory=list)
    constant_columns: list = field(default_factory=list)
    constant_columns_dropped: bool = False
    identical_columns: list = field(default_factory=list)  # [[feature, same-as feature]]
    meta: list = field(default_factory=list)               # meta fields present
    time_unit: str = ""            # unit of the file's time columns (the table holds microseconds)
    time_unit_how: str = ""        # declared (--time-unit), the dialect's, or detected from the values
    time_unit_evidence: str = ""   # what the values say
    time_columns: list = field(default_factory=lambda: list(TIME_FEATURES))

    def add_drop(self, reason, n, column=None):
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(n)
            if column is not None:
                col = self.dropped_by_column.setdefault(reason, {})
                col[column] = col.get(column, 0) + int(n)

    def to_dict(self):
        return asdict(self)

    def to_text(self):
        lines = [f"file      {self.source}", f"dialect   {self.dialect}",
                 f"rows      read {self.rows_read}, kept {self.rows_kept}, dropped {self.rows_read - self.rows_kept}"]
        for reason, n in self.dropped.items():
            cols = self.dropped_by_column.get(reason)
            detail = f" ({', '.join(f'{c}: {k}' for c, k in sorted(cols.items(), key=lambda kv: -kv[1])[:4])})" if cols else ""
            lines.append(f"  dropped {n:>8}  {DROP_REASONS.get(reason, reason)}{detail}")
        if self.unknown_labels:
            lines.append("unknown labels (kept as 'unknown'; add them with --labels or reject with --strict): "
                         + ", ".join(f"{k!r}: {v}" if k else f"(empty): {v}" for k, v in self.unknown_labels.items()))
        for name, why in self.dropped_columns:
            lines.append(f"column    dropped {name!r}: {why}")
        if self.ignored_columns:
            lines.append(f"columns   not used: {', '.join(self.ignored_columns)}")
        if self.constant_columns:
            verb = "dropped" if self.constant_columns_dropped else "kept (drop with --drop-constant)"
            names = ", ".join(self.constant_columns[:12]) + (f", ... {len(self.constant_columns) - 12} more"
                                                              if len(self.constant_columns) > 12 else "")
            lines.append(f"constant  {len(self.constant_columns)} column(s) {verb}: {names}")
        if self.identical_columns:
            lines.append("identical " + ", ".join(f"{a}={b}" for a, b in self.identical_columns) + " (kept)")
        lines.append(f"meta      {', '.join(self.meta) if self.meta else 'none (no addresses, ports or timestamps)'}")
        if self.time_unit:
            conv = "" if self.time_unit == "microseconds" else ", converted to microseconds"
            lines.append(f"times     {len(self.time_columns)} columns (flow_duration, *_iat_*, active_*, idle_*) in "
                         f"{self.time_unit}{conv}: {self.time_unit_how}; {self.time_unit_evidence}")
        lines.append("raw labels")
        lines += [f"  {n:>8}  {k}" for k, n in sorted(self.raw_labels.items(), key=lambda kv: -kv[1])]
        lines.append("classes (kept rows)")
        lines += [f"  {n:>8}  {k}" for k, n in sorted(self.classes.items(), key=lambda kv: -kv[1])]
        lines.append("missions (kept rows)")
        lines += [f"  {n:>8}  {k}" for k, n in self.missions.items()]
        return "\n".join(lines)
