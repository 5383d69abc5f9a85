#!/usr/bin/env python3
"""A test double of the Lean REPL that answers from the REPL's own recorded transcripts.

It speaks the real framing (JSON request + blank line in, JSON reply + blank line out) and
answers each request with the reply recorded for the identical request in
../shared/data/lean-repl-transcripts (X.in / X.expected.out). It is never a kernel: a request
that was not recorded gets {"message": "replay: no recorded reply"}. It can be told to
misbehave, once (a marker file remembers that it already did), to test the client's recovery:
  --hang-on S     never answer a request whose text contains S
  --exit-on S     exit without answering such a request
  --balloon-on S  allocate --balloon-mb MiB and then hang (memory watchdog tests)
  --log F         append every request it receives to F, one JSON line each (what a client sent)
  --pickles       answer pickleTo / unpickleEnvFrom itself: pickleTo writes the env's number to
                  the file and answers {"env": N}, as the recorded pickle_environment replies do;
                  unpickleEnvFrom answers with the number read back, so the requests a client
                  makes in the unpickled environment find the replies recorded in the pickled one
                  (the real REPL numbers it anew; the double keeps the recorded number)
Malformed JSON kills it, as it kills the real REPL.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean-repl-transcripts"


def blocks(text):
    out, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def parse_request(lines):
    for sep in ("\n", ""):  # the REPL joins a request's lines; raw newlines in strings vanish
        try:
            return json.loads(sep.join(lines))
        except json.JSONDecodeError:
            continue
    raise ValueError("malformed request")


def key(req):
    return json.dumps(req, sort_keys=True, ensure_ascii=False)


def load(directory, names):
    table = {}
    for inp in sorted(Path(directory).glob("*.in")):
        name = inp.name[:-3]
        out = inp.with_name(name + ".expected.out")
        if (names and name not in names) or not out.exists():
            continue
        reqs = [parse_request(b) for b in blocks(inp.read_text(encoding="utf-8"))]
        reps = ["\n".join(b) for b in blocks(out.read_text(encoding="utf-8"))]
        for req, rep in zip(reqs, reps):
            table.setdefault(key(req), []).append(rep)
    return table


def once(marker, tag):
    """True the first time (across processes) a misbehaviour triggers."""
    if marker is None:
        return True
    path = Path(f"{marker}.{tag}")
    if path.exists():
        return False
    path.write_text("done")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(DEFAULT_DIR))
    ap.add_argument("--transcript", action="append", default=[])
    ap.add_argument("--hang-on")
    ap.add_argument("--exit-on")
    ap.add_argument("--balloon-on")
    ap.add_argument("--balloon-mb", type=int, default=400)
    ap.add_argument("--once-file", help="misbehave only once, remembered in files with this prefix")
    ap.add_argument("--log")
    ap.add_argument("--pickles", action="store_true")
    args = ap.parse_args()
    table = load(args.dir, set(args.transcript))
    served = {}
    buf = []
    for line in sys.stdin:
        if line.strip():
            buf.append(line.rstrip("\n"))
            continue
        if not buf:
            continue
        raw, buf = "\n".join(buf), []
        try:
            req = parse_request(raw.splitlines())
        except ValueError:
            sys.exit(1)
        if args.log:
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(req, ensure_ascii=False) + "\n")
        if args.pickles and ("pickleTo" in req or "unpickleEnvFrom" in req):
            if "pickleTo" in req:
                Path(req["pickleTo"]).write_text(str(req["env"]))
                env = req["env"]
            else:
                env = int(Path(req["unpickleEnvFrom"]).read_text())
            sys.stdout.write(json.dumps({"env": env}) + "\n\n")
            sys.stdout.flush()
            continue
        if args.exit_on and args.exit_on in raw and once(args.once_file, "exit"):
            os._exit(3)
        if args.hang_on and args.hang_on in raw and once(args.once_file, "hang"):
            while True:
                time.sleep(3600)
        if args.balloon_on and args.balloon_on in raw and once(args.once_file, "balloon"):
            hog = bytearray(args.balloon_mb * 1024 * 1024)
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            while True:
                time.sleep(3600)
        replies = table.get(key(req))
        if not replies:
            reply = json.dumps({"message": "replay: no recorded reply"})
        else:
            k = key(req)
            i = served.get(k, 0)
            reply = replies[min(i, len(replies) - 1)]
            served[k] = i + 1
        sys.stdout.write(reply + "\n\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
