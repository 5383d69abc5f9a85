"""The local pool's wait for its workers has a deadline: a worker that stops answering is
replaced and its theorem recorded as an internal error; the rest of the queue is proved.

The workers' ``prove`` is replaced by a test double (no kernel): what is tested is the pool's
bookkeeping, with a theorem that never answers until its worker is closed and one that ignores
even that."""

import threading
import time

from agent.bench import pool
from agent.search.prover import TheoremRecord


class Item:
    def __init__(self, name):
        self.theorem = type("T", (), {"name": name, "backend": "coq"})()


def _double(monkeypatch, stuck_forever=False):
    def prove(self, it):
        name = it.theorem.name
        if name == "hangs":
            self.ev = threading.Event()
            if stuck_forever:
                time.sleep(5)  # ignores close()
            else:
                self.ev.wait(30)  # answers only once its prover is killed: a late answer
            return TheoremRecord(name, "proved", ["late."], 1, 0.0, "proved")
        return TheoremRecord(name, "failed", None, 1, 0.0, "exhausted")

    def close(self):
        ev = getattr(self, "ev", None)
        if ev is not None:
            ev.set()

    monkeypatch.setattr(pool.Worker, "prove", prove)
    monkeypatch.setattr(pool.Worker, "close", close)
    monkeypatch.setattr(pool, "_POLL", 0.05)


def _run(items):
    return {it.theorem.name: rec for it, rec in pool.run_items(items, searcher=None, check_timeout=1, workers=2,
                                                             item_deadline=0.5)}


def test_a_worker_that_stops_answering_is_replaced_and_its_late_answer_dropped(monkeypatch):
    _double(monkeypatch)
    got = _run([Item("a"), Item("hangs"), Item("b"), Item("c"), Item("d")])
    assert set(got) == {"a", "hangs", "b", "c", "d"}
    assert got["hangs"].status == "error" and got["hangs"].stop_reason == "internal_error"
    assert got["hangs"].message.startswith("no answer within")
    assert all(got[n].stop_reason == "exhausted" for n in "abcd")


def test_the_pool_ends_even_if_the_stuck_worker_never_returns(monkeypatch):
    _double(monkeypatch, stuck_forever=True)
    t0 = time.monotonic()
    got = _run([Item("hangs"), Item("a"), Item("b")])
    assert time.monotonic() - t0 < 4  # not the 5 s the stuck worker sleeps
    assert got["hangs"].stop_reason == "internal_error" and got["a"].status == got["b"].status == "failed"


def test_item_deadline_covers_search_checks_and_loading():
    from agent.search.searcher import SearchConfig
    s = SearchConfig(timeout=20, tactic_timeout=5, check_timeout=30)
    assert pool.item_deadline(s) > 20 + 5 + 2 * 30
