"""The hostile-input suite: every case of cases.py through the real CLI (runner.py); each must
end in one clear line, exit 2, no traceback, within its time and memory bounds, leaving nothing."""

import pytest
from cases import all_cases
from runner import run_all

CASES = all_cases()


@pytest.fixture(scope="module")
def outcomes():
    return {o.case.id: o for o in run_all(CASES, jobs=2)}


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_hostile_input(outcomes, case_id):
    o = outcomes[case_id]
    assert not o.problems, f"{case_id}: {'; '.join(o.problems)}\nstderr: {o.stderr[-600:]}"
