"""One theorem: start it, search, and accept a proof only after the sound final check."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from agent.env import Proved, ProofEnv, ProverDied, StartError, TacticError, Theorem
from agent.search.best_first import Policy, Priority, SearchBudget, Value, best_first_search, by_logprob

# check(theorem, tactics) -> (ok, reason): the backend's sound final check.
Checker = Callable[[Theorem, tuple[str, ...]], tuple[bool, str]]


@dataclass
class TheoremRecord:
    """One line of a report: what happened to one theorem."""

    name: str
    status: str  # proved | failed | error
    proof: list[str] | None  # the tactics, when proved
    expansions: int
    seconds: float
    stop_reason: str  # proved | budget | timeout | exhausted | statement_error | rejected | last_resort
    message: str = ""  # why not proved, one line
    kernel_seconds: float = 0.0
    model_seconds: float = 0.0  # policy + value time
    nodes: int = 0
    prelude_dropped: bool = False  # the statement loaded only without the bench prelude
    prelude_placed: str = ""  # where the prelude's libraries went when not at the top ("" top)
    tree: dict | None = field(default=None, repr=False)  # the whole search (collect only)
    proof_sources: list | None = None  # per proof step, the candidate sources that proposed it

    def to_json(self) -> dict:
        out = asdict(self)
        for k in ("tree", "proof_sources"):
            if out[k] is None:
                del out[k]
        return out


def prove_theorem(env: ProofEnv, theorem: Theorem, *, policy: Policy, check: Checker,
                  budget: SearchBudget, priority: Priority = by_logprob,
                  value: Value | None = None, load_timeout: float = 120.0,
                  keep_tree: bool = False, fallback=None,
                  last_resort: Callable[[Theorem], tuple[str, ...]] | None = None,
                  on_proof: Callable[[list], None] | None = None,
                  search: Callable | None = None) -> TheoremRecord:
    """Search for a proof of ``theorem`` and check it soundly.

    ``fallback`` is the same statement in other contexts (a suite's theorem with its prelude's
    libraries placed right above it, then without them: one ``Theorem`` or (theorem, note) pairs,
    tried in order when ``theorem`` does not load); the search and the final check then both
    use the one that loaded, and the record says which (``prelude_placed``, ``prelude_dropped``). ``last_resort`` is a slow one-shot tool (CoqHammer) asked for tactics for the whole
    statement when the search finds no proof; the kernel runs each at the root in turn, and the
    first proof one closes goes through the same final check. Cheap candidates first: an easy theorem
    never pays for the tool. ``on_proof`` gets the [(goals, tactic)] steps of a proof once the
    final check has accepted it (online learning: the retrieval database takes them at once).
    ``search`` replaces best-first search (``mcts_search``: same arguments, same result).
    """
    t0 = time.monotonic()
    root, loaded, why, placed = _load(env, theorem, fallback, load_timeout)
    if root is None:
        return TheoremRecord(theorem.name, "error", None, 0, time.monotonic() - t0, "statement_error", why)
    dropped, theorem = loaded is not theorem and not placed, loaded
    if hasattr(policy, "bind"):  # templates that show the theorem's name (InternLM)
        policy = policy.bind(theorem.name)
    closing = ClosingChecked(env, theorem, check)
    res = (search or best_first_search)(closing, root, policy=policy, priority=priority, value=value, budget=budget)
    record = TheoremRecord(theorem.name, "failed", None, res.expansions, 0.0, res.stop_reason,
                           kernel_seconds=round(res.kernel_seconds, 3),
                           model_seconds=round(res.policy_seconds + res.value_seconds, 3),
                           nodes=res.nodes, prelude_dropped=dropped, prelude_placed=placed)
    if res.proof is not None:
        ok, reason = closing.verdict(res.proof)
        if ok:
            record.status, record.proof = "proved", list(res.proof)
        else:
            # The kernel's step verdicts said "proved" but the fresh-process check did not.
            record.stop_reason, record.message = "rejected", _one_line("final check: " + reason)
    elif last_resort is not None:
        tr = time.monotonic()
        tactics = last_resort(theorem)
        record.model_seconds = round(record.model_seconds + time.monotonic() - tr, 3)
        for tactic in tactics:
            step = env.apply(root, tactic, timeout=budget.tactic_timeout)
            if not isinstance(step, Proved):
                continue
            record.expansions += 1
            ok, reason = check(theorem, step.path)
            if ok:
                record.status, record.proof, record.stop_reason = "proved", list(step.path), "last_resort"
                record.message = ""
                _add_root_proof(res.root, tactic)
                break
            record.stop_reason, record.message = "rejected", _one_line("final check: " + reason)
        if record.status != "proved" and not record.message:
            record.message = f"no proof found ({res.stop_reason}; then " + (
                f"none of {len(tactics)} CoqHammer tactics closed it)" if tactics else "the last resort found none)")
    else:
        record.message = f"no proof found ({res.stop_reason})"
    tree = None
    if keep_tree or record.status == "proved":
        from agent.search.labels import proof_sources
        from agent.search.records import tree_to_json
        tree = tree_to_json(res.root, proof=tuple(record.proof) if record.status == "proved" else None)
        if record.status == "proved":
            record.proof_sources = proof_sources(tree)
    if on_proof is not None and record.status == "proved":
        on_proof(proof_steps(tree))
    if keep_tree:
        record.tree = tree
    record.seconds = round(time.monotonic() - t0, 3)
    return record


class ClosingChecked:
    """``env`` whose steps that close every goal go through the final check at once: a proof
    the file's own closing rejects (``Qed`` under ``Set Default Proof Using``, a guard or universe
    check, an axiom) comes back as a failed step, so the search goes on past it instead of
    ending on a rejected proof. Only leaves pay for it; each verdict is kept for the final one."""

    def __init__(self, env: ProofEnv, theorem: Theorem, check: Checker):
        self.env, self.theorem, self.check = env, theorem, check
        self.verdicts: dict[tuple[str, ...], tuple[bool, str]] = {}

    def verdict(self, path) -> tuple[bool, str]:
        path = tuple(path)
        if path not in self.verdicts:
            self.verdicts[path] = self.check(self.theorem, path)
        return self.verdicts[path]

    def apply(self, state, tactic: str, **kw):
        step = self.env.apply(state, tactic, **kw)
        if isinstance(step, Proved):
            ok, reason = self.verdict(step.path)
            if not ok:
                return TacticError(_one_line("closes the goals, but the final check rejects the proof: " + reason))
        return step

    def __getattr__(self, name):  # everything else is the env's own
        return getattr(self.env, name)


def proof_steps(tree: dict) -> list:
    """[(goals, tactic)] along the checked proof of a stored tree (``labels.proof_path``: the
    tactics the final check saw, through transpositions too), goals as ``Goal`` objects."""
    from agent.env import Goal
    from agent.search.labels import proof_path
    return [(tuple(Goal.from_json(g) for g in node["goals"]), tactic) for node, tactic in proof_path(tree)]


def _add_root_proof(root, tactic: str) -> None:
    """The tree records the last resort's tactic as a proving edge of the root, so value labels
    never call a proved statement refuted."""
    from agent.search.best_first import PROVED, Edge
    root.edges.append(Edge(tactic, 0.0, "proved", 0.0))
    root.status = PROVED


def _load(env: ProofEnv, theorem: Theorem, fallback, timeout: float):
    """(root state, the theorem that loaded, "", its placement note) or, when none loads, (None,
    theorem, why, ""). ``fallback`` is one theorem or (theorem, note) pairs, tried in order.
    A prover that dies loading a theorem is tried once more in a fresh process; a second death
    raises ProverDied (the pool records an internal error, not the user's statement error)."""
    try:
        return _start(env, theorem, timeout), theorem, "", ""
    except ProverDied:
        raise
    except StartError as e:
        why = _one_line(str(e))
    for other, note in ([(fallback, "")] if isinstance(fallback, Theorem) else fallback or ()):
        if other == theorem:
            continue
        try:
            return _start(env, other, timeout), other, "", note
        except ProverDied:
            raise
        except StartError:
            pass
    return None, theorem, why, ""


def _start(env: ProofEnv, theorem: Theorem, timeout: float):
    try:
        return env.start(theorem, timeout=timeout)
    except ProverDied:
        return env.start(theorem, timeout=timeout)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
