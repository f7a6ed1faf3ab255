"""Missions in words -> int8 prototypes in the student's embedding space.

The space: a bundle distilled with `--embedding` (model.json "embedding") has a fixed
projection P [D, E] (the top-D principal directions of the teacher's flow embeddings on the
training rows) and a scale s; its embedding head regresses s * P @ e(flow), e the teacher's
unit-norm PacketCLIP flow embedding. A mission's prototype is P @ t, t the unit-norm mean of
the teacher text encoder's unit-norm embeddings of the mission's texts, rounded to int8 with its
own scale (127 / max |P @ t|). The device scores by cosine (packetclip.missions.score), which
ignores both scales, so only directions matter.

A prototype set is named by its sha256 over (a tag, the model sha256, K, D, the int8 rows, the
names): the device reports it in INFO, `mission push` and `conform --missions` compare it. The set
records the teacher (sha256 of its model.pt, which holds the text encoder) and the text encoder;
a set made with another teacher, text encoder or model is refused in one line.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError

FORMAT = 1
KIND = "packetclip-prototypes"
SHA_TAG = b"packetclip prototypes 1\x00"


def set_sha256(model_sha256, names, rows):
    rows = np.ascontiguousarray(np.asarray(rows, np.int8))
    k, d = (rows.shape if rows.ndim == 2 else (0, 0))
    h = hashlib.sha256(SHA_TAG + bytes.fromhex(model_sha256) + bytes((k, d)) + rows.tobytes())
    h.update("\x00".join(names).encode("utf-8"))
    return h.hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Prototypes:
    names: list
    rows: np.ndarray            # int8 [K, D]
    model_sha256: str           # the bundle whose embedding space they live in
    teacher_sha256: str         # sha256 of the teacher's model.pt (its text encoder)
    text_encoder: str
    missions: list              # the Mission dicts they were made from

    @property
    def sha256(self):
        return set_sha256(self.model_sha256, self.names, self.rows)

    @property
    def count(self):
        return len(self.names)

    @property
    def dim(self):
        return int(self.rows.shape[1]) if self.rows.ndim == 2 else 0

    def to_dict(self):
        return {"format": FORMAT, "kind": KIND, "sha256": self.sha256, "model_sha256": self.model_sha256,
                "teacher_sha256": self.teacher_sha256, "text_encoder": self.text_encoder, "dim": self.dim,
                "names": list(self.names), "rows": self.rows.astype(int).tolist(), "missions": self.missions}


def embedding_meta(bundle):
    """The bundle's embedding space (model.json "embedding"), or one line saying how to get one."""
    emb = bundle.meta.get("embedding") if bundle.is_flow else None
    if not emb or not (bundle.meta.get("heads") or {}).get("embedding"):
        raise PacketclipError(f"{bundle.path}: the bundle has no embedding head, so it cannot score missions; "
                              "distill one with `packetclip distill RUN --embedding --out DIR`")
    return emb


def check_compatible(protos, bundle, where):
    """Refuse prototypes made for another model, teacher or text encoder (one line)."""
    emb = embedding_meta(bundle)
    for what, have, want in (("model", protos.model_sha256, bundle.sha256),
                             ("teacher", protos.teacher_sha256, emb["teacher_sha256"]),
                             ("text encoder", protos.text_encoder, emb["text_encoder"])):
        if have != want:
            raise PacketclipError(f"{where}: prototypes made with {what} {have[:12]}..., the bundle {bundle.path} uses "
                                  f"{want[:12]}...; compile them again for this bundle with `packetclip mission compile "
                                  f"--model {bundle.path}`")
    if protos.dim != int(emb["dim"]):
        raise PacketclipError(f"{where}: prototypes of {protos.dim} values, the bundle's embedding has {emb['dim']}; "
                              "compile them again for this bundle")


# -- the teacher's text encoder ---------------------------------------------------------------
def load_text_encoder(run_dir, want_sha256=None, where="--teacher"):
    """The text encoder of a teacher run (model.pt "text_model"), checked against the sha256
    the bundle recorded. Imports torch."""
    run = Path(run_dir)
    cfg_path, model_path = run / "config.json", run / "model.pt"
    if not cfg_path.is_file() or not model_path.is_file():
        raise PacketclipError(f"{where}: {run} is not a teacher run folder (config.json and model.pt); give the run the "
                              "bundle was distilled from with --teacher RUN")
    sha = file_sha256(model_path)
    if want_sha256 is not None and sha != want_sha256:
        raise PacketclipError(f"{where}: {model_path} has sha256 {sha[:12]}..., the bundle was distilled from teacher "
                              f"{want_sha256[:12]}...; prototypes from another teacher would not match the device's "
                              "embedding: give the bundle's teacher run")
    cfg = json.loads(cfg_path.read_text())["config"]
    import torch

    from packetclip.teacher.text_encoders import make_text_encoder

    state = torch.load(model_path, map_location="cpu", weights_only=True).get("text_model") or {}
    enc = make_text_encoder(cfg["text_encoder"], cfg["embed_dim"])
    enc.load_state_dict({k[len("text."):]: v for k, v in state.items()})
    enc.eval()
    return enc, sha, cfg["text_encoder"]


def mission_texts(m, kg):
    from packetclip.data.text import class_prompts

    texts = [m.description]
    for node in m.kg:
        texts += [t for t in class_prompts(kg, [node])[node] if t not in texts]
    return texts


def text_vectors(enc, missions, kg):
    """Unit-norm mean of the unit-norm text embeddings of each mission's texts -> [K, E] float64."""
    import torch
    import torch.nn.functional as F

    out = []
    with torch.no_grad():
        for m in missions:
            v = F.normalize(enc.encode(mission_texts(m, kg)), dim=-1).mean(0)
            out.append((v / v.norm().clamp_min(1e-12)).numpy().astype(np.float64))
    return np.stack(out) if out else np.zeros((0, 0))


def quantize_rows(V):
    """float prototypes [K, D] -> int8, each row scaled so its largest magnitude is 127."""
    V = np.asarray(V, np.float64)
    if len(V) == 0:
        return np.zeros((0, V.shape[1] if V.ndim == 2 else 0), np.int8)
    m = np.abs(V).max(axis=1, keepdims=True)
    return np.clip(np.round(127.0 * V / np.where(m > 0, m, 1.0)), -127, 127).astype(np.int8)


def compile_prototypes(missions, bundle, teacher=None, kg=None):
    """[Mission] + bundle (+ the teacher run it was distilled from) -> Prototypes."""
    from packetclip.data.kg import load_kg

    emb = embedding_meta(bundle)
    kg = kg or load_kg()
    from packetclip.missions.file import check_missions

    check_missions(missions, "missions", kg)
    run = teacher or emb.get("teacher")
    if not run:
        raise PacketclipError(f"{bundle.path}: model.json does not say which teacher made it; give --teacher RUN")
    enc, sha, name = load_text_encoder(run, emb["teacher_sha256"], "--teacher" if teacher else f"{bundle.path} teacher")
    P = np.asarray(emb["projection"], np.float64)
    V = text_vectors(enc, missions, kg)
    rows = quantize_rows(V @ P.T if len(V) else np.zeros((0, P.shape[0])))
    return Prototypes([m.name for m in missions], rows, bundle.sha256, sha, name, [m.to_dict() for m in missions])


# -- prototype files -----------------------------------------------------------------------------
def save_prototypes(path, protos):
    from packetclip.fsutil import write_text

    write_text(path, json.dumps(protos.to_dict(), indent=1) + "\n")


def load_prototypes(path, bundle=None):
    """Read a prototypes file (made by `packetclip mission compile`); with a bundle, check it belongs to it."""
    from packetclip.schema import Field, check
    from packetclip.userfile import load_json

    where = str(path)
    doc = check(load_json(path, "prototypes file"), {
        "format": Field(int, min=FORMAT, max=FORMAT), "kind": Field(str, choices=[KIND]),
        "sha256": Field(str), "model_sha256": Field(str), "teacher_sha256": Field(str), "text_encoder": Field(str),
        "dim": Field(int, min=1, max=64), "names": Field(list, items=Field(str), max_len=254),
        "rows": Field(list, items=Field(list, items=Field(int, min=-128, max=127))),
        "missions": Field(list, required=False, default=list)}, where)
    try:
        rows = np.asarray(doc["rows"], dtype=np.int64).reshape(len(doc["names"]), doc["dim"]).astype(np.int8)
        bytes.fromhex(doc["model_sha256"])
    except ValueError:
        raise PacketclipError(f"{where}: field 'rows' is not {len(doc['names'])} rows of {doc['dim']} values; "
                              "compile the prototypes again with `packetclip mission compile`") from None
    protos = Prototypes(list(doc["names"]), rows, doc["model_sha256"], doc["teacher_sha256"], doc["text_encoder"],
                        doc["missions"])
    if protos.sha256 != doc["sha256"]:
        raise PacketclipError(f"{where}: field 'sha256' does not match the rows and names (edited by hand?); compile the "
                              "prototypes again with `packetclip mission compile`")
    if bundle is not None:
        check_compatible(protos, bundle, where)
    return protos
