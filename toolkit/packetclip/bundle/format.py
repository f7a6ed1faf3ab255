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
  context         windowed bundles: {"hosts": N, "table_bytes": B}, the device's host table the
                  student was sized with (distill --hosts; `packetclip build` uses N unless --hosts)
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
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip import userfile
from packetclip.data import prep
from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_dir
from packetclip.schema import Field, check

FORMAT = 2
READS = (1, 2)
REQUIRED = ("format", "name", "tflite_sha256", "input", "output", "ops")
MAX_TFLITE_BYTES = 64 << 20      # far above any MCU flash
FLOW_KEYS = ("features", "window", "transform", "heads", "labels", "missions", "label_missions")


@dataclass
class Bundle:
    path: Path
    meta: dict
    tflite: bytes
    checks: dict = None     # bundle.checks.check_tflite's summary (ops, weight bytes, MACs)

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


_REGEN = "regenerate the bundle (`packetclip distill` or `packetclip export`)"
_QUANT = {"shape": Field(list, items=Field(int, min=1, fix="every dimension is positive"), max_len=8),
          "scale": Field(float, check=lambda v: None if v > 0 else "must be positive", fix=_REGEN),
          "zero_point": Field(int, min=-128, max=127, fix="int8 zero points lie in -128..127")}


def _hex64(v):
    return None if len(v) == 64 and all(c in "0123456789abcdef" for c in v) else "is not a sha256 (64 lowercase hex digits)"


def _span(v):
    ok = len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v) and 0 <= v[0] < v[1]
    return None if ok else "must be [start, stop] with 0 <= start < stop"


def _features(v):
    from packetclip.data.schema import FEATURES

    bad = [f for f in v if f not in FEATURES]
    return f"names unknown feature {bad[0]!r} (known: packetclip.data.schema.FEATURES)" if bad else None


# model.json, declared once (the module doc says what each key means); open: extra keys are provenance
MODEL_JSON = {
    "format": Field(int, choices=READS, fix="regenerate the bundle or update packetclip"),
    "name": Field(str, fix=_REGEN),
    "kind": Field(str, required=False, choices=("flow", "generic")),
    "tflite_sha256": Field(str, check=_hex64, fix=_REGEN),
    "input": Field(dict, fields=_QUANT, open=True),
    "output": Field(dict, fields=_QUANT, open=True),
    "ops": Field(list, items=Field(str)),
    "arena_bytes": Field(int, required=False, min=0),
    "macs": Field(int, required=False, min=0),
    "params": Field(int, required=False, min=0),
    "weight_bytes": Field(int, required=False, min=0),
    "features": Field(list, required=False, items=Field(str), check=_features, max_len=4096),
    "window": Field(int, required=False, min=1, max=4096),
    "transform": Field(dict, required=False, open=True, fields={
        "kind": Field(str, choices=(prep.TRANSFORM_KIND,)),
        "mean": Field(list, items=Field(float)),
        "std": Field(list, items=Field(float, check=lambda v: None if v > 0 else "must be positive")),
        "clip": Field(float, null=True, check=lambda v: None if v > 0 else "must be positive")}),
    "heads": Field(dict, required=False, open=True, fields={
        "classes": Field(list, check=_span), "missions": Field(list, required=False, null=True, check=_span),
        "embedding": Field(list, required=False, null=True, check=_span)}),
    "labels": Field(list, required=False, items=Field(str)),
    "missions": Field(list, required=False, items=Field(str)),
    "label_missions": Field(dict, required=False),
    "context": Field(dict, required=False, open=True, fields={"hosts": Field(int, min=0), "table_bytes": Field(int, min=0)}),
    # distill --embedding: the space mission prototypes are made in (docs/missions.md)
    "embedding": Field(dict, required=False, open=True, fields={
        "dim": Field(int, min=1, max=64), "teacher_embed_dim": Field(int, min=1, max=4096),
        "scale": Field(float, check=lambda v: None if v > 0 else "must be positive"),
        "projection": Field(list, max_len=64, items=Field(list, max_len=4096, items=Field(float))),
        "teacher_sha256": Field(str, check=_hex64), "text_encoder": Field(str),
        "teacher": Field(str, required=False)}),
}


def check_meta(meta, where):
    """model.json against MODEL_JSON, then the facts that tie fields together."""
    meta = check(meta, MODEL_JSON, where, open=True)
    _check_keys(meta, where)
    if "features" not in meta:
        return meta
    nf, win, t = len(meta["features"]), meta["window"], meta["transform"]
    for key in ("mean", "std"):
        if len(t[key]) != nf:
            raise PacketclipError(f"{where}: field 'transform.{key}' has {len(t[key])} values for {nf} features; {_REGEN}")
    n_in, n_out = math.prod(meta["input"]["shape"]), math.prod(meta["output"]["shape"])
    if n_in != win * nf:
        raise PacketclipError(f"{where}: field 'input.shape' holds {n_in} values, but window {win} x {nf} features "
                              f"is {win * nf}; {_REGEN}")
    spans = {"classes": len(meta["labels"]), "missions": len(meta["missions"])}
    emb = meta.get("embedding")
    if emb is not None:
        spans["embedding"] = emb["dim"]
        shape = (len(emb["projection"]), {len(r) for r in emb["projection"]})
        if shape != (emb["dim"], {emb["teacher_embed_dim"]}):
            raise PacketclipError(f"{where}: field 'embedding.projection' is not {emb['dim']} rows of "
                                  f"{emb['teacher_embed_dim']} values; {_REGEN}")
    for head, span in meta["heads"].items():
        if span is None:
            continue
        if span[1] > n_out:
            raise PacketclipError(f"{where}: field 'heads.{head}' is {span}, past the model's {n_out} outputs; {_REGEN}")
        if head in spans and span[1] - span[0] != spans[head]:
            what = {"classes": "labels", "missions": "missions", "embedding": "embedding.dim"}[head]
            raise PacketclipError(f"{where}: field 'heads.{head}' spans {span[1] - span[0]} outputs but '{what}' "
                                  f"names {spans[head]}; {_REGEN}")
    return meta


def load_bundle(path):
    """Read and check a bundle folder; one-line errors name the file and field."""
    path = Path(path)
    if not path.is_dir():
        kind = "does not exist" if not path.exists() else "is a file"
        raise PacketclipError(f"{path}: {kind}, not a bundle folder (expected model.tflite and model.json inside)")
    mj, mt = path / "model.json", path / "model.tflite"
    for f in (mj, mt):
        if not f.exists():
            raise PacketclipError(f"{f}: missing; a bundle needs model.tflite and model.json (make one with `packetclip distill` or `packetclip export`)")
    meta = check_meta(userfile.load_json(mj, "model.json", _REGEN), mj)
    data = userfile.read_bytes(mt, "model.tflite", max_bytes=MAX_TFLITE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["tflite_sha256"]:
        raise PacketclipError(f"{mt}: sha256 {digest[:12]}... does not match model.json's tflite_sha256 {meta['tflite_sha256'][:12]}...; the files come from different runs, regenerate the bundle")
    from packetclip.bundle.checks import check_bundle_meta, check_tflite

    # the same checks everywhere a bundle is used (verify, build, codegen, conform)
    summary = check_tflite(data, str(mt))
    check_bundle_meta(meta, summary, str(mj))
    return Bundle(path=path, meta=meta, tflite=data, checks=summary)


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
        check_meta(meta, "bundle metadata")       # a bundle we could not load again is never written
    except PacketclipError as exc:
        raise ValueError(str(exc)) from None
    with atomic_dir(path, "model.json", "bundle folder") as tmp:
        (tmp / "model.tflite").write_bytes(tflite)
        (tmp / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if card is not None:
            (tmp / "MODEL_CARD.md").write_text(card)
    return load_bundle(path)
