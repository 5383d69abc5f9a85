import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAVE_COQ = shutil.which("coqidetop.opt") is not None or shutil.which("coqidetop") is not None
requires_coq = pytest.mark.skipif(not HAVE_COQ, reason="Coq is not installed (apt-get install coq)")


def qstar(*args, cwd=None, timeout=900, **kw):
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, **kw)
