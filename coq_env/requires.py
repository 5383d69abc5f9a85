"""The user's project files a file requires, found through its load path as Coq finds them.

``From Lib Require Import B.`` or ``Require Import Lib.Sub.B.`` names a module; with
``-R theories Lib`` (or ``-Q``) in the load path it is ``theories/Sub/B.v`` when that file exists
(``-R`` also finds ``B`` by the end of its name, as Coq does for a ``-R`` root). Only files under
the project's own ``-R``/``-Q`` folders count: an installed library's proofs are not the user's
idiom (and the corpus holds them already). The required files' own requirements follow,
and the list is in dependency order (a file after the files it requires), each once.
"""

from __future__ import annotations

import os
import re

from coq_env.sentences import SentenceError, split_sentences, strip_comments

_REQUIRE = re.compile(r"^(?:From\s+([\w.']+)\s+)?Require(?:\s+(?:Import|Export))?\s+([\w.'\s]+)\.$")


def roots(coq_args) -> list[tuple[str, str, bool]]:
    """(physical folder, logical prefix, recursive name search) of each ``-R``/``-Q`` of the load
    path (physical paths absolute already: ``coq_env.project.absolute_paths``)."""
    args = list(coq_args)
    out = []
    for i, w in enumerate(args[:-2]):
        if w in ("-R", "-Q") and os.path.isdir(args[i + 1]):
            out.append((os.path.abspath(args[i + 1]), args[i + 2], w == "-R"))
    return out


def required_names(text: str) -> list[tuple[str, str]]:
    """(From prefix or "", module name) of every ``Require`` sentence of ``text``, in order."""
    try:
        sentences = split_sentences(text)
    except SentenceError:
        return []
    out = []
    for s in sentences:
        m = _REQUIRE.match(" ".join(strip_comments(s.text).split()))
        if m:
            out += [(m.group(1) or "", name) for name in m.group(2).split()]
    return out


def resolve(prefix: str, name: str, where: list[tuple[str, str, bool]]) -> str | None:
    """The project file that ``From prefix Require name`` loads, or None (not the project's)."""
    full = (prefix + "." + name if prefix else name).split(".")
    for phys, logical, recursive in where:
        lp = logical.split(".") if logical else []
        if full[:len(lp)] == lp and len(full) > len(lp):
            path = os.path.join(phys, *full[len(lp):]) + ".v"
            if os.path.isfile(path):
                return path
        if recursive and (not prefix or prefix.split(".")[:len(lp)] == lp):
            tail = name.split(".")
            for folder, _, files in os.walk(phys):
                if tail[-1] + ".v" in files:
                    rel = os.path.relpath(os.path.join(folder, tail[-1]), phys).split(os.sep)
                    if rel[-len(tail):] == tail:
                        return os.path.join(folder, tail[-1] + ".v")
    return None


def required_files(path: str, text: str, coq_args, *, limit: int = 64) -> list[str]:
    """The project files ``text`` (the file at ``path``) requires, directly or through each
    other, in dependency order; at most ``limit``."""
    where = roots(coq_args)
    if not where:
        return []
    me = os.path.abspath(path)
    order: list[str] = []
    seen = {me}

    def visit(src: str) -> None:
        for prefix, name in required_names(src):
            dep = resolve(prefix, name, where)
            if dep is None or os.path.abspath(dep) in seen or len(seen) > limit:
                continue
            seen.add(os.path.abspath(dep))
            try:
                visit(open(dep, encoding="utf-8").read())
            except (OSError, UnicodeDecodeError):
                continue
            order.append(os.path.abspath(dep))
    visit(text)
    return order
