"""Every wait on something outside qstar has a deadline: a prover that reads no input, a
command whose escaped grandchild holds its output, a batched model that never answers or has
stopped, a Coq rollback after a failed tactic, a Ray runtime that never starts."""

import subprocess
import sys
import time
import types

import pytest

from agent import proc as proc_mod
from agent.proc import WriteTimeout, kill_group, run_bounded, spawn, write_bounded
from conftest import requires_coq
from helpers import alive


def test_a_write_to_a_process_that_reads_nothing_ends_at_the_deadline():
    p = spawn(["sleep", "30"], stdin=subprocess.PIPE)
    try:
        t0 = time.monotonic()
        with pytest.raises(WriteTimeout):
            write_bounded(p, b"x" * (4 << 20), deadline=time.monotonic() + 0.5)  # past any pipe buffer
        assert time.monotonic() - t0 < 2.0
    finally:
        kill_group(p)


def test_a_lean_request_to_a_repl_that_reads_nothing_times_out():
    from lean_env.repl import Repl, ReplConfig, ReplTimeout
    repl = Repl(ReplConfig(command=("sleep", "30"), rss_limit_mb=0))
    try:
        t0 = time.monotonic()
        with pytest.raises(ReplTimeout):
            repl.request({"cmd": "x" * (4 << 20)}, timeout=0.5)
        assert time.monotonic() - t0 < 2.0 and not repl.alive
    finally:
        repl.kill()


def test_a_killed_command_whose_grandchild_escaped_returns_at_its_drain_limit(monkeypatch):
    # the grandchild leaves the group (setsid) and keeps the output pipe open for 30 s
    monkeypatch.setattr(proc_mod, "_DRAIN_SECONDS", 0.5)
    t0 = time.monotonic()
    got = run_bounded(["sh", "-c", "setsid sleep 30 & sleep 30"], timeout=0.5)
    assert got.timed_out and time.monotonic() - t0 < 3.0


class _StuckModel:
    """A test double for the model behind BatchingPolicy: it never answers."""

    def prompt(self, state, name):
        return "p"

    def propose(self, prompts):
        time.sleep(30)


def test_a_batched_model_that_never_answers_or_has_stopped_fails_the_call():
    from agent.policies.transformer import BatchingPolicy
    b = BatchingPolicy(_StuckModel(), ask_timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        b.ask(None, "t")
    assert time.monotonic() - t0 < 2.0
    b._stop.set()
    with pytest.raises(RuntimeError):
        b.ask(None, "t")


def test_a_local_ray_runtime_that_never_starts_is_a_one_line_error(monkeypatch):
    from agent.backends import UsageError
    from agent.bench import ray_pool
    fake = types.SimpleNamespace(is_initialized=lambda: False, init=lambda **kw: time.sleep(30))
    monkeypatch.setitem(sys.modules, "ray", fake)  # a test double for a runtime that hangs
    monkeypatch.setattr(ray_pool, "LOCAL_START_TIMEOUT", 0.5)
    t0 = time.monotonic()
    with pytest.raises(UsageError, match="no Ray runtime started"):
        ray_pool.connect("ray")
    assert time.monotonic() - t0 < 2.0

    def init(address=None, **kw):  # none runs here, and the one started in this thread hangs
        if address == "auto":
            raise ConnectionError("Could not find any running Ray instance.")
        time.sleep(30)

    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: False, init=init,
                                                                 shutdown=lambda: None))
    t0 = time.monotonic()
    with pytest.raises(UsageError, match="no Ray runtime started"):
        ray_pool.connect("ray")
    assert time.monotonic() - t0 < 2.0


@requires_coq
def test_a_coq_rollback_after_a_failed_tactic_is_bounded_by_its_own_limit():
    from agent.env import Goals, TacticError, Theorem
    from coq_env.env import CoqEnv, CoqEnvConfig
    th = Theorem("c", "Lemma c : forall n : nat, n + 0 = n.", "Require Import Lia.\n")
    # a rollback limit no Edit_at can meet: the prover is dropped, not waited on for the tactic's 30 s
    with CoqEnv(CoqEnvConfig(edit_timeout=1e-6, interrupt_grace=0.5)) as env:
        root = env.start(th)
        t0 = time.monotonic()
        r = env.apply(root, "apply nonexistent_lemma.", timeout=30)
        assert isinstance(r, TacticError) and time.monotonic() - t0 < 5.0  # the kernel's verdict stands
        spawns = env.spawns
        assert isinstance(env.apply(root, "intros n.", timeout=30), Goals)
        assert env.spawns == spawns + 1  # a fresh prover, and the right answer


def test_what_a_one_shot_command_leaves_running_in_its_group_ends_with_it():
    # the command exits at once; the sleeper it started in its group would run 30 s
    got = run_bounded(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"], timeout=10)
    pid = int(got.output.split()[0])
    time.sleep(0.2)
    assert not got.timed_out and not alive(pid)
