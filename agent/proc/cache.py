"""qstar's disk cache of derived data (``$XDG_CACHE_HOME/qstar``, default ``~/.cache/qstar``):
what a process would otherwise rebuild from the same inputs at every start. An entry is keyed
by a digest of everything it is derived from (the caller's key: file bytes, settings, the code
that builds it), written whole or not at all, and rebuilt when it cannot be read."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qstar"


_SAID: set[str] = set()


def cached_json(kind: str, key, compute):
    """``compute()`` (a JSON value), kept on disk under ``kind`` by a hash of ``key`` (which must
    hold everything the answer depends on, Coq's version among it): a later run reads it instead
    of running Coq again."""
    return _cached(kind, key, compute, ".json", lambda f: json.load(f), lambda v, f: f.write(json.dumps(v).encode()))


def pickled(kind: str, key, build, keep: int = 8):
    """``build()``'s value, from the cache entry of (``kind``, ``key``) when there is one; only the
    ``keep`` entries of ``kind`` used last are kept (an entry may weigh tens of MB)."""
    value = _cached(kind, key, build, ".pkl", pickle.load,
                    lambda v, f: pickle.dump(v, f, protocol=pickle.HIGHEST_PROTOCOL))
    _prune(home() / kind, keep)
    return value


def _prune(folder: Path, keep: int) -> None:
    try:
        entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            old.unlink()
    except OSError:
        pass  # another process pruned it first


def _touch(path: Path) -> None:
    """Used now: the last to be pruned (a cache folder that cannot be written is only slower)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _cached(kind: str, key, build, suffix: str, read, write):
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:32]
    path = home() / kind / f"{digest}{suffix}"
    try:
        with open(path, "rb") as f:
            value = read(f)
        _touch(path)
        return value
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, ImportError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            write(value, f)
        os.replace(tmp, path)
    except OSError as e:
        if kind not in _SAID:
            _SAID.add(kind)
            print(f"qstar: the {kind} cache is not written ({e}); it is built again next time", file=sys.stderr)
    return value
