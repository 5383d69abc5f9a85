"""Benchmark: policy throughput batched against unbatched on the same states (tiny model, CPU
here, any device elsewhere), and the search's own overhead per expansion excluding model and
kernel time, with a model policy and a value model in the loop on the real Coq kernel.

  python evals/policy_throughput.py [--states 64] [--samples 8] [--out runs/bench/policy_throughput.json]

Target: batched >= 3x unbatched on CPU with the tiny model.
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

from agent.env import Goal, Hypothesis, ProofState  # noqa: E402
from agent.policies.models import TinyConfig, build_tiny  # noqa: E402
from agent.policies.mixed import MixedPolicy  # noqa: E402
from agent.policies.transformer import PolicyConfig, TransformerPolicy  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "arith.v"


@dataclass
class BenchConfig:
    """Settings of this benchmark."""

    states: int = 64
    """Distinct proof states to propose for."""
    samples: int = 8
    """Candidates sampled per state (k)."""
    batch_size: int = 16
    """Prompts per generate call in the batched run."""
    width: int = 64
    """Tiny model width."""
    max_new_tokens: int = 24
    """Tactic length limit."""
    search_budget: int = 8
    """Expansions per theorem in the search-overhead run."""
    out: str = "runs/bench/policy_throughput.json"
    """Where the JSON result goes."""


def make_states(n: int) -> list[ProofState]:
    from coq_env.files import open_theorems
    stmts = [t.statement for t in open_theorems(EXAMPLE.read_text(encoding="utf-8"))]
    return [ProofState((Goal((Hypothesis((f"x{i}",), "nat"),), stmts[i % len(stmts)][:-1]),)) for i in range(n)]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def search_overhead(pol: TransformerPolicy, value, budget: int) -> dict:
    from agent.policies.automation import AutomationPolicy
    from agent.search.best_first import SearchBudget, astar, best_first_search
    from coq_env import CoqEnv
    from coq_env.files import open_theorems
    theorems = open_theorems(EXAMPLE.read_text(encoding="utf-8"))
    policy = MixedPolicy(pol, AutomationPolicy("coq"))
    tot = dict(seconds=0.0, kernel=0.0, policy=0.0, value=0.0, expansions=0)
    with CoqEnv() as env:
        for th in theorems:
            res = best_first_search(env, env.start(th), policy=policy, value=value, priority=astar(0.5),
                                    budget=SearchBudget(max_expansions=budget, max_seconds=300))
            tot["seconds"] += res.seconds
            tot["kernel"] += res.kernel_seconds
            tot["policy"] += res.policy_seconds
            tot["value"] += res.value_seconds
            tot["expansions"] += res.expansions
    own = tot["seconds"] - tot["kernel"] - tot["policy"] - tot["value"]
    tot["own_per_expansion_ms"] = 1000 * own / max(1, tot["expansions"])
    tot["own_over_kernel_plus_model"] = own / (tot["kernel"] + tot["policy"] + tot["value"])
    return tot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in ("states", "samples", "batch_size", "width", "search_budget"):
        ap.add_argument("--" + f.replace("_", "-"), type=int, default=getattr(BenchConfig, f))
    ap.add_argument("--out", default=BenchConfig.out)
    cfg = BenchConfig(**vars(ap.parse_args()))
    print("config:", json.dumps(asdict(cfg)))
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    model, tok, info = build_tiny(TinyConfig(width=cfg.width))
    params = sum(p.numel() for p in model.parameters())
    pcfg = PolicyConfig(samples=cfg.samples, max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size)
    pol = TransformerPolicy(model, tok, info, pcfg)
    states = make_states(cfg.states)
    ctxs = [pol.prompt(s) for s in states]
    pol.propose(ctxs[:2])  # warm-up
    torch.manual_seed(0)
    single, t_single = timed(lambda: [pol.propose([c])[0] for c in ctxs])
    torch.manual_seed(0)
    batched, t_batched = timed(lambda: pol.propose(ctxs))
    sampled = cfg.states * cfg.samples
    res = {
        "config": asdict(cfg), "params": params, "device": str(pol.device),
        "unbatched": {"seconds": t_single, "sampled_per_s": sampled / t_single,
                      "distinct_candidates_per_s": sum(map(len, single)) / t_single},
        "batched": {"seconds": t_batched, "sampled_per_s": sampled / t_batched,
                    "distinct_candidates_per_s": sum(map(len, batched)) / t_batched},
    }
    res["speedup"] = res["batched"]["sampled_per_s"] / res["unbatched"]["sampled_per_s"]
    from agent.policies.lm_value import ValueModel
    res["search"] = search_overhead(pol, ValueModel(model, tok, info), cfg.search_budget)
    os.makedirs(os.path.dirname(cfg.out) or ".", exist_ok=True)
    Path(cfg.out).write_text(json.dumps(res, indent=2) + "\n")
    s = res["search"]
    print(f"\ntiny causal model: {params / 1e6:.2f}M parameters on {res['device']}")
    print(f"{'measure':<48} {'unbatched':>10} {'batched':>10}")
    print(f"{'sampled tactics / s':<48} {res['unbatched']['sampled_per_s']:>10.1f} {res['batched']['sampled_per_s']:>10.1f}")
    print(f"{'distinct candidates / s':<48} {res['unbatched']['distinct_candidates_per_s']:>10.1f} "
          f"{res['batched']['distinct_candidates_per_s']:>10.1f}")
    print(f"{'speedup, batched / unbatched (target >= 3x)':<48} {res['speedup']:>21.2f}x")
    print(f"search with policy + value + Coq: {s['expansions']} expansions, kernel {s['kernel']:.2f}s, "
          f"policy {s['policy']:.2f}s, value {s['value']:.2f}s")
    print(f"{'search own time per expansion, ms':<48} {s['own_per_expansion_ms']:>21.3f}")
    print(f"{'search own time / (kernel + model) time':<48} {s['own_over_kernel_plus_model']:>21.2%}")
    print(f"\nwrote {cfg.out}")


if __name__ == "__main__":
    main()
