"""The bundle folder and its model.json (format 2; format 1 bundles are read too).

A bundle is either a *flow* model (it takes canonical flow features and says how to turn
them into its int8 input, and what its outputs mean: the flow metadata below) or a *generic*
int8 model (any input and output, e.g. an MLPerf Tiny model: no flow metadata). `Bundle.is_flow`
tells which; the flow keys are all present or all absent. Format 1 (packetclip before generic
bundles) always had them.

model.json keys, every bundle:
  format          2
  name            short identifier
  kind            "flow" or "generic" (format 1: always flow)
  tflite_sha256   sha256 of model.tflite (hex); the firmware reports it in INFO
  input           {"shape": [...], "scale": float, "zero_point": int}     int8
  output          {"shape": [...], "scale": float, "zero_point": int}     int8
  arena_bytes     TFLM arena measured on the host
  ops             builtin op names used, e.g. ["FULLY_CONNECTED"]
  macs, params, weight_bytes
  tools           versions of the tools that made it
  source          optional: where it came from ({"kind": "export", "file": ...} or distill's)
  metrics         optional: measured metrics of this bundle (TFLM int8, test split)

flow metadata (flow bundles only):
  features        canonical feature names, in input order for one flow
  window          flows per input (1 for a single-flow model); the input is [window, features] row-major:
                  the flow's source host's previous window-1 flows, oldest first, then the flow
  window_context  {"kind": "host_time" | "none" | "single_flow", "padding": ...}: how windows were built
                  (packetclip.data.prep, docs/data.md): flows in stream order (start time, then
                  arrival); host key = zlib.crc32 of the UTF-8 source address in canonical text
                  (Python ipaddress' .compressed when it parses); a missing predecessor (a host's
                  first flows, an evicted host) is the zero vector in model space, i.e. every byte
                  of its int8 row is input.zero_point; "none": no timestamps/addresses in the data,
                  every window is padding plus the flow itself
  transform       {"kind": "signed_log1p_standardize", "mean": [...], "std": [...], "clip": float}
                  x -> clip((sign(x) * log1p(|x|) - mean) / std, -clip, clip), per feature, with
                  NaN and +-inf read as 0 (packetclip.data.prep.apply_transform)
  heads           {"classes": [start, stop], "missions": [start, stop] | null,
                   "embedding": [start, stop] | null}: slices of the flattened output (logits)
  labels          class names, in output order
  missions        mission names, in output order (dos, brute_force, reconnaissance, other_attack, benign)
  label_missions  {label: mission}
  kg_version      version of the knowledge graph the labels come from (optional)
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip.data import prep
from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_dir

FORMAT = 2
READS = (1, 2)
REQUIRED = ("format", "name", "tflite_sha256", "input", "output", "ops")
FLOW_KEYS = ("features", "window", "transform", "heads", "labels", "missions", "label_missions")


@dataclass
class Bundle:
    path: Path
    meta: dict
    tflite: bytes

    @property
    def sha256(self):
        return self.meta["tflite_sha256"]

    @property
    def is_flow(self):
        """True for a flow model (canonical flow features in, classes/missions out)."""
        return all(k in self.meta for k in FLOW_KEYS)

    @property
    def input_size(self):
        return int(np.prod(self.input_shape))

    @property
    def input_shape(self):
        return tuple(self.meta["input"]["shape"])

    @property
    def output_shape(self):
        return tuple(self.meta["output"]["shape"])

    @property
    def window(self):
        return int(self.meta["window"])

    def transform(self, X):
        """Canonical features [..., features] -> model space float32 (packetclip.data.prep)."""
        return prep.apply_transform(self.meta["transform"], X)

    def prepare(self, X, meta=None, capacity=None):
        """Canonical flows [n, features] + meta (src_ip, timestamp) -> prep.Prepared windows."""
        return prep.prepare(X, meta, self.meta["transform"], self.window, capacity)

    def quantize(self, Zw):
        """Model-space windows [n, window, features] -> int8 inputs [n, *input_shape[1:]]."""
        q = self.meta["input"]
        return prep.quantize(Zw, q["scale"], q["zero_point"]).reshape((len(Zw),) + self.input_shape[1:])

    def inputs(self, X, meta=None, rows=None):
        """Canonical flows (+ meta) -> int8 inputs of `rows` (all when None), windows over all of X."""
        return self.quantize(self.prepare(X, meta).windows(rows))

    @property
    def pad_int8(self):
        """The int8 value of every byte of a padding row (model-space zero)."""
        return int(self.meta["input"]["zero_point"])

    def dequantize_output(self, Q):
        q = self.meta["output"]
        Q = np.asarray(Q, dtype=np.float32).reshape(len(Q), -1)
        return (Q - q["zero_point"]) * q["scale"]

    def head(self, logits, name):
        span = self.meta["heads"].get(name)
        return None if span is None else logits[:, span[0]:span[1]]


def load_bundle(path):
    """Read and check a bundle folder; one-line errors name the file and field."""
    path = Path(path)
    if not path.is_dir():
        raise PacketclipError(f"{path}: not a bundle folder (expected model.tflite and model.json inside)")
    mj, mt = path / "model.json", path / "model.tflite"
    for f in (mj, mt):
        if not f.exists():
            raise PacketclipError(f"{f}: missing; a bundle needs model.tflite and model.json (make one with `packetclip distill` or `packetclip export`)")
    try:
        meta = json.loads(mj.read_text())
    except json.JSONDecodeError as exc:
        raise PacketclipError(f"{mj}: not valid JSON at line {exc.lineno}; regenerate the bundle") from None
    _check_keys(meta, mj)
    data = mt.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["tflite_sha256"]:
        raise PacketclipError(f"{mt}: sha256 {digest[:12]}... does not match model.json's tflite_sha256 {meta['tflite_sha256'][:12]}...; the files come from different runs, regenerate the bundle")
    return Bundle(path=path, meta=meta, tflite=data)


def _check_keys(meta, where):
    if meta.get("format") not in READS:
        raise PacketclipError(f"{where}: field 'format' is {meta.get('format')}, this packetclip reads formats "
                              f"{', '.join(map(str, READS))}; regenerate the bundle or update packetclip")
    required = REQUIRED + (FLOW_KEYS if meta["format"] == 1 else ())
    for key in required:
        if key not in meta:
            raise PacketclipError(f"{where}: field '{key}' is missing; regenerate the bundle with this packetclip version")
    present = [k for k in FLOW_KEYS if k in meta]
    if present and len(present) != len(FLOW_KEYS):
        missing = [k for k in FLOW_KEYS if k not in meta]
        raise PacketclipError(f"{where}: has flow field '{present[0]}' but not '{missing[0]}'; a flow bundle needs all of "
                              f"{', '.join(FLOW_KEYS)} (a generic bundle none)")
    kind = meta.get("kind", "flow" if present else "generic")
    if kind != ("flow" if present else "generic"):
        raise PacketclipError(f"{where}: field 'kind' is {kind!r} but the flow fields are {'present' if present else 'absent'}")


def write_bundle(path, tflite, meta, card=None):
    """Write a bundle atomically: the folder appears whole or not at all."""
    meta = dict(meta)
    meta["format"] = FORMAT
    meta["tflite_sha256"] = hashlib.sha256(tflite).hexdigest()
    meta.setdefault("kind", "flow" if all(k in meta for k in FLOW_KEYS) else "generic")
    try:
        _check_keys(meta, "bundle metadata")
    except PacketclipError as exc:
        raise ValueError(str(exc)) from None
    with atomic_dir(path, "model.json", "bundle folder") as tmp:
        (tmp / "model.tflite").write_bytes(tflite)
        (tmp / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if card is not None:
            (tmp / "MODEL_CARD.md").write_text(card)
    return load_bundle(path)
