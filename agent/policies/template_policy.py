"""A learned template policy: which tactic template fits this state, and which local names
fill its slots (Proverbot9001's stem + argument prediction, with fastText-sized models that
train in a minute on two CPU cores).

Two models, both over hashed sparse features:
- template model: P(template | state). The state's tokens (``features.goal_features``:
  hypothesis-type tokens, conclusion tokens and bigrams) are hashed into ``buckets`` rows of an embedding, the
  mean embedding goes through one linear layer to a softmax over the template vocabulary (the
  templates seen at least ``min_count`` times in the training proofs, at most ``max_templates``).
- argument model: P(local | template, slot, state). Each local name of the focused goal gets a
  score, the sum of hashed weights of cross features (template or stem x slot x type token,
  recency, occurrence in the conclusion, overlap with the conclusion), softmax over the locals.

A candidate's log-prob is log P(template) + sum over slots of log P(argument); its arguments are
distinct. Training data are the policy's SFT rows ({state, tactic}): human traces and every
proof the search found and the kernel accepted, so expert iteration retrains it each round.
Everything about a state is read from its structured goals.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field

from agent.env import Goal, ProofState
from agent.learned.features import IDENT, Local, conclusion_names, goal_features, locals_of
from agent.policies.tactic_templates import abstract, instantiate, slots, stem

MODEL_FILE = "template_model.safetensors"
META_FILE = "template_model.json"
_MAX_LOCALS = 32  # the most recent hypotheses considered as arguments


@dataclass
class TemplateConfig:
    """Settings of the template policy's training and decoding."""

    buckets: int = 1 << 15
    """Hash buckets of the state features (rows of the embedding)."""
    dim: int = 64
    """Embedding width of the template model."""
    arg_buckets: int = 1 << 16
    """Hash buckets of the argument features."""
    min_count: int = 2
    """A template is in the vocabulary when seen this many times."""
    max_templates: int = 4000
    """Largest vocabulary (the most frequent templates)."""
    epochs: int = 6
    """Passes over the training rows."""
    lr: float = 5e-3
    """Adam learning rate."""
    batch_size: int = 256
    """Rows per optimiser step."""
    top_templates: int = 24
    """Templates instantiated per state at search time."""
    per_slot: int = 3
    """Arguments tried per slot."""
    max_candidates: int = 16
    """Candidates returned per state."""
    seed: int = 0
    """Initialisation and shuffling seed."""


@dataclass
class TemplateTrainConfig:
    """Train the template policy (tactic template + hypothesis arguments)."""

    data: str
    """Training rows: JSONL of {goals, tactic} (qstar trace output, or an iterate round's sft.jsonl)."""
    out: str
    """Model folder (created; may already hold a policy: the template files are added)."""
    model: TemplateConfig = field(default_factory=TemplateConfig)
    """The template policy's settings."""


def _h(s: str, n: int) -> int:
    return zlib.crc32(s.encode("utf-8")) % n


def state_ids(goals: tuple[Goal, ...], buckets: int) -> list[int]:
    return [_h(f, buckets) for f in goal_features(goals)] or [0]


def arg_ids(template: str, slot: int, local: Local, concl_tokens: set[str], buckets: int) -> list[int]:
    st = stem(template)
    toks = list(dict.fromkeys(IDENT.findall(local.type)))[:12]
    overlap = sum(t in concl_tokens for t in toks) / max(1, len(toks))
    keys = [f"T{template}|{slot}", f"S{st}|{slot}"]
    out = []
    for k in keys:
        out += [f"{k}|r{min(local.rank, 6)}", f"{k}|g{int(local.in_goal)}", f"{k}|o{round(overlap * 4)}",
                f"{k}|h{toks[0] if toks else ''}", f"{k}|p{int('->' in local.type or '=' in local.type or '<' in local.type)}"]
        out += [f"{k}|t{t}" for t in toks]
    return [_h(f, buckets) for f in out]


def _bag(bags: list[list[int]]):
    """EmbeddingBag inputs (flat ids, offsets) of a batch of id lists."""
    import torch
    ids, offsets = [], []
    for b in bags:
        offsets.append(len(ids))
        ids += b
    return torch.tensor(ids), torch.tensor(offsets)


class TemplateModel:
    def __init__(self, cfg: TemplateConfig, templates: list[str]):
        import torch
        self.cfg, self.templates = cfg, templates
        g = torch.Generator().manual_seed(cfg.seed)
        self.emb = torch.nn.EmbeddingBag(cfg.buckets, cfg.dim, mode="mean")
        self.out = torch.nn.Linear(cfg.dim, len(templates))
        self.arg = torch.nn.EmbeddingBag(cfg.arg_buckets, 1, mode="sum")
        with torch.no_grad():
            self.emb.weight.normal_(0, 0.1, generator=g)
            self.arg.weight.zero_()

    def parameters(self):
        return [*self.emb.parameters(), *self.out.parameters(), *self.arg.parameters()]

    # -- scoring ---------------------------------------------------------------------------
    def template_logits(self, states: list[tuple[Goal, ...]]):  # (B, K)
        return self.out(self.emb(*_bag([state_ids(s, self.cfg.buckets) for s in states])))

    def arg_logits(self, bags: list[list[int]]):  # (N,)
        return self.arg(*_bag(bags)).squeeze(-1)

    # -- search-time policy ----------------------------------------------------------------
    def template_logp(self, goals) -> list[float]:
        import torch
        with torch.no_grad():
            return torch.log_softmax(self.template_logits([goals])[0], -1).tolist()

    def arg_logp(self, bags: list[list[int]]) -> list[float]:
        import torch
        with torch.no_grad():
            return torch.log_softmax(self.arg_logits(bags), -1).tolist()

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        return propose(self, state)

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: str) -> None:
        from safetensors.torch import save_file
        from agent.io import atomic_write
        os.makedirs(folder, exist_ok=True)
        tensors = {"emb": self.emb.weight.detach().half().contiguous(),
                   "out_w": self.out.weight.detach().half().contiguous(),
                   "out_b": self.out.bias.detach().contiguous(),
                   "arg": self.arg.weight.detach().half().contiguous()}
        tmp = os.path.join(folder, MODEL_FILE + ".tmp")
        save_file(tensors, tmp)
        os.replace(tmp, os.path.join(folder, MODEL_FILE))
        atomic_write(os.path.join(folder, META_FILE),
                     json.dumps({"config": asdict(self.cfg), "templates": self.templates}, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, folder: str) -> "TemplateModel":
        import torch
        from safetensors.torch import load_file
        meta = json.loads(open(os.path.join(folder, META_FILE), encoding="utf-8").read())
        m = cls(TemplateConfig(**meta["config"]), meta["templates"])
        t = load_file(os.path.join(folder, MODEL_FILE))
        with torch.no_grad():
            m.emb.weight.copy_(t["emb"].float())
            m.out.weight.copy_(t["out_w"].float())
            m.out.bias.copy_(t["out_b"].float())
            m.arg.weight.copy_(t["arg"].float())
        return m


def propose(model, state: ProofState) -> list[tuple[str, float]]:
    """The policy's candidates: the most likely templates, each slot filled with the most likely
    locals (``model``: its ``cfg``, ``templates``, ``template_logp`` and ``arg_logp``; the torch
    model and its numpy twin, ``agent.policies.template_scorer``, score alike)."""
    cfg = model.cfg
    logp = model.template_logp(state.goals)
    top = sorted(range(len(logp)), key=lambda k: -logp[k])[:min(cfg.top_templates, len(model.templates))]
    locs = locals_of(state.goals)[-_MAX_LOCALS:]
    concl = conclusion_names(state.goals)
    out: list[tuple[str, float]] = []
    for k in top:
        tpl, lp = model.templates[k], logp[k]
        n = slots(tpl)
        if n == 0:
            out.append((tpl, lp))
        elif len(locs) >= n:
            out += [(instantiate(tpl, args), lp + alp) for args, alp in _fill(model, tpl, n, locs, concl)]
    out.sort(key=lambda x: -x[1])
    return list(dict(out[:cfg.max_candidates]).items())


def _fill(model, tpl: str, n: int, locs: list[Local], concl: set[str]) -> list[tuple[tuple[str, ...], float]]:
    cfg = model.cfg
    per_slot = []
    for j in range(n):
        scores = model.arg_logp([arg_ids(tpl, j, loc, concl, cfg.arg_buckets) for loc in locs])
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:min(cfg.per_slot, len(locs))]
        per_slot.append([(locs[i].name, scores[i]) for i in best])
    combos: list[tuple[tuple[str, ...], float]] = [((), 0.0)]
    for options in per_slot:
        combos = [(a + (name,), s + v) for a, s in combos for name, v in options if name not in a]
        combos = sorted(combos, key=lambda x: -x[1])[:cfg.per_slot]
    return combos


def has_template_model(folder: str) -> bool:
    return bool(folder) and os.path.isfile(os.path.join(folder, META_FILE))


Row = tuple[tuple[Goal, ...], str]  # (goals, tactic)


def examples(rows: list[Row]) -> list[tuple[tuple[Goal, ...], str, list[str], list[Local], set[str]]]:
    """(goals, template, slot arguments, locals, conclusion names) of each (goals, tactic) row;
    locals and conclusion are read once here, not in every epoch."""
    out = []
    for goals, tactic in rows:
        locs = locals_of(goals)[-_MAX_LOCALS:]
        tpl, args = abstract(tactic.strip(), {loc.name for loc in locs})
        concl = conclusion_names(goals) if args else set()
        out.append((goals, tpl, args, locs if args else [], concl))
    return out


def train_templates(rows: list[Row], cfg: TemplateConfig, *,
                    log_path: str | None = None) -> tuple[TemplateModel, dict]:
    """Fit both models on (goals, tactic) rows; returns the model and first/last losses."""
    import random
    import time
    import torch
    from tqdm import tqdm
    exs = examples(rows)
    counts = Counter(e[1] for e in exs)
    vocab = [t for t, c in counts.most_common(cfg.max_templates) if c >= cfg.min_count]
    if not vocab:
        raise ValueError("no template occurs min_count times in the training rows")
    index = {t: i for i, t in enumerate(vocab)}
    torch.manual_seed(cfg.seed)
    model = TemplateModel(cfg, vocab)
    exs = [e for e in exs if e[1] in index]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rng = random.Random(cfg.seed)
    steps = cfg.epochs * max(1, math.ceil(len(exs) / cfg.batch_size))
    first = last = None
    step, t0 = 0, time.monotonic()
    log = open(log_path, "a", encoding="utf-8") if log_path else None
    with tqdm(total=steps, desc="template policy", disable=None) as bar:
        for _ in range(cfg.epochs):
            rng.shuffle(exs)
            for i in range(0, len(exs), cfg.batch_size):
                batch = exs[i:i + cfg.batch_size]
                logits = model.template_logits([e[0] for e in batch])  # (B, K)
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor([index[e[1]] for e in batch]))
                arg_loss = _arg_loss(model, batch)
                total = loss + arg_loss if arg_loss is not None else loss
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
                value = float(total.detach())
                step += 1
                first = value if first is None else first
                last = value
                if log:
                    log.write(json.dumps({"step": step, "loss": value, "template_loss": float(loss.detach()),
                                          "seconds": round(time.monotonic() - t0, 3)}) + "\n")
                bar.update(1)
                bar.set_postfix(loss=f"{value:.3f}")
    if log:
        log.close()
    return model, {"steps": steps, "templates": len(vocab), "rows": len(exs), "first_loss": first,
                   "last_loss": last, "seconds": round(time.monotonic() - t0, 2)}


def _arg_loss(model: TemplateModel, batch):
    """Cross-entropy of the true argument among the state's locals, averaged over slots."""
    import torch
    bags, groups, targets = [], [], []
    for _, tpl, args, locs, concl in batch:
        if not args:
            continue
        names = [loc.name for loc in locs]
        for j, a in enumerate(args):
            groups.append((len(bags), len(locs)))
            targets.append(names.index(a))
            bags += [arg_ids(tpl, j, loc, concl, model.cfg.arg_buckets) for loc in locs]
    if not groups:
        return None
    scores = model.arg_logits(bags)  # (N,)
    losses = [-torch.log_softmax(scores[s:s + n], -1)[t] for (s, n), t in zip(groups, targets)]
    return torch.stack(losses).mean()


def run_train_templates(cfg: TemplateTrainConfig) -> dict:
    """Train on cfg.data and save into cfg.out (with the config, for reproduction)."""
    from agent.io import atomic_write
    from agent.backends import row_goals
    from agent.io import read_jsonl
    rows = [(row_goals(r), r["tactic"]) for r in read_jsonl(cfg.data, ("tactic",))]
    os.makedirs(cfg.out, exist_ok=True)
    model, summary = train_templates(rows, cfg.model, log_path=os.path.join(cfg.out, "template_train_log.jsonl"))
    model.save(cfg.out)
    atomic_write(os.path.join(cfg.out, "template_train_config.json"), json.dumps(asdict(cfg), indent=2) + "\n")
    return summary
