"""`--model auto` for Lean: a public step prover that fits the CUDA device's memory, said on
stderr; automation only on CPU, said too. The CUDA device is a test double (no GPU here); the
choice on a real one is the same function."""

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
