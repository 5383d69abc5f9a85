"""The searcher builder: one typed ``SearchConfig`` (shared by prove / collect / bench / iterate)
turned into what a worker needs to search a theorem: a policy per theorem (the model's, the
retrieval database's, the template policy's and the automation's candidates), the value, the
ordering and the budget. Models are loaded once and shared by every worker: the tactic model
through a ``BatchingPolicy`` (one ``generate`` call serves the states that arrive together from
all workers), the value and template models behind a lock.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Literal

from agent.backends import UsageError
from agent.policies.mixed import SOURCE_WEIGHTS
from agent.search.best_first import SearchBudget

ORDERINGS = ("bfs", "bfs-norm", "value", "astar", "mcts")


@dataclass
class SearchConfig:
    """How each theorem is searched."""

    budget: int = 64
    """Node expansions per theorem."""
    timeout: float = 60.0
    """Wall-clock seconds of search per theorem."""
    tactic_timeout: float = 5.0
    """Wall-clock seconds per tactic."""
    check_timeout: float = 300.0
    """Wall-clock seconds for the fresh-process final check of one proof."""
    model: str = "auto"
    """Tactic model: a preset (see README), a hub id, a local folder, `default` (the bundled Coq
    model: retrieval, templates, Q and V, no network), `default-lm` (the earlier bundled model,
    with its byte LM and value head), `none` (automation only) or `auto` (the bundled model for
    Coq; for Lean, a public step prover that fits the CUDA device's memory, none on CPU)."""
    value_model: str = ""
    """Value model folder: a learned V over goal features (state_value.npy/.json, `qstar train
    qv`) or an LM value head; 'policy' for the head saved with --model; none: no value. Empty:
    the --model folder's V over goal features if it has one, else its LM value head if it has one."""
    ordering: Literal["bfs", "bfs-norm", "value", "astar", "mcts"] = "bfs"
    """Which node to expand next: bfs (cumulative log-prob, ReProver), bfs-norm (length-normalised,
    BFS-Prover), value (the critic alone), astar (g + lambda * -log V), mcts (PUCT walks with the
    policy's prior and V at the leaf, AlphaZero; agent/search/mcts.py)."""
    expand: Literal["auto", "node", "step", "lazy"] = "auto"
    """auto: lazy, and for mcts its own walks. node: an expansion runs every candidate of the node
    at once (ReProver); step: the queue
    holds (node, candidate) pairs and each candidate runs when its own f comes up, so a low-scored
    one (a likely error or timeout) waits behind the likely steps of the whole tree (Q* search);
    lazy: a node runs its candidates by chance per second until it has --lazy-children children,
    then waits in the queue at its next candidate's priority; a slow closer gets a short first
    slice; a failure is not rerun on the same goal (agent/search/lazy.py). bfs, bfs-norm, value
    and astar only."""
    lazy_children: int = 2
    """--expand lazy: new children a node makes before it goes back into the queue."""
    lazy_chance: Literal["learned", "policy"] = "learned"
    """--expand lazy: a candidate's chance is the policy's probability times its family's success
    rate on this kernel, learned as the run goes (learned), or the policy's alone (policy)."""
    lazy_slice: float = 1.0
    """--expand lazy: the first slice, in seconds, of a tactic whose family is expected to take
    longer (the rest of --tactic-timeout comes after the node's other candidates)."""
    astar_lambda: float = 1.0
    """A* weight lambda in f = g + lambda * h; 0 is exactly bfs."""
    astar_g: Literal["logprob", "depth"] = "logprob"
    """A* path cost g: logprob (-sum log p) or depth."""
    length_alpha: float = 1.0
    """bfs-norm exponent: priority = sum log p / depth^alpha."""
    mcts_c: float = 1.5
    """mcts: the exploration weight c_puct in Q + c * P * sqrt(N) / (1 + N(a))."""
    mcts_width: int = 0
    """mcts: candidates the kernel runs per visit of a node (0: all at its first visit)."""
    mcts_novelty: float = 0.0
    """mcts: intrinsic reward for reaching a state never seen (RMaxTS); 0: off."""
    samples: int = 8
    """Candidates the model proposes per state."""
    decoding: Literal["sample", "beam"] = "sample"
    """How the model decodes its candidates."""
    temperature: float = 1.0
    """Sampling temperature."""
    automation: Literal["mix", "off"] = "mix"
    """mix: add the automation tactics to the model's candidates; off: the model alone."""
    automation_weight: float = SOURCE_WEIGHTS["auto"]
    """Prior weight of automation candidates when mixed."""
    retrieval: str = ""
    """k-NN retrieval database ({goals, tactic} JSONL[.gz]); empty: the --model folder's
    knn.jsonl.gz if it has one; none: off."""
    templates: str = ""
    """Template policy folder (agent.policies.template_policy); empty: the --model folder's if it has
    one; none: off."""
    generator: str = ""
    """Step generator folder (`qstar train generator`: skeletons + argument pointers + premise
    index); empty: the --model folder's generator/ if it has one; none: off."""
    generator_candidates: int = 16
    """Candidates the generator proposes per state."""
    project_rank: str = ""
    """Ranker of the file's own steps (`qstar train project-rank`, a project_rank.json); empty: the
    --model folder's if it has one (else they are ranked by similarity); none: by similarity."""
    file_lemmas: Literal["ranked", "recent", "off"] = "ranked"
    """The lemmas stated above a theorem in its file as automation candidates (apply, eapply,
    rewrite): ranked: per state, those whose statements share the goal's symbols first, then the
    most recent (agent.policies.file_lemmas); recent: the 8 most recent; off: none."""
    competition: Literal["on", "off"] = "on"
    """Coq: the competition step families where the goal's shape calls for them (a bounded
    integer split into its cases, Lean's interval_cases; Z div/mod named for lia):
    agent.policies.competition."""
    goal_args: Literal["on", "off"] = "on"
    """Candidates with arguments read from the goal (values a linear system pins, nra/nia hint
    squares, Rabs/Rmax/Rmin/if case splits, destruct of or/and/exists hypotheses,
    field_simplify/ring_simplify at a hypothesis): agent.policies.goal_args."""
    goal_weight: float = SOURCE_WEIGHTS["goal"]
    """Prior weight of the goal-argument candidates when ranked by the sources' own scores."""
    q: str = ""
    """Q(s, a) model folder (q_model.npy/.json, `qstar train qv`) that ranks every source's
    candidates, its log Q being the step log-prob of bfs and A*'s g; empty: the --model folder's
    if it has one; none: rank by the sources' own scores."""
    q_norm: Literal["none", "node"] = "none"
    """How log Q becomes the step log-prob of bfs and A*'s g. none: log Q itself, the
    probability that the step is on a proof (a few nats for every step that does not close the
    goal, so the search goes nearly breadth-first by depth); node: Q normalised over the node's
    candidates, log(Q(s, a) / sum_b Q(s, b)), the policy that Q implies, so a confident line is
    followed deep. On the eval half both prove the identical 53 (README)."""
    project_weight: float = SOURCE_WEIGHTS["proj"]
    """Prior weight of the steps of the human proofs above the theorem in its file (retrieval over
    them alone, ``agent.project``); they keep this score under Q too, which never saw the user's
    idiom. 0: not a source."""
    online: Literal["on", "off"] = "off"
    """on: the steps of every proof found (after the final check) join the retrieval database and
    the generator's index at once, so the next theorems of the same run can use them (iterate's
    collects do this)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto (CUDA if available), cpu or cuda."""
    hammer: Literal["auto", "off", "sauto", "full"] = "auto"
    """CoqHammer (Coq only): off; sauto (its sauto family among the automation's tactics: no ATP,
    cheap); full (also `hammer` on the statement when the search finds no proof: external provers
    pick lemmas, and the reconstruction tactic it prints is checked like any other; 10-25 s more
    per unproved theorem on 2 cores); auto: sauto when CoqHammer is installed, else off (full
    added no theorem at the README's budget)."""
    hammer_limit: float = 5.0
    """CoqHammer's ATP time limit in seconds (hammer only; its call is cut at twice this + 15 s)."""
    procedures: str = "auto"
    """Coq's decision procedures as candidates where the goal's shape fits (agent/policies/
    decision.py): auto: psatz R 2 / R 3 / Z 2 where CSDP is installed, nsatz, and interval where
    Coq.Interval is installed (scripts/setup.sh installs both); off: none of them; or a comma list
    of psatz, nsatz, interval: those alone (for measuring one at a time)."""

    def budget_obj(self) -> SearchBudget:
        return SearchBudget(max_expansions=self.budget, max_seconds=self.timeout,
                            tactic_timeout=self.tactic_timeout)


KNN_FILE = "knn.jsonl.gz"
BUNDLED_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "default_model")
BUNDLED_LM = os.path.join(BUNDLED_MODEL, "v1")  # the earlier default: a byte LM, its value head, retrieval, templates


def has_bundled_model() -> bool:
    return os.path.isfile(os.path.join(BUNDLED_MODEL, KNN_FILE))


# Lean's `--model auto` on a CUDA device: the largest public step prover whose weights and
# sampling fit (bf16 weights: 7B -> ~15 GiB; ByT5-small -> ~1.2 GiB), largest first.
LEAN_AUTO = (("bfs-prover-v2", 20.0), ("reprover", 2.0))


def lean_auto_model(device: str = "auto") -> tuple[str, str]:
    """(preset, why) of ``--model auto`` for Lean: on a CUDA device, the preset of ``LEAN_AUTO``
    its memory fits; on CPU (or ``--device cpu``), none: automation only."""
    if device != "cpu":
        try:
            import torch
            if torch.cuda.is_available():
                gib = torch.cuda.get_device_properties(0).total_memory / 2 ** 30
                for preset, need in LEAN_AUTO:
                    if gib >= need:
                        return preset, (f"a CUDA device with {gib:.0f} GiB: the {preset} preset "
                                        f"(needs about {need:.0f} GiB; --model sets another)")
                return "", f"a CUDA device with {gib:.1f} GiB, too small for a step prover: automation only"
        except ImportError:
            pass
    return "", "no CUDA device: automation only (--model PRESET runs a step prover on CPU, slowly)"


def default_model_for(model: str, backend: str, device: str = "auto") -> str:
    """Resolve `auto` / `none`: the bundled model for Coq when it is present; for Lean, a public
    step prover that fits the GPU, none on CPU (the choice is said on stderr)."""
    if model == "auto":
        if backend == "lean":
            preset, why = lean_auto_model(device)
            print(f"qstar: --model auto for Lean: {why}", file=sys.stderr)
            return preset
        return "default" if backend == "coq" and has_bundled_model() else ""
    return "" if model == "none" else model


def resolve_model(name: str) -> str:
    if name == "default":
        if not has_bundled_model():
            raise UsageError("no bundled model in this checkout (agent/default_model)")
        return BUNDLED_MODEL
    if name == "default-lm":
        if not os.path.isfile(os.path.join(BUNDLED_LM, "config.json")):
            raise UsageError("no bundled LM in this checkout (agent/default_model/v1)")
        return BUNDLED_LM
    return name


class _Locked:
    """A model shared by worker threads (a value model, a small CPU policy): one call at a time
    (each call is batched already); other attributes are the model's."""

    def __init__(self, model):
        self.model, self._lock = model, threading.Lock()

    def __call__(self, arg):
        with self._lock:
            return self.model(arg)

    def __getattr__(self, name):
        return getattr(self.model, name)


@dataclass
class Searcher:
    """Everything a worker needs to search: built once, shared by all workers."""

    make_policy: Callable[..., Callable]  # (backend name, theorem name, lemmas=()) -> policy
    value: object | None
    priority: Callable
    budget: SearchBudget
    close: Callable[[], None]
    hammer: Callable[[object], str] = lambda backend: "off"  # Backend -> off | sauto | full
    hammer_limit: float = 5.0
    learn: Callable[[list], None] | None = None  # [(goals, tactic)] of a checked proof -> retrieval
    study: Callable[[list], None] | None = None  # [(goals, tactic)] of the user's own proofs -> retrieval, generator
    search: Callable | None = None  # the search function (best_first_search when None)


def procedures_for(cfg: SearchConfig, backend):
    """The decision procedures ``cfg`` puts in the search for ``backend`` on this machine."""
    from agent.backends import no_procedures
    try:
        chosen = procedure_names(cfg.procedures)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if backend.name != "coq" or not chosen:
        return no_procedures()
    here = backend.procedures()
    return dataclasses.replace(here, **{n: getattr(here, n) and n in chosen for n in PROCEDURE_NAMES})


PROCEDURE_NAMES = ("psatz", "nsatz", "interval")


def procedure_names(spec: str) -> frozenset[str]:
    """``--procedures`` read: auto (all), off (none) or a comma list of PROCEDURE_NAMES."""
    if spec == "auto":
        return frozenset(PROCEDURE_NAMES)
    if spec == "off":
        return frozenset()
    names = [n.strip() for n in spec.split(",")]
    if bad := [n for n in names if n not in PROCEDURE_NAMES]:
        raise ValueError(f"--procedures: unknown procedure {bad[0]!r} (auto, off, or a comma list of "
                         f"{', '.join(PROCEDURE_NAMES)})")
    return frozenset(names)


def hammer_mode(cfg: SearchConfig, backend) -> str:
    """What ``--hammer`` means for ``backend`` on this machine: off, sauto or full."""
    if backend.name != "coq" or cfg.hammer == "off":
        return "off"
    if not backend.hammer_installed():
        if cfg.hammer != "auto":
            raise UsageError(f"--hammer {cfg.hammer}: CoqHammer is not installed "
                             "(apt-get install libcoq-hammer eprover, or run scripts/setup.sh)")
        return "off"
    return "sauto" if cfg.hammer == "auto" else cfg.hammer


@dataclass
class Models:
    """The heavy parts of a searcher, loaded once: the tactic model (with its batching server when
    several workers share it) and the value. Under Ray these live in one model actor, and the
    kernel workers hold proxies with the same calls (agent/bench/ray_pool.py)."""

    policy: object | None = None  # a TransformerPolicy-like object: .bind(theorem) -> policy
    server: object | None = None  # a BatchingPolicy-like object: .for_theorem(theorem), .close()
    value: object | None = None  # states -> V in [0, 1], with .heuristic(v)


def check_search(cfg: SearchConfig) -> None:
    """The flag checks that need no model: before a pool or a cluster starts, one line each."""
    if cfg.ordering not in ORDERINGS:
        raise UsageError(f"--ordering must be one of {', '.join(ORDERINGS)}")
    if cfg.expand not in ("auto", "node", "step", "lazy"):
        raise UsageError("--expand must be auto, node, step or lazy")
    if cfg.expand in ("step", "lazy") and cfg.ordering == "mcts":
        raise UsageError(f"--expand {cfg.expand} is for bfs, bfs-norm, value and astar "
                         "(mcts has its own --mcts-width)")
    if cfg.lazy_children < 1 or cfg.lazy_slice <= 0:
        raise UsageError("--lazy-children must be at least 1 and --lazy-slice positive")
    if cfg.mcts_c < 0 or cfg.mcts_width < 0 or cfg.mcts_novelty < 0:
        raise UsageError("--mcts-c, --mcts-width and --mcts-novelty must not be negative")


def load_models(cfg: SearchConfig, *, batching: bool = False) -> Models:
    """The tactic model and the value ``cfg`` asks for (either may be None)."""
    from agent.policies.lm_value import ValueModel, has_value_head
    model = resolve_model(cfg.model) if cfg.model not in ("", "none", "auto") else ""
    model_policy = server = None
    # a folder without a Hugging Face config holds no network (retrieval, templates, Q, V only)
    if model and not (os.path.isdir(model) and not os.path.isfile(os.path.join(model, "config.json"))):
        from agent.policies.transformer import BatchingPolicy, PolicyConfig, TransformerPolicy
        from agent.policies.prompts import PRESETS
        if not (model in PRESETS or os.path.isdir(model) or "/" in model):
            raise UsageError(f"--model {model!r}: not a folder, preset ({', '.join(PRESETS)}) or hub id")
        model_policy = TransformerPolicy.from_pretrained(
            model, device=cfg.device,
            config=PolicyConfig(samples=cfg.samples, decoding=cfg.decoding, temperature=cfg.temperature))
        server = BatchingPolicy(model_policy) if batching else None
    from agent.model_folder import load_part
    from agent.policies.state_value import has_state_value
    value = None
    if cfg.value_model == "none":
        pass
    elif cfg.value_model and cfg.value_model != "policy" and has_state_value(cfg.value_model):
        value = load_part("v", cfg.value_model, "")
    elif not cfg.value_model and model and os.path.isdir(model) and has_state_value(model):
        value = load_part("v", "", model)
    elif cfg.value_model and cfg.value_model != "policy":
        if not has_value_head(cfg.value_model):
            raise UsageError(f"--value-model {cfg.value_model}: no value_head.safetensors there")
        value = ValueModel.load(cfg.value_model, device=cfg.device)
    elif model_policy is not None and os.path.isdir(model) and has_value_head(model):
        value = ValueModel.load(model, trunk=model_policy.model, tokenizer=model_policy.tokenizer,
                                info=model_policy.info)
    elif cfg.value_model == "policy":
        raise UsageError("--value-model policy: the --model folder has no value head")
    return Models(model_policy, server, value)


def build_searcher(cfg: SearchConfig, *, batching: bool = False, models: Models | None = None) -> Searcher:
    """Everything a worker needs; ``models`` given (a Ray worker's proxies) are used as they are."""
    from agent.search import best_first as S
    from agent.policies.automation import AutomationPolicy
    check_search(cfg)
    model = resolve_model(cfg.model) if cfg.model not in ("", "none", "auto") else ""
    m = models if models is not None else load_models(cfg, batching=batching)
    model_policy, server, value = m.policy, m.server, m.value
    from agent.model_folder import load_part
    folder = model if model and os.path.isdir(model) else ""
    from agent.search.learners import Learners
    learners = Learners.load(cfg, folder)
    q = load_part("q", cfg.q, folder,
                  f"--q {cfg.q}: no q_model.npy / q_model.json there (`qstar train qv` writes them)")
    tpl = load_part("templates", cfg.templates, folder, f"--templates {cfg.templates}: no template model there")
    tpl = _Locked(tpl) if tpl is not None else None
    heuristic = value.heuristic if value is not None else S.neg_log
    priority = {"bfs": lambda: S.by_logprob,
                "bfs-norm": lambda: S.normalized_logprob(cfg.length_alpha),
                "value": lambda: S.by_value(heuristic),
                "astar": lambda: S.astar(cfg.astar_lambda, g=cfg.astar_g, heuristic=heuristic),
                "mcts": lambda: S.by_logprob}[cfg.ordering]()  # mcts orders by PUCT, not a priority
    import functools
    search = None
    if cfg.expand == "step":  # check_search refused it with mcts
        search = functools.partial(S.best_first_search, step_level=True)
    if cfg.expand == "lazy" or cfg.expand == "auto" and cfg.ordering != "mcts":  # one cost model for all workers
        from agent.search.lazy import CostModel, lazy_search
        search = functools.partial(lazy_search, children=cfg.lazy_children, slice_seconds=cfg.lazy_slice,
                                   cost=CostModel(slow=cfg.lazy_slice), learned_chance=cfg.lazy_chance == "learned")
    if cfg.ordering == "mcts":
        from agent.search.mcts import MctsConfig, mcts_search
        search = functools.partial(mcts_search, config=MctsConfig(cfg.mcts_c, cfg.mcts_width, cfg.mcts_novelty))
    if getattr(priority, "needs_value", False) and value is None:
        raise UsageError(f"--ordering {cfg.ordering} needs a value model (--value-model, or a --model "
                         "folder trained with `qstar train value`)")

    modes: dict[str, str] = {}
    extras: dict[str, tuple[str, ...]] = {}  # backend name -> CoqHammer's tactics when they are on
    procs: dict[str, object] = {}  # backend name -> the decision procedures in the search

    def mode(backend) -> str:
        if backend.name not in modes:
            modes[backend.name] = hammer_mode(cfg, backend)
            extras[backend.name] = backend.hammer_tactics if modes[backend.name] != "off" else ()
            procs[backend.name] = procedures_for(cfg, backend)
        return modes[backend.name]

    backends: dict[str, object] = {}

    def make_policy(backend: str, theorem: str, lemmas: tuple[str, ...] = (), context: str = "",
                    project: tuple = ()):
        """The candidate sources for one theorem; ``context``: its file above it (the automation
        and the generator point at the lemmas stated there); ``project``: the (goals, step) rows
        of the human proofs above it in its file (``agent.project``), its own retrieval source."""
        from agent.backends import backend_named
        from agent.policies.goal_args import GoalArgPolicy
        from agent.policies.mixed import MixedPolicy
        b = backends.get(backend)
        if b is None:  # resolved once per backend, not per theorem (cached only once resolved:
            b = backend_named(backend)  # another worker thread may ask at the same time)
            mode(b)
            backends[backend] = b
        # the lemmas stated above, parsed only for a source that reads their statements
        stated = (b.lemma_statements(context)
                  if context and (cfg.file_lemmas == "ranked" or learners.generator is not None) else [])
        if cfg.file_lemmas == "off":
            lemmas = ()
        elif not lemmas and context:  # a bench item: its file's lemmas, as `prove` gives them
            lemmas = tuple(b.usable_lemmas(context))
        statements = {n: st for n, st, _ in stated} if cfg.file_lemmas == "ranked" else None
        automation = AutomationPolicy(backend, lemmas=lemmas, extra=extras[backend], statements=statements,
                                      competition=cfg.competition == "on")
        goal = GoalArgPolicy(backend) if cfg.goal_args == "on" else None
        decision = None
        if procs[backend].any():
            from agent.policies.decision import DecisionPolicy
            decision = DecisionPolicy(procs[backend])
        learned = learners.for_theorem(backend, theorem, lemmas=lemmas, stated=stated, context=context,
                                       project=project)
        mixes = any(x is not None for x in (learned.retrieval, tpl, goal, q, decision, learned.generator,
                                            learned.project))  # more than one source, or a Q to rank
        if model_policy is None and not mixes:
            return automation
        mp = None
        if model_policy is not None:
            mp = server.for_theorem(theorem) if server is not None else model_policy.bind(theorem)
        if cfg.automation != "mix" and not mixes:
            return mp
        return MixedPolicy(mp, automation if cfg.automation == "mix" else None,
                           automation_weight=cfg.automation_weight, retrieval=learned.retrieval, templates=tpl,
                           goal_args=goal, goal_weight=cfg.goal_weight, q=q,
                           q_norm=cfg.q_norm, decision=decision, generator=learned.generator,
                           project=learned.project, project_weight=cfg.project_weight)

    study = learners.study if learners.learns else None  # the user's proofs; --online on: each found
    return Searcher(make_policy, _Locked(value) if value is not None else None, priority,
                    cfg.budget_obj(), server.close if server is not None else (lambda: None),
                    mode, cfg.hammer_limit, learn=study if cfg.online == "on" else None, search=search,
                    study=study)
