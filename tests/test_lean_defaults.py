"""Lean's defaults for a user's machine: `--model auto` is a public step prover that fits the CUDA
device's memory, automation only on CPU; workers are as many as memory holds at one REPL's RSS
limit each. Each choice is said on stderr. The CUDA device and the memory figure are test
doubles (no GPU here, and the machine's memory is what it is); the choice is the same function."""

import types

import torch

from agent.search.searcher import default_model_for


def test_on_cpu_lean_auto_is_automation_only_and_says_so(capsys):
    assert default_model_for("auto", "lean", "cpu") == ""
    assert "no CUDA device: automation only" in capsys.readouterr().err
    assert default_model_for("auto", "coq", "cpu") == "default"  # Coq keeps the bundled model


def test_on_a_gpu_lean_auto_picks_the_preset_its_memory_fits(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a test double for the device
    for gib, want in ((80, "bfs-prover-v2"), (24, "bfs-prover-v2"), (8, "reprover"), (1, "")):
        monkeypatch.setattr(torch.cuda, "get_device_properties",
                            lambda i, g=gib: types.SimpleNamespace(total_memory=g * 2 ** 30))
        assert default_model_for("auto", "lean") == want
        said = capsys.readouterr().err
        assert f"{gib} GiB" in said or f"{gib:.1f} GiB" in said
    assert default_model_for("auto", "lean", "cpu") == ""  # --device cpu: no step prover
    assert default_model_for("reprover", "lean") == "reprover"  # an explicit model is kept


def test_lean_workers_default_to_what_memory_holds_at_one_repls_limit_each(monkeypatch, capsys):
    from agent.bench import bench
    from agent.bench.suites import SuiteItem
    from agent.env import Theorem
    lean = [SuiteItem("a", Theorem("a", "theorem a : True", "import Mathlib", backend="lean"), "test")]
    coq = [SuiteItem("b", Theorem("b", "Lemma b : True.", ""), "test")]
    assert bench.available_mb() > 0  # this machine's /proc/meminfo
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(bench, "available_mb", lambda: 30 * 1024)
    assert bench.default_workers(lean) == 2  # 30 GiB at 12 GiB each
    said = capsys.readouterr().err
    assert "2 Lean workers" in said and "12 GiB per REPL" in said and "--workers" in said
    assert bench.default_workers(coq) == 16  # Coq: one per core
    monkeypatch.setattr(bench, "available_mb", lambda: 4 * 1024)
    assert bench.default_workers(lean) == 1  # never none
    monkeypatch.setattr(bench, "available_mb", lambda: 1024 * 1024)
    assert bench.default_workers(lean) == 16  # never more than the cores
