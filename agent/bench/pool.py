"""A pool that runs a theorem set over several kernel processes with one shared searcher.

Each worker thread owns its prover process(es) and proves one theorem at a time; a theorem
whose search raises is recorded as an internal error and the pool goes on (per-theorem
isolation). Records come back to the calling thread in completion order, so writing them needs
no locking.
"""

from __future__ import annotations

import queue
import threading
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
            policy = s.make_policy(th.backend, th.name, getattr(it, "lemmas", ()))
            last_resort = None
            if s.hammer(b) == "full" and b.hammer_suggest is not None:
                last_resort = lambda t: b.hammer_suggest(t, s.hammer_limit)  # noqa: E731
            return prove_theorem(self.envs[th.backend], th, policy=policy, check=check, budget=s.budget,
                                 priority=s.priority, value=s.value, keep_tree=self.keep_tree,
                                 fallback=getattr(it, "bare", None), last_resort=last_resort,
                                 on_proof=s.learn, search=s.search)
        except Exception as e:  # one theorem's failure must not stop the pool
            return TheoremRecord(th.name, "error", None, 0, 0.0, "internal_error", f"{type(e).__name__}: {e}"[:500])

    def close(self) -> None:
        for env in self.envs.values():
            env.close()


def run_items(items: Iterable, *, searcher: Searcher, check_timeout: float, workers: int = 1,
              keep_tree: bool = False, backend_options: dict | None = None) -> Iterator[tuple[object, TheoremRecord]]:
    """Prove each suite item; yield (item, record) as they finish. Items need ``.theorem``.

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
    pool = [Worker(searcher, check_timeout=check_timeout, keep_tree=keep_tree, options=opts)
            for _ in range(min(workers, len(items)))]

    def work(w: Worker) -> None:
        try:
            while not stop.is_set():
                try:
                    it = todo.get_nowait()
                except queue.Empty:
                    return
                done.put((it, w.prove(it)))
        finally:
            w.close()
            done.put(None)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in pool]
    for t in threads:
        t.start()
    finished = 0
    try:
        while finished < len(threads):
            got = done.get()
            if got is None:
                finished += 1
                continue
            yield got
    finally:  # the caller stopped (done, interrupted, or an error): take no new theorem
        stop.set()
        for w in pool:
            w.close()
