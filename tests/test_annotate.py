"""qstar annotate: a written proof step by step, the wrong step marked, what qstar would try."""

import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from agent.annotate.render import table
from agent.annotate.steps import annotate_proof
from agent.policies.automation import AutomationPolicy
from conftest import qstar, requires_coq
from lean_env.env import LeanEnv, LeanEnvConfig
from lean_env.files import proof_scripts as lean_scripts
from lean_env.files import proof_steps

REPLAY = str(Path(__file__).with_name("replay_repl.py"))
TRANSCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "lean-repl-transcripts"


class _Rows(HTMLParser):
    """The step rows of an annotate page, and whether every opened tag was closed."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.rows, self.stack, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("data-verdict"):
            self.rows.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def test_lean_tactic_blocks_split_into_top_level_steps():
    assert proof_steps(":= by\n  apply And.intro\n  · exact h1.left\n    done\n  exact h") == \
        ["apply And.intro", "· exact h1.left\n  done", "exact h"]
    assert proof_steps(":= by have t := 37; exact t") == ["have t := 37; exact t"]
    assert proof_steps(":= by\n  simp\n  sorry") == ["simp"]
    assert proof_steps(":= fun x => x") is None


@requires_coq
def test_annotate_marks_the_wrong_step_and_the_html_has_a_row_per_step(tmp_path):
    page = tmp_path / "annotate.html"
    r = qstar("annotate", "examples/annotate.v", "--json", "--html", str(page))
    assert r.returncode == 0, r.stderr
    proofs = {p["theorem"]: p for p in json.loads(r.stdout)["proofs"]}
    good, wrong, open_ = proofs["double_le"], proofs["square_sum"], proofs["le_add_both"]
    assert good["status"] == "complete" and good["checked"] is True
    assert [s["verdict"] for s in good["steps"]] == ["ok", "ok", "proved"]
    assert all(s["v_before"] is not None and 0 <= s["v_before"] <= 1 for s in good["steps"])  # the bundled V
    assert all(s["q"] is not None and 0 <= s["q"] <= 1 for s in good["steps"])  # and its Q of each step
    assert wrong["status"] == "rejected" and wrong["marked"] == 2 and wrong["mark"] == "rejected"
    assert wrong["steps"][1]["tactic"] == "reflexivity." and "Unable to unify" in wrong["steps"][1]["message"]
    assert wrong["closing"] and any(a["verdict"] == "proved" for a in wrong["alternatives"])
    assert open_["status"] == "open" and open_["mark"] == "open_end" and open_["marked"] == 4
    assert open_["steps"][3]["goals_after"]  # the goal the writer left
    assert open_["closing"], open_  # qstar finishes it within the small budget, and the check accepts that
    parser = _Rows()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.errors == [] and parser.stack == []
    assert len(parser.rows) == sum(len(p["steps"]) for p in proofs.values())
    assert sum("marked" in (row.get("class") or "") for row in parser.rows) == 3
    assert {row["data-verdict"] for row in parser.rows} == {"ok", "proved", "error"}


@requires_coq
def test_annotate_reads_bad_input_as_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "empty.v"
    empty.write_text("Require Import Arith.\nDefinition x := 1.\n")
    broken = tmp_path / "broken.v"
    broken.write_text("(* never closed\nLemma a : True.\nProof. exact I. Qed.\n")
    for path, words in ((empty, "no proof to annotate"), (broken, "cannot parse"), (tmp_path / "none.v", "no such file")):
        r = qstar("annotate", str(path), "--model", "none")
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert r.stdout == ""


@pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=f"no transcripts at {TRANSCRIPTS}")
def test_a_lean_proof_is_annotated_through_real_repl_replies():
    text = ("theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by\n"
            "  apply And.intro\n  exact h1.left\n  apply h2\n  exact h1.right\n")
    cmd = (sys.executable, REPLAY, "--transcript", "proof_branching", "--transcript", "invalid_tactic")
    with LeanEnv(LeanEnvConfig(repl_command=cmd, project_dir=".")) as env:
        (th, steps), = lean_scripts(text)
        ann = annotate_proof(env, th, steps, policy=lambda s: [])
        assert ann.status == "complete" and [s.verdict for s in ann.steps] == ["ok", "ok", "ok", "proved"]
        assert ann.steps[0].goals_after[1]["tag"] == "right" and ann.marked is None
        (th, steps), = lean_scripts("theorem my_theorem (x : Nat) : x = x := by\n  exact my_fake_premise\n")
        ann = annotate_proof(env, th, steps, policy=AutomationPolicy("lean", tactics=("rfl",), case_splits=False))
        assert ann.status == "rejected" and ann.marked == 1 and ann.mark == "rejected"
        assert "Unknown identifier" in ann.steps[0].message
        assert [a.tactic for a in ann.alternatives] == ["rfl"]  # tried in the REPL (no reply recorded for it)
        assert ann.closing is None and ann.checked is None  # no toolchain here: no final check, no claim
    assert ">>  1  error" in table([ann])
