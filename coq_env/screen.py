"""Forbidden constructs in a Coq proof body (DESIGN.md, sound check step 2).

A proof body may only hold tactics. We reject, sentence by sentence, anything that gives up a
goal, adds an assumption, leaves the proof, or turns a checker off. The same screen runs on every
search step (so search never wastes a node on them) and in the final check.
"""

from __future__ import annotations

import re

from coq_env.sentences import SentenceError, split_sentences, strip_comments

# Vernacular that must not start a sentence of a proof body.
_FORBIDDEN_COMMANDS = (
    "Admitted", "Abort", "Axiom", "Axioms", "Parameter", "Parameters", "Conjecture", "Hypothesis",
    "Hypotheses", "Variable", "Variables", "Context", "Unset", "Set", "Drop", "Extract",
    "Extraction", "Qed", "Defined", "Save", "Proof", "Restart", "Undo", "Back", "BackTo", "Reset",
    "Quit", "Require", "Import", "Export", "Load", "Declare", "Lemma", "Theorem", "Definition",
    "Fixpoint", "CoFixpoint", "Example", "Fact", "Remark", "Corollary", "Proposition", "Goal",
    "Instance", "Existing", "Local", "Global", "Module", "Section", "End", "Inductive", "Ltac",
    "Opaque", "Transparent", "Typeclasses", "Hint", "Obligation", "Next", "Redirect", "Add", "Remove", "Register", "Primitive", "Strategy",
)
_COMMAND_RE = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)?(" + "|".join(_FORBIDDEN_COMMANDS) + r")\b")
# Tactics that leave a hole in the proof term or a goal behind.
_FORBIDDEN_TACTICS = re.compile(r"\b(admit|give_up|Admit|exact_no_check|vm_cast_no_check|native_cast_no_check|change_no_check)\b")


def screen_body(body: str) -> str | None:
    """Why ``body`` is not an acceptable proof body, or None if it is."""
    try:
        sentences = split_sentences(body)
    except SentenceError as e:
        return str(e)
    for s in sentences:
        text = strip_comments(s.text)
        m = _COMMAND_RE.match(text)
        if m:
            return f"forbidden command in proof: {m.group(1)}"
        m = _FORBIDDEN_TACTICS.search(text)
        if m:
            return f"forbidden tactic in proof: {m.group(1)}"
    return None
