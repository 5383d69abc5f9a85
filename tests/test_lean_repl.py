"""The Lean client through a real subprocess that replays the REPL's recorded transcripts."""

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from agent.env import Goals, Proved, StartError, TacticError, TacticTimeout, Theorem
from lean_env.env import LeanEnv, LeanEnvConfig, interpret_tactic_reply, split_header
from lean_env.repl import InvalidRequest, Repl, ReplConfig, ReplDied, validate_request

REPLAY = str(Path(__file__).with_name("replay_repl.py"))
TRANSCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean-repl-transcripts"
PIN_TRANSCRIPTS = Path(__file__).with_name("data") / "lean-repl-v4.24.0"  # the version lean_project/ pins
pytestmark = pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=f"no transcripts at {TRANSCRIPTS}")
VERSIONS = {"v4.33.0-rc2": TRANSCRIPTS, "v4.24.0": PIN_TRANSCRIPTS}
DIR = TRANSCRIPTS  # the transcripts replayed; the fixture below runs a test on each version's


@pytest.fixture(params=sorted(VERSIONS))
def both_versions(request, monkeypatch):
    """Run the test on the replies recorded at the pin (v4.24.0, lean_project/'s) and at the later
    version of the shared data: the client reads both."""
    assert (VERSIONS[request.param] / "proof_step.expected.out").is_file()
    monkeypatch.setattr(sys.modules[__name__], "DIR", VERSIONS[request.param])
    return request.param


def replay_env(*transcripts, extra=(), **cfg):
    cmd = [sys.executable, REPLAY, "--dir", str(DIR)]
    for t in transcripts:
        cmd += ["--transcript", t]
    return LeanEnv(LeanEnvConfig(repl_command=(*cmd, *extra), project_dir=".", **cfg))


def recorded(name):
    """The recorded replies of one transcript, in order."""
    text = (DIR / f"{name}.expected.out").read_text(encoding="utf-8")
    return [json.loads(b) for b in text.split("\n\n") if b.strip()]


F_NAT = Theorem("f", "def f : Nat", "", backend="lean")


@pytest.mark.usefixtures("both_versions")
def test_framing_through_a_real_subprocess():
    repl = Repl(ReplConfig(command=(sys.executable, REPLAY, "--dir", str(DIR), "--transcript", "proof_step"),
                           rss_limit_mb=0))
    try:
        r = repl.request({"cmd": "def f : Nat := by sorry"}, timeout=10)
        assert r["sorries"][0]["goal"] == "⊢ Nat" and r["env"] == 0
        r = repl.request({"tactic": "have t : Nat := 42", "proofState": 0}, timeout=10)
        assert r["goals"] == ["t : Nat\n⊢ Nat"]
        with pytest.raises(InvalidRequest):
            repl.request({"tactic": "exact t", "proofState": "2"}, timeout=10)
        assert repl.alive  # the bad request never reached the process
        assert repl.request({"tactic": "exact t", "proofState": 2}, timeout=10)["proofStatus"] == "Completed"
    finally:
        repl.kill()


@pytest.mark.usefixtures("both_versions")
def test_step_semantics_on_replayed_replies():
    with replay_env("proof_step") as env:
        root = env.start(F_NAT, timeout=10)
        assert root.pretty() == "⊢ Nat"
        r1 = env.apply(root, "apply Int.natAbs", timeout=10)
        assert isinstance(r1, Goals) and r1.state.pretty() == "⊢ Int"
        r2 = env.apply(root, "have t : Nat := 42", timeout=10)
        assert isinstance(r2, Goals) and r2.state.pretty() == "t : Nat\n⊢ Nat"
        assert env.apply(r2.state, "exact t", timeout=10) == Proved(("have t : Nat := 42", "exact t"))


@pytest.mark.usefixtures("both_versions")
def test_error_then_contains_sorry_is_a_failure():
    th = Theorem("my_theorem", "theorem my_theorem (x : Nat) : x = x", "", backend="lean")
    with replay_env("invalid_tactic") as env:
        r = env.apply(env.start(th, timeout=10), "exact my_fake_premise", timeout=10)
        assert isinstance(r, TacticError) and "my_fake_premise" in r.message


@pytest.mark.usefixtures("both_versions")
def test_unknown_tactic_message_is_a_failure():
    with replay_env("unknown_tactic") as env:
        r = env.apply(env.start(F_NAT, timeout=10), "exat 42", timeout=10)
        assert isinstance(r, TacticError) and "unknown tactic" in r.message


@pytest.mark.usefixtures("both_versions")
@pytest.mark.parametrize("name,index", [
    ("tactic_mode_sorry", 1),  # "Incomplete: contains sorry", no goals
    ("have_by_sorry", 2),  # open goals, but the tactic hid a sorry inside
    ("app_type_mismatch", 4),  # "Incomplete: contains metavariable(s)", no goals
    ("invalid_tactic", 1),  # error at 0:0 + "contains sorry"
    ("unknown_proof_state", 1),  # {"message": ...}
])
def test_recorded_non_proofs_are_never_proved(name, index):
    reply = recorded(name)[index]
    assert isinstance(interpret_tactic_reply(reply, ("t",)), TacticError)


@pytest.mark.usefixtures("both_versions")
def test_only_completed_is_a_proof():
    assert interpret_tactic_reply(recorded("proof_step")[3], ("a", "b")) == Proved(("a", "b"))
    assert interpret_tactic_reply(recorded("proof_branching")[1], ("a",))[1][0].startswith("case left")


@pytest.mark.usefixtures("both_versions")
def test_sorry_tactic_is_screened_before_sending():
    with replay_env("tactic_mode_sorry") as env:
        r = env.apply(env.start(F_NAT, timeout=10), "sorry", timeout=10)
        assert isinstance(r, TacticError) and "sorry" in r.message


@pytest.mark.usefixtures("both_versions")
def test_hanging_request_times_out_then_state_is_rebuilt(tmp_path):
    extra = ("--hang-on", "exact t", "--once-file", str(tmp_path / "m"))
    with replay_env("proof_step", extra=extra) as env:
        root = env.start(F_NAT, timeout=10)
        mid = env.apply(root, "have t : Nat := 42", timeout=10).state
        t0 = time.monotonic()
        out = env.apply(mid, "exact t", timeout=1.0)
        assert out == TacticTimeout(1.0) and not out.cut  # it ran its whole limit: a negative
        assert time.monotonic() - t0 < 5
        # The REPL was killed; the next call restarts it and replays the path to `mid`.
        assert env.apply(mid, "exact t", timeout=10) == Proved(("have t : Nat := 42", "exact t"))
        assert env.spawns == 2


@pytest.mark.usefixtures("both_versions")
def test_process_that_dies_mid_request_is_restarted_and_result_unchanged(tmp_path):
    extra = ("--exit-on", "exact t", "--once-file", str(tmp_path / "m"))
    with replay_env("proof_step", extra=extra) as env:
        mid = env.apply(env.start(F_NAT, timeout=10), "have t : Nat := 42", timeout=10).state
        assert env.apply(mid, "exact t", timeout=10) == Proved(("have t : Nat := 42", "exact t"))
        assert env.spawns == 2


@pytest.mark.usefixtures("both_versions")
def test_recycle_after_max_requests_keeps_states_usable():
    with replay_env("proof_step", max_requests=2) as env:
        root = env.start(F_NAT, timeout=10)
        mid = env.apply(root, "have t : Nat := 42", timeout=10).state
        assert env.apply(mid, "exact t", timeout=10) == Proved(("have t : Nat := 42", "exact t"))
        assert env.spawns == 2


def test_memory_watchdog_kills_a_ballooning_repl(tmp_path):
    repl = Repl(ReplConfig(command=(sys.executable, REPLAY, "--balloon-on", "exact", "--balloon-mb", "300"),
                           rss_limit_mb=150, memory_limit_mb=0))
    try:
        with pytest.raises(ReplDied, match="resident memory"):
            repl.request({"tactic": "exact t", "proofState": 0}, timeout=30)
    finally:
        repl.kill()


def test_address_space_limit_applies_to_the_child():
    repl = Repl(ReplConfig(command=(sys.executable, REPLAY, "--balloon-on", "exact", "--balloon-mb", "600"),
                           rss_limit_mb=0, memory_limit_mb=400))
    try:
        with pytest.raises(ReplDied):  # MemoryError in the child: it exits without replying
            repl.request({"tactic": "exact t", "proofState": 0}, timeout=30)
    finally:
        repl.kill()


def test_the_limit_is_set_without_python_between_fork_and_exec(monkeypatch):
    import threading
    import lean_env.repl as repl_mod
    seen = []
    real = repl_mod.spawn

    def spy(cmd, **kw):
        seen.append((cmd, kw))
        return real(cmd, **kw)
    monkeypatch.setattr(repl_mod, "spawn", spy)
    started = []  # from a worker thread, as bench and prove start it
    t = threading.Thread(target=lambda: started.append(
        Repl(ReplConfig(command=(sys.executable, REPLAY), rss_limit_mb=0, memory_limit_mb=300))))
    t.start()
    t.join(30)
    try:
        cmd, kw = seen[0]
        assert "preexec_fn" not in kw and cmd[:2] == ["sh", "-c"] and "ulimit -v" in cmd[2] and cmd[3] == str(300 * 1024)
    finally:
        started[0].kill()
    import subprocess
    out = subprocess.run(repl_mod.limited(["sh", "-c", "ulimit -v"], 300), capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == str(300 * 1024)
    assert repl_mod.limited(["lake", "exe", "repl"], 0) == ["lake", "exe", "repl"]


@pytest.mark.usefixtures("both_versions")
def test_unrecorded_statement_is_a_start_error():
    with replay_env("proof_step") as env:
        with pytest.raises(StartError):
            env.start(Theorem("g", "theorem g : 1 = 2", "", backend="lean"), timeout=10)


def test_missing_toolchain_is_a_clear_start_error():
    env = LeanEnv(LeanEnvConfig(repl_command=("no-such-lake-binary", "exe", "repl")))
    with pytest.raises(StartError, match="not found"):
        env.start(F_NAT, timeout=5)


@pytest.mark.parametrize("bad", [
    {}, {"cmd": 3}, {"tactic": "simp"}, {"tactic": "simp", "proofState": -1},
    {"tactic": "  ", "proofState": 0}, {"cmd": "x", "tactic": "y", "proofState": 0},
    {"cmd": "x", "env": True}, {"cmd": "a\x00b"}, {"cmd": "x", "bogus": 1},
])
def test_validation_rejects_requests_that_would_kill_the_repl(bad):
    with pytest.raises(InvalidRequest):
        validate_request(bad)


def test_split_header():
    h, body = split_header("import Mathlib\nimport Aesop\n\nopen Real\n\ndef x := 1\n")
    assert h == "import Mathlib\nimport Aesop\n\n" and body == "open Real\n\ndef x := 1\n"


@pytest.mark.lean
@pytest.mark.skipif(shutil.which("lake") is None, reason="needs a Lean toolchain: `lake` is not on PATH")
def test_real_repl_proves_a_core_theorem():
    th = Theorem("two", "theorem two : 1 + 1 = 2", "", backend="lean")
    with LeanEnv() as env:
        root = env.start(th, timeout=600)
        assert isinstance(env.apply(root, "decide", timeout=60), Proved)
        assert isinstance(env.apply(root, "exact foo_bar_baz", timeout=60), TacticError)


@pytest.mark.usefixtures("both_versions")
def test_lean_trace_through_all_tactics(tmp_path):
    from lean_env.trace import trace_lean_file
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "file.lean").write_text((DIR / "file.lean").read_text())
    cfg = ReplConfig(command=(sys.executable, REPLAY, "--dir", str(DIR), "--transcript", "file"), cwd=str(tmp_path),
                     rss_limit_mb=0)
    rows = list(trace_lean_file("test/file.lean", config=cfg, cwd=str(tmp_path)))
    assert rows == [{"file": "test/file.lean", "theorem": "h", "step": 0,
                     "goals": [{"hyps": [], "concl": "f + g = 39", "style": "lean"}],
                     "tactic": "exact rfl", "next_goals": None, "proved": None}]


def _recorded(name: str) -> tuple[str, list[dict]]:
    """The source a recorded transcript elaborated (its first request's ``cmd``) and its replies."""
    first = json.loads((DIR / f"{name}.in").read_text(encoding="utf-8").split("\n\n")[0])
    replies = [json.loads(b) for b in (DIR / f"{name}.expected.out").read_text(encoding="utf-8").split("\n\n")
               if b.strip()]
    return first["cmd"], replies


@pytest.mark.usefixtures("both_versions")
def test_the_lean_trace_keeps_outermost_steps_of_proofs_that_compiled():
    from lean_env.trace import steps_of_reply
    # a calc proof: the REPL reports the calc, its body again (nested, "no goals") and the sorries
    # inside it; the declaration does not compile (sorry), so nothing of it is kept
    text, replies = _recorded("calc")
    assert len(replies[0]["tactics"]) == 4
    assert steps_of_reply("calc.lean", text, replies[0]) == []
    # the same reply with the sorries' marks taken away: only the outermost step, the calc
    clean = {k: v for k, v in replies[0].items() if k not in ("sorries", "messages")}
    rows = steps_of_reply("calc.lean", text, clean)
    assert [r["tactic"] for r in rows] == ["calc\n  3 = 4 := by sorry\n  4 = 5 := by sorry"]
    assert rows[0]["goals"][0]["concl"] == "3 = 5"
    # siblings are both kept, in order
    text, replies = _recorded("all_tactics")
    assert [r["tactic"] for r in steps_of_reply("f.lean", text, replies[0])] == ["have t := 37", "exact t"]


def _recorded_goal_texts():
    out = []
    for f in sorted(DIR.glob("*.expected.out")):
        stack = [json.loads(b) for b in f.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        while stack:
            o = stack.pop()
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == "goal" and isinstance(v, str):
                        out.append(v)
                    elif k == "goals" and isinstance(v, list):
                        out += [g for g in v if isinstance(g, str)]
                    elif k == "goals" and isinstance(v, str) and v != "no goals":  # allTactics
                        out += [g for g in v.split("\n\n") if g]
                    else:
                        stack.append(v)
            elif isinstance(o, list):
                stack.extend(o)
    return out


@pytest.mark.usefixtures("both_versions")
def test_every_recorded_goal_parses_into_fields_and_prints_back_exactly():
    from lean_env.goals import parse_goal
    texts = _recorded_goal_texts()
    assert len(texts) > 50
    for text in texts:
        g = parse_goal(text)
        assert g.pretty() == text
        assert g.conclusion and "⊢" not in g.conclusion
    g = parse_goal("case pos\nx y : Int\nh : x < 0\nf : ℕ → ℕ := fun n ↦\n  n + 1\n⊢ x = x")
    assert g.tag == "pos" and [h.names for h in g.hypotheses] == [("x", "y"), ("h",), ("f",)]
    assert g.hypotheses[2].type == "ℕ → ℕ" and g.hypotheses[2].body == "fun n ↦\n  n + 1"
    assert g.conclusion == "x = x"


@pytest.mark.usefixtures("both_versions")
def test_rebuilding_a_state_after_a_restart_is_bounded_by_the_callers_deadline(tmp_path):
    with replay_env("proof_step", command_timeout=120) as env:
        mid = env.apply(env.start(F_NAT, timeout=10), "have t : Nat := 42", timeout=10).state
        env.kill_process()
        # The restarted REPL hangs on the replay of `mid`'s path: the caller's deadline bounds it,
        # not the 120 s command limit.
        env.config.repl_command = (*env.config.repl_command, "--hang-on", "have t", "--once-file",
                                   str(tmp_path / "m"))
        t0 = time.monotonic()
        out = env.apply(mid, "exact t", timeout=10, deadline=t0 + 1.0)
        assert isinstance(out, TacticTimeout) and time.monotonic() - t0 < 5
        # the tactic never ran: cut by the search's deadline, which no label may read as a negative
        assert out.cut
        assert env.apply(mid, "exact t", timeout=10, deadline=time.monotonic() + 30) == \
            Proved(("have t : Nat := 42", "exact t"))


def _context_transcript(tmp_path, header, body):
    """A transcript of one theorem in a context (header + body), replies in the recorded shapes
    (pickle_proof_state_env's statement reply, proof_step's tactic replies)."""
    d = tmp_path / "transcripts"
    d.mkdir()
    reqs = [{"cmd": header}, {"cmd": body, "env": 0}, {"cmd": "theorem t : f = 42 := by sorry", "env": 1},
            {"tactic": "rfl", "proofState": 0}]
    reps = [{"env": 0}, {"env": 1},
            {"sorries": [{"proofState": 0, "pos": {"line": 1, "column": 23}, "goal": "⊢ f = 42",
                          "endPos": {"line": 1, "column": 28}}],
             "messages": [{"severity": "warning", "pos": {"line": 1, "column": 8},
                           "endPos": {"line": 1, "column": 9}, "data": "declaration uses `sorry`"}],
             "env": 2},
            {"proofStatus": "Completed", "proofState": 1, "goals": []}]
    (d / "ctx.in").write_text("\n\n".join(json.dumps(r) for r in reqs) + "\n")
    (d / "ctx.expected.out").write_text("\n\n".join(json.dumps(r) for r in reps) + "\n")
    return d


def _logged(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("pickles", [True, False])
def test_a_restart_restores_the_context_from_its_pickle_not_by_elaborating_it(tmp_path, pickles):
    header, body = split_header("import Lean\n\ndef f := 42\n")
    log = tmp_path / "requests.jsonl"
    extra = ["--dir", str(_context_transcript(tmp_path, header, body)), "--log", str(log),
             "--hang-on", '"rfl"', "--once-file", str(tmp_path / "m")]
    with replay_env(extra=(*extra, *(["--pickles"] if pickles else []))) as env:
        th = Theorem("t", "theorem t : f = 42", "import Lean\n\ndef f := 42\n", backend="lean")
        root = env.start(th, timeout=10)
        assert env.apply(root, "rfl", timeout=1.0) == TacticTimeout(1.0)  # the REPL is killed
        first = _logged(log)
        assert [next(iter(r)) for r in first] == ["cmd", "cmd", "pickleTo", "cmd", "tactic"]
        log.write_text("")
        assert env.apply(root, "rfl", timeout=10) == Proved(("rfl",))
        assert env.spawns == 2
        restart = _logged(log)
        pickle_file = first[2]["pickleTo"]
        if pickles:  # one unpickle request instead of the header's import and the body's elaboration
            assert env.restored == 1
            assert restart == [{"unpickleEnvFrom": pickle_file},
                               {"cmd": "theorem t : f = 42 := by sorry", "env": 1},
                               {"tactic": "rfl", "proofState": 0}]
        else:  # the REPL refused the pickle: the restart elaborates the context, as without pickles
            assert env.restored == 0
            assert [r.get("cmd") for r in restart[:2]] == [header, body]
            assert not any("pickleTo" in r or "unpickleEnvFrom" in r for r in restart)
        assert Path(pickle_file).parent.is_dir()
    assert not Path(pickle_file).parent.exists()  # close() removes the pickles


@pytest.mark.usefixtures("both_versions")
def test_pickle_requests_have_the_recorded_shape():
    """The client's pickle requests carry the fields of the REPL's own recorded pickle requests,
    and its reading of their replies is the recorded {"env": N}."""
    recorded_in = (DIR / "pickle_environment_with_imports.in").read_text(encoding="utf-8")
    reqs = [json.loads(b) for b in recorded_in.split("\n\n") if b.strip()]
    shapes = {frozenset(r) for r in reqs if "pickleTo" in r or "unpickleEnvFrom" in r}
    assert shapes == {frozenset({"pickleTo", "env"}), frozenset({"unpickleEnvFrom"})}
    for r in reqs:
        validate_request(r)
    assert all(set(r) == {"env"} for r in recorded("pickle_environment_with_imports")[2:4])
