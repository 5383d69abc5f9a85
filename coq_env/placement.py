"""Where the libraries qstar adds for its search go in a user's file, one library at a time.

A library loaded at the top of a file (after its own imports) changes nothing a sentence
*names* (``Require`` without ``Import`` binds no short name), yet it can change what an earlier
proof *does*: a required library's global hints join ``auto with *``, so an ``intuition`` that
left a goal for the user's next ``rewrite`` now closes it, and that ``rewrite`` fails (seen with
CoqHammer's ``Tactics``, which requires ``Arith``, ``ZArith``, ``List`` and ``Bool``, and with
``Lia`` in a file that loads nothing). Each library therefore goes

1. at the top when the file with it there still checks as far as the file without it does;
2. else right above each theorem whose search needs it (``Require`` then ``Import``, inside the
   open section or module: Coq allows both there, with a ``fragile`` warning), where no earlier
   sentence can see it;
3. else, for a bench theorem whose context does not load even so, it is left out alone and the
   others stay (``alternatives``); only when no library can be placed is the theorem searched
   without any (``prelude_dropped``).

What is checked: the file (``harmful``: ``coqc`` on the whole user file, open proofs admitted)
or the theorem's context (``alternatives``: the search's own load) still passes. What is not:
that a proof the library leaves passing builds the same term (only that it still checks).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent.proc import run_bounded
from agent.proc.cache import cached_json
from coq_env.imports import _QUALIFIED, _REQUIRE_IMPORT, _coq_version, insert_imports


@dataclass(frozen=True)
class Library:
    """One added library: what loads it, and its full name for ``Import`` ("" when it is only
    loaded: nsatz is called by its qualified name)."""

    require: str
    module: str = ""

    @property
    def name(self) -> str:
        return self.module or self.require.split()[-1].rstrip(".")


def libraries(line: str) -> list[Library]:
    """The libraries of ``line`` (added import sentences, one a line: ``From Coq Require Import Lia
    Lra.``, ``From Coq Require Nsatz.``), one per module, in order."""
    out: list[Library] = []
    for ln in (" ".join(x.split()) for x in line.splitlines()):
        if not ln:
            continue
        m = _REQUIRE_IMPORT.match(ln)
        if m is None:
            plain = re.match(r"^(?:From\s+([\w.]+)\s+)?Require\s+([\w.\s]+)\.$", ln)
            if plain is None:
                out.append(Library(ln))
                continue
            prefix, names = plain.group(1), plain.group(2).split()
            out += [Library((f"From {prefix} " if prefix else "") + f"Require {n}.") for n in names]
            continue
        prefix, names = m.group(1), m.group(2).split()
        out += [Library((f"From {prefix} " if prefix else "") + f"Require {n}.", _QUALIFIED.get((prefix, n), n))
                for n in names]
    return list(dict.fromkeys(out))


def above_theorem(libs: list[Library]) -> str:
    """The lines that load and import ``libs`` right above a theorem ("" for none)."""
    modules = [lib.module for lib in libs if lib.module]
    return "\n".join([*(lib.require for lib in libs), *(["Import " + " ".join(modules) + "."] if modules else [])])


def alternatives(bare, prelude: str):
    """(theorem, what was placed where) to try, in order, when ``bare`` (a bench theorem in its
    file's context) does not load with ``prelude``'s libraries at the top: every library right
    above the theorem, then the same less one library at a time (that one left out alone)."""
    libs = libraries(prelude)
    if not libs:
        return
    for left_out in [None, *(libs if len(libs) > 1 else [])]:
        kept = [lib for lib in libs if lib != left_out]
        note = "above the theorem: " + " ".join(lib.name for lib in kept)
        if left_out is not None:
            note += f"; left out: {left_out.name} (does not load above this theorem)"
        yield dataclasses.replace(bare, context=bare.context.rstrip("\n") + "\n" + above_theorem(kept) + "\n"), note


@dataclass(frozen=True)
class Placement:
    """Where ``prove`` puts each added library in the user's file."""

    top: tuple[Library, ...] = ()  # after the file's own imports
    down: tuple[Library, ...] = ()  # right above each theorem that needs them
    why: str = ""  # one line for the record when some library is not at the top

    def top_of(self, requires: str) -> str:
        """``requires`` (added ``Require`` lines) less the libraries that go above the theorems."""
        if not self.down:
            return requires
        moved = {lib.require for lib in self.down}
        return "\n".join(lib.require for lib in libraries(requires) if lib.require not in moved)

    def requires_above(self, import_line: str, line: str) -> str:
        """The ``Require`` lines of the moved libraries among ``line``'s (the added imports) that
        a theorem with ``import_line`` above it needs."""
        named = set(import_line[len("Import "):-1].split()) if import_line.startswith("Import ") else set()
        added = {lib.require for lib in libraries(line)}
        return "\n".join(lib.require for lib in self.down
                         if lib.require in added and (not lib.module or lib.module in named))


def place(text: str, line: str, *, coq_args: tuple[str, ...] = (), timeout: float = 300.0) -> Placement:
    """Where each library of ``line`` (the sentences ``--imports`` adds) goes in the user's file
    ``text``: at the top unless the file with it loaded there stops checking earlier than the
    file alone does (``coqc``, one run for all, then one per library only when that fails)."""
    libs = libraries(line)
    if not libs:
        return Placement()
    def compute() -> dict:
        placed = _place(text, libs, coq_args, timeout)
        return {"top": [dataclasses.asdict(x) for x in placed.top],
                "down": [dataclasses.asdict(x) for x in placed.down], "why": placed.why}
    data = cached_json("placement", [text, line, list(coq_args), _coq_version()], compute)
    return Placement(tuple(Library(**d) for d in data["top"]), tuple(Library(**d) for d in data["down"]), data["why"])


def _place(text: str, libs: list[Library], coq_args: tuple[str, ...], timeout: float) -> Placement:
    together = _first_error(text, libs, coq_args, timeout)
    if together is None:
        return Placement(tuple(libs))
    base = _first_error(text, [], coq_args, timeout)
    if base is not None and together >= base:  # the file fails by itself, and no earlier with them
        return Placement(tuple(libs))
    top, down = [], []
    for lib in libs:
        err = _first_error(text, [lib], coq_args, timeout)
        (down if err is not None and (base is None or err < base) else top).append(lib)
    if not down:  # none breaks the file alone: together they do, so all go above the theorems
        top, down = [], libs
    why = ("loaded above each theorem, not at the top (there they change how an earlier sentence of "
           f"the file checks): {' '.join(lib.name for lib in down)}")
    return Placement(tuple(top), tuple(down), why)


_LINE = re.compile(r'File "[^"]*", line (\d+), characters (\d+)-\d+:\s*\nError', re.M)


def _first_error(text: str, libs: list[Library], coq_args: tuple[str, ...], timeout: float):
    """(line, column) in ``text`` of the first error ``coqc`` reports on it with ``libs`` loaded
    after its own imports; None when it compiles. A timeout counts as an error at the end."""
    added = "\n".join(lib.require for lib in libs)
    source = insert_imports(text, added) if added else text
    with tempfile.TemporaryDirectory(prefix="qstar-place-") as tmp:
        path = Path(tmp) / "QstarPlace.v"
        path.write_text(source, encoding="utf-8")
        done = run_bounded(["coqc", "-q", *coq_args, str(path)], timeout=timeout, cwd=tmp)
    if done.timed_out:
        return (float("inf"), 0)
    if done.returncode == 0:
        return None
    m = _LINE.search(done.output)
    if m is None:
        return (float("inf"), 0)
    line = int(m.group(1))
    if added:  # back to the user's numbering: the added lines sit after the file's own imports
        at = source[:source.index(added)].count("\n") + 1
        n = added.count("\n") + 1
        line = line - n if line >= at + n else line
    return (line, int(m.group(2)))

