"""Files that survive a kill: atomic whole-file writes, JSONL reading and writing, and
append-only JSONL logs.

A whole file is written to a temp file in the same folder, fsynced and renamed: a reader sees
the old file or the new one, never half of one. A log is written one complete line at a time
(one ``write`` of the line and its newline, then flush and fsync). A run killed in the middle
leaves at most one partial last line; ``JsonlLog`` cuts it off when reopened, so resuming loses
nothing that was recorded and duplicates nothing.
"""

from __future__ import annotations

import json
import os
import tempfile


def atomic_write(path: str, text: str) -> None:
    """Write all of ``text`` or nothing: a temp file in the same folder, fsync, rename."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".qstar-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
    atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


class JsonlLog:
    """Append-only JSONL keyed by a field; reopening resumes after the last complete line.

    ``retry(row)``: rows to run again on reopening (an internal error): they are taken out of
    the file (rewritten atomically, the other rows kept as they were) and are not ``done``."""

    def __init__(self, path: str, *, key: str = "id", retry=None):
        self.path, self.key = path, key
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.rows: list[dict] = []
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            end = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
            if end < len(data):
                with open(path, "r+b") as f:
                    f.truncate(end)
            for line in data[:end].splitlines():
                if line.strip():
                    self.rows.append(json.loads(line))
            if retry is not None and any(retry(r) for r in self.rows):
                self.rows = [r for r in self.rows if not retry(r)]
                write_jsonl(path, self.rows)
        self.done = {r[key] for r in self.rows}
        self._f = open(path, "a", encoding="utf-8")

    def append(self, row: dict) -> None:
        if row[self.key] in self.done:
            return
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.rows.append(row)
        self.done.add(row[self.key])

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "JsonlLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
