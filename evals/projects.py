"""Benchmark: `qstar prove FILE` on a user's real multi-file Coq project, from the project root,
with no flags (issue 39's done-when).

The project must already be built by its own Makefile or dune (`make` in its folder). From its
``.v`` files under ``--theories``, the human proofs of at most ``--max-steps`` sentences are
ordered by a stable hash of ``file:theorem`` and the first ``--count`` are replaced by
``Admitted.`` in place (each file's original is kept in OUT/originals and always put back).
Then, per file with an admitted proof, from the project root:

  qstar prove FILE                                   (the row "auto": no flags)
  qstar prove FILE --imports none --output F_none.v  (the row "none")

and each written file is compiled inside the project (`coqc` with the project's `_CoqProject`
load path). A row: open theorems, proved, statement/internal errors, rejected stops, whether
the output compiles. Rows are appended to OUT/rows.jsonl as they finish (a rerun skips done
files); OUT/summary.json and the table come at the end.

  python evals/projects.py --project /path/to/stalmarck --theories theories --count 10 \\
      --out runs/projects/stalmarck
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class ProjectsConfig:
    """Settings of this benchmark (logged in OUT/config.json)."""

    project: str
    """The built project's root (where its _CoqProject is)."""
    out: str
    theories: str = "theories"
    """Folder (relative to the project) whose .v files give the theorems."""
    count: int = 10
    """Proofs replaced by Admitted."""
    max_steps: int = 6
    """Only human proofs of at most this many sentences are taken."""
    skip: tuple[str, ...] = ("Extract", "Extraction")
    """File stems never touched (extraction drivers)."""


def chosen(cfg: ProjectsConfig) -> dict[str, list[str]]:
    """{file relative to the project: [theorem names to admit]}, deterministic."""
    from coq_env.files import parse_coq_file
    from coq_env.sentences import split_sentences
    found = []
    for path in sorted(Path(cfg.project, cfg.theories).rglob("*.v")):
        if path.stem in cfg.skip or path.stem.endswith(("_proved", "_none")):
            continue
        rel = str(path.relative_to(cfg.project))
        for d in parse_coq_file(path.read_text(encoding="utf-8")):
            if d.terminator == "Qed" and not d.is_open and len(split_sentences(d.body)) <= cfg.max_steps:
                found.append((hashlib.sha1(f"{rel}:{d.name}".encode()).hexdigest(), rel, d.name))
    out: dict[str, list[str]] = {}
    for _, rel, name in sorted(found)[:cfg.count]:
        out.setdefault(rel, []).append(name)
    return out


def admitted(text: str, names: list[str]) -> str:
    from coq_env.files import parse_coq_file
    out = text
    for d in sorted(parse_coq_file(text), key=lambda d: d.proof_start, reverse=True):
        if d.name in names and d.terminator == "Qed":
            out = out[:d.proof_start] + "\nProof.\nAdmitted." + out[d.end_end:]  # own line: "L." then "Proof." would fuse
    return out


def _compiles(cfg: ProjectsConfig, rel: str) -> bool:
    from coq_env.project import find_load_path
    args = find_load_path(os.path.join(cfg.project, rel)).args
    done = subprocess.run(["coqc", "-q", *args, rel], cwd=cfg.project, capture_output=True, text=True,
                          timeout=1800)
    for ext in (".vo", ".vok", ".vos", ".glob"):  # leave the project as it was
        Path(cfg.project, rel).with_suffix(ext).unlink(missing_ok=True)
    aux = Path(cfg.project, rel).parent / ("." + Path(rel).stem + ".aux")
    aux.unlink(missing_ok=True)
    return done.returncode == 0


def _row(cfg: ProjectsConfig, rel: str, variant: str, names: list[str]) -> dict:
    stem = rel[:-2]
    output = f"{stem}_proved.v" if variant == "auto" else f"{stem}_none.v"
    cmd = [sys.executable, "-m", "agent.cli", "prove", rel]
    if variant == "none":
        cmd += ["--imports", "none", "--output", output]
    done = subprocess.run(cmd, cwd=cfg.project, capture_output=True, text=True, timeout=7200)
    report_path = Path(cfg.project, output[:-2] + ".report.json")
    row = {"file": rel, "variant": variant, "admitted": len(names), "exit": done.returncode,
           "command": " ".join(["qstar", *cmd[3:]]), "stderr_tail": done.stderr.strip().splitlines()[-1:]}
    if report_path.exists():
        rep = json.loads(report_path.read_text())
        s = rep["summary"]
        ths = rep["theorems"]
        row.update({"open": s["theorems"], "proved": s["proved"], "statement_error": s["statement_error"],
                    "internal_error": s["internal_error"],
                    "rejected": sum(t["stop_reason"] == "rejected" for t in ths),
                    "added_imports": rep["added_imports"], "load_path": rep.get("load_path", ""),
                    "proofs": {t["name"]: t["proof"] for t in ths if t["proof"]},
                    "seconds": s["seconds"], "compiles": _compiles(cfg, output)})
        shutil.move(str(Path(cfg.project, output)), os.path.join(cfg.out, "written", output.replace("/", "__")))
        shutil.move(str(report_path), os.path.join(cfg.out, "written", output.replace("/", "__")[:-2] + ".report.json"))
    return row


def run(cfg: ProjectsConfig) -> list[dict]:
    from tqdm import tqdm
    os.makedirs(os.path.join(cfg.out, "originals"), exist_ok=True)
    os.makedirs(os.path.join(cfg.out, "written"), exist_ok=True)
    Path(cfg.out, "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    rows_path = Path(cfg.out, "rows.jsonl")
    rows = [json.loads(ln) for ln in rows_path.read_text().splitlines()] if rows_path.exists() else []
    done = {(r["file"], r["variant"]) for r in rows}
    plan = chosen(cfg)
    Path(cfg.out, "chosen.json").write_text(json.dumps(plan, indent=2) + "\n")
    jobs = [(rel, v) for rel in plan for v in ("auto", "none") if (rel, v) not in done]
    for rel, variant in tqdm(jobs, desc=os.path.basename(cfg.project.rstrip("/")), unit="file"):
        path = Path(cfg.project, rel)
        original = Path(cfg.out, "originals", rel.replace("/", "__"))
        if not original.exists():
            shutil.copyfile(path, original)
        try:
            path.write_text(admitted(original.read_text(encoding="utf-8"), plan[rel]), encoding="utf-8")
            row = _row(cfg, rel, variant, plan[rel])
        finally:
            shutil.copyfile(original, path)
        rows.append(row)
        with open(rows_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| file | variant | admitted | proved | statement err | internal err | rejected | compiles | s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['file']} | {r['variant']} | {r['admitted']} | {r.get('proved', '-')} | "
                     f"{r.get('statement_error', '-')} | {r.get('internal_error', '-')} | {r.get('rejected', '-')} | "
                     f"{r.get('compiles', '-')} | {r.get('seconds', '-')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--theories", default="theories")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--max-steps", type=int, default=6)
    a = ap.parse_args(argv)
    cfg = ProjectsConfig(project=os.path.abspath(a.project), out=a.out, theories=a.theories, count=a.count,
                         max_steps=a.max_steps)
    rows = run(cfg)
    summary = {}
    for v in ("auto", "none"):
        rs = [r for r in rows if r["variant"] == v]
        summary[v] = {k: sum(r.get(k, 0) or 0 for r in rs) for k in
                      ("admitted", "proved", "statement_error", "internal_error", "rejected")}
        summary[v]["all_compile"] = all(r.get("compiles") for r in rs)
    Path(cfg.out, "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(table(rows))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
