"""A model folder as one thing: `qstar model` names its parts, their sizes and what trained each
(manifest.json), and every part is loaded by one loader, which says in one line when a flag
names a folder without that part."""

import json

import pytest

from conftest import qstar


def test_qstar_model_shows_the_bundled_models_parts_and_what_trained_them():
    r = qstar("model")
    assert r.returncode == 0, r.stderr
    for part in ("retrieval", "templates", "q", "v"):
        line = next(x for x in r.stdout.splitlines() if x.startswith(f"| {part} |"))
        assert "MB" in line and "iterate_competition.sh" in line and "7bd5d59" in line
    r = qstar("model", "/no/such/folder")
    assert r.returncode == 2 and "no such model folder" in r.stderr.strip().splitlines()[-1]


def test_a_folder_without_a_manifest_is_described_from_its_files_and_a_manifest_keeps_other_entries(tmp_path):
    from agent.model_folder import describe, load_part, trained_by, write_manifest
    from agent.policies.retrieval import KnnPolicy
    from agent.env import Goal
    KnnPolicy.save_rows(str(tmp_path / "knn.jsonl.gz"), [((Goal((), "True"),), "exact I.")])
    d = describe(str(tmp_path))
    assert list(d["parts"]) == ["retrieval"] and d["parts"]["retrieval"]["trained_by"]["command"].startswith("unknown")
    write_manifest(str(tmp_path), {"retrieval": trained_by("by hand", "one row")})
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["parts"]["retrieval"]["trained_by"]["command"] == "by hand" and m["parts"]["retrieval"]["bytes"] > 0
    write_manifest(str(tmp_path), {})  # nothing new: the entry stays
    assert describe(str(tmp_path))["parts"]["retrieval"]["trained_by"]["data"] == ["one row"]
    assert load_part("retrieval", "", str(tmp_path)) is not None
    assert load_part("retrieval", "none", str(tmp_path)) is None
    assert load_part("q", "", str(tmp_path)) is None  # a part the folder lacks: off
    from agent.backends import UsageError
    with pytest.raises(UsageError, match="no Q"):
        load_part("q", str(tmp_path), "")
    with pytest.raises(ValueError):
        write_manifest(str(tmp_path), {"brain": {}})
