"""Benchmark: the Coq backend's tactic throughput against a bare protocol loop, and the search's
own overhead per expansion as a fraction of kernel time. One run prints both, as ratios.

  python evals/coq_throughput.py [--rounds 5] [--out runs/bench/coq_throughput.json]

Bare loop: the same coqidetop binary, with the same flags, driven with the minimum protocol per
tried tactic (Add, Goal, Edit_at back) and the reply's envelope parsed, nothing more. Backend: CoqEnv.apply on
the same states with the same tactics (screening, sentence splitting, goal parsing, path sync
and state bookkeeping included). Both loops count the protocol calls they make. Targets:
backend/bare >= 0.95; search's own time <= 1% of kernel time.
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
from coq_env.env import STRICT_ARGS  # noqa: E402
from coq_env.files import open_theorems  # noqa: E402
from coq_env.idetop import IdeTop  # noqa: E402
from coq_env.sentences import split_sentences  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "arith.v"


@dataclass
class BenchConfig:
    """Settings of this benchmark."""

    rounds: int = 10
    """Passes over (theorem, tactic) pairs for each of the two loops, alternating per theorem."""
    tactics: tuple[str, ...] = tuple(t for t in COQ_TACTICS if t not in ("firstorder.", "nia.", "nra."))
    """Tactics tried at each root state (slow deciders left out so protocol cost is visible)."""
    search_budget: int = 64
    """Expansions per theorem in the search-overhead run."""
    out: str = "runs/bench/coq_throughput.json"
    """Where the JSON result goes."""


class BareLoop:
    """Raw protocol calls on one coqidetop: load a theorem, then try tactics at its root."""

    def __init__(self):
        self.top = IdeTop(args=STRICT_ARGS)
        self.root = int(self.top.call(protocol.init_call(), timeout=60).root.find("state_id").get("val"))
        self.sid = self.root
        self.loaded: list[tuple[str, int]] = []

    def load(self, th) -> None:
        """The document becomes context + statement + Proof., keeping the prefix it shares with the
        last one (as the backend does: the two loops then hold the same documents)."""
        top = self.top
        sentences = [*(x.text for x in split_sentences(th.context)), th.statement, "Proof."]
        keep = 0
        while keep < min(len(sentences), len(self.loaded)) and self.loaded[keep][0] == sentences[keep]:
            keep += 1
        top.call(protocol.edit_at_call(self.loaded[keep - 1][1] if keep else self.root), timeout=60)
        self.loaded = self.loaded[:keep]
        sid = self.loaded[-1][1] if self.loaded else self.root
        for s in sentences[keep:]:
            sid = protocol.new_state_id(top.call(protocol.add_call(s, sid), timeout=60))
            self.loaded.append((s, sid))
        top.call(protocol.goal_call(), timeout=60)
        self.sid = sid

    def run(self, tactics) -> float:
        top, sid = self.top, self.sid
        t0 = time.perf_counter()
        for tac in tactics:
            r = top.call(protocol.add_call(tac, sid), timeout=60)
            if r.good:
                top.call(protocol.goal_call(), timeout=60)
                top.call(protocol.edit_at_call(sid), timeout=60)
        return time.perf_counter() - t0

    def close(self) -> None:
        self.top.kill()


class BackendLoop:
    """CoqEnv.apply on the same root states with the same tactics."""

    def __init__(self):
        self.env = CoqEnv()
        self.root = None

    def load(self, th) -> None:
        self.root = self.env.start(th)

    def run(self, tactics) -> float:
        env, root = self.env, self.root
        t0 = time.perf_counter()
        for tac in tactics:
            env.apply(root, tac, timeout=60)
        return time.perf_counter() - t0

    def close(self) -> None:
        self.env.close()


def throughput(theorems, tactics, rounds: int) -> tuple[float, float]:
    """(bare, backend) tactics per second; the two alternate on every theorem of every round, so
    drift on the machine hits both alike."""
    loops = {"bare": BareLoop(), "backend": BackendLoop()}
    seconds = {"bare": 0.0, "backend": 0.0}
    n = 0
    try:
        for r in range(rounds):
            for th in theorems:
                order = ("bare", "backend") if r % 2 == 0 else ("backend", "bare")
                for name in order:
                    loops[name].load(th)
                    seconds[name] += loops[name].run(tactics)
                n += len(tactics)
    finally:
        for loop in loops.values():
            loop.close()
    return n / seconds["bare"], n / seconds["backend"]


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
    throughput(theorems[:2], cfg.tactics, 1)  # warm-up: caches, first process start
    bare_rate, our_rate = throughput(theorems, cfg.tactics, cfg.rounds)
    search = search_overhead(theorems, cfg.search_budget)
    result = {"config": asdict(cfg), "bare_tactics_per_s": bare_rate, "backend_tactics_per_s": our_rate,
              "throughput_ratio": our_rate / bare_rate, "search": search}
    os.makedirs(os.path.dirname(cfg.out) or ".", exist_ok=True)
    Path(cfg.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'measure':<42} {'value':>10}  target")
    print(f"{'bare coqidetop loop, tactics/s':<42} {bare_rate:>10.1f}")
    print(f"{'CoqEnv.apply, tactics/s':<42} {our_rate:>10.1f}")
    print(f"{'throughput ratio (backend / bare)':<42} {our_rate / bare_rate:>10.3f}  >= 0.95")
    print(f"{'search expansions':<42} {search['expansions']:>10d}")
    print(f"{'search own time per expansion, ms':<42} {search['own_per_expansion_ms']:>10.3f}")
    print(f"{'search own time / kernel time':<42} {search['own_over_kernel']:>10.2%}  <= 1%")
    print(f"\nwrote {cfg.out}")


if __name__ == "__main__":
    main()
