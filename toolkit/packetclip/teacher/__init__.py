"""PacketCLIP teacher: contrastive flow/text pre-training + hierarchical GNN over the mission KG.

    from packetclip.teacher import train, load_teacher
    train(None, out="runs/teacher", preset="full", seed=0)   # None = embedded CIC-IDS2017 sample
    t = load_teacher("runs/teacher"); t.predict(X)           # numpy logits + embedding

torch is imported only when these functions run, so `import packetclip.teacher` stays light.
"""


def train(*args, **kwargs):
    from packetclip.teacher.trainer import train as _train

    return _train(*args, **kwargs)


def load_teacher(run_dir):
    from packetclip.teacher.api import load_teacher as _load

    return _load(run_dir)


def evaluate(*args, **kwargs):
    from packetclip.teacher.evaluate import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


__all__ = ["train", "load_teacher", "evaluate"]
