"""Reading and writing whole JSONL files (append-only logs live in ``agent.records``)."""

from __future__ import annotations

import json


def read_jsonl(path: str, required: tuple[str, ...] = (), *, allow_empty: bool = False) -> list[dict]:
    """Rows of a JSONL file, each an object holding ``required``; ValueError names the bad line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{n}: not a JSON object")
            missing = [k for k in required if k not in row]
            if missing:
                raise ValueError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
            rows.append(row)
    if not rows and not allow_empty:
        raise ValueError(f"{path}: no rows")
    return rows


def write_jsonl(path: str, rows: list[dict]) -> None:
    """All rows or nothing (atomic replace)."""
    from agent.atomic import atomic_write
    atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
