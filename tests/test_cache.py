"""qstar's disk cache (agent/proc/cache.py): a process reads what an earlier one built from the same
inputs, and never what was built from other inputs."""

import gzip
import json

from agent.env import Goal, Hypothesis, ProofState
from agent.policies.retrieval import KnnPolicy


def _db(path, tactic_for_two):
    rows = [{"goals": [{"hyps": [{"names": ["n"], "type": "nat"}], "concl": f"n + {k} = {k} + n"}], "tactic": "lia."}
            for k in range(30)]
    rows.append({"goals": [{"hyps": [], "concl": "2 = 2"}], "tactic": tactic_for_two})
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


def test_a_retrieval_database_is_built_once_then_read_and_rebuilt_when_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "knn.jsonl.gz"
    _db(db, "reflexivity.")
    built = []
    real = KnnPolicy._build.__func__
    monkeypatch.setattr(KnnPolicy, "_build", classmethod(lambda cls, p, **kw: built.append(p) or real(cls, p, **kw)))
    state = ProofState((Goal((Hypothesis(("m",), "nat"),), "m + 7 = 7 + m"),))
    first = KnnPolicy.load(str(db))(state)
    again = KnnPolicy.load(str(db))(state)
    assert first == again and first[0][0] == "lia." and len(built) == 1
    assert len(list((tmp_path / "cache" / "qstar" / "knn").glob("*.pkl"))) == 1
    _db(db, "exact eq_refl.")  # the same path, other rows: another key
    two = ProofState((Goal((), "2 = 2"),))
    assert KnnPolicy.load(str(db))(two)[0][0] == "exact eq_refl." and len(built) == 2
    assert KnnPolicy.load(str(db), neighbours=4).neighbours == 4 and len(built) == 3  # settings are keyed too


def test_an_unwritable_cache_is_said_once_and_only_slower(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file where a folder should be
    from agent.proc import cache
    monkeypatch.setattr(cache, "_SAID", set())
    assert cache.pickled("thing", ["k"], lambda: {"v": 1}) == {"v": 1}
    assert cache.pickled("thing", ["k"], lambda: {"v": 2}) == {"v": 2}  # rebuilt: nothing was kept
    assert capsys.readouterr().err.count("the thing cache is not written") == 1


def test_prove_with_the_bundled_model_never_imports_torch(tmp_path):
    import subprocess
    import sys
    (tmp_path / "T.v").write_text("Lemma t : 1 + 1 = 2.\nProof.\nAdmitted.\n")
    code = ("import sys; from agent.cli import main\n"
            "rc = main(['prove', 'T.v', '--budget', '4'])\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', rc)")
    from conftest import ROOT
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert r.stdout.strip().endswith("NO-TORCH 0"), (r.stdout, r.stderr[-2000:])
