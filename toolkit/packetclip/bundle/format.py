"""The bundle folder and its model.json (format 1).

model.json keys:
  format          1
  name            short identifier
  tflite_sha256   sha256 of model.tflite (hex); the firmware reports it in INFO
  features        canonical feature names, in input order for one flow
  window          flows per input (1 for a single-flow model); the input is [window, features] row-major
  transform       {"kind": "signed_log1p_standardize", "mean": [...], "std": [...], "clip": float}
                  x -> clip((sign(x) * log1p(|x|) - mean) / std, -clip, clip), per feature
  input           {"shape": [...], "scale": float, "zero_point": int}     int8
  output          {"shape": [...], "scale": float, "zero_point": int}     int8
  heads           {"classes": [start, stop], "missions": [start, stop] | null,
                   "embedding": [start, stop] | null}: slices of the flattened output (logits)
  labels          class names, in output order
  missions        mission names, in output order (dos, brute_force, reconnaissance, other_attack, benign)
  label_missions  {label: mission}
  kg_version      version of the knowledge graph the labels come from
  arena_bytes     TFLM arena measured on the host
  ops             builtin op names used, e.g. ["FULLY_CONNECTED"]
  macs, params, weight_bytes
  tools           versions of the tools that made it
  metrics         optional: measured metrics of this bundle (TFLM int8, test split)
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_dir

FORMAT = 1
REQUIRED = ("format", "name", "tflite_sha256", "features", "window", "transform", "input",
            "output", "heads", "labels", "missions", "label_missions", "ops")


@dataclass
class Bundle:
    path: Path
    meta: dict
    tflite: bytes

    @property
    def sha256(self):
        return self.meta["tflite_sha256"]

    @property
    def input_shape(self):
        return tuple(self.meta["input"]["shape"])

    @property
    def output_shape(self):
        return tuple(self.meta["output"]["shape"])

    def transform(self, X):
        """Canonical feature values [n, window*features] (float) -> model space (float32)."""
        t = self.meta["transform"]
        X = np.asarray(X, dtype=np.float64)
        mean = np.tile(np.asarray(t["mean"], np.float64), self.meta["window"])
        std = np.tile(np.asarray(t["std"], np.float64), self.meta["window"])
        Z = (np.sign(X) * np.log1p(np.abs(X)) - mean) / std
        clip = t.get("clip")
        if clip:
            Z = np.clip(Z, -clip, clip)
        return Z.astype(np.float32)

    def quantize_input(self, X):
        """Canonical features [n, window*features] -> int8 inputs [n, *input_shape[1:]]."""
        q = self.meta["input"]
        Z = self.transform(X)
        Q = np.round(Z / q["scale"]) + q["zero_point"]
        return np.clip(Q, -128, 127).astype(np.int8).reshape((len(Z),) + self.input_shape[1:])

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
    for key in REQUIRED:
        if key not in meta:
            raise PacketclipError(f"{mj}: field '{key}' is missing; regenerate the bundle with this packetclip version")
    if meta["format"] != FORMAT:
        raise PacketclipError(f"{mj}: field 'format' is {meta['format']}, this packetclip reads format {FORMAT}")
    data = mt.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["tflite_sha256"]:
        raise PacketclipError(f"{mt}: sha256 {digest[:12]}... does not match model.json's tflite_sha256 {meta['tflite_sha256'][:12]}...; the files come from different runs, regenerate the bundle")
    return Bundle(path=path, meta=meta, tflite=data)


def write_bundle(path, tflite, meta, card=None):
    """Write a bundle atomically: the folder appears whole or not at all."""
    meta = dict(meta)
    meta["format"] = FORMAT
    meta["tflite_sha256"] = hashlib.sha256(tflite).hexdigest()
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"bundle metadata lacks {missing}")
    with atomic_dir(path, "model.json", "bundle folder") as tmp:
        (tmp / "model.tflite").write_bytes(tflite)
        (tmp / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if card is not None:
            (tmp / "MODEL_CARD.md").write_text(card)
    return load_bundle(path)
