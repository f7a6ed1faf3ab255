import pytest


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One tiny teacher on the embedded CIC-IDS2017 sample, shared by the tests that only read it."""
    from packetclip.teacher import train

    out = tmp_path_factory.mktemp("teacher") / "run"
    return train(None, out=out, preset="tiny", seed=0, quiet=True)
