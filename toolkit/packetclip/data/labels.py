"""Label taxonomy: raw dataset label strings -> canonical classes (knowledge-graph techniques).

The mapping is data (`labels.toml`); users extend it with their own TOML file. The mission
of a class is looked up in the knowledge graph, so there is one source of truth for it.
"""

from importlib import resources
from pathlib import Path

from packetclip import userfile
from packetclip.data.schema import norm_name
from packetclip.errors import PacketclipError

UNKNOWN = "unknown"


def _read(name, text):
    doc = userfile.parse_toml(text, name)
    table = doc.get("labels")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise PacketclipError(f'{name}: expected a [labels] table of "raw label" = "class" strings; see packetclip/data/labels.toml')
    return table


def load_label_map(extra=None, kg=None):
    """{normalized raw label: class}; `extra` files (path or list) override the packaged one.

    With a knowledge graph, every target class must be one of its techniques.
    """
    if isinstance(extra, (str, Path)):
        extra = [extra]
    files = [("packetclip/data/labels.toml", (resources.files("packetclip.data") / "labels.toml").read_text(encoding="utf-8"))]
    for p in extra or []:
        files.append((str(p), userfile.read_text(p, "labels file (--labels)")))
    mapping = {}
    for name, text in files:
        for raw, cls in _read(name, text).items():
            if kg is not None and not kg.has_technique(cls):
                raise PacketclipError(
                    f"{name}: label '{raw}' maps to class '{cls}', which is not a technique of the knowledge graph; "
                    f"use one of {', '.join(kg.techniques)} or add it with --kg")
            mapping[norm_name(raw)] = cls
    return mapping


def map_labels(raw_unique, mapping):
    """Classes for an array of distinct raw labels (unknown ones become 'unknown')."""
    return [mapping.get(norm_name(str(r)), UNKNOWN) for r in raw_unique]
