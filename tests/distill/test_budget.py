"""Student sizing and the board budget (no torch)."""

import pytest

from packetclip.distill.budget import board_budget, plan
from packetclip.distill.students import StudentSpec
from packetclip.errors import PacketclipError


def test_costs_of_an_mlp_count_every_layer():
    s = StudentSpec("mlp", (32, 16), n_features=76, n_out=12)
    assert s.macs == 76 * 32 + 32 * 16 + 16 * 12
    assert s.params == s.macs + 32 + 16 + 12
    assert s.weight_bytes == s.macs + 4 * (32 + 16 + 12)
    assert s.input_shape == [1, 76]


def test_conv1d_halves_the_window_per_layer():
    s = StudentSpec("conv1d", (16, 8), n_features=10, n_out=4, window=8)
    # [8,10] -> [4,16] -> [2,8] -> flatten 16 -> 4
    assert s.layers() == [(4, 20, 16), (2, 32, 8), (1, 16, 4)]
    assert s.macs == 4 * 20 * 16 + 2 * 32 * 8 + 16 * 4
    assert s.input_shape == [1, 8, 10]


def test_plan_takes_the_largest_fitting_student_of_each_arch():
    b = board_budget("mps2-an386", max_weights=16384, max_arena=4096)
    chosen, table, _ = plan(b, "auto", 76, 12)
    assert {s.arch for s in chosen} == {"mlp", "conv1d"}
    for s in chosen:
        assert s.weight_bytes <= 16384 and s.arena_estimate <= 4096
        bigger = [r for r in table if r["arch"] == s.arch and r["weight_bytes"] > s.weight_bytes]
        assert bigger and not any(r["fits"] for r in bigger)


def test_board_limits_bound_the_budget():
    b = board_budget("mps2-an386")
    assert 0 < b.max_weights < 4 * 1024 * 1024 and 0 < b.max_arena < 4 * 1024 * 1024
    assert board_budget("mps2-an386", max_weights=1000).max_weights == 1000


def test_nothing_fits_names_the_smallest_size():
    b = board_budget("mps2-an386", max_weights=300)
    with pytest.raises(PacketclipError) as e:
        plan(b, "mlp", 76, 12)
    msg = str(e.value)
    smallest = StudentSpec("mlp", (8,), 76, 12)
    assert "mlp-8" in msg and str(smallest.weight_bytes) in msg and "\n" not in msg
