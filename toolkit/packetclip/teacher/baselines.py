"""Plain baselines on the same split and features: random forest (200 trees) and MLP (64, 32).

They take model-space inputs: the teacher's input transform (packetclip.data.prep, fitted on
the same training rows), so only the model differs."""

import numpy as np

BASELINES = ("random_forest", "mlp")


def fit_baseline(name, Z, y_train, seed):
    """Model-space inputs [n, d] + label strings -> fitted model."""
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    elif name == "mlp":
        from sklearn.neural_network import MLPClassifier

        model = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=500, random_state=seed)
    else:
        raise ValueError(name)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLP convergence chatter; the metrics speak
        model.fit(Z, y_train)
    return model


def proba_in_order(model, Z, labels):
    """Class probabilities in `labels` order (0 for classes the model never saw)."""
    p = model.predict_proba(Z)
    out = np.zeros((len(Z), len(labels)))
    for j, c in enumerate(model.classes_):
        if c in labels:
            out[:, labels.index(c)] = p[:, j]
    return out


def baseline_size(name, model, X_sample):
    """Parameter count and FLOPs per inference (one flow)."""
    if name == "mlp":
        params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
        macs = sum(w.shape[0] * w.shape[1] for w in model.coefs_)
        return {"params": int(params), "flops": int(2 * macs + sum(b.size for b in model.intercepts_)),
                "note": "dense layers (64, 32) + softmax"}
    # forest: a node stores (feature, threshold), a leaf a class distribution; one inference
    # is one comparison per node on each tree's path plus averaging the leaf distributions.
    n_classes = len(model.classes_)
    nodes = leaves = 0
    for est in model.estimators_:
        tree = est.tree_
        is_leaf = tree.children_left == -1
        leaves += int(is_leaf.sum())
        nodes += int((~is_leaf).sum())
    path = model.decision_path(X_sample)[0]
    visited = path.sum() / len(X_sample)
    comparisons = float(visited) - len(model.estimators_)  # leaves on the path compare nothing
    return {"params": int(2 * nodes + leaves * n_classes),
            "flops": int(round(comparisons + len(model.estimators_) * n_classes)),
            "note": f"{len(model.estimators_)} trees, {nodes} split nodes; FLOPs = comparisons on the path + averaging"}
