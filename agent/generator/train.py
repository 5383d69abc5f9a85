"""``qstar train generator CORPUS --out DIR``: fit the step generator on a traced corpus.

Reads the corpus's training files only (``corpus.read_rows`` with split train), the premises
every traced file states, fits skeletons, pointers and the premise ranker, and writes the
folder: ``generator.json`` (counts and weights), ``rows.jsonl.gz`` (the indexed training
states), ``premises.jsonl.gz`` and ``train_log.json`` (this config, the data's counts, seconds).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Annotated

import tyro

from agent.backends import UsageError
from agent.generator.model import GeneratorConfig


@dataclass
class GeneratorTrainConfig:
    """Train the step generator (skeletons + argument pointers + premise index) on a traced corpus."""

    corpus: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="CORPUS")]
    """Traced steps (scripts/corpus.sh or qstar trace), a JSONL."""
    out: str = "models/generator"
    """Folder to write the generator into."""
    splits: str = "train"
    """Comma-separated corpus splits to train on (valid and test files are held out)."""
    libraries: str = ""
    """Comma-separated libraries to train on (``Coq`` is the standard library; names as
    ``qstar trace lib:NAME`` takes them); empty: every library of the corpus."""
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)


def run_train_generator(cfg: GeneratorTrainConfig) -> int:
    from tqdm import tqdm

    from agent.generator.corpus import read_premises, read_rows, traced_files
    from agent.generator.model import Generator
    from agent.io import atomic_write
    if not os.path.isfile(cfg.corpus):
        raise UsageError(f"no such file: {cfg.corpus}")
    t0 = time.monotonic()
    try:
        rows = read_rows(cfg.corpus, {s.strip() for s in cfg.splits.split(",") if s.strip()})
    except (ValueError, KeyError) as e:
        raise UsageError(f"{cfg.corpus}: not a traced corpus ({e})") from None
    if cfg.libraries:
        from agent.generator.corpus import library_of
        keep = {x.strip() for x in cfg.libraries.split(",") if x.strip()}
        libs: dict[str, str] = {}
        rows = [r for r in rows if (libs.get(r["file"]) or libs.setdefault(r["file"], library_of(r["file"]))) in keep]
    if not rows:
        raise UsageError(f"{cfg.corpus}: no row of the {cfg.splits} split"
                         + (f" in {cfg.libraries}" if cfg.libraries else ""))
    premises = read_premises(traced_files(cfg.corpus))
    gen = Generator.train(rows, premises, cfg.generator,
                          progress=lambda it: tqdm(it, desc="skeletons", unit="step", file=sys.stderr, disable=None))
    gen.save(cfg.out, [r["goals"] for r in rows])
    log = {"config": asdict(cfg), "rows": len(rows), "files": len({r["file"] for r in rows}),
           "premises": len(premises), "skeletons": len(gen.skeleton_counts),
           "ranker_weights": dict(zip(("usage", "usage_rank", "overlap", "overlap_rank", "prior", "same_file"),
                                      map(float, gen.premises.weights))),
           "seconds": round(time.monotonic() - t0, 1)}
    atomic_write(os.path.join(cfg.out, "train_log.json"), json.dumps(log, indent=1))
    size = sum(os.path.getsize(os.path.join(cfg.out, f)) for f in os.listdir(cfg.out))
    print(f"trained on {log['rows']} steps of {log['files']} files: {log['skeletons']} skeletons, "
          f"{log['premises']} premises, {log['seconds']} s; wrote {cfg.out} ({size / 1e6:.1f} MB)")
    return 0
