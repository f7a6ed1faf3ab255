"""Make a bundle from a user's own int8 .tflite (or a Keras model, with the `keras` extra).

The file must pass the same checks as a distilled student (bundle/checks.py). A flow bundle
takes what the .tflite does not say from options: class labels (canonical technique ids, so
each maps to a mission), feature names (canonical names in input order) and the input
transform. Any other fully-int8 model becomes a generic bundle (no flow metadata): it builds,
runs and conforms like any other, with random or recorded int8 inputs.
"""

import json
from pathlib import Path

import numpy as np

from packetclip.bundle.checks import check_tflite
from packetclip.bundle.format import write_bundle
from packetclip.errors import PacketclipError

KERAS_HINT = "--keras needs TensorFlow, which is not installed: pip install packetclip[keras]"


def _list_option(value, what):
    """A comma-separated list, or a file with one item per line."""
    if value is None:
        return None
    try:
        is_file = Path(value).is_file()
    except OSError:  # a long comma-separated list is not a valid path
        is_file = False
    items = Path(value).read_text().split() if is_file else value.split(",")
    items = [s.strip() for s in items if s.strip()]
    if not items:
        raise PacketclipError(f"--{what}: empty list; give names separated by commas or a file with one per line")
    return items


def _transform(value, n_features):
    if value is None:  # signed log1p only: document it so the firmware and harness reproduce it
        return {"kind": "signed_log1p_standardize", "mean": [0.0] * n_features, "std": [1.0] * n_features, "clip": None}
    p = Path(value)
    try:
        t = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PacketclipError(f"{p}: cannot read the transform JSON ({exc}); give a file like model.json's 'transform'") from None
    t = t.get("transform", t)
    if t.get("kind") != "signed_log1p_standardize" or len(t.get("mean", [])) != n_features or len(t.get("std", [])) != n_features:
        raise PacketclipError(f"{p}: field 'transform' must be kind signed_log1p_standardize with {n_features} mean and std values")
    return t


def _common_meta(src, s, arena, name, out):
    return {"name": name or Path(out).name, "input": s["input"], "output": s["output"], "arena_bytes": arena,
            "ops": s["ops"], "macs": s["macs"], "params": s["params"], "weight_bytes": s["weight_bytes"],
            "tools": _tools(), "source": {"kind": "export", "file": src.name}}


def _card(meta, src, s, arena, flow):
    use = ("Data, split, metrics, limits and intended use: as documented by the model's author; run "
           "`packetclip verify` on it with `--data FLOWS.csv` to measure it.\n" if flow else
           "A generic int8 model (no flow metadata): `packetclip build` and `packetclip conform --inputs "
           "random:N` (or `--inputs FILE.npy`) check it bit for bit on a board.\n")
    return (f"# {meta['name']}: user model exported by packetclip\n\nExported from `{src.name}` with `packetclip export`. "
            f"Input {s['input']['shape']}, output {s['output']['shape']}, {s['weight_bytes']} weight bytes, {s['macs']} MACs, "
            f"TFLM arena {arena} bytes, ops {', '.join(s['ops'])}.\n" + use)


def export_tflite(tflite, out, labels=None, features=None, transform=None, name=None, generic=False, log=print):
    """A bundle from an int8 .tflite: a flow bundle when flow options are given (or the input is
    a whole number of canonical feature rows), else (or with generic=True) a generic one."""
    from packetclip.bundle.verify import probe_arena
    from packetclip.data import FEATURES

    src = Path(tflite)
    if not src.is_file():
        raise PacketclipError(f"{src}: file not found; give the path of your .tflite model")
    data = src.read_bytes()
    s = check_tflite(data, str(src))
    in_shape = s["input"]["shape"]
    n_in = int(np.prod(in_shape[1:]))
    flow_options = any(v is not None for v in (labels, features, transform))
    if generic and flow_options:
        raise PacketclipError("--generic: a generic bundle has no flow metadata; drop --labels, --features and --transform")
    if generic or (not flow_options and n_in % len(FEATURES)):
        arena = probe_arena(data)
        meta = _common_meta(src, s, arena, name, out)
        bundle = write_bundle(out, data, meta, _card(meta, src, s, arena, False))
        log(f"wrote {out}: generic bundle (no flow metadata), input {in_shape}, output {s['output']['shape']}, "
            f"{s['weight_bytes']} weight B, arena {arena} B, sha256 {bundle.sha256[:16]}")
        return bundle
    return _export_flow(src, data, s, out, labels, features, transform, name, log)


def _export_flow(src, data, s, out, labels, features, transform, name, log):
    from packetclip.bundle.verify import probe_arena
    from packetclip.data import FEATURES
    from packetclip.data.kg import load_kg

    in_shape, out_shape = s["input"]["shape"], s["output"]["shape"]
    n_in, n_out = int(np.prod(in_shape[1:])), int(np.prod(out_shape[1:]))
    feats = _list_option(features, "features")
    if feats is None:
        if n_in % len(FEATURES):
            raise PacketclipError(f"{src}: input has {n_in} values, not a multiple of the {len(FEATURES)} canonical features; "
                                  "give --features NAME,NAME,... in input order")
        feats = list(FEATURES)
    unknown = [f for f in feats if f not in FEATURES]
    if unknown:
        raise PacketclipError(f"--features: {unknown[0]!r} is not a canonical feature name (see packetclip.data.FEATURES)")
    if n_in % len(feats):
        raise PacketclipError(f"{src}: input has {n_in} values, not a multiple of {len(feats)} features; fix --features")
    window = n_in // len(feats)
    kg = load_kg()
    labs = _list_option(labels, "labels") or [f"class_{i}" for i in range(n_out)]
    known = {getattr(t, "id", t) for t in kg.techniques}
    if labels is not None:
        bad = [l for l in labs if l not in known]
        if bad:
            raise PacketclipError(f"--labels: {bad[0]!r} is not a technique of the knowledge graph; use canonical labels "
                                  f"(e.g. {', '.join(sorted(known)[:4])}, ...; see `packetclip kg`)")
    if len(labs) > n_out:
        raise PacketclipError(f"--labels: {len(labs)} labels but the model outputs {n_out} values")
    missions = list(kg.missions)
    heads = {"classes": [0, len(labs)],
             "missions": [len(labs), len(labs) + len(missions)] if n_out >= len(labs) + len(missions) else None,
             "embedding": [len(labs) + len(missions), n_out] if n_out > len(labs) + len(missions) else None}
    if heads["missions"] is None and n_out != len(labs):
        raise PacketclipError(f"--labels: {len(labs)} labels for {n_out} outputs; give one label per output "
                              f"(or labels followed by {len(missions)} mission logits)")
    label_missions = {l: (kg.mission_of(l) if l in known else "other_attack") for l in labs}
    arena = probe_arena(data)
    meta = {**_common_meta(src, s, arena, name, out), "features": feats, "window": window,
            "transform": _transform(transform, len(feats)), "heads": heads, "labels": labs, "missions": missions,
            "label_missions": label_missions, "kg_version": kg.version}
    bundle = write_bundle(out, data, meta, _card(meta, src, s, arena, True))
    log(f"wrote {out}: {len(labs)} classes, {window}x{len(feats)} input, {s['weight_bytes']} weight B, arena {arena} B, "
        f"sha256 {bundle.sha256[:16]}")
    return bundle


def keras_to_tflite(keras_path, representative):
    """Full-integer conversion of a Keras model (int8 in and out); needs the `keras` extra."""
    try:
        import tensorflow as tf
    except ImportError:
        raise PacketclipError(KERAS_HINT) from None
    model = tf.keras.models.load_model(keras_path)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([r[None].astype(np.float32)] for r in representative)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def _tools():
    from contextlib import suppress
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for n in ("packetclip", "tflite-micro"):
        with suppress(PackageNotFoundError):
            out[n] = version(n)
    return out
