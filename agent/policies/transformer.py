"""Tactic policies over Hugging Face models: k candidates per state with their log-probs.

``TransformerPolicy.propose`` takes many states at once (one ``generate`` call per batch of
prompts, so one forward pass serves many open states), decodes k candidates per state by
sampling or beam search, deduplicates them, and scores each distinct candidate by a
teacher-forced forward pass (``agent.policies.lm``) so the log-probs search ranks by are exact.
``BatchingPolicy`` lets many searches running in threads share one model: calls that arrive
together are answered by one ``propose``.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from dataclasses import dataclass

from agent.env import ProofState
from agent.policies.prompts import build_prompt


@dataclass
class PolicyConfig:
    """Decoding settings of a model policy."""

    samples: int = 8
    """Candidates decoded per state (k)."""
    decoding: str = "sample"
    """sample (temperature sampling) or beam (beam search, k beams)."""
    temperature: float = 1.0
    """Sampling temperature (decoding only: log-probs are always scored at temperature 1)."""
    max_new_tokens: int = 64
    """Longest tactic, in tokens."""
    batch_size: int = 16
    """Prompts per generate call."""


class TransformerPolicy:
    def __init__(self, model, tokenizer, info, config: PolicyConfig | None = None):
        self.model, self.tokenizer, self.info = model, tokenizer, info
        self.config = config or PolicyConfig()
        self._name = ""

    @classmethod
    def from_pretrained(cls, name: str, *, config: PolicyConfig | None = None,
                        device: str = "auto", dtype: str = "auto") -> "TransformerPolicy":
        from agent.policies.models import load_model
        model, tok, info = load_model(name, device=device, dtype=dtype)
        return cls(model, tok, info, config)

    @property
    def device(self):
        return next(self.model.parameters()).device

    def bind(self, theorem_name: str) -> "TransformerPolicy":
        """Templates that show the theorem's name (InternLM) read it from here."""
        self._name = theorem_name
        return self

    def prompt(self, state: ProofState, name: str | None = None) -> str:
        """The model input for ``state`` (``agent.policies.prompts.build_prompt``)."""
        return build_prompt(self.info.template, state.goals, max_state_chars=self.info.max_state_chars,
                            name=self._name if name is None else name, proof_before="\n".join(state.path))

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        return self.propose([self.prompt(state)])[0]

    def propose(self, prompts: list[str]) -> list[list[tuple[str, float]]]:
        """For each prompt: distinct candidate tactics, best log-prob first."""
        import torch
        out: list[list[tuple[str, float]]] = []
        with torch.no_grad():
            for i in range(0, len(prompts), self.config.batch_size):
                chunk = prompts[i:i + self.config.batch_size]
                texts, logps = self._generate(chunk)
                rows: list[list[tuple[str, float]]] = []
                if logps is None:  # beam search or a temperature: score by a forward pass
                    cands = [list(dict.fromkeys(t for t in row if t.strip())) for row in texts]
                    flat = [(j, t) for j, row in enumerate(cands) for t in row]
                    scores = self.score([chunk[j] for j, _ in flat], [t for _, t in flat]) if flat else []
                    rows = [[] for _ in chunk]
                    for (j, t), s in zip(flat, scores):
                        rows[j].append((t, s))
                else:  # plain sampling: generate's own log-probs are the exact ones
                    for row_t, row_l in zip(texts, logps):
                        best: dict[str, float] = {}
                        for t, lp in zip(row_t, row_l):
                            if t.strip():
                                best[t] = lp
                        rows.append(list(best.items()))
                out.extend(sorted(r, key=lambda x: -x[1]) for r in rows)
        return out

    def _generate(self, prompts: list[str]) -> tuple[list[list[str]], list[list[float]] | None]:
        """k decoded texts per prompt, and their log-probs when decoding gives them exactly."""
        import torch

        from agent.policies.lm import encode_prompt
        tok, k, kind = self.tokenizer, self.config.samples, self.info.kind
        ids = [encode_prompt(tok, p, kind) for p in prompts]
        width = max(len(x) for x in ids)
        pad = tok.pad_token_id
        # Causal models are left-padded so every prompt ends where generation starts.
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for r, x in enumerate(ids):
            if kind == "causal":
                input_ids[r, width - len(x):] = torch.tensor(x)
                mask[r, width - len(x):] = 1
            else:
                input_ids[r, :len(x)] = torch.tensor(x)
                mask[r, :len(x)] = 1
        gen = dict(max_new_tokens=self.config.max_new_tokens, num_return_sequences=k,
                   pad_token_id=pad, eos_token_id=tok.eos_token_id)
        exact = self.config.decoding == "sample" and self.config.temperature == 1.0
        if self.config.decoding == "beam":
            gen.update(num_beams=k, do_sample=False, early_stopping=True)
        else:
            gen.update(do_sample=True, temperature=self.config.temperature, top_k=0, top_p=1.0)
        if exact:
            gen.update(output_scores=True, return_dict_in_generate=True)
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        if kind == "causal" and self.config.decoding == "sample" and k > 1 and width > 1:
            res = self._sample_with_shared_prefix(input_ids, mask, gen)
        else:
            res = self.model.generate(input_ids=input_ids, attention_mask=mask, **gen)
        seqs = res.sequences if exact else res  # (B*k, T)
        new = seqs[:, width:] if kind == "causal" else seqs[:, 1:]  # drop prompt / decoder start
        texts = [t.strip() for t in tok.batch_decode(new, skip_special_tokens=True)]
        logps = None
        if exact:
            # Untempered, unfiltered sampling: the processed scores are the model's log-softmax.
            step = torch.stack([torch.log_softmax(s.float(), -1) for s in res.scores], 1)  # (B*k, T_new, V)
            picked = step.gather(-1, new.unsqueeze(-1)).squeeze(-1)  # (B*k, T_new)
            # Count tokens up to and including the first end token; padding after it is not scored.
            is_end = (new == tok.eos_token_id).int()
            after_end = (is_end.cumsum(1) - is_end) > 0
            flat = picked.masked_fill(after_end, 0.0).sum(1).cpu().tolist()
            ended = is_end.sum(1).gt(0).cpu().tolist()
            # A sample cut off by max_new_tokens is an unfinished tactic: drop it.
            texts = [t if done else "" for t, done in zip(texts, ended)]
            logps = [flat[r * k:(r + 1) * k] for r in range(len(prompts))]
        return [texts[r * k:(r + 1) * k] for r in range(len(prompts))], logps

    def _sample_with_shared_prefix(self, input_ids, mask, gen: dict):
        """Sampling k continuations per prompt with the prompt encoded once, not k times.

        ``generate(num_return_sequences=k)`` copies each prompt k times before the prefill,
        which dominates the cost of short tactics after long states. Here the prompt (all but
        its last token) is run once, its key/value cache repeated k times, and generation
        continues from it: the same distribution, a fraction of the compute.
        """
        k = gen["num_return_sequences"]
        positions = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding: positions start at 0
        try:
            out = self.model(input_ids=input_ids[:, :-1], attention_mask=mask[:, :-1],
                             position_ids=positions[:, :-1], use_cache=True)
            cache = getattr(out, "cache", None)
            cache = out.past_key_values if cache is None else cache
            cache.batch_repeat_interleave(k)
        except (AttributeError, TypeError):  # a model or cache without this support
            return self.model.generate(input_ids=input_ids, attention_mask=mask, **gen)
        return self.model.generate(input_ids=input_ids.repeat_interleave(k, 0),
                                   attention_mask=mask.repeat_interleave(k, 0),
                                   **{_cache_kwarg(type(self.model)): cache}, **{**gen, "num_return_sequences": 1})

    def score(self, prompts: list[str], tactics: list[str]) -> list[float]:
        """Teacher-forced log-prob of each tactic (with its end token) after its prompt."""
        import torch

        from agent.policies.lm import encode_prompt, encode_tactic, make_batch, sequence_logprobs
        out: list[float] = []
        with torch.no_grad():
            for i in range(0, len(prompts), self.config.batch_size * 4):
                p = [encode_prompt(self.tokenizer, x, self.info.kind) for x in prompts[i:i + self.config.batch_size * 4]]
                t = [encode_tactic(self.tokenizer, x, self.config.max_new_tokens)
                     for x in tactics[i:i + self.config.batch_size * 4]]
                batch = make_batch(self.tokenizer, self.info.kind, p, t, self.device)
                total, _ = sequence_logprobs(self.model, batch)
                out.extend(float(v) for v in total.cpu())
        return out


@functools.lru_cache(maxsize=None)
def _cache_kwarg(model_class: type) -> str:
    """The name generate takes a key/value cache by: ``cache`` since transformers 5.2x (which
    warns on every call given the old name), ``past_key_values`` before. Read once per class."""
    import inspect
    return "cache" if "cache" in inspect.signature(model_class.forward).parameters else "past_key_values"


class BatchingPolicy:
    """Serve many concurrent searches (threads) with one model: requests that arrive within
    ``max_wait`` seconds of each other, up to ``max_batch``, share one ``propose`` call."""

    def __init__(self, policy: TransformerPolicy, *, max_batch: int = 32, max_wait: float = 0.01,
                 ask_timeout: float = 600.0):
        self.policy, self.max_batch, self.max_wait = policy, max_batch, max_wait
        self.ask_timeout = ask_timeout  # a search waits at most this long for its batch's answer
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self.batches: list[int] = []  # size of every batch served (for benchmarks)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> "BatchingPolicy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def for_theorem(self, name: str):
        """A per-search callable (keeps the theorem's name for templates that show it)."""
        return lambda state: self.ask(state, name)

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        return self.ask(state, "")

    def ask(self, state: ProofState, name: str) -> list[tuple[str, float]]:
        slot = {"prompt": self.policy.prompt(state, name), "done": threading.Event(), "out": None, "err": None}
        if self._stop.is_set() or not self._thread.is_alive():
            raise RuntimeError("the batching policy is closed")
        self._q.put(slot)
        deadline = time.monotonic() + self.ask_timeout
        while not slot["done"].wait(0.5):  # never wait on a server that has stopped
            if not self._thread.is_alive():
                raise RuntimeError("the batching policy stopped before answering")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from the batched model within {self.ask_timeout:g}s")
        if slot["err"] is not None:
            raise slot["err"]
        return slot["out"]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._q.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                left = deadline - time.monotonic()
                try:
                    batch.append(self._q.get(timeout=max(0.0, left)) if left > 0 else self._q.get_nowait())
                except queue.Empty:
                    break
            self.batches.append(len(batch))
            try:
                results = self.policy.propose([s["prompt"] for s in batch])
                for s, r in zip(batch, results):
                    s["out"] = r
            except Exception as e:  # hand the failure to every waiting search
                for s in batch:
                    s["err"] = e
            for s in batch:
                s["done"].set()
