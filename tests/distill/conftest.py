import pytest


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One tiny labels-only distillation shared by the distill tests (litert-torch is slow to import)."""
    from packetclip.distill import distill

    out = tmp_path_factory.mktemp("first") / "cic-tiny"
    result = distill(None, board="mps2-an386", out=str(out), arch="mlp", preset="tiny", max_weights=16384,
                     max_arena=4096, log=lambda m: None, command="packetclip distill --labels-only ...")
    return out, result
