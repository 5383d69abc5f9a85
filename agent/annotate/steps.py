"""Run a written proof step by step through a ProofEnv and say where it goes wrong.

Each step gets the kernel's verdict, the goals before and after it, the value V of the state
before and after (when a value model is loaded) and Q(s, a) of the written step (when the policy
ranks by a learned Q: ``agent.policies.qscore``; null otherwise). The
step the kernel first rejects is marked; else, when goals are left at the end, the end of the
proof; else (a proof that goes through) the step where V drops most. At the mark, qstar's own candidates are
tried in the kernel, and a small search from there says whether one of them closes the goal; a
continuation is called closing only after the sound final check accepts the whole proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from agent.env import Goals, Proved, ProofState, StartError, TacticError, TacticTimeout, Theorem
from agent.search.best_first import SearchBudget, best_first_search, by_logprob


@dataclass
class Step:
    index: int  # 1-based, as a person counts
    tactic: str
    verdict: str  # ok | proved | error | timeout | crash | not_run
    message: str = ""
    goals_before: list[dict] = field(default_factory=list)  # Goal.to_json
    goals_after: list[dict] | None = None
    v_before: float | None = None
    v_after: float | None = None
    q: float | None = None  # the learned Q of this step at its state (null without a Q model)
    seconds: float = 0.0


@dataclass
class Alternative:
    tactic: str
    verdict: str  # proved | ok | error | timeout | crash
    message: str = ""


@dataclass
class Annotation:
    theorem: str
    status: str  # complete | rejected | open | statement_error
    steps: list[Step]
    checked: bool | None = None  # the sound final check of the written proof (None: not run)
    check_reason: str = ""
    marked: int | None = None  # index of the marked step (the last step when the end is marked)
    mark: str = ""  # rejected | value_drop | open_end
    alternatives_at: str = ""  # "instead of step i" | "after step i"
    alternatives: list[Alternative] = field(default_factory=list)
    closing: list[str] | None = None  # a checked continuation from the mark, when one was found
    message: str = ""


def annotate_proof(env, theorem: Theorem, steps: list[str], *, policy, value=None,
                   check: Callable[[Theorem, tuple[str, ...]], tuple[bool, str]] | None = None,
                   priority=None, budget: SearchBudget | None = None, candidates: int = 8) -> Annotation:
    """The annotation of one written proof (``steps``) of ``theorem``. ``budget.tactic_timeout``
    bounds every step and candidate; the rest of ``budget`` is the small search from the mark."""
    s = budget or SearchBudget(max_expansions=16, max_seconds=20.0, tactic_timeout=10.0)
    try:
        state = env.start(theorem)
    except StartError as e:
        return Annotation(theorem.name, "statement_error", [], message=" ".join(str(e).split())[:300])
    rows: list[Step] = []
    states: list[ProofState] = [state]  # states[i]: before step i+1
    status = "open"
    for i, tactic in enumerate(steps, 1):
        if status != "open":
            rows.append(Step(i, tactic, "not_run"))
            continue
        t0 = time.monotonic()
        r = env.apply(state, tactic, timeout=s.tactic_timeout)
        row = Step(i, tactic, "", goals_before=[g.to_json() for g in state.goals],
                   seconds=round(time.monotonic() - t0, 3))
        if isinstance(r, Goals):
            row.verdict, row.goals_after, state = "ok", [g.to_json() for g in r.state.goals], r.state
            states.append(state)
        elif isinstance(r, Proved):
            row.verdict, row.goals_after, status = "proved", [], "complete"
        else:
            row.verdict = {TacticError: "error", TacticTimeout: "timeout"}.get(type(r), "crash")
            row.message = " ".join(getattr(r, "message", f"timeout after {s.tactic_timeout}s").split())[:300]
            status = "rejected"
        rows.append(row)
    ann = Annotation(theorem.name, status, rows)
    if value is not None:
        _values(ann, states, value)
    if getattr(policy, "q", None) is not None:
        _q_values(ann, states, policy)
    if status == "complete" and check is not None:
        ann.checked, ann.check_reason = check(theorem, tuple(steps))
    _mark(ann)
    if ann.marked is not None:
        at = states[ann.marked - 1] if ann.mark != "open_end" else state
        _alternatives(env, theorem, at, ann, policy=policy, value=value, check=check, priority=priority,
                      budget=s, candidates=candidates)
    return ann


def _values(ann: Annotation, states: list[ProofState], value) -> None:
    vs = value(states)
    for row in ann.steps:
        if row.verdict == "not_run":
            continue
        row.v_before = round(float(vs[row.index - 1]), 4)
        if row.verdict == "proved":
            row.v_after = 1.0
        elif row.verdict == "ok":
            row.v_after = round(float(vs[row.index]), 4)


def _q_values(ann: Annotation, states: list[ProofState], policy) -> None:
    """Q of each step that ran: the scorer sees the step with the sources that propose it there
    (none, for a tactic no source would write), as in search."""
    for row in ann.steps:
        if row.verdict == "not_run":
            continue
        state = states[row.index - 1]
        policy(state)  # the sources' candidates at this state
        row.q = float(f"{policy.q.probs(state.goals, [(row.tactic, policy.sources_of(row.tactic))])[0]:.3g}")


def _mark(ann: Annotation) -> None:
    rejected = [r for r in ann.steps if r.verdict in ("error", "timeout", "crash")]
    if rejected:
        ann.marked, ann.mark = rejected[0].index, "rejected"
        ann.alternatives_at = f"instead of step {ann.marked}"
        return
    if ann.status == "open":  # every step went through and goals are left: where the writer stopped
        ann.marked, ann.mark = (ann.steps[-1].index if ann.steps else 0), "open_end"
        ann.alternatives_at = f"after step {ann.marked}" if ann.steps else "at the statement"
        return
    drops = [(r.v_before - r.v_after, r.index) for r in ann.steps
             if r.v_before is not None and r.v_after is not None]
    if drops and max(drops)[0] > 0:
        ann.marked, ann.mark = max(drops)[1], "value_drop"
        ann.alternatives_at = f"instead of step {ann.marked}"


def _alternatives(env, theorem: Theorem, at: ProofState, ann: Annotation, *, policy, value, check,
                  priority, budget: SearchBudget, candidates: int) -> None:
    for tactic, _ in policy(at)[:candidates]:
        r = env.apply(at, tactic, timeout=budget.tactic_timeout)
        verdict = {Goals: "ok", Proved: "proved", TacticError: "error", TacticTimeout: "timeout"}.get(type(r), "crash")
        ann.alternatives.append(Alternative(tactic, verdict, " ".join(getattr(r, "message", "").split())[:200]))
    if check is None:
        return
    res = best_first_search(env, at, policy=policy, priority=priority or by_logprob, value=value, budget=budget)
    if res.proof is not None:
        ok, _ = check(theorem, tuple(res.proof))
        if ok:
            ann.closing = list(res.proof[len(at.path):])
