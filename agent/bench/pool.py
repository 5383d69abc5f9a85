"""A pool that runs a theorem set over several kernel processes with one shared searcher.

Each worker thread owns its prover process(es) and proves one theorem at a time; a theorem
whose search raises is recorded as an internal error and the pool goes on (per-theorem
isolation). Records come back to the calling thread in completion order, so writing them needs
no locking.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterable, Iterator

from agent.backends import backend_named
from agent.search.prover import TheoremRecord, prove_theorem
from agent.search.searcher import Searcher


class Worker:
    """One kernel worker: its prover processes (one per backend) and the theorems it proves."""

    def __init__(self, searcher: Searcher, *, check_timeout: float, keep_tree: bool, options: dict):
        self.searcher, self.check_timeout, self.keep_tree, self.options = searcher, check_timeout, keep_tree, options
        self.backends: dict[str, object] = {}
        self.envs: dict[str, object] = {}

    def prove(self, it) -> TheoremRecord:
        """Prove one item; any exception of its own is its record, never the pool's end."""
        th = it.theorem
        try:
            if th.backend not in self.backends:
                self.backends[th.backend] = backend_named(th.backend, check_timeout=self.check_timeout, **self.options)
                self.envs[th.backend] = self.backends[th.backend].make_env()
            b = self.backends[th.backend]
            check = lambda t, tac: (lambda v: (v.ok, v.reason))(b.check_proof(t, tac))  # noqa: E731
            s = self.searcher
            policy = s.make_policy(th.backend, th.name, getattr(it, "lemmas", ()), th.context,
                                   project=getattr(it, "project", ()))
            last_resort = None
            if s.hammer(b) == "full" and b.hammer_suggest is not None:
                last_resort = lambda t: b.hammer_suggest(t, s.hammer_limit)  # noqa: E731
            return prove_theorem(self.envs[th.backend], th, policy=policy, check=check, budget=s.budget,
                                 priority=s.priority, value=s.value, keep_tree=self.keep_tree,
                                 fallback=_fallbacks(b, it), last_resort=last_resort,
                                 on_proof=s.learn, search=s.search)
        except Exception as e:  # one theorem's failure must not stop the pool
            return TheoremRecord(th.name, "error", None, 0, 0.0, "internal_error", f"{type(e).__name__}: {e}"[:500])

    def close(self) -> None:
        for env in self.envs.values():
            env.close()


def _fallbacks(backend, it):
    """What to load, in order, when an item's theorem does not: its prelude's libraries placed
    one by one in the bare context (``Backend.placements``), then the bare theorem alone."""
    bare = getattr(it, "bare", None)
    if bare is None:
        return
    yield from backend.placements(bare, getattr(it, "prelude", ""))
    yield bare, ""


def item_deadline(search) -> float:
    """How long one theorem may take on a pool worker before the worker counts as stopped
    answering: its search, one tactic past it, loading its context, two final checks, a minute."""
    from agent.backends import load_limit
    return search.timeout + search.tactic_timeout + 2 * search.check_timeout + load_limit() + 60.0


_POLL = 1.0  # seconds between looks at the workers' deadlines


def run_items(items: Iterable, *, searcher: Searcher, check_timeout: float, workers: int = 1,
              keep_tree: bool = False, backend_options: dict | None = None,
              item_deadline: float = 0.0) -> Iterator[tuple[object, TheoremRecord]]:
    """Prove each suite item; yield (item, record) as they finish. Items need ``.theorem``.

    On several workers, a theorem that takes longer than ``item_deadline`` seconds (0: no
    deadline) is recorded as an internal error and its worker replaced (its prover killed).

    One worker runs in the calling thread (so Ctrl-C stops the search in progress at once and
    its prover is closed); several run in threads, and their provers are closed when the
    caller stops iterating.
    """
    items = list(items)
    opts = backend_options or {}
    if workers <= 1 or len(items) <= 1:
        w = Worker(searcher, check_timeout=check_timeout, keep_tree=keep_tree, options=opts)
        try:
            for it in items:
                yield it, w.prove(it)
        finally:
            w.close()
        return
    todo: queue.Queue = queue.Queue()
    for it in items:
        todo.put(it)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    busy: dict[int, tuple[object, float]] = {}  # thread number -> (item, when it started)
    given_up: set[int] = set()  # threads whose theorem passed its deadline: their answers are dropped
    pool: dict[int, Worker] = {}

    def work(n: int, w: Worker) -> None:
        try:
            while not stop.is_set() and n not in given_up:
                try:
                    it = todo.get_nowait()
                except queue.Empty:
                    return
                busy[n] = (it, time.monotonic())
                rec = w.prove(it)
                busy.pop(n, None)
                done.put((n, (it, rec)))
        finally:
            w.close()
            done.put((n, None))

    def start(n: int) -> None:
        pool[n] = Worker(searcher, check_timeout=check_timeout, keep_tree=keep_tree, options=opts)
        threading.Thread(target=work, args=(n, pool[n]), daemon=True).start()

    for n in range(min(workers, len(items))):
        start(n)
    alive = set(pool)  # threads that have not ended
    try:
        while alive - given_up:
            try:
                n, got = done.get(timeout=_POLL)
            except queue.Empty:
                for n, (it, t0) in list(busy.items()):
                    if item_deadline and time.monotonic() - t0 > item_deadline and n not in given_up:
                        # a worker that stopped answering: its theorem is an internal error, its
                        # prover is killed, a fresh worker takes the rest of the queue
                        given_up.add(n)
                        busy.pop(n, None)
                        pool[n].close()
                        yield it, TheoremRecord(it.theorem.name, "error", None, 0, 0.0, "internal_error",
                                                f"no answer within {item_deadline:.0f} s: the worker was replaced")
                        start(len(pool))
                        alive.add(len(pool) - 1)
                continue
            if got is None:
                alive.discard(n)
                continue
            if n in given_up:
                continue
            yield got
    finally:  # the caller stopped (done, interrupted, or an error): take no new theorem
        stop.set()
        for w in pool.values():
            w.close()
