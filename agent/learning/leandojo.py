"""``qstar data import-leandojo DIR``: LeanDojo's benchmark data as qstar's training rows.

LeanDojo Benchmark 4 (``leandojo_benchmark_4``, traced from Mathlib 4 by ``lean-dojo``) is the
data Lean provers train on (ReProver among them). Its layout: one folder per split strategy
(``random/``, ``novel_premises/``) holding ``train.json``, ``val.json`` and ``test.json``; each a
JSON list of theorems::

    {"url": ..., "commit": ..., "file_path": "Mathlib/...lean", "full_name": "Nat.add_comm",
     "start": [l, c], "end": [l, c],
     "traced_tactics": [{"tactic": "simp [h]", "annotated_tactic": [...],
                         "state_before": "<goals>", "state_after": "no goals"}, ...]}

A state is Lean's pretty-printed goal list (goals separated by blank lines, ``no goals`` when
none), the text the Lean backend's goal parser reads (``agent.backends.goals_of``). Each traced tactic becomes one row in the format of
``qstar trace`` (``{file, theorem, step, goals, tactic, next_goals, proved}``, plus ``split``
and ``source``), which ``qstar train sft`` and the retrieval and template builders read.

By default only the ``train`` split is read: ``val`` and ``test`` are LeanDojo's held-out
theorems (``--splits train,val`` to tune). qstar drives search through the REPL, not through
LeanDojo's ``Dojo`` (README, Lean section), so only the data is read here; ``lean-dojo`` itself
is not needed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from agent.backends import UsageError, goals_of


@dataclass
class ImportLeanDojoConfig:
    """Read LeanDojo benchmark JSON (traced tactics with states before and after) into training rows."""

    source: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="DIR")]
    """A LeanDojo benchmark folder (its split strategy folders hold train/val/test.json), one
    strategy folder, or one such JSON file."""
    out: str = "leandojo_rows.jsonl"
    """Output JSONL, one row per traced tactic (written whole or not at all)."""
    strategy: str = "random"
    """Split strategy folder to read when SOURCE holds several (random, novel_premises)."""
    splits: str = "train"
    """Comma-separated splits to read (val and test are LeanDojo's held-out theorems)."""


def _files(cfg: ImportLeanDojoConfig) -> list[tuple[str, Path]]:
    """(split, path) of the JSON files to read."""
    src = Path(cfg.source)
    if not src.exists():
        raise UsageError(f"no such file or folder: {cfg.source}")
    if src.is_file():
        return [(src.stem, src)]
    wanted = [s.strip() for s in cfg.splits.split(",") if s.strip()]
    folder = src / cfg.strategy if (src / cfg.strategy).is_dir() else src
    found = [(s, folder / f"{s}.json") for s in wanted if (folder / f"{s}.json").exists()]
    if not found:
        raise UsageError(f"no {' / '.join(f'{s}.json' for s in wanted)} in {folder}: "
                         "expected a LeanDojo benchmark folder (e.g. leandojo_benchmark_4/random)")
    return found


def rows_of(theorem: dict, split: str) -> list[dict]:
    """The training rows of one LeanDojo theorem record."""
    try:
        name, path, tactics = theorem["full_name"], theorem["file_path"], theorem["traced_tactics"]
    except (KeyError, TypeError):
        raise ValueError("not a LeanDojo theorem record (needs full_name, file_path, traced_tactics)") from None
    out = []
    for i, t in enumerate(tactics):
        before, after = t.get("state_before", ""), t.get("state_after", "")
        next_goals = [g.to_json() for g in goals_of(after, "lean")]
        out.append({"file": path, "theorem": name, "step": i,
                    "goals": [g.to_json() for g in goals_of(before, "lean")], "tactic": t["tactic"],
                    "next_goals": next_goals, "proved": after.strip() == "no goals",
                    "split": split, "source": "leandojo"})
    return out


def run_import(cfg: ImportLeanDojoConfig) -> int:
    from tqdm import tqdm

    from agent.io import atomic_write
    rows, theorems = [], 0
    for split, path in _files(cfg):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise UsageError(f"cannot read {path}: {e}") from None
        if not isinstance(data, list):
            raise UsageError(f"{path}: expected a JSON list of theorems")
        for k, th in enumerate(tqdm(data, desc=f"leandojo {split}", unit="thm", file=sys.stderr, disable=None)):
            try:
                rows += rows_of(th, split)
            except ValueError as e:
                raise UsageError(f"{path}: theorem {k}: {e}") from None
            theorems += 1
    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    atomic_write(cfg.out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"read {theorems} theorems, {len(rows)} tactic steps; wrote {cfg.out}")
    return 0


@dataclass
class RowStatsConfig:
    """Count the rows of a training-row JSONL (qstar trace, import-leandojo): steps, theorems,
    files and steps per split, as one JSON line."""

    rows: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="ROWS")]
    """A JSONL of training rows."""


def run_stats(cfg: RowStatsConfig) -> int:
    if not os.path.isfile(cfg.rows):
        raise UsageError(f"no such file: {cfg.rows}")
    steps, theorems, files, splits = 0, set(), set(), {}
    with open(cfg.rows, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                theorems.add((r["file"], r["theorem"]))
            except (ValueError, KeyError, TypeError):
                raise UsageError(f"{cfg.rows}:{n}: not a training row (needs file and theorem)") from None
            steps += 1
            files.add(r["file"])
            splits[r.get("split", "")] = splits.get(r.get("split", ""), 0) + 1
    print(json.dumps({"steps": steps, "theorems": len(theorems), "files": len(files), "steps_per_split": splits}))
    return 0
