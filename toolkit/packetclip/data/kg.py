"""Mission knowledge graph: missions -> tactics -> techniques (the canonical flow classes).

The graph is data (`missions.yaml` in this package); users add or update nodes with their
own files (`load_kg(extra=[path])`, `--kg my_missions.yaml`). Every structural problem is a
one-line PacketclipError naming the file and node.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from packetclip import userfile
from packetclip.errors import PacketclipError

MISSION_ORDER = ["dos", "brute_force", "reconnaissance", "other_attack", "benign"]
THREE_MISSIONS = MISSION_ORDER[:3]
KINDS = ("mission", "tactic", "technique")
_SECTIONS = {"missions": "mission", "tactics": "tactic", "techniques": "technique"}
_FIELDS = ("id", "parent", "name", "attack_id", "description", "vocab")


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    parent: str | None = None
    attack_id: str | None = None
    description: str = ""
    vocab: list = field(default_factory=list)
    source: str = ""  # file that last set this node (not part of the version hash)

    def to_dict(self):
        d = asdict(self)
        d.pop("source")
        return d


def packaged_path():
    return resources.files("packetclip.data") / "missions.yaml"


def _read_nodes(path, text=None):
    """Parse one KG file into [Node]; shape errors name the file and the entry."""
    name = str(path)
    doc = userfile.parse_yaml(text if text is not None else userfile.read_text(path, "knowledge graph (--kg)"), name)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict) or not set(doc) <= set(_SECTIONS):
        raise PacketclipError(
            f"{name}: expected a mapping with keys missions/tactics/techniques; see packetclip/data/missions.yaml")
    nodes, seen = [], set()
    for section, kind in _SECTIONS.items():
        entries = doc.get(section) or []
        if not isinstance(entries, list):
            raise PacketclipError(f"{name}: '{section}' must be a list of nodes")
        for i, entry in enumerate(entries):
            where = f"{name}: {section}[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
                raise PacketclipError(f"{where}: every node needs a string 'id'")
            unknown = set(entry) - set(_FIELDS)
            if unknown:
                raise PacketclipError(f"{where} ('{entry['id']}'): unknown field(s) {sorted(unknown)}; allowed: {list(_FIELDS)}")
            nid = entry["id"]
            if (kind, nid) in seen:
                raise PacketclipError(f"{where}: duplicate {kind} id '{nid}'; give each {kind} its own id")
            seen.add((kind, nid))
            vocab = entry.get("vocab") or []
            if not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab):
                raise PacketclipError(f"{where} ('{nid}'): 'vocab' must be a list of strings")
            parent = entry.get("parent")
            if kind == "mission" and parent is not None:
                raise PacketclipError(f"{where}: mission '{nid}' has a parent '{parent}'; missions are roots, make it a tactic")
            if parent is not None and not isinstance(parent, str):
                raise PacketclipError(f"{where} ('{nid}'): 'parent' must be a node id string")
            nodes.append((entry, kind, name))
    return nodes


class KnowledgeGraph:
    def __init__(self, nodes, sources):
        self._by_kind = {k: {} for k in KINDS}
        for n in nodes:
            self._by_kind[n.kind][n.id] = n
        self.sources = sources
        self._validate()
        packaged = [m for m in MISSION_ORDER if m in self._by_kind["mission"]]
        extra = [m for m in self._by_kind["mission"] if m not in MISSION_ORDER]
        self.missions = packaged + extra
        self.tactics = list(self._by_kind["tactic"])
        self.techniques = list(self._by_kind["technique"])
        self.version = hashlib.sha256(self.to_json(indent=None).encode()).hexdigest()[:12]

    # --- structure -----------------------------------------------------------------
    def _parent_node(self, n):
        """The node a tactic/technique hangs from (tactics before missions for tactics)."""
        if n.kind == "technique":
            return self._by_kind["tactic"].get(n.parent)
        return self._by_kind["tactic"].get(n.parent) or self._by_kind["mission"].get(n.parent)

    def _validate(self):
        tactics, missions, techs = (self._by_kind[k] for k in ("tactic", "mission", "technique"))
        for tid in tactics:
            if tid in missions or tid in techs:
                n = tactics[tid]
                raise PacketclipError(f"{n.source}: tactic id '{tid}' is also a {'mission' if tid in missions else 'technique'} id; rename the tactic")
        for n in list(tactics.values()) + list(techs.values()):
            if n.parent is None:
                raise PacketclipError(f"{n.source}: {n.kind} '{n.id}' has no 'parent'; name the "
                                      f"{'mission or tactic' if n.kind == 'tactic' else 'tactic'} it belongs to")
            if self._parent_node(n) is None:
                if n.kind == "technique" and (n.parent in missions or n.parent in techs):
                    what = "mission" if n.parent in missions else "technique"
                    raise PacketclipError(f"{n.source}: technique '{n.id}' has parent '{n.parent}', a {what}, not a tactic; hang techniques under a tactic")
                raise PacketclipError(f"{n.source}: {n.kind} '{n.id}' has missing parent '{n.parent}'; define it or fix the parent id")
        for n in tactics.values():  # tactics may nest, so they may loop
            seen, cur = [n.id], n
            while cur.kind == "tactic":
                cur = self._parent_node(cur)
                if cur.kind == "tactic" and cur.id in seen:
                    loop = " -> ".join(seen[seen.index(cur.id):] + [cur.id])
                    raise PacketclipError(f"{n.source}: cycle in the knowledge graph: {loop}; a tactic's chain of parents must end at a mission")
                seen.append(cur.id)
        if not techs:
            raise PacketclipError(f"{', '.join(self.sources)}: the knowledge graph has no techniques")

    # --- queries -------------------------------------------------------------------
    def node(self, id, kind=None):
        kinds = [kind] if kind else ["technique", "tactic", "mission"]
        for k in kinds:
            if id in self._by_kind.get(k, {}):
                return self._by_kind[k][id]
        raise KeyError(f"no {kind or 'node'} '{id}' in the knowledge graph")

    def has_technique(self, id):
        return id in self._by_kind["technique"]

    def tactic_of(self, label):
        return self._parent_node(self.node(label, "technique")).id

    def mission_of(self, label):
        if label == "unknown":
            return "unknown"
        cur = self.node(label, "technique")
        while cur.kind != "mission":
            cur = self._parent_node(cur)
        return cur.id

    def path(self, label):
        """[mission, tactic(s)..., technique] ids for a class."""
        cur, out = self.node(label, "technique"), []
        while True:
            out.append(cur.id)
            if cur.kind == "mission":
                return out[::-1]
            cur = self._parent_node(cur)

    def children(self, id, kind=None):
        parent = self.node(id, kind)
        if parent.kind == "technique":
            return []
        out = []
        for k in ("tactic", "technique"):
            for n in self._by_kind[k].values():
                p = self._parent_node(n)
                if p is not None and p.id == parent.id and p.kind == parent.kind:
                    out.append(n.id)
        return out

    def techniques_of_mission(self, mission):
        return [t for t in self.techniques if self.mission_of(t) == mission]

    def nodes(self):
        return [n for k in KINDS for n in self._by_kind[k].values()]

    def to_dict(self):
        return {
            "version": getattr(self, "version", None),
            "missions": [self._by_kind["mission"][m].to_dict() for m in getattr(self, "missions", self._by_kind["mission"])],
            "tactics": [n.to_dict() for n in self._by_kind["tactic"].values()],
            "techniques": [n.to_dict() for n in self._by_kind["technique"].values()],
        }

    def to_json(self, indent=2):
        d = self.to_dict()
        d.pop("version")
        return json.dumps(d, indent=indent, sort_keys=True, ensure_ascii=False)

    def to_text(self):
        lines = [f"knowledge graph {self.version}: {len(self.missions)} missions, "
                 f"{len(self.tactics)} tactics, {len(self.techniques)} techniques"]

        def walk(n, depth):
            aid = f" [{n.attack_id}]" if n.attack_id else ""
            lines.append(f"{'  ' * depth}{n.kind} {n.id}: {n.name}{aid}")
            for cid in self.children(n.id, n.kind):
                walk(self.node(cid, "tactic" if cid in self._by_kind["tactic"] else "technique"), depth + 1)

        for m in self.missions:
            walk(self._by_kind["mission"][m], 0)
        return "\n".join(lines)


def load_kg(extra=None):
    """The packaged graph merged with the user's files (a path or a list of paths)."""
    if isinstance(extra, (str, Path)):
        extra = [extra]
    base = packaged_path()
    entries = _read_nodes("packetclip/data/missions.yaml", base.read_text(encoding="utf-8"))
    sources = ["packetclip/data/missions.yaml"]
    for p in extra or []:
        entries += _read_nodes(p)
        sources.append(str(p))
    merged = {}
    for entry, kind, src in entries:
        key = (kind, entry["id"])
        if key in merged:  # a later file updates the node field by field
            n = merged[key]
            for f in _FIELDS[1:]:
                if f in entry:
                    setattr(n, f, list(entry[f] or []) if f == "vocab" else entry[f])
            n.source = src
        else:
            merged[key] = Node(id=entry["id"], kind=kind, name=entry.get("name") or entry["id"],
                               parent=entry.get("parent"), attack_id=entry.get("attack_id"),
                               description=entry.get("description") or "",
                               vocab=list(entry.get("vocab") or []), source=src)
    return KnowledgeGraph(list(merged.values()), sources)


def check_file(path):
    """Validate a user KG file merged onto the packaged one; returns the graph."""
    return load_kg([path])
