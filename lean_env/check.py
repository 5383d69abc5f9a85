"""The sound final check for Lean 4: the only place where a Lean proof becomes "proved".

What it covers, for each theorem:
1. The statement is the original one: ``check_proof`` re-inserts ``theorem.statement`` and
   takes only the tactics from the search; ``check_file`` with a reference demands that the file
   minus its proofs equals the reference minus its proofs.
2. The body is screened (``lean_env.screen``): sorry, admit, axiom, native_decide, decide +native,
   set_option debug., implemented_by, extern, unsafe, csimp, run_cmd, run_elab, #eval, #exit,
   macro, syntax, elab, notation.
3. The whole file is elaborated by ``lake env lean`` in a fresh process inside the Lake project,
   under a wall-clock limit, and must exit 0 (no error).
4. ``#print axioms`` right after each theorem must list only propext, Classical.choice and
   Quot.sound (so sorryAx, ofReduceBool and any declared axiom fail). A theorem whose axiom line
   is missing from the output fails: nothing is accepted by default.

It never matches warning texts (they drift between Lean versions); only the exit status and the
axiom report decide. It does not cover bugs in Lean's kernel or the trust placed in those three
axioms.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from agent.env import Theorem, Verdict
from agent.proc import run_bounded
from lean_env.env import LeanEnvConfig
from lean_env.files import parse_lean_file, render_proof, skeleton
from lean_env.screen import screen_body

ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
_AXIOMS_RE = re.compile(r"'([^']+)' depends on axioms: \[([^\]]*)\]", re.S)
_NO_AXIOMS_RE = re.compile(r"'([^']+)' does not depend on any axioms")


def parse_axiom_report(output: str) -> dict[str, frozenset[str]]:
    """Printed declaration name -> its axioms, from ``#print axioms`` output."""
    found: dict[str, frozenset[str]] = {}
    for m in _AXIOMS_RE.finditer(output):
        found[m.group(1)] = frozenset(a.strip() for a in m.group(2).split(",") if a.strip())
    for m in _NO_AXIOMS_RE.finditer(output):
        found[m.group(1)] = frozenset()
    return found


def judge_axioms(name: str, report: dict[str, frozenset[str]]) -> Verdict:
    axioms = report.get(name)
    if axioms is None:  # a namespaced theorem prints with its namespace
        hits = [v for k, v in report.items() if k.endswith("." + name)]
        axioms = hits[0] if len(hits) == 1 else None
    if axioms is None:
        return Verdict(name, False, "no #print axioms report for this theorem")
    bad = sorted(axioms - ALLOWED_AXIOMS)
    if bad:
        return Verdict(name, False, "uses axioms beyond propext/Classical.choice/Quot.sound: "
                       + ", ".join(bad))
    return Verdict(name, True)


def _checkable(statement: str, name: str) -> tuple[str, str]:
    """An ``example`` has no name to print axioms of: check it as a named theorem."""
    if name.startswith("example@"):
        alias = "qstar_example_" + name.split("@", 1)[1]
        return re.sub(r"\bexample\b", f"theorem {alias}", statement, count=1), alias
    return statement, name


def check_proof(theorem: Theorem, tactics: tuple[str, ...] | str, *,
                config: LeanEnvConfig | None = None, timeout: float = 600.0) -> Verdict:
    body = tactics if isinstance(tactics, str) else "\n".join(tactics)
    why = screen_body(body)
    if why:
        return Verdict(theorem.name, False, why)
    statement, printed = _checkable(theorem.statement, theorem.name)
    text = (theorem.context + statement + " " + render_proof(tuple(body.splitlines()))
            + f"\n\n#print axioms {printed}\n")
    return _run(text, [(theorem.name, printed)], config or LeanEnvConfig(), timeout)[0]


def check_file(path: str, *, reference: str | None = None, config: LeanEnvConfig | None = None,
               timeout: float = 1200.0) -> list[Verdict]:
    text = Path(path).read_text(encoding="utf-8")
    decls = parse_lean_file(text)
    if reference is not None:
        ref = Path(reference).read_text(encoding="utf-8")
        by_name = {d.name: d for d in decls}
        for r in parse_lean_file(ref):
            d = by_name.get(r.name)
            why = ("" if d is not None and d.statement.split() == r.statement.split()
                   else f"statement of {r.name} differs from the reference or is missing")
            if why:
                return [Verdict(x.name, False, why) for x in decls] or [Verdict("<file>", False, why)]
        if skeleton(text) != skeleton(ref):
            why = "file differs from the reference outside proofs"
            return [Verdict(d.name, False, why) for d in decls]
    verdicts: dict[str, Verdict] = {}
    for d in decls:
        why = screen_body(d.proof[2:])
        if why:
            verdicts[d.name] = Verdict(d.name, False, why)
    # Insert "#print axioms" after every declaration, inside its namespace; examples get names.
    out, pos, probes = [], 0, []
    for d in decls:
        statement, printed = _checkable(d.statement, d.name)
        out.append(text[pos:d.start])
        out.append(statement + " " + d.proof if printed != d.name else text[d.start:d.end])
        out.append(f"\n\n#print axioms {printed}\n")
        probes.append((d.name, printed))
        pos = d.end
    out.append(text[pos:])
    results = _run("".join(out), probes, config or LeanEnvConfig(), timeout)
    for v in results:
        verdicts.setdefault(v.name, v)
    return [verdicts[d.name] for d in decls]


def _run(text: str, probes: list[tuple[str, str]], config: LeanEnvConfig,
         timeout: float) -> list[Verdict]:
    exe = config.check_command[0]
    if shutil.which(exe) is None and not os.path.exists(exe):
        why = f"{exe!r} not found: the Lean check needs a toolchain (see lean_project/README.md)"
        return [Verdict(n, False, why) for n, _ in probes]
    with tempfile.TemporaryDirectory(prefix="qstar-lean-check-") as tmp:
        src = os.path.join(tmp, "QstarCheck.lean")
        Path(src).write_text(text, encoding="utf-8")
        done = run_bounded([*config.check_command, src], timeout=timeout, cwd=config.project_dir)
    if done.timed_out:
        return [Verdict(n, False, f"lean did not finish within {timeout:.0f}s") for n, _ in probes]
    if done.returncode != 0:
        first = next((ln for ln in done.output.splitlines() if "error" in ln), "non-zero exit")
        return [Verdict(n, False, "lean rejected the file: " + first.strip()[:300]) for n, _ in probes]
    report = parse_axiom_report(done.output)
    out = []
    for name, printed in probes:
        v = judge_axioms(printed, report)
        out.append(Verdict(name, v.ok, v.reason))
    return out
