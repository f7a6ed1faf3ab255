"""The missions file: what a person wants the device to look for, in words.

    # missions.yaml
    format: 1
    missions:
      - name: half-open-flood
        description: Half-open TCP handshakes that fill a server's connection table
        kg: [syn_flood]          # optional: knowledge-graph nodes whose words join the description

`packetclip mission add/rm` edit it (atomically); `packetclip mission compile/push` turn it into
prototypes. A mission's texts are its description plus, for each `kg` node, that node's
zero-shot prompts (packetclip.data.text.class_prompts): words only, never flows.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from packetclip.errors import PacketclipError
from packetclip.schema import Field, check

FORMAT = 1
MAX_MISSIONS = 254            # the protocol counts prototypes in a u8 (255 is the commit marker)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
WORD = re.compile(r"[a-z0-9_]+")   # the words the text encoders read (packetclip.teacher.text_encoders)
DEFAULT_FILE = "missions.yaml"


def name_problem(name):
    if not isinstance(name, str) or not name.strip():
        return "is empty; give each mission a short name (letters, digits, '-', '_', '.')"
    if not NAME.match(name):
        return f"is {name!r}; a name is 1-32 letters, digits, '-', '_' or '.', starting with a letter or digit"
    return None


def description_problem(text):
    if not isinstance(text, str) or not WORD.findall(text.lower()):
        return "has no words the text encoder can embed; describe the traffic in words"
    return None


MISSION_FIELDS = {
    "name": Field(str, check=name_problem),
    "description": Field(str, max_len=2000, check=description_problem),
    "kg": Field(list, required=False, default=list, items=Field(str), max_len=16,
                fix="list knowledge-graph node ids (`packetclip kg show`)"),
}
FILE_FIELDS = {
    "format": Field(int, min=FORMAT, max=FORMAT, fix=f"this packetclip reads missions files of format {FORMAT}"),
    "missions": Field(list, items=Field(dict, fields=MISSION_FIELDS), max_len=MAX_MISSIONS,
                      fix=f"at most {MAX_MISSIONS} missions (the device holds fewer: see `packetclip mission push --help`)"),
}


@dataclass
class Mission:
    name: str
    description: str
    kg: list = field(default_factory=list)

    def to_dict(self):
        d = {"name": self.name, "description": self.description}
        if self.kg:
            d["kg"] = list(self.kg)
        return d


def check_missions(missions, where, kg=None):
    """Names unique, kg ids known (when a KnowledgeGraph is given); one line per problem."""
    seen = {}
    for i, m in enumerate(missions):
        if m.name in seen:
            raise PacketclipError(f"{where}: field 'missions[{i}].name' is {m.name!r}, already the name of missions[{seen[m.name]}]; "
                                  "mission names must be unique")
        seen[m.name] = i
        if kg is not None:
            for j, node in enumerate(m.kg):
                try:
                    kg.node(node)
                except KeyError:
                    raise PacketclipError(f"{where}: field 'missions[{i}].kg[{j}]' is {node!r}, not a node of the knowledge graph "
                                          f"(kg {kg.version}); see `packetclip kg show`") from None
    return missions


def parse_missions(doc, where, kg=None):
    doc = check(doc if doc is not None else {}, FILE_FIELDS, where)
    return check_missions([Mission(m["name"], m["description"].strip(), list(m["kg"])) for m in doc["missions"]], where, kg)


def load_missions(path, kg=None):
    """Read and check a missions file -> [Mission]."""
    from packetclip.userfile import load_yaml

    return parse_missions(load_yaml(path, "missions file"), str(path), kg)


def dump_missions(missions):
    import yaml

    head = "# packetclip missions: `packetclip mission add/rm/list`, then `packetclip mission push`\n"
    return head + yaml.safe_dump({"format": FORMAT, "missions": [m.to_dict() for m in missions]}, sort_keys=False,
                                 allow_unicode=True, width=100)


def save_missions(path, missions):
    from packetclip.fsutil import write_text

    check_missions(missions, str(path))
    write_text(path, dump_missions(missions))


def read_or_empty(path, kg=None):
    return load_missions(path, kg) if Path(path).exists() else []


def add_mission(path, name, description, kg_words=(), kg=None):
    """Append a mission to the file (created when missing); -> the missions."""
    where = f"mission {name!r}" if isinstance(name, str) and name else "mission"
    for key, problem in (("name", name_problem(name)), ("description", description_problem(description))):
        if problem:
            raise PacketclipError(f"{where}: {key} {problem}")
    missions = read_or_empty(path, kg)
    if any(m.name == name for m in missions):
        raise PacketclipError(f"{path}: already has a mission named {name!r}; choose another name or "
                              f"`packetclip mission rm {name}` first")
    if len(missions) >= MAX_MISSIONS:
        raise PacketclipError(f"{path}: holds {MAX_MISSIONS} missions already, the most a prototype set can have")
    new = Mission(name, description.strip(), list(kg_words))
    check_missions(missions + [new], str(path), kg)
    save_missions(path, missions + [new])
    return missions + [new]


def remove_mission(path, name):
    missions = load_missions(path)
    if not any(m.name == name for m in missions):
        have = ", ".join(m.name for m in missions) or "none"
        raise PacketclipError(f"{path}: has no mission named {name!r} (it has: {have})")
    rest = [m for m in missions if m.name != name]
    save_missions(path, rest)
    return rest
