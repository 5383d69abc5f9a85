"""``qstar annotate FILE``: a written proof, step by step, with the kernel's verdicts and V."""
