"""``qstar annotate FILE``: every written proof of a file, step by step, with the kernel's verdict,
the goals before and after, V before and after, and the step to look at, with what qstar would
try there instead."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Annotated, Literal

import tyro

from agent.backends import UsageError, backend_for
from agent.search.searcher import SearchConfig


@dataclass
class AnnotateConfig:
    """Annotate the proofs of a .v or .lean file step by step (kernel verdicts, goals, V, Q)."""

    file: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="FILE")]
    """The .v or .lean file whose written proofs are annotated."""
    json: bool = False
    """Print JSON instead of the table."""
    html: str = ""
    """Also write an HTML page here (one coloured row per step)."""
    theorem: str = ""
    """Only this theorem (default: every proof in the file)."""
    tactic_timeout: float = 10.0
    """Seconds per step of the written proof and per candidate tactic."""
    candidates: int = 8
    """How many of qstar's candidate tactics are tried at the marked step."""
    search_budget: int = 16
    """Node expansions of the small search from the marked step."""
    search_seconds: float = 20.0
    """Seconds of that search."""
    model: str = "auto"
    """Policy and value model, as for prove (auto: the bundled Coq model, whose V and Q score each
    state and step; none: automation only, no V)."""
    value_model: str = ""
    """Value model folder, when it is not the --model folder."""
    project_index: Literal["on", "off"] = "on"
    """The steps of the proofs above each theorem (replayed here anyway) among the candidates at
    its marked step, as prove's project index gives them (agent.project); off: not."""
    lean_project: str = ""
    """Lake project with Mathlib and the REPL (Lean files only)."""
    coq_args: tyro.conf.UseAppendAction[list[str]] = field(default_factory=list)
    """Extra arguments for coqidetop and coqc, one per flag."""


def run_annotate(cfg: AnnotateConfig) -> int:
    from agent.annotate.render import table, to_html, to_json
    from agent.annotate.steps import annotate_proof
    from agent.env import Goal
    from agent.search.best_first import SearchBudget
    from agent.backends import read_source
    from agent.io import atomic_write
    from agent.search.searcher import build_searcher, default_model_for
    text = read_source(cfg.file)
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None, coq_args=tuple(cfg.coq_args))
    try:
        scripts = backend.proof_scripts(text)
    except backend.parse_error as e:
        raise UsageError(f"cannot parse {cfg.file}: {e}") from None
    wanted = [i for i, (th, _) in enumerate(scripts) if not cfg.theorem or th.name == cfg.theorem]
    if not wanted:
        raise UsageError(f"no proof to annotate in {cfg.file}" + (f" named {cfg.theorem}" if cfg.theorem else ""))
    if (why := backend.missing()) is not None:
        raise UsageError(why)
    print("qstar annotate config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    search = SearchConfig(model=default_model_for(cfg.model, backend.name), value_model=cfg.value_model,
                          tactic_timeout=cfg.tactic_timeout, hammer="off")
    searcher = build_searcher(search)
    budget = SearchBudget(max_expansions=cfg.search_budget, max_seconds=cfg.search_seconds,
                          tactic_timeout=cfg.tactic_timeout)
    check = (lambda th, tac: (lambda v: (v.ok, v.reason))(backend.check_proof(th, tac)))  # noqa: E731
    env = backend.make_env()
    annotations = []
    try:
        from tqdm import tqdm
        broken: set[int] = set()  # earlier proofs that do not go through: left open in later contexts
        above: list = []  # (goals, step, place) of the proofs above that went through: the `proj` source
        for i in tqdm(range(max(wanted) + 1), desc=f"annotating {os.path.basename(cfg.file)}", unit="proof",
                      file=sys.stderr, disable=None):
            th, steps = backend.proof_scripts(backend.admit_proofs(text, broken))[i] if broken else scripts[i]
            if i not in wanted:  # an earlier proof of --theorem's context: only whether it goes through
                ann = annotate_proof(env, th, steps, policy=lambda s: [], budget=budget)
            else:
                policy = searcher.make_policy(backend.name, th.name, project=tuple(above) if cfg.project_index == "on" else ())
                ann = annotate_proof(env, th, steps, policy=policy,
                                     value=searcher.value, check=check, priority=searcher.priority,
                                     budget=budget, candidates=cfg.candidates)
                annotations.append(ann)
            if ann.status != "complete" or ann.checked is False:
                broken.add(i)
            else:  # the user's own steps, as prove's project index holds them (agent.project)
                above += [(tuple(Goal.from_json(g) for g in st.goals_before[:1]), st.tactic, k)
                          for k, st in enumerate(ann.steps) if st.goals_before]
    finally:
        env.close()
        searcher.close()
    if cfg.html:
        atomic_write(cfg.html, to_html(annotations, file=cfg.file))
    if cfg.json:
        print(json.dumps(to_json(annotations, file=cfg.file, config=dataclasses.asdict(cfg)), indent=1,
                         ensure_ascii=False))
    else:
        print(table(annotations))
        if cfg.html:
            print(f"wrote {cfg.html}")
    return 0
