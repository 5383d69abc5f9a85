"""qstar's exit statuses, the same in every command (``qstar --help`` and docs/guide.md list them).

0 the run finished and nothing went wrong on qstar's side (unproved theorems are results, not
  failures); 1 ``check`` found a proof the sound check rejects; 2 bad input or a prover that is
  not installed (one line on stderr, nothing written); 3 the run finished but some theorem hit an
  internal error (a prover that died, a lost worker, a bug: its row says which, and ``--resume``,
  or for ``prove`` a run on the written file, tries it again); 128 + N a signal N stopped the run
  (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP) after keeping the work done.
"""

from __future__ import annotations

import sys

OK = 0
REJECTED = 1
USAGE = 2
INTERNAL_ERROR = 3

SUMMARY = ("exit status: 0 done; 1 check rejected a proof; 2 bad input; 3 some theorem hit an internal "
           "error (--resume retries it); 128+N stopped by signal N (work kept)")


def internal_errors(rows, command: str, retry: str = "--resume runs them again") -> int:
    """INTERNAL_ERROR, said in one line on stderr, when any of ``rows`` (dicts or records) hit an
    internal error; else OK."""
    n = sum((r.get("stop_reason") if isinstance(r, dict) else getattr(r, "stop_reason", "")) == "internal_error"
            for r in rows)
    if not n:
        return OK
    print(f"qstar {command}: {n} theorem(s) hit an internal error (see their message); {retry}", file=sys.stderr)
    return INTERNAL_ERROR
