"""A whole user file of a multi-file project, proved at `qstar prove`'s defaults with the project
index on and off (issue 45).

The project is a copy of an installed Coq library's source tree (the .v files and the .vo files
Debian built, under ``_CoqProject: -R . LIB``), as its developer has it checked out. In one of its
held-out files (the test split of the traced libraries: no corpus row, no bundled model row comes
from it), every other finished lemma (``Qed``) is made open (``Admitted``): the user's file half
done, each open theorem with human proofs above it and the project's other files required. Then
``qstar prove FILE`` runs twice from the project's root at its defaults (64 expansions, 60 s, one
theorem at a time in file order, ``--online on``): ``--project-index on`` (the default) and
``off`` (``--rows on,by-sim``: the index with its steps ranked by similarity instead of the
bundled ranker). Both runs go at once (two cores; the same conditions for both). Each written file is
checked again with ``qstar check --reference`` (the half-open file), and only what passes counts.

    .venv/bin/python evals/project_file.py [--lib Coqprime --file PrimalityTest/LucasLehmer.v] [--rows on,off]

Writes RUN/project_file.json and prints a table; RUN defaults to runs/project_file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class ProjectFileConfig:
    lib: str = "Coqprime"
    """An installed library (user-contrib/LIB) whose source tree is the user's project."""
    file: str = "PrimalityTest/LucasLehmer.v"
    """The user's file, relative to the library's root (a file of the traced test split)."""
    out: str = "runs/project_file"
    """Run folder."""
    timeout: int = 7200
    """Wall-clock limit of each `qstar prove` (seconds)."""
    rows: str = "on,off"
    """The two runs, comma-separated: on (the index, the bundled ranker), off (no index), by-sim
    (the index, its steps ranked by similarity: ``--project-rank none``)."""


ROWS = {"on": ("index on", ["--project-index", "on"]), "off": ("index off", ["--project-index", "off"]),
        "by-sim": ("index on, by similarity", ["--project-index", "on", "--project-rank", "none"])}


def open_every_other(text: str) -> tuple[str, list[str]]:
    """``text`` with every other ``Qed`` lemma (the 2nd, 4th, ...) ``Admitted``; their names."""
    sys.path.insert(0, ROOT)
    from coq_env.files import parse_coq_file
    from coq_env.trace import admit_proofs
    decls = [d for d in parse_coq_file(text) if d.terminator != "Abort"]  # admit_proofs' positions
    chosen = [i for i, d in enumerate(decls) if d.terminator == "Qed"][1::2]
    return admit_proofs(text, set(chosen)), [decls[i].name for i in chosen]


def main(cfg: ProjectFileConfig) -> int:
    where = subprocess.run(["coqc", "-where"], capture_output=True, text=True, check=True).stdout.strip()
    src = os.path.join(where, "user-contrib", cfg.lib)
    if not os.path.isfile(os.path.join(src, cfg.file)):
        print(f"project_file: error: no {cfg.file} in {src}", file=sys.stderr)
        return 2
    run = os.path.abspath(cfg.out)
    project = os.path.join(run, "project")
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(src, project)
    with open(os.path.join(project, "_CoqProject"), "w", encoding="utf-8") as f:
        f.write(f"-R . {cfg.lib}\n")
    path = os.path.join(project, cfg.file)
    original = open(path, encoding="utf-8").read()
    half, opened = open_every_other(original)
    with open(path, "w", encoding="utf-8") as f:
        f.write(half)
    q = [sys.executable, "-m", "agent.cli"]
    stem = path[:-2]
    runs = {}
    for flag in cfg.rows.split(","):
        if flag not in ROWS:
            print(f"project_file: error: no row {flag!r} (rows: {', '.join(ROWS)})", file=sys.stderr)
            return 2
    for flag in cfg.rows.split(","):
        row, flags = ROWS[flag]
        out = f"{stem}_{flag}.v"
        cmd = [*q, "prove", cfg.file, *flags, "--output", os.path.relpath(out, project)]
        with open(os.path.join(run, f"prove_{flag}.log"), "w", encoding="utf-8") as log:  # the child keeps its copy
            runs[row] = (out, cmd, subprocess.Popen(cmd, cwd=project, stdout=log, stderr=subprocess.STDOUT,
                                                    env={**os.environ, "PYTHONPATH": ROOT}), time.monotonic())
    rows = []
    for row, (out, cmd, p, t0) in runs.items():
        try:
            p.wait(timeout=cfg.timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        seconds = time.monotonic() - t0
        rep_path = out[:-2] + ".report.json"
        rep = json.load(open(rep_path, encoding="utf-8")) if os.path.isfile(rep_path) else {"theorems": []}
        claimed = sorted(t["name"] for t in rep["theorems"] if t.get("status") == "proved")
        check = subprocess.run([*q, "check", os.path.relpath(out, project), "--reference", cfg.file], cwd=project,
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT},
                               timeout=3600) if os.path.isfile(out) else None
        sound = sorted(ln.split()[1] for ln in (check.stdout.splitlines() if check else [])
                       if ln.startswith("ok ") and ln.split()[1] in opened)
        rows.append({"row": row, "command": " ".join(cmd[2:]), "exit": p.returncode, "open": len(opened),
                     "proved": len(sound), "claimed": len(claimed), "agree": sound == claimed,
                     "proved_names": sound, "seconds": round(seconds, 1),
                     "project_index": rep.get("project_index"), "summary": rep.get("summary")})
    result = {"config": dataclasses.asdict(cfg), "opened": opened, "rows": rows}
    with open(os.path.join(run, "project_file.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"{cfg.lib}/{cfg.file}: {len(opened)} of its Qed lemmas opened (every other one)\n")
    print("| row | proved / open | report's claim | rechecked agree | seconds |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['row']} | {r['proved']} / {r['open']} | {r['claimed']} | {r['agree']} | {r['seconds']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(tyro.cli(ProjectFileConfig)))
