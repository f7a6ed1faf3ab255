"""Missions end to end on the host port: words -> prototypes (the tiny teacher's text encoder and the
student's projection) -> PROTOTYPES over the link or compiled in -> every RESULT's scores bit-exact with
the integer reference; and every refusal as one line."""

import json
import shutil

import numpy as np
from test_file import cli, one_line_error

from packetclip.bundle.format import load_bundle
from packetclip.data.kg import load_kg
from packetclip.missions import file as mf
from packetclip.missions.prototypes import compile_prototypes, load_prototypes, save_prototypes, set_sha256

WORDS = [("half-open", "Half-open TCP handshakes that fill a server's connection table", ["syn_flood"]),
         ("web", "Many HTTP requests to one web server from a single source", ["dos"]),
         ("scan", "Connection attempts to many ports of a host", [])]


def _missions(path, n=None):
    ms = [mf.Mission(a, b, c) for a, b, c in WORDS]
    if n is not None:
        ms = [mf.Mission(f"m{i}", f"flows number {i} of a kind", []) for i in range(n)]
    mf.save_missions(path, ms)
    return ms


def test_bundle_records_its_embedding_space(stack):
    b = load_bundle(stack.bundle)
    emb, head = b.meta["embedding"], b.meta["heads"]["embedding"]
    assert head[1] - head[0] == emb["dim"] == 16 and np.asarray(emb["projection"]).shape == (16, emb["teacher_embed_dim"])
    P = np.asarray(emb["projection"])
    assert np.allclose(P @ P.T, np.eye(16), atol=1e-6)          # orthonormal principal directions
    assert emb["text_encoder"] == "small" and len(emb["teacher_sha256"]) == 64 and emb["scale"] > 0


def test_conform_checks_every_score(stack, tmp_path):
    from packetclip.device.conform import conform

    ms = _missions(tmp_path / "missions.yaml")
    b = load_bundle(stack.bundle)
    protos = compile_prototypes(ms, b, teacher=stack.teacher)
    assert protos.rows.shape == (3, 16) and np.abs(protos.rows).max(axis=1).tolist() == [127, 127, 127]
    assert compile_prototypes(ms, b, teacher=stack.teacher).sha256 == protos.sha256     # deterministic
    save_prototypes(tmp_path / "p.json", protos)
    res = conform("host", stack.bundle, firmware=stack.firmware, out=tmp_path / "conform", log=lambda *a: None,
                  progress=False, missions=tmp_path / "p.json", limit=400)
    assert res["passed"] and res["bit_exact"] == res["n"] == 400
    assert res["missions"]["count"] == 3 and res["missions"]["bit_exact"] == 400 and res["missions"]["mismatches"] == 0
    assert res["missions"]["push"]["sha256"] == protos.sha256 and res["missions"]["push"]["capacity"] == 16
    assert res["device"]["prototypes"]["count"] == 0        # the INFO of the handshake, before the push
    z = np.load(tmp_path / "conform" / "mission_scores.npz")
    assert z["scores"].shape == (400, 3) and len(np.unique(z["best"])) >= 2 and np.ptp(z["scores"]) > 1000


def test_push_cli_and_refusals(stack, tmp_path):
    _missions(tmp_path / "missions.yaml")
    common = ["--board", "host", "--model", str(stack.bundle), "--firmware", str(stack.firmware)]
    r = cli("push", *common, "--teacher", str(stack.teacher), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["count"] == 3 and rec["names"] == ["half-open", "web", "scan"] and rec["capacity"] == 16
    # 17 prototypes: more than the firmware holds (16), refused before anything is sent
    _missions(tmp_path / "many.yaml", n=17)
    r = cli("push", *common, "--teacher", str(stack.teacher), "--file", "many.yaml", cwd=tmp_path)
    assert "17 prototypes, the device holds 16" in one_line_error(r)
    # another teacher (its model.pt differs): the prototypes would live in another text space
    other = tmp_path / "other-teacher"
    shutil.copytree(stack.teacher, other)
    with open(other / "model.pt", "ab") as f:
        f.write(b"\0")
    r = cli("compile", "--model", str(stack.bundle), "--teacher", str(other), "--out", "p.json", cwd=tmp_path)
    assert "the bundle was distilled from teacher" in one_line_error(r) and not (tmp_path / "p.json").exists()
    # a prototypes file made for another model, and one edited by hand
    assert cli("compile", "--model", str(stack.bundle), "--teacher", str(stack.teacher), "--out", "p.json",
               cwd=tmp_path).returncode == 0
    doc = json.loads((tmp_path / "p.json").read_text())
    doc["rows"][0][0] = -doc["rows"][0][0] or 5
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    assert "does not match the rows and names" in one_line_error(cli("push", *common, "--prototypes", "edited.json", cwd=tmp_path))
    doc = json.loads((tmp_path / "p.json").read_text())
    doc["model_sha256"] = "ab" * 32
    doc["sha256"] = set_sha256(doc["model_sha256"], doc["names"], np.asarray(doc["rows"], np.int8))
    (tmp_path / "foreign.json").write_text(json.dumps(doc))
    assert "prototypes made with model abababababab" in one_line_error(cli("push", *common, "--prototypes", "foreign.json", cwd=tmp_path))
    # a bundle without an embedding head
    from packetclip.resources import default_bundle

    r = cli("compile", "--model", str(default_bundle()), "--teacher", str(stack.teacher), "--out", "q.json", cwd=tmp_path)
    assert "has no embedding head" in one_line_error(r)
    # a bundle whose embedding record was edited (a projection row dropped): refused when it loads
    edited = tmp_path / "edited-bundle"
    shutil.copytree(stack.bundle, edited)
    meta = json.loads((edited / "model.json").read_text())
    meta["embedding"]["projection"] = meta["embedding"]["projection"][:-1]
    (edited / "model.json").write_text(json.dumps(meta))
    r = cli("compile", "--model", str(edited), "--teacher", str(stack.teacher), "--out", "q.json", cwd=tmp_path)
    assert "field 'embedding.projection' is not 16 rows of" in one_line_error(r) and not (tmp_path / "q.json").exists()


def test_build_compiles_the_missions_in(stack, tmp_path):
    from packetclip.device.launch import connect
    from packetclip.device.session import Session
    from packetclip.firmware import build_firmware

    ms = _missions(tmp_path / "missions.yaml")
    b = load_bundle(stack.bundle)
    protos = compile_prototypes(ms, b, teacher=stack.teacher, kg=load_kg())
    save_prototypes(tmp_path / "p.json", protos)
    rep = build_firmware("host", stack.bundle, out=tmp_path / "fw", missions=tmp_path / "p.json", max_missions=4,
                         log=lambda *a: None)
    assert rep["codegen"]["embedding"]["builtin"] == 3 and rep["memory"]["ram"]["missions"] > 0
    assert load_prototypes(tmp_path / "p.json", b).sha256 == protos.sha256
    from packetclip.boards import load_board

    board = load_board("host")
    with connect(board, firmware=tmp_path / "fw", bundle_dir=stack.bundle, log=lambda *a: None) as link:
        with Session.open(link.url) as s:
            s.wait_boot(0.5)
            info = s.hello()
            assert info.prototypes == {"capacity": 4, "dim": 16, "count": 3, "score_bits": 14, "sha256": protos.sha256}
            x = b.quantize(np.zeros((5,) + tuple(b.input_shape[1:]), np.float32)).reshape(5, -1)
            _, outs = s.infer(x)
            best, scores = s.mission_scores
            assert scores.shape == (5, 3)
