"""MODEL_CARD.md for a distilled bundle: data, split, metrics, limits, intended use, command."""

CIC_CITATION = ("Iman Sharafaldin, Arash Habibi Lashkari, Ali A. Ghorbani, \"Toward Generating a New Intrusion "
                "Detection Dataset and Intrusion Traffic Characterization\", ICISSP 2018, Canadian Institute for Cybersecurity.")


def _pct(v):
    return "n/a" if v is None else f"{100 * v:.2f}"


def _auc(v):
    return "n/a" if v is None else f"{v:.4f}"


def model_card(meta, command=None):
    m = meta.get("metrics", {})
    st, d, dist = meta["student"], meta["data"], meta["distill"]
    cic = "cic" in str(d["source"]).lower() or d.get("path") is None
    rows = [("TFLM int8 student", m.get("tflm_int8")), ("float student", m.get("float_student")), ("float teacher", m.get("teacher"))]
    lines = [
        f"# {meta['name']}: packetclip int8 student",
        "",
        f"A {st['arch']} student ({st['name']}, {meta['params']} parameters, {meta['macs']} MACs per inference) "
        f"distilled from {'the PacketCLIP teacher run `' + dist['teacher'] + '`' if dist['teacher'] else 'the labels alone (no teacher)'} "
        f"and quantized to int8 ({st['quantization'].upper()}, per-channel weights) for TensorFlow Lite Micro.",
        "",
        "## Files and interface",
        f"- `model.tflite` ({meta['weight_bytes']} bytes of weights, ops: {', '.join(meta['ops'])}), sha256 `{meta.get('tflite_sha256', '')}`.",
        f"- Input: int8 {meta['input']['shape']} = {meta['window']} flow(s) x {len(meta['features'])} canonical features "
        f"(order in `model.json` `features`), transformed by `{meta['transform']['kind']}` (mean/std/clip in `model.json`), "
        f"scale {meta['input']['scale']:.6g}, zero point {meta['input']['zero_point']}.",
        f"- Output: int8 {meta['output']['shape']} = [class logits {meta['heads']['classes']} | mission logits "
        f"{meta['heads']['missions']}" + (f" | embedding {meta['heads']['embedding']}" if meta["heads"].get("embedding") else "") + "].",
        f"- TFLM arena: {meta['arena_bytes']} bytes (probed on the host). Knowledge graph version `{meta['kg_version']}`.",
        "",
        "## Data",
        f"- Source: {d['source']}" + (f" (`{d['path']}`)" if d.get("path") else "") + ".",
    ]
    if cic:
        lines.append(f"- CIC-IDS2017 (sample): {CIC_CITATION}")
    sp = d["split"]
    lines += [
        f"- Split: {sp['kind']}, {int(100 * sp['test'])} % test (same split and seed as the teacher), "
        f"validation {int(100 * sp['val'])} % carved from the training rows (model selection and the PTQ/QAT decision), seed {sp['seed']}.",
        f"- Windows: {meta['window_context']['kind']}" + (" (no timestamps/hosts in the data, so no temporal context)" if meta['window_context']['kind'] == 'none' else "") + ".",
        "",
        f"## Metrics (test split, {m.get('tflm_int8', {}).get('n', '?')} flows)",
        "",
        "| model | accuracy % | macro-F1 % | 3-mission mean AUC | DoS AUC | brute force AUC | recon AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        if s:
            a = s["mission_auc"]
            lines.append(f"| {name} | {_pct(s['accuracy'])} | {_pct(s['macro_f1'])} | {_auc(s['mean_auc_three_missions'])} | "
                         f"{_auc(a.get('dos'))} | {_auc(a.get('brute_force'))} | {_auc(a.get('reconnaissance'))} |")
    lines.append("")
    if "agreement_teacher" in m:
        lines.append(f"Top-1 agreement of the TFLM int8 student with the teacher: {_pct(m['agreement_teacher'])} %; "
                     f"with the float student: {_pct(m['agreement_float_student'])} %.")
    else:
        lines.append(f"Top-1 agreement of the TFLM int8 student with the float student: {_pct(m.get('agreement_float_student'))} %.")
    lines += [
        "",
        "Per-class F1 (TFLM int8): " + ", ".join(f"{k} {_pct(v)}" for k, v in m.get("per_class_f1", {}).items()) + ".",
        "",
        "## Intended use",
        "On-device triage of network flows (CICFlowMeter-style features) into the three PacketCLIP missions "
        "(DoS, brute force, reconnaissance), other attacks and benign traffic, on microcontrollers running the "
        "packetclip firmware (ahead-of-time C or TFLM engine). It is a research and demonstration model.",
        "",
        "## Limits",
        (f"- Trained on a sample of CIC-IDS2017 ({d.get('rows', '?')} distinct flows, mostly attacks, from 2017 lab traffic); accuracy on "
         "other networks, other flow exporters or today's traffic is unknown. Re-distill on your own data." if cic else
         f"- Trained on {d['source']} only; accuracy on other networks or flow exporters is unknown."),
        "- Classes absent from the training data (see `labels`) are never predicted; rare classes (infiltration) have few test flows, so their F1 is noisy.",
        "- Features must be computed exactly as the canonical features (units in packetclip.data) and in the listed order.",
        "- Not a replacement for a full intrusion detection system; false negatives are possible.",
        "",
        "## Reproduce",
        ("The distill command rebuilds this bundle bit-for-bit from the same teacher run and tool versions (`model.json` `tools`); "
         "the train command re-creates the teacher run (seeded)." if dist.get("teacher_command") else
         "Bit-for-bit with the same tool versions (`model.json` `tools`):"),
        "",
        "```",
        *([dist["teacher_command"] + "    # the teacher run"] if dist.get("teacher_command") else []),
        command or "packetclip distill ...",
        "```",
        "",
    ]
    return "\n".join(lines)
