import shutil

import pytest

HAVE_COQ = shutil.which("coqidetop.opt") is not None or shutil.which("coqidetop") is not None
requires_coq = pytest.mark.skipif(not HAVE_COQ, reason="Coq is not installed (apt-get install coq)")
