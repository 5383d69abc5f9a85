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


def run_items(items: Iterable, *, searcher: Searcher, check_timeout: float, workers: int = 1,
              keep_tree: bool = False, backend_options: dict | None = None) -> Iterator[tuple[object, TheoremRecord]]:
    """Prove each suite item; yield (item, record) as they finish. Items need ``.theorem``."""
    todo: queue.Queue = queue.Queue()
    items = list(items)
    for it in items:
        todo.put(it)
    done: queue.Queue = queue.Queue()
    opts = backend_options or {}

    def worker() -> None:
        envs: dict[str, object] = {}
        backends: dict[str, object] = {}
        try:
            while True:
                try:
                    it = todo.get_nowait()
                except queue.Empty:
                    return
                th = it.theorem
                try:
                    if th.backend not in backends:
                        backends[th.backend] = backend_named(th.backend, check_timeout=check_timeout, **opts)
                        envs[th.backend] = backends[th.backend].make_env()
                    b = backends[th.backend]
                    check = lambda t, tac, b=b: (lambda v: (v.ok, v.reason))(b.check_proof(t, tac))  # noqa: E731
                    rec = prove_theorem(envs[th.backend], th, policy=searcher.make_policy(th.backend, th.name),
                                        check=check, budget=searcher.budget, priority=searcher.priority,
                                        value=searcher.value, keep_tree=keep_tree,
                                        fallback=getattr(it, "bare", None))
                except Exception as e:  # one theorem's failure must not stop the pool
                    rec = TheoremRecord(th.name, "error", None, 0, 0.0, "internal_error",
                                        f"{type(e).__name__}: {e}"[:500])
                done.put((it, rec))
        finally:
            for env in envs.values():
                env.close()
            done.put(None)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(workers, len(items))))]
    for t in threads:
        t.start()
    finished = 0
    while finished < len(threads):
        got = done.get()
        if got is None:
            finished += 1
            continue
        yield got
