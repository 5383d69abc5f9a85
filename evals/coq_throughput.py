"""Benchmark: the Coq backend's tactic throughput against a bare protocol loop, and the search's
own overhead per expansion as a fraction of kernel time. One run prints both, as ratios.

  python evals/coq_throughput.py [--rounds 5] [--out runs/bench/coq_throughput.json]

Bare loop: the same coqidetop binary driven with the minimum protocol per tried tactic
(Add, Goal, Edit_at back), no parsing beyond finding the reply's end. Backend: CoqEnv.apply on
the same states with the same tactics (screening, sentence splitting, goal parsing, path sync
and state bookkeeping included). Targets: backend/bare >= 0.9; search overhead <= 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.policies.automation import COQ_TACTICS, AutomationPolicy  # noqa: E402
from agent.search.best_first import SearchBudget, best_first_search  # noqa: E402
from coq_env import CoqEnv, protocol  # noqa: E402
from coq_env.files import open_theorems  # noqa: E402
from coq_env.idetop import IdeTop  # noqa: E402
from coq_env.sentences import split_sentences  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "arith.v"


@dataclass
class BenchConfig:
    """Settings of this benchmark."""

    rounds: int = 5
    """Passes over (theorem, tactic) pairs for each of the two loops, alternating."""
    tactics: tuple[str, ...] = tuple(t for t in COQ_TACTICS if t not in ("firstorder.", "nia.", "nra."))
    """Tactics tried at each root state (slow deciders left out so protocol cost is visible)."""
    search_budget: int = 64
    """Expansions per theorem in the search-overhead run."""
    out: str = "runs/bench/coq_throughput.json"
    """Where the JSON result goes."""


def bare_loop(theorems, tactics) -> tuple[int, float]:
    """Tactics tried per second with raw protocol calls on one coqidetop."""
    top = IdeTop()
    n, elapsed = 0, 0.0
    try:
        root = int(top.call(protocol.init_call(), timeout=60).root.find("state_id").get("val"))
        for th in theorems:
            top.call(protocol.edit_at_call(root), timeout=60)
            sid = root
            for s in [*(x.text for x in split_sentences(th.context)), th.statement, "Proof."]:
                sid = protocol.new_state_id(top.call(protocol.add_call(s, sid), timeout=60))
            top.call(protocol.goal_call(), timeout=60)
            t0 = time.perf_counter()
            for tac in tactics:
                r = top.call(protocol.add_call(tac, sid), timeout=60)
                if r.good:
                    top.call(protocol.goal_call(), timeout=60)
                    top.call(protocol.edit_at_call(sid), timeout=60)
                n += 1
            elapsed += time.perf_counter() - t0
    finally:
        top.kill()
    return n, elapsed


def backend_loop(theorems, tactics) -> tuple[int, float]:
    n, elapsed = 0, 0.0
    with CoqEnv() as env:
        for th in theorems:
            root = env.start(th)
            t0 = time.perf_counter()
            for tac in tactics:
                env.apply(root, tac, timeout=60)
                n += 1
            elapsed += time.perf_counter() - t0
    return n, elapsed


def search_overhead(theorems, budget: int) -> dict:
    policy = AutomationPolicy("coq")
    tot = {"seconds": 0.0, "kernel": 0.0, "policy": 0.0, "expansions": 0, "proved": 0}
    with CoqEnv() as env:
        for th in theorems:
            res = best_first_search(env, env.start(th), policy=policy,
                                    budget=SearchBudget(max_expansions=budget, max_seconds=120))
            tot["seconds"] += res.seconds
            tot["kernel"] += res.kernel_seconds
            tot["policy"] += res.policy_seconds
            tot["expansions"] += res.expansions
            tot["proved"] += res.proof is not None
    own = tot["seconds"] - tot["kernel"] - tot["policy"]
    tot["search_own_seconds"] = own
    tot["own_per_expansion_ms"] = 1000 * own / max(1, tot["expansions"])
    tot["own_over_kernel"] = own / tot["kernel"] if tot["kernel"] else float("nan")
    return tot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=BenchConfig.rounds)
    ap.add_argument("--out", default=BenchConfig.out)
    cfg = BenchConfig(**vars(ap.parse_args()))
    print("config:", json.dumps(asdict(cfg)))
    theorems = open_theorems(EXAMPLE.read_text(encoding="utf-8"))
    bare = [0, 0.0]
    ours = [0, 0.0]
    for _ in range(cfg.rounds):  # alternate so drift on the machine hits both alike
        n, t = bare_loop(theorems, cfg.tactics)
        bare[0] += n; bare[1] += t  # noqa: E702
        n, t = backend_loop(theorems, cfg.tactics)
        ours[0] += n; ours[1] += t  # noqa: E702
    bare_rate, our_rate = bare[0] / bare[1], ours[0] / ours[1]
    search = search_overhead(theorems, cfg.search_budget)
    result = {"config": asdict(cfg), "bare_tactics_per_s": bare_rate, "backend_tactics_per_s": our_rate,
              "throughput_ratio": our_rate / bare_rate, "search": search}
    os.makedirs(os.path.dirname(cfg.out) or ".", exist_ok=True)
    Path(cfg.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'measure':<42} {'value':>10}  target")
    print(f"{'bare coqidetop loop, tactics/s':<42} {bare_rate:>10.1f}")
    print(f"{'CoqEnv.apply, tactics/s':<42} {our_rate:>10.1f}")
    print(f"{'throughput ratio (backend / bare)':<42} {our_rate / bare_rate:>10.3f}  >= 0.9")
    print(f"{'search expansions':<42} {search['expansions']:>10d}")
    print(f"{'search own time per expansion, ms':<42} {search['own_per_expansion_ms']:>10.3f}")
    print(f"{'search own time / kernel time':<42} {search['own_over_kernel']:>10.2%}  <= 5%")
    print(f"\nwrote {cfg.out}")


if __name__ == "__main__":
    main()
