"""Forbidden constructs in a Lean 4 proof body (DESIGN.md, sound check step 2).

Screened after removing comments, token by token: anything that leaves a hole (``sorry``,
``admit``), trusts code instead of the kernel (``native_decide``, ``decide +native``,
``implemented_by``, ``extern``, ``csimp``, ``unsafe``), adds an assumption (``axiom``), changes
the checker (``set_option debug.``), or runs or defines meta-code (``run_cmd``, ``run_elab``,
``#eval``, ``#exit``, ``macro``, ``syntax``, ``elab``, ``notation``). The same screen runs on every
search step and in the final check. A false positive (the word inside a string) only costs a
candidate; it can never accept a bad proof.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile(
    r"(?<![\w.'])(sorry|admit|axiom|native_decide|implemented_by|extern|unsafe|csimp|run_cmd|"
    r"run_elab|run_tac|macro|macro_rules|syntax|elab|elab_rules|notation)(?![\w'])"
    r"|#eval|#exit|#print|#reduce|set_option\s+debug\.|decide\s*\+\s*native|Lean\.ofReduceBool"
    r"|ofReduceBool|Lean\.Elab|Lean\.Meta")


def strip_comments(text: str) -> str:
    """``text`` without ``--`` line comments and (nested) ``/- -/`` block comments."""
    out, i, n, depth = [], 0, len(text), 0
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            i += 2
        elif depth and text.startswith("-/", i):
            depth -= 1
            i += 2
        elif depth:
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def screen_body(body: str) -> str | None:
    """Why ``body`` is not an acceptable proof body, or None if it is."""
    if "\x00" in body:
        return "NUL character in proof"
    if not body.strip():
        return "empty proof"
    m = _FORBIDDEN.search(strip_comments(body))
    if m:
        return f"forbidden construct in proof: {m.group(0).strip()}"
    return None
