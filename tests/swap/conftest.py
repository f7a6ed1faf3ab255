"""The harness fixtures (default bundle) are shared with tests/device."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "device"))
from harness_fixtures import bundle_dir  # noqa: E402,F401
