"""Is a Lean project ready to run qstar: the REPL binary built, and Mathlib's build there when
the file imports Mathlib. Checked before any search, so an unbuilt project is one line that
names the command to run, not one statement error per theorem after minutes of loading."""

from __future__ import annotations

import os
import re

_IMPORTS_MATHLIB = re.compile(r"^\s*import\s+Mathlib\b", re.M)


def repl_binaries(project: str) -> list[str]:
    """Where ``lake build REPL`` leaves the REPL: in the REPL package of the project, or in the
    project itself when it is the REPL's own checkout."""
    return [os.path.join(project, ".lake", "packages", name, ".lake", "build", "bin", "repl")
            for name in ("REPL", "repl")] + [os.path.join(project, ".lake", "build", "bin", "repl")]


def mathlib_oleans(project: str) -> list[str]:
    """Where Mathlib's build (``lake exe cache get`` or ``lake build``) puts ``Mathlib.olean``."""
    base = os.path.join(project, ".lake", "packages", "mathlib", ".lake", "build", "lib")
    return [os.path.join(base, "lean", "Mathlib.olean"), os.path.join(base, "Mathlib.olean")]


def unbuilt(project: str, text: str = "") -> str | None:
    """One line saying what of ``project`` is not built for a file of ``text`` and the command
    that builds it, or None when it is ready."""
    default = os.path.basename(os.path.normpath(project)) == "lean_project"
    build = ("bash lean_project/build.sh" if default else
             f"cd {project} && lake exe cache get && lake build REPL")
    if not any(os.path.exists(os.path.join(project, f)) for f in ("lakefile.toml", "lakefile.lean")):
        return (f"{project} is not a Lake project (no lakefile.toml or lakefile.lean): pass --lean-project DIR, "
                "a project with Mathlib and the REPL as dependencies (see lean_project/README.md)")
    if not any(os.path.exists(p) for p in repl_binaries(project)):
        return f"the Lean project {project} is not built (no REPL binary in .lake): run {build}"
    if _IMPORTS_MATHLIB.search(text) and not any(os.path.exists(p) for p in mathlib_oleans(project)):
        return f"Mathlib is not built in the Lean project {project} (no Mathlib.olean in .lake): run {build}"
    return None
