"""Short budget of the reader fuzzing (packetclip.bench.fuzz_readers; the long one is in make
bench): every reader of user input, fed mutated real artefacts, returns or raises one line."""

import pytest

from packetclip.bench import fuzz_readers

EXAMPLES = 40


@pytest.mark.parametrize("reader", sorted(fuzz_readers.targets()))
def test_reader_returns_or_refuses_in_one_line(reader):
    res = fuzz_readers.fuzz(reader, EXAMPLES)
    assert res["examples"] == EXAMPLES
    if reader != "serial":       # the serial parsers drop bad frames by design
        assert res["refused"] > 0, "the mutations never reached an error path: the seed or the strategy is wrong"
