"""Mission prototypes in the C core (firmware/core/missions.c) through ctypes: PROTOTYPES
staging and commit, the INFO record, the RESULT missions block bit-exact with the numpy
reference (packetclip.missions.score), and every refusal."""

import hashlib
import struct

import numpy as np
from fwutil import FAKE_EMBED, FAKE_IN, FAKE_OUT, fake_expected
from test_core_unit import feed

from packetclip.device import protocol as p
from packetclip.missions import score

MODEL_SHA = "face" + "00" * 30          # the fake engine's model sha256
BODY = 1 + 45                           # max(input 40, a 46-byte commit)


def _push(lib, rows, sha=None, model=MODEL_SHA, seq0=1):
    sha = sha or hashlib.sha256(np.asarray(rows, np.int8).tobytes()).hexdigest()
    frames = p.prototype_frames(rows, sha, model, BODY)
    return feed(lib, b"".join(p.encode_frame(t, seq0 + i, b) for i, (t, b) in enumerate(frames)))


def _err(f):
    assert f.type == p.ERROR, f
    return p.parse_error(f.body)


def test_info_record_and_empty_set(missions_core_lib):
    lib = missions_core_lib
    lib.pc_core_init()
    (f,) = feed(lib, p.encode_frame(p.HELLO, 1, p.pack_hello()))
    info = p.parse_info(f.body)
    assert info.prototypes == {"capacity": 16, "dim": 8, "count": 0, "score_bits": 14, "sha256": "00" * 32}
    assert info.max_request_body == BODY
    (f,) = feed(lib, p.encode_frame(p.INFER, 2, bytes(FAKE_IN)))
    assert len(f.body) == 4 + FAKE_OUT           # no missions block while none is active


def test_push_then_scores_bit_exact(missions_core_lib):
    lib = missions_core_lib
    lib.pc_core_init()
    rng = np.random.default_rng(0)
    rows = rng.integers(-128, 128, (16, 8), dtype=np.int8)
    rows[3] = 0                                   # a zero prototype scores 0
    got = _push(lib, rows)
    assert [f.type for f in got] == [p.PROTOTYPES_REPLY] * 5        # 5 rows per frame: 4 frames + commit
    assert [p.parse_prototypes_reply(f.body) for f in got] == [(5, 0), (10, 0), (15, 0), (16, 0), (16, 16)]
    (f,) = feed(lib, p.encode_frame(p.HELLO, 9, p.pack_hello()))
    pr = p.parse_info(f.body).prototypes
    assert (pr["count"], pr["sha256"]) == (16, hashlib.sha256(rows.tobytes()).hexdigest())
    X = rng.integers(-128, 128, (300, FAKE_IN), dtype=np.int8)
    X[1, :2] = (-128, 127)                        # engine failure: no RESULT
    frames = feed(lib, b"".join(p.encode_frame(p.INFER, i & 0xFF, x.tobytes()) for i, x in enumerate(X)))
    assert _err(frames[1]) == (p.ERR_ENGINE, p.INFER)
    keep = np.array([i for i in range(len(X)) if i != 1])
    outs, dev_s, dev_b = [], [], []
    for f in frames[:1] + frames[2:]:
        _, out, (best, s) = p.parse_result(f.body, FAKE_OUT, missions=16)
        outs.append(np.frombuffer(out, np.int8))
        dev_s.append(s)
        dev_b.append(best)
    outs = np.stack(outs)
    assert np.array_equal(outs, fake_expected(X[keep]))
    ref_s, ref_b = score.scores(outs, rows, FAKE_EMBED["start"], FAKE_EMBED["zero_point"])
    assert np.array_equal(np.array(dev_s), ref_s) and np.array_equal(np.array(dev_b), ref_b)
    assert (ref_s[:, 3] == 0).all()                # den 0: score 0
    assert np.abs(ref_s).max() <= score.ONE and len(np.unique(ref_b)) > 3


def test_extremes_bit_exact(missions_core_lib):
    """Largest magnitudes: outputs at -128 and 127 around zero point 7, prototypes at -128/127."""
    lib = missions_core_lib
    lib.pc_core_init()
    rows = np.array([[-128] * 8, [127] * 8, [-128, 127] * 4, [1] + [0] * 7], np.int8)
    assert [p.parse_prototypes_reply(f.body) for f in _push(lib, rows)] == [(4, 0), (4, 4)]
    X = np.full((6, FAKE_IN), 127, np.int8)
    X[1] = -128
    X[2, 1::2] = -128
    X[3] = 1
    X[4, :20] = -128
    X[5] = -1
    frames = feed(lib, b"".join(p.encode_frame(p.INFER, 1 + i, x.tobytes()) for i, x in enumerate(X)))
    res = [p.parse_result(f.body, FAKE_OUT, missions=4) for f in frames]
    outs = np.stack([np.frombuffer(r[1], np.int8) for r in res])
    ref_s, ref_b = score.scores(outs, rows, FAKE_EMBED["start"], FAKE_EMBED["zero_point"])
    assert np.array_equal(np.array([r[2][1] for r in res]), ref_s)
    assert np.array_equal(np.array([r[2][0] for r in res]), ref_b)


def test_refusals(missions_core_lib):
    lib = missions_core_lib
    lib.pc_core_init()
    rows = np.arange(24, dtype=np.int8).reshape(3, 8)
    sha = "ab" * 32
    frames = p.prototype_frames(rows, sha, MODEL_SHA, BODY)
    stage, commit = frames[0][1], frames[-1][1]

    def one(body, seq=5):
        (f,) = feed(lib, p.encode_frame(p.PROTOTYPES, seq, body))
        return f
    assert _err(one(b"\x02" + bytes(8))) == (p.ERR_BAD_OFFSET, p.PROTOTYPES)       # not from index 0
    assert _err(one(b"\x00" + bytes(7))) == (p.ERR_BAD_LENGTH, p.PROTOTYPES)       # not whole rows
    assert _err(one(b"\x00")) == (p.ERR_BAD_LENGTH, p.PROTOTYPES)
    assert _err(one(b"\x0c" + bytes(8 * 5))) == (p.ERR_BAD_OFFSET, p.PROTOTYPES)
    assert _err(one(commit)) == (p.ERR_NOT_LOADED, p.PROTOTYPES)                   # nothing staged
    assert p.parse_prototypes_reply(one(stage).body) == (3, 0)
    bad_model = p.prototype_frames(rows, sha, "beef" + "00" * 30, BODY)[-1][1]
    assert _err(one(bad_model)) == (p.ERR_WRONG_MODEL, p.PROTOTYPES)
    bad_crc = commit[:2] + struct.pack("<I", struct.unpack_from("<I", commit, 2)[0] ^ 1) + commit[6:]
    assert _err(one(bad_crc)) == (p.ERR_NOT_LOADED, p.PROTOTYPES)
    assert _err(one(commit[:-1])) == (p.ERR_BAD_LENGTH, p.PROTOTYPES)
    two = p.prototype_frames(rows[:2], sha, MODEL_SHA, BODY)[-1][1]                # K != rows staged
    assert _err(one(two)) == (p.ERR_NOT_LOADED, p.PROTOTYPES)
    assert p.parse_prototypes_reply(one(commit).body) == (3, 3)
    # rows after the active ones leave it active; a 17th row does not fit and nothing of its frame is written
    for i in (3, 8):
        assert p.parse_prototypes_reply(one(bytes((i,)) + bytes(8 * 5)).body) == (i + 5, 3)
    assert _err(one(b"\x0d" + bytes(8 * 4))) == (p.ERR_NO_ROOM, p.PROTOTYPES)
    assert p.parse_prototypes_reply(one(b"\x0d" + bytes(8 * 3)).body) == (16, 3)
    # an empty commit clears the set: RESULT has no missions block again
    assert p.parse_prototypes_reply(one(p.prototype_frames(np.zeros((0, 8), np.int8), "00" * 32, MODEL_SHA, BODY)[0][1]).body) == (0, 0)
    (f,) = feed(lib, p.encode_frame(p.INFER, 6, bytes(FAKE_IN)))
    assert len(f.body) == 4 + FAKE_OUT


def test_model_without_embedding_refuses(core_lib):
    core_lib.pc_core_init()
    (f,) = feed(core_lib, p.encode_frame(p.PROTOTYPES, 3, b"\x00" + bytes(8)))
    assert _err(f) == (p.ERR_NO_ROOM, p.PROTOTYPES)
    (f,) = feed(core_lib, p.encode_frame(p.HELLO, 4, p.pack_hello()))
    assert p.parse_info(f.body).prototypes is None
