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


# A command started as from a terminal: SIGINT, SIGHUP and SIGTERM at their defaults, whatever
# the test run inherited (a suite run under `nohup`, or as a background job of a script, has
# SIGHUP or SIGINT ignored, and qstar keeps an inherited ignore, as it must). Tests that send
# these signals start their process through it.
_DEFAULT_SIGNALS = ("import os, signal, sys\n"
                    "for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):\n"
                    "    signal.signal(s, signal.SIG_DFL)\n"
                    "os.execv(sys.argv[1], sys.argv[1:])\n")


def from_a_terminal(cmd: list[str]) -> list[str]:
    return [sys.executable, "-c", _DEFAULT_SIGNALS, *cmd]
