"""A qstar model folder as one thing: its parts, what trained each, and one loader.

A model folder (``agent/default_model``, a ``qstar iterate`` round's ``model/``, a folder a user
assembles) holds any of these parts, each in its own files:

- ``retrieval``: the k-NN database of (state, tactic) rows (``knn.jsonl.gz``)
- ``templates``: the template policy (``template_model.json`` + ``.safetensors``)
- ``q``: Q(s, a) over goal features (``q_model.npy`` + ``.json``)
- ``v``: V(s) over goal features (``state_value.npy`` + ``.json``)
- ``generator``: the step generator (``generator/``: skeletons, pointers, premise index)
- ``project_rank``: the ranker of the file's own steps (``project_rank.json``, ``agent.project.rank``)
- ``network``: a tactic network (Hugging Face ``config.json`` + weights + tokenizer), with its
  ``value_head`` when it has one

``manifest.json`` names the parts, their files and sizes, and what trained each: the command,
the data and the commit (``write_manifest``; a folder without one is described from its files,
its training unknown). ``load_part`` is the one loader the search uses for every part.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from typing import Callable

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PartKind:
    name: str
    files: tuple[str, ...]  # the files (or one folder, ending in /) that make it up
    what: str
    explicit: str  # what a flag naming this part alone points at: "file" or "folder"


PARTS: dict[str, PartKind] = {p.name: p for p in (
    PartKind("retrieval", ("knn.jsonl.gz",), "k-NN retrieval database of (state, tactic) rows", "file"),
    PartKind("templates", ("template_model.json", "template_model.safetensors"), "template policy", "folder"),
    PartKind("q", ("q_model.npy", "q_model.json"), "Q(s, a) over goal features", "folder"),
    PartKind("v", ("state_value.npy", "state_value.json"), "V(s) over goal features", "folder"),
    PartKind("generator", ("generator/",), "step generator (skeletons, pointers, premise index)", "folder"),
    PartKind("network", ("config.json", "model.safetensors"), "tactic network (Hugging Face)", "folder"),
    PartKind("value_head", ("value_head.safetensors", "value_head.json"), "the network's value head", "folder"),
    PartKind("project_rank", ("project_rank.json",), "ranker of the file's own steps (the proj source)", "file"),
)}


def _has(kind: str, folder: str) -> bool:
    """Whether ``folder`` holds part ``kind`` (the test each part's own module states)."""
    if not folder or not os.path.isdir(folder):
        return False
    if kind == "retrieval":
        return os.path.isfile(os.path.join(folder, "knn.jsonl.gz"))
    if kind == "templates":
        from agent.policies.template_policy import has_template_model
        return has_template_model(folder)
    if kind == "q":
        from agent.policies.qscore import has_q
        return has_q(folder)
    if kind == "v":
        from agent.policies.state_value import has_state_value
        return has_state_value(folder)
    if kind == "generator":
        from agent.generator.policy import GENERATOR_DIR, has_generator
        return has_generator(os.path.join(folder, GENERATOR_DIR))
    if kind == "network":
        return os.path.isfile(os.path.join(folder, "config.json"))
    if kind == "value_head":
        from agent.policies.lm_value import has_value_head
        return has_value_head(folder)
    if kind == "project_rank":
        return os.path.isfile(os.path.join(folder, "project_rank.json"))
    raise ValueError(f"unknown model part {kind!r}")


def _loader(kind: str) -> Callable[[str], object]:
    """The function that loads part ``kind`` from the path a flag or a folder gives it."""
    if kind == "retrieval":
        from agent.policies.retrieval import KnnPolicy
        return KnnPolicy.load
    if kind == "templates":
        from agent.policies.template_scorer import TemplateScorer  # search-time: numpy, no torch
        return TemplateScorer.load
    if kind == "q":
        from agent.policies.qscore import QScorer
        return QScorer.load
    if kind == "v":
        from agent.policies.state_value import StateValue
        return StateValue.load
    if kind == "generator":
        from agent.generator.model import Generator
        return Generator.load
    if kind == "project_rank":
        from agent.project.rank import ProjectRanker
        return ProjectRanker.load
    raise ValueError(f"part {kind!r} is loaded with its network (agent.search.searcher.load_models)")


def part_path(kind: str, folder: str) -> str:
    """Where part ``kind`` of a model folder is, in the form its loader takes."""
    p = PARTS[kind]
    if kind == "generator":
        from agent.generator.policy import GENERATOR_DIR
        return os.path.join(folder, GENERATOR_DIR)
    return os.path.join(folder, p.files[0]) if p.explicit == "file" else folder


def load_part(kind: str, flag: str, model: str, missing: str = ""):
    """Part ``kind`` as the search uses it: from ``flag`` when given (a path to that part alone;
    ``none``: off), else from the model folder ``model`` when it has the part, else None.
    ``missing``: the one-line error for a flag that names no such part (default: one naming it)."""
    from agent.backends import UsageError
    if flag == "none":
        return None
    if flag:
        p = PARTS[kind]
        if not (os.path.isfile(flag) if p.explicit == "file" else _has_alone(kind, flag)):
            raise UsageError(missing or f"no {p.what} at {flag}")
        return _loader(kind)(flag)
    if model and _has(kind, model):
        return _loader(kind)(part_path(kind, model))
    return None


def _has_alone(kind: str, path: str) -> bool:
    """A folder given for one part: the generator's own folder, or a folder holding the part."""
    if kind == "generator":
        from agent.generator.policy import has_generator
        return has_generator(path)
    return _has(kind, path)


def _size(folder: str, kind: str) -> tuple[list[str], int]:
    p = PARTS[kind]
    files, size = [], 0
    for f in p.files:
        path = os.path.join(folder, f)
        if f.endswith("/"):
            for root, _, names in os.walk(path):
                for n in sorted(names):
                    files.append(os.path.relpath(os.path.join(root, n), folder))
                    size += os.path.getsize(os.path.join(root, n))
        elif os.path.isfile(path):
            files.append(f)
            size += os.path.getsize(path)
    return files, size


def describe(folder: str) -> dict:
    """The folder's manifest: its parts (files, bytes, what trained each), from ``manifest.json``
    where it names a part, else from the files (``trained_by`` then says it is unknown)."""
    written = {}
    path = os.path.join(folder, MANIFEST)
    if os.path.isfile(path):
        written = json.loads(open(path, encoding="utf-8").read()).get("parts", {})
    parts = {}
    for kind, p in PARTS.items():
        if not _has(kind, folder):
            continue
        files, size = _size(folder, kind)
        parts[kind] = {"what": p.what, "files": files, "bytes": size,
                       "trained_by": written.get(kind, {}).get("trained_by") or {"command": "unknown (no manifest entry)"}}
    return {"folder": os.path.abspath(folder), "parts": parts}


def commit() -> str:
    """This checkout's commit (``unknown`` outside git), for what-trained-it entries."""
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                           cwd=os.path.dirname(os.path.abspath(__file__)))
        return r.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def trained_by(command: str, data: list[str] | str) -> dict:
    """A what-trained-it entry: the command, its data, the commit and the time."""
    return {"command": command, "data": [data] if isinstance(data, str) else list(data), "commit": commit(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_manifest(folder: str, entries: dict[str, dict]) -> dict:
    """Record what trained the parts named in ``entries`` (part -> ``trained_by(...)``), keeping the
    other parts' entries; sizes and files are read from the folder. Returns the manifest."""
    from agent.io import atomic_write
    unknown = set(entries) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown model parts: {sorted(unknown)}")
    old = describe(folder)["parts"]
    out = {"format": "qstar-model/1", "parts": {}}
    for kind, info in old.items():
        out["parts"][kind] = {**info, "trained_by": entries.get(kind, info["trained_by"])}
    atomic_write(os.path.join(folder, MANIFEST), json.dumps(out, indent=1) + "\n")
    return out


def table(folder: str) -> str:
    """The manifest as a table a person reads."""
    d = describe(folder)
    lines = [f"{d['folder']}", "| part | what | size | trained by |", "| --- | --- | --- | --- |"]
    for kind, info in d["parts"].items():
        t = info["trained_by"]
        how = t.get("command", "")
        if t.get("data"):
            how += f" on {', '.join(t['data'])}"
        if t.get("commit"):
            how += f" (commit {t['commit'][:10]})"
        lines.append(f"| {kind} | {info['what']} | {info['bytes'] / 1e6:.1f} MB | {how} |")
    return "\n".join(lines)
