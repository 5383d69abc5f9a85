"""A prover never outlives qstar: SIGINT, SIGTERM and SIGHUP stop `prove` and `bench` as Ctrl-C
does (work kept, report says which signal, exit 128 + signal), and after any of them, SIGKILL
included, no prover qstar started is alive 5 s later. Real Coq, real commands."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, qstar, requires_coq, from_a_terminal
from helpers import alive

EASY = "Lemma t1 : forall n : nat, n + 0 = n."
# Deciding this by computation takes 2^60 steps: every closing tactic runs its whole limit.
SLOW = "Lemma t3 : (fix f (n : nat) : nat := match n with 0 => 0 | S m => f m + f m end) 60 = 1."
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL]
LONG = ["--model", "none", "--budget", "100000", "--timeout", "600", "--tactic-timeout", "60"]


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (provers run in sessions of their own, still its children)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _provers(pids: set[int]) -> set[int]:
    """The Coq processes among ``pids`` (not the watchdog, which is Python)."""
    out = set()
    for p in pids:
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if b"coq" in f.read().split(b"\0")[0]:
                    out.add(p)
        except OSError:
            pass
    return out


def _stop_when(proc, ready, sig) -> set[int]:
    """Wait until ``ready()``, let the slow search run, send ``sig``; the processes qstar had."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not ready():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        time.sleep(0.1)
    time.sleep(1.5)  # inside t3's long tactic
    below = _descendants(proc.pid)
    assert _provers(below), "no prover was running"
    proc.send_signal(sig)
    proc.communicate(timeout=90)
    return below


def _none_left(below: set[int]) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5.0 and any(alive(p) for p in below):
        time.sleep(0.1)
    assert not [p for p in below if alive(p)], "processes qstar started outlived it"


@requires_coq
@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_prove_stopped_by_any_signal_keeps_its_proofs_and_leaves_no_prover(tmp_path, sig):
    src = tmp_path / "two.v"
    src.write_text(f"{EASY}\nProof.\nAdmitted.\n\n{SLOW}\nProof.\nAdmitted.\n")
    out, report = tmp_path / "two_proved.v", tmp_path / "two_proved.report.json"
    proc = subprocess.Popen(from_a_terminal([sys.executable, "-m", "agent.cli", "prove", str(src), *LONG]), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    below = _stop_when(proc, lambda: report.exists() and json.loads(report.read_text())["summary"]["attempted"] == 1,
                       sig)
    _none_left(below)
    assert proc.returncode == (-sig if sig == signal.SIGKILL else 128 + sig)
    rep = json.loads(report.read_text())
    assert [t["name"] for t in rep["theorems"]] == ["t1"] and rep["summary"]["proved"] == 1
    if sig != signal.SIGKILL:
        assert rep["summary"]["interrupted"] and rep["summary"]["signal"] == signal.Signals(sig).name
        assert rep["not_attempted"] == ["t3"]
    c = qstar("check", str(out), "--reference", str(src))
    assert "ok    t1" in c.stdout and "FAIL  t3" in c.stdout, c.stdout + c.stderr


@requires_coq
@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_bench_with_two_workers_stopped_by_any_signal_leaves_no_prover(tmp_path, sig):
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                             for n, st in (("t1", EASY), ("t3", SLOW))))
    out = tmp_path / "run"
    proc = subprocess.Popen(from_a_terminal([sys.executable, "-m", "agent.cli", "bench", str(suite), "--out", str(out),
                             "--workers", "2", "--prelude", "", *LONG]), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    below = _stop_when(proc, lambda: results.exists() and results.read_text().count("\n") == 1, sig)
    _none_left(below)
    assert proc.returncode == (-sig if sig == signal.SIGKILL else 128 + sig)
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["name"], r["status"]) for r in rows] == [("t1", "proved")]
    if sig != signal.SIGKILL:
        summary = json.loads((out / "summary.json").read_text())["summary"]
        assert summary["interrupted"] == signal.Signals(sig).name and summary["proved"] == 1
    _rechecked(out, 1)


def _rechecked(run, n: int) -> None:
    """Every proof a bench folder kept passes the sound check in a fresh process."""
    r = subprocess.run([sys.executable, "evals/recheck.py", str(run)], cwd=ROOT, capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0 and f"rechecked {n}, agree {n}, disagree 0" in r.stdout, r.stdout + r.stderr


@requires_coq
@pytest.mark.parametrize("command", ["prove", "bench"])
def test_under_nohup_a_hangup_is_ignored_and_the_run_finishes(tmp_path, command):
    """`nohup qstar ...` survives its terminal closing: SIGHUP, inherited as ignored, stays so."""
    second = "Lemma t2 : forall n : nat, 0 + n = n."
    if command == "prove":
        src = tmp_path / "two.v"
        src.write_text(f"{EASY}\nProof.\nAdmitted.\n\n{second}\nProof.\nAdmitted.\n")
        args = ["prove", str(src)]
    else:
        src = tmp_path / "s.jsonl"
        src.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                               for n, st in (("t1", EASY), ("t2", second))))
        args = ["bench", str(src), "--out", str(tmp_path / "run"), "--prelude", ""]
    proc = subprocess.Popen(["nohup", sys.executable, "-m", "agent.cli", *args, "--model", "none"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _provers(_descendants(proc.pid)):
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGHUP)  # a prover is up: the run is under way
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-2000:]
    if command == "prove":
        rep = json.loads((tmp_path / "two_proved.report.json").read_text())
        assert rep["summary"]["proved"] == 2 and not rep["summary"].get("interrupted")
        c = qstar("check", str(tmp_path / "two_proved.v"), "--reference", str(src))
        assert c.returncode == 0 and "2/2 theorems soundly proved" in c.stdout, c.stdout + c.stderr
    else:
        summary = json.loads((tmp_path / "run" / "summary.json").read_text())["summary"]
        assert summary["proved"] == 2 and not summary.get("interrupted")
        _rechecked(tmp_path / "run", 2)


@requires_coq
def test_collect_stopped_by_sigterm_keeps_its_records_and_its_summary_names_the_signal(tmp_path):
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                             for n, st in (("t1", EASY), ("t3", SLOW))))
    out = tmp_path / "run"
    proc = subprocess.Popen(from_a_terminal([sys.executable, "-m", "agent.cli", "collect", str(suite), "--out",
                                             str(out), "--workers", "1", "--prelude", "", *LONG]), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    records = out / "records.jsonl"
    below = _stop_when(proc, lambda: records.exists() and records.read_text().count("\n") == 1, signal.SIGTERM)
    _none_left(below)
    assert proc.returncode == 128 + signal.SIGTERM
    assert [json.loads(x)["name"] for x in records.read_text().splitlines()] == ["t1"]
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary["interrupted"] == "SIGTERM" and summary["theorems"] == 1 and summary["proved"] == 1


@requires_coq
def test_iterate_stopped_by_sigterm_says_which_phase_it_stopped_and_keeps_the_rows(tmp_path):
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                             for n, st in (("t1", EASY), ("t3", SLOW))))
    out = tmp_path / "run"
    proc = subprocess.Popen(from_a_terminal([sys.executable, "-m", "agent.cli", "iterate", "--out", str(out),
                                             "--train-suite", str(suite), "--train-split", "test",
                                             "--eval-suite", str(suite), "--eval-split", "test", "--rounds", "0",
                                             "--workers", "1", "--prelude", "", "--hammer", "off", *LONG]),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "baseline" / "results.jsonl"
    below = _stop_when(proc, lambda: results.exists() and results.read_text().count("\n") == 1, signal.SIGTERM)
    _none_left(below)
    assert proc.returncode == 128 + signal.SIGTERM
    assert [json.loads(x)["name"] for x in results.read_text().splitlines()] == ["t1"]
    note = json.loads((out / "stopped.json").read_text())
    assert note["signal"] == "SIGTERM" and note["during"] == "baseline"
    assert "Stopped by SIGTERM during baseline" in (out / "rounds.md").read_text()
