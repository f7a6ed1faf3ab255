"""The mission knowledge graph as index arrays for the GNN: technique -> tactic -> mission.

A technique hung directly under a mission gets its own pseudo-tactic, so every level of
message passing sees the same three-level shape.
"""

from dataclasses import dataclass


def _ids(items):
    return [getattr(x, "id", x) for x in items]


def node_text(node):
    vocab = getattr(node, "vocab", None) or []
    if isinstance(vocab, str):
        vocab = [vocab]
    parts = [str(getattr(node, "name", "") or node.id), str(getattr(node, "description", "") or "")]
    if vocab:
        parts.append(" ".join(str(v) for v in vocab))
    return ". ".join(p for p in parts if p)


@dataclass
class Hierarchy:
    techniques: list      # technique ids (GNN leaf nodes)
    tactics: list         # tactic ids (incl. pseudo "<mission>/direct")
    missions: list        # mission ids, kg order
    tech_parent: list     # tactic index of each technique
    tactic_parent: list   # mission index of each tactic
    texts: dict           # level -> list of node texts (technique/tactic/mission)

    def to_dict(self):
        return {k: getattr(self, k) for k in ("techniques", "tactics", "missions", "tech_parent",
                                               "tactic_parent", "texts")}

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def build_hierarchy(kg):
    missions = list(kg.missions)
    techniques = sorted(_ids(kg.techniques), key=lambda t: (missions.index(kg.mission_of(t)), t))
    tactics, tactic_parent, tactic_texts = [], [], []
    tech_parent = []
    for t in techniques:
        parent = kg.node(t).parent
        pnode = kg.node(parent) if parent is not None else None
        if pnode is None or pnode.kind != "tactic":
            key, text = f"{kg.mission_of(t)}/direct", f"{kg.mission_of(t)} (direct)"
        else:
            key, text = pnode.id, node_text(pnode)
        if key not in tactics:
            tactics.append(key)
            tactic_parent.append(missions.index(kg.mission_of(t)))
            tactic_texts.append(text)
        tech_parent.append(tactics.index(key))
    texts = {"technique": [node_text(kg.node(t)) for t in techniques],
             "tactic": tactic_texts,
             "mission": [node_text(kg.node(m)) for m in missions]}
    return Hierarchy(techniques, tactics, missions, tech_parent, tactic_parent, texts)
