"""The Coq backend against the real coqidetop."""

import time

import pytest

from agent.env import Goals, Proved, StartError, TacticError, TacticTimeout, Theorem
from coq_env import CoqEnv
from conftest import requires_coq

pytestmark = requires_coq

CTX = "Require Import Arith.\nRequire Import Lia.\n"
CONJ = Theorem("conj", "Lemma conj : forall n m : nat, n + m = m + n /\\ True.", CTX)


@pytest.fixture
def env():
    e = CoqEnv()
    yield e
    e.close()


def test_steps_errors_and_proof(env):
    root = env.start(CONJ)
    assert root.pretty() == "⊢ forall n m : nat, n + m = m + n /\\ True"
    s1 = env.apply(root, "intros.", timeout=10)
    assert isinstance(s1, Goals) and s1.state.pretty() == "n, m : nat\n⊢ n + m = m + n /\\ True"
    s2 = env.apply(s1.state, "split.", timeout=10)
    assert isinstance(s2, Goals) and len(s2.state.goals) == 2
    err = env.apply(s1.state, "apply no_such_lemma.", timeout=10)
    assert isinstance(err, TacticError) and "no_such_lemma" in err.message
    # The failed step left the document usable: go back to a deeper node and finish.
    s3 = env.apply(s2.state, "lia.", timeout=10)
    assert isinstance(s3, Goals) and s3.state.pretty() == "n, m : nat\n⊢ True"
    done = env.apply(s3.state, "exact I.", timeout=10)
    assert done == Proved(("intros.", "split.", "lia.", "exact I."))


def test_states_compare_by_goals_not_path(env):
    root = env.start(CONJ)
    a = env.apply(root, "intros.", timeout=10)
    b = env.apply(root, "intros n m.", timeout=10)
    assert a.state == b.state and a.state.path != b.state.path
    assert hash(a.state) == hash(b.state)


def test_bullets_and_unicode(env):
    th = Theorem("uni", "Lemma uni : forall α β : nat, α = β -> β = α /\\ α = α.", CTX)
    root = env.start(th)
    r = env.apply(root, "intros α β H. split.\n- symmetry. exact H.\n- reflexivity.", timeout=10)
    assert isinstance(r, Proved)
    mid = env.apply(root, "intros α β H. split.\n- symmetry. exact H.", timeout=10)
    # The first bullet is closed; the second goal is still owed (unfocused).
    assert isinstance(mid, Goals) and mid.state.pretty() == "α, β : nat\nH : α = β\n⊢ α = α"
    assert isinstance(env.apply(mid.state, "- reflexivity.", timeout=10), Proved)
    # A focusing selector with a brace runs whole ("2:{ reflexivity." is two sentences).
    assert isinstance(env.apply(root, "intros α β H. split. 2:{ reflexivity. } symmetry. exact H.", timeout=10), Proved)


def test_looping_tactic_times_out_and_backend_stays_usable(env):
    root = env.start(CONJ)
    t0 = time.monotonic()
    r = env.apply(root, "repeat (assert True by exact I).", timeout=1.0)
    assert isinstance(r, TacticTimeout)
    assert time.monotonic() - t0 < 1.0 + env.config.interrupt_grace + 2.0
    assert isinstance(env.apply(root, "intros. split. lia. exact I.", timeout=10), Proved)


def test_killed_process_is_restarted_and_state_rebuilt(env):
    root = env.start(CONJ)
    s1 = env.apply(root, "intros. split.", timeout=10).state
    spawns = env.spawns
    env.kill_process()
    r = env.apply(s1, "lia.", timeout=10)
    assert isinstance(r, Goals) and r.state.pretty() == "n, m : nat\n⊢ True"
    assert env.spawns == spawns + 1


def test_client_rejects_unterminated_and_forbidden_input(env):
    root = env.start(CONJ)
    assert isinstance(env.apply(root, "intros", timeout=10), TacticError)
    assert isinstance(env.apply(root, "admit.", timeout=10), TacticError)
    assert isinstance(env.apply(root, "Qed.", timeout=10), TacticError)
    assert isinstance(env.apply(root, "Admitted.", timeout=10), TacticError)


def test_bad_statement_is_a_start_error(env):
    with pytest.raises(StartError):
        env.start(Theorem("bad", "Lemma bad : no_such_type.", CTX))
    with pytest.raises(StartError):
        env.start(Theorem("bad2", "Lemma bad2 : (1 = .", CTX))
    # and the env still works afterwards
    assert isinstance(env.apply(env.start(CONJ), "intros. split. lia. exact I.", timeout=10), Proved)


@pytest.mark.parametrize("context", [
    "Definition broken := no_such_constant.\n",  # coqidetop's error resilience would skip it
    "Lemma l : 1 = 2.\nProof. reflexivity. Qed.\n",  # ... and admit this proof
    "Module M.\nDefinition d := 0.\n2:{ exact I. }\n",  # ... and ignore this
])
def test_a_context_that_fails_is_a_start_error(env, context):
    # The search must see the context the final check (coqc) sees: a failing context sentence
    # is a statement error, not silently skipped.
    with pytest.raises(StartError):
        env.start(Theorem("t", "Lemma t : True.", CTX + context))
    assert isinstance(env.apply(env.start(CONJ), "intros. split. lia. exact I.", timeout=10), Proved)


def test_switching_theorems_reuses_the_shared_context(env):
    env.start(CONJ)
    calls = env.kernel_calls
    other = Theorem("t2", "Lemma t2 : 2 + 2 = 4.", CTX)
    root = env.start(other)
    assert env.kernel_calls - calls <= 5  # edit back to the shared context, add two sentences
    assert isinstance(env.apply(root, "reflexivity.", timeout=10), Proved)


class KillEveryN:
    """Wraps the real CoqEnv and kills its prover process before every n-th step."""

    def __init__(self, env, n):
        self.env, self.n, self.calls = env, n, 0

    def apply(self, state, tactic, *, timeout, deadline=None):
        self.calls += 1
        if self.calls % self.n == 0:
            self.env.kill_process()
        return self.env.apply(state, tactic, timeout=timeout, deadline=deadline)


def test_search_survives_kills_with_an_unchanged_result():
    from agent.policies.automation import AutomationPolicy
    from agent.search.best_first import SearchBudget, best_first_search

    th = Theorem("len_app", "Lemma len_app : forall (A : Type) (l1 l2 : list A), "
                 "length (l1 ++ l2) = length l1 + length l2.", "Require Import List Lia.\n")
    budget = SearchBudget(max_expansions=60, max_seconds=120)
    results = []
    for n in (None, 40):
        with CoqEnv() as env:
            root = env.start(th)
            runner = env if n is None else KillEveryN(env, n)
            res = best_first_search(runner, root, policy=AutomationPolicy("coq"), budget=budget,
                                    check_invariants=True)
            results.append((res.proof, res.expansions, res.nodes, env.spawns))
    (p0, e0, n0, s0), (p1, e1, n1, s1) = results
    assert p0 is not None and (p0, e0, n0) == (p1, e1, n1)
    assert s0 == 1 and s1 >= 3


def test_goals_arrive_structured_from_the_xml(env):
    from agent.env import Goal, Hypothesis
    th = Theorem("t", "Lemma t : forall x y : nat, let z := x + 1 in x + y = y + x /\\ z = z.")
    root = env.start(th)
    s = env.apply(root, "intros x y z. split. shelve.", timeout=10)
    assert isinstance(s, Goals)
    hyps = (Hypothesis(("x", "y"), "nat"), Hypothesis(("z",), "nat", "x + 1"))
    assert s.state.goals == (Goal(hyps, "z = z"), Goal(hyps, "x + y = y + x", shelved=True))
    # The one renderer prints them as Coq does (and as earlier records stored them).
    assert s.state.pretty() == ("x, y : nat\nz := x + 1 : nat\n⊢ z = z\n\n"
                                "(shelved) x, y : nat\nz := x + 1 : nat\n⊢ x + y = y + x")
    from coq_env.goals import parse_rendered
    assert parse_rendered(s.state.pretty()) == s.state.goals


def test_rebuilding_a_state_after_a_crash_is_bounded_by_the_callers_deadline(env):
    import time
    root = env.start(CONJ)
    s1 = env.apply(root, "intros.", timeout=10).state
    s2 = env.apply(s1, "split.", timeout=10).state
    env.kill_process()
    t0 = time.monotonic()
    out = env.apply(s2, "lia.", timeout=10, deadline=t0)  # no time left to reload and replay
    assert isinstance(out, TacticTimeout) and time.monotonic() - t0 < 1
    out = env.apply(s2, "lia.", timeout=10, deadline=time.monotonic() + 60)
    assert isinstance(out, Goals) and out.state.pretty() == "n, m : nat\n⊢ True"


def test_a_tactic_timeout_interrupts_coq_even_when_our_thread_blocks_sigint():
    # Ray runs an actor's methods in a thread that blocks SIGINT, and a blocked mask survives
    # exec: Coq started there never saw the interrupt, so every tactic timeout killed and
    # restarted it (and reloaded the theorem's context). The interrupt must reach it.
    import signal
    import threading
    out = {}

    def run():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        e = CoqEnv()
        try:
            root = e.start(CONJ)
            spawns = e.spawns
            out["r"] = e.apply(root, "repeat (assert True by exact I).", timeout=1.0)
            out["then"] = e.apply(root, "intros. split. lia. exact I.", timeout=10)
            out["restarted"] = e.spawns != spawns  # a killed Coq is restarted for the next step
        except BaseException as exc:  # said by the assertion below, not lost with the thread
            out["error"] = repr(exc)
        finally:
            e.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the thread did not finish within 60 s"
    assert "error" not in out, out["error"]
    assert isinstance(out["r"], TacticTimeout) and isinstance(out["then"], Proved)
    assert out["restarted"] is False  # interrupted and still usable, not killed


def test_the_prover_works_when_its_pipes_are_numbered_past_1024():
    # A long run (or a test session) can hold over a thousand descriptors: select() refuses
    # those numbered 1024 and up, so every wait on the prover raised. The waits use poll.
    import os
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with CoqEnv() as e:
            root = e.start(CONJ)
            assert e._top.proc.stdout.fileno() >= 1024
            assert isinstance(e.apply(root, "repeat (assert True by exact I).", timeout=1.0), TacticTimeout)
            assert isinstance(e.apply(root, "intros. split. lia. exact I.", timeout=10), Proved)
    finally:
        for fd in held:
            os.close(fd)


LOOP = "repeat (assert True by exact I)."


def _labels_of_search(env, budget):
    """Q labels of one real search whose policy proposes only a looping tactic at the root."""
    from agent.learning.qdata import rows_from_records
    from agent.search.best_first import best_first_search
    from agent.search.prover import TheoremRecord
    from agent.search.records import tree_to_json
    root = env.start(CONJ)
    res = best_first_search(env, root, policy=lambda s: [(LOOP, -0.1)] if not s.path else [], budget=budget)
    rec = TheoremRecord("conj", "failed", None, res.expansions, res.seconds, res.stop_reason)
    rec.tree = tree_to_json(res.root, proof=None)
    q, _ = rows_from_records([rec.to_json()])
    return res.root.edges[0], {r.tactic: r.label for r in q}


def test_real_coq_a_tactic_that_ran_its_full_limit_is_a_negative(env):
    from agent.search.best_first import SearchBudget
    edge, labels = _labels_of_search(env, SearchBudget(max_seconds=30.0, tactic_timeout=1.0))
    assert edge.outcome == "timeout" and labels == {LOOP: 0.0}


def test_real_coq_a_tactic_the_search_deadline_cut_short_has_no_label(env):
    from agent.search.best_first import SearchBudget
    edge, labels = _labels_of_search(env, SearchBudget(max_seconds=1.0, tactic_timeout=5.0))
    assert edge.outcome == "cut" and labels == {}


def test_real_coq_a_state_the_deadline_left_no_time_to_rebuild_is_cut(env):
    root = env.start(CONJ)
    s1 = env.apply(root, "intros. split.", timeout=10).state
    assert isinstance(env.apply(root, "intros.", timeout=10), Goals)  # the document moves elsewhere
    r = env.apply(s1, "lia.", timeout=5.0, deadline=time.monotonic() - 1.0)  # s1 must be replayed first
    assert isinstance(r, TacticTimeout) and r.cut
    assert isinstance(env.apply(s1, "lia.", timeout=10), Goals)  # and nothing is broken
