"""The load path a user's ``.v`` file is compiled with: its project's, found as Coq's own tools
find it.

From the file's folder upward, the first folder that holds a ``_CoqProject`` (read as
``coq_makefile`` reads it: ``-Q DIR LIB``, ``-R DIR LIB``, ``-I DIR`` and ``-arg ARG`` lines; file
names and other flags are not load path) or a dune project (``dune-project`` beside the ``dune``
files whose ``(coq.theory (name LIB) ...)`` stanzas, every one of them, give a folder its logical
name, as ``-Q``; dune builds into ``_build/default/<folder>``, where the compiled files are, so that
folder is the one used when it exists). coq-lsp walks up the same way. When one folder has both,
the one the user builds with wins: dune when its ``_build/default`` holds compiled files and no
source folder of the ``_CoqProject`` does, ``_CoqProject`` otherwise (``describe`` says which and
why). A file of an installed library (under ``user-contrib``) with neither is read in its
library's logical path.

Paths are resolved as ``coq_makefile`` resolves them, which runs every Coq command from the
project's root: a physical path (``-Q``/``-R``'s first argument, ``-I``'s, and the same options
given through ``-arg``) is made absolute against the root, a logical name is never touched, any
other ``-arg`` word is passed as written. qstar's own Coq processes run in temporary folders, so
only absolute physical paths keep their meaning there.

Every Coq command takes the arguments from here (``agent.backends.backend_for``); the user's
``--coq-args`` come after them, so a ``-Q``/``-R`` given there adds to the project's or, for the
same logical name, overrides it (the last binding of a name wins in Coq).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadPath:
    """Where a file's load path came from and what it is."""

    args: tuple[str, ...] = ()
    """Arguments for coqc / coqidetop / coqtop, physical paths absolute."""
    source: str = ""
    """The file it was read from (``_CoqProject`` or ``dune-project``), "" when none was found."""
    note: str = ""
    """Why this project file was chosen when its folder has another kind too ("" when not)."""

    def describe(self) -> str:
        if not self.source:
            return "no _CoqProject or dune project above the file: Coq's default load path"
        if os.path.isdir(self.source):
            return f"installed library {os.path.basename(self.source)}: {' '.join(self.args)}"
        note = f" ({self.note})" if self.note else ""
        return f"{self.source}{note}: {' '.join(self.args) or '(no load path lines)'}"


class ProjectError(ValueError):
    """A project file that cannot be read as one."""


def find_load_path(path: str) -> LoadPath:
    """The load path of the ``.v`` file at ``path`` (an empty one for a file in no project)."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        coqproject = os.path.join(folder, "_CoqProject")
        dune = os.path.join(folder, "dune-project")
        if os.path.isfile(coqproject) and os.path.isfile(dune):
            return _built_with(folder)
        if os.path.isfile(coqproject):
            return LoadPath(read_coqproject(coqproject), coqproject)
        if os.path.isfile(dune):
            return LoadPath(read_dune(folder), dune)
        parent = os.path.dirname(folder)
        if parent == folder:
            return installed_library(path)
        folder = parent


def _built_with(root: str) -> LoadPath:
    """The project file of a folder with both: the build the user ran (dune's compiled files in
    ``_build/default`` and none beside the ``_CoqProject``'s sources), else ``_CoqProject``."""
    coqproject, dune = os.path.join(root, "_CoqProject"), os.path.join(root, "dune-project")
    args = read_coqproject(coqproject)
    sources = [args[i + 1] for i, w in enumerate(args[:-1]) if w in ("-Q", "-R")]
    beside = any(_has_vo(d) for d in sources)
    built = _has_vo(os.path.join(root, "_build", "default"))
    if built and not beside:
        return LoadPath(read_dune(root), dune, "chosen over _CoqProject: dune built it into _build/default")
    why = "its sources' folders hold compiled files" if beside else "dune has not built it"
    return LoadPath(args, coqproject, f"chosen over dune-project: {why}")


def _has_vo(folder: str) -> bool:
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_build"))]
        if any(f.endswith(".vo") for f in files):
            return True
    return False


def installed_library(path: str) -> LoadPath:
    """A file inside an installed library (``$(coqc -where)/user-contrib/<Lib>/...``) is read in
    that library's logical path, as its own build gave it (``-R <its folder> Lib``): its files
    require their siblings by short name (Coquelicot's ``Require Import Rcomplements Rbar.``)."""
    from coq_env.stdlib import coq_where
    try:
        contrib = os.path.join(coq_where(), "user-contrib")
    except Exception:  # no Coq here: nothing is installed either
        return LoadPath()
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(contrib))
    if rel.startswith(os.pardir) or os.sep not in rel:
        return LoadPath()
    lib = rel.split(os.sep)[0]
    return LoadPath(("-R", os.path.join(contrib, lib), lib), os.path.join(contrib, lib))


# Options whose next word is a physical path (-Q and -R: the first of their two words).
_PATH_OPTIONS = frozenset({"-Q", "-R", "-I", "-include", "-l", "-lv", "-load-vernac-source",
                           "-load-vernac-source-verbose", "-load-ml-source"})


def absolute_paths(args, root: str) -> tuple[str, ...]:
    """``args`` (Coq's command-line words) with each physical path made absolute against
    ``root``; logical names and every other word exactly as given. ``-R Lib Lib`` keeps its
    second ``Lib``: a logical name is not a folder even where a folder has its name."""
    out = list(args)
    for i, w in enumerate(out[:-1]):
        if w in _PATH_OPTIONS and not os.path.isabs(out[i + 1]):
            out[i + 1] = os.path.normpath(os.path.join(root, out[i + 1]))
    return tuple(out)


def read_coqproject(path: str) -> tuple[str, ...]:
    """The load-path arguments of a ``_CoqProject`` file, physical paths made absolute against its
    folder (``-arg`` words as written, but for the physical paths of load-path options)."""
    root = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, encoding="utf-8") as f:
            words = shlex.split(f.read(), comments=True)
    except (OSError, UnicodeDecodeError) as e:
        raise ProjectError(f"cannot read {path}: {e}") from None
    except ValueError as e:
        raise ProjectError(f"{path}: {e}") from None
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        need = {"-Q": 2, "-R": 2, "-I": 1, "-arg": 1}.get(w)
        if need is None:
            i += 1  # a file name, or a flag that is not load path (-docroot, -generate-meta-for-package)
            continue
        if i + need >= len(words):
            raise ProjectError(f"{path}: {w} needs {need} argument{'s' * (need > 1)}")
        given = words[i + 1:i + 1 + need]
        try:
            out += shlex.split(given[0]) if w == "-arg" else [w, *given]
        except ValueError as e:
            raise ProjectError(f"{path}: -arg {given[0]!r}: {e}") from None
        i += 1 + need
    return absolute_paths(out, root)


def _stanzas(text: str, head: str):
    """The text of every ``(head ...)`` form in a dune file, parentheses balanced (comments cut)."""
    text = re.sub(r";[^\n]*", "", text)
    for m in re.finditer(r"\(\s*" + re.escape(head) + r"\b", text):
        depth, i = 0, m.start()
        while i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                yield text[m.end():i]
                break
            i += 1


_NAME = re.compile(r"\(\s*name\s+([\w.]+)\s*\)")


def read_dune(root: str) -> tuple[str, ...]:
    """``-Q`` arguments for every ``(coq.theory (name LIB))`` stanza under the dune project at
    ``root`` (the ``_build/default`` copy of its folder when dune has built it)."""
    out: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        if "dune" not in files:
            continue
        try:
            with open(os.path.join(folder, "dune"), encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ProjectError(f"cannot read {os.path.join(folder, 'dune')}: {e}") from None
        for stanza in _stanzas(text, "coq.theory"):
            name = _NAME.search(stanza)
            if name is None:
                continue
            built = os.path.join(root, "_build", "default", os.path.relpath(folder, root))
            out += ["-Q", os.path.normpath(built if os.path.isdir(built) else folder), name.group(1)]
    return tuple(out)


_MISSING = re.compile(r"Cannot find (?:a physical path bound to logical path|library)\s+([\w.]+?)\.?"
                      r"(?:\s+with prefix\s+([\w.]+?)\.?(?:\s|$))?(?:\s|$)")
_STALE = re.compile(r"[Cc]ompiled library ([\w.]+) \(in file (\S+?)\) makes inconsistent assumptions")
_NOT_FOUND_VO = re.compile(r"[Cc]an't find file (\S+\.vo)")


def unbuilt(error: str, load_path: LoadPath) -> str | None:
    """A one-line explanation when ``error`` (Coq loading a file's imports) says a module it
    requires is not there or not compiled, naming what to run; None for any other error."""
    root = os.path.dirname(load_path.source) if load_path.source else ""
    build = (f"build the project first (cd {root} && make, or dune build)" if root else
             "compile it with coqc, or give its folder with --coq-args=-Q --coq-args=DIR --coq-args=LIB")
    if m := _MISSING.search(error):
        where = (f"its load path ({load_path.describe()})" if load_path.source else
                 "Coq's default load path (no _CoqProject or dune project above the file)")
        module = f"{m.group(2)}.{m.group(1)}" if m.group(2) else m.group(1)
        return f"module {module} is not found in {where}: {build}"
    if m := _STALE.search(error):
        return f"compiled library {m.group(1)} is out of date ({m.group(2)}): {build}"
    if m := _NOT_FOUND_VO.search(error):
        return f"{m.group(1)} is not compiled: {build}"
    return None
