"""Flow data layer: canonical flow table, dialect readers, label taxonomy, splits, knowledge graph.

    from packetclip.data import load_flows, split_indices, FEATURES
"""

from packetclip.data.schema import FEATURES, UNITS  # noqa: F401


def __getattr__(name):
    # numpy-heavy modules load on first use so `import packetclip.data` stays cheap
    if name in ("load_flows", "FlowTable", "sample_path"):
        from packetclip.data import flows
        return getattr(flows, name)
    if name == "split_indices":
        from packetclip.data.splits import split_indices
        return split_indices
    if name == "load_kg":
        from packetclip.data.kg import load_kg
        return load_kg
    raise AttributeError(name)


__all__ = ["FEATURES", "UNITS", "load_flows", "split_indices", "FlowTable", "load_kg", "sample_path"]
