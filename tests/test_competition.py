"""The competition step families (agent/policies/competition.py): which goals call for them, and
that their steps are ordinary Coq that a file loading only Lia replays with coqc."""

import subprocess

from agent.env import Goal, Hypothesis
from agent.policies.automation import AutomationPolicy
from agent.policies.competition import bounded, competition_steps, family_of
from agent.env import ProofState
from conftest import requires_coq


def _goal(hyps, concl):
    return Goal(tuple(Hypothesis(tuple(n.split(",")), t) for n, t in hyps), concl)


NAT = _goal([("n", "nat"), ("H", "2 <= n"), ("H0", "n <= 4")], "n * n * n <= 64")
Z668 = _goal([("l,r", "Z"), ("H", "(0 <= l < 7)%Z"), ("H0", "(0 <= r < 7)%Z"), ("H1", "(l * (2 + 3) mod 7 = 1)%Z")],
             "l = 3%Z")


def test_bounds_are_read_from_hypotheses_and_conjunctions():
    assert bounded(NAT) == {"n": ("nat", 2, 4)}
    assert bounded(Z668) == {"l": ("Z", 0, 6), "r": ("Z", 0, 6)}
    assert bounded(_goal([("x", "Z"), ("H", "x > -3 /\\ 2 >= x")], "True")) == {"x": ("Z", -2, 2)}
    assert bounded(_goal([("x", "Z"), ("H", "x < 5")], "True")) == {}  # no lower bound for a Z
    assert bounded(_goal([("n", "nat"), ("H", "n < 3")], "True")) == {"n": ("nat", 0, 2)}
    assert bounded(_goal([("x", "R"), ("H", "0 <= x <= 2")], "True")) == {}  # not an integer


def test_the_families_are_proposed_only_where_the_goal_calls_for_them():
    steps = competition_steps(Z668)
    assert [f for f, _ in steps] == ["cases", "cases", "divmod", "divmod"]
    assert all(family_of(s) == f for f, s in steps)
    assert competition_steps(_goal([("n", "nat"), ("H", "n < 40")], "True")) == []  # too many cases
    assert competition_steps(_goal([("x", "R")], "x / 2 = x * / 2")) == []
    policy = AutomationPolicy("coq")
    tactics = [t for t, _ in policy(ProofState((NAT,)))]
    assert family_of(tactics[5]) == "cases" and family_of("lia.") is None


@requires_coq
def test_each_familys_steps_replay_with_coqc_in_a_file_that_loads_only_lia(tmp_path):
    lines = ["From Coq Require Lia.", "Import Coq.micromega.Lia.", "Require Import ZArith.", ""]
    lines.append("Goal forall n : nat, 2 <= n -> n <= 4 -> n * n * n <= 64.\nProof. intros n H H0.")
    lines.append(dict(competition_steps(NAT))["cases"] + "\nQed.\n")
    lines.append("Goal forall l r : Z, (0 <= l < 7)%Z -> (0 <= r < 7)%Z -> (l * (2 + 3) mod 7 = 1)%Z -> l = 3%Z.\n"
                 "Proof. intros l r H H0 H1.")
    lines.append(competition_steps(Z668)[0][1] + "\nall: discriminate.\nQed.\n")
    lines.append("Goal forall x : Z, (x mod 3 = 2)%Z -> ((x + 1) mod 3 = 0)%Z.\nProof. intros x H.")
    lines.append(competition_steps(_goal([("x", "Z"), ("H", "(x mod 3 = 2)%Z")], "((x + 1) mod 3 = 0)%Z"))[0][1]
                 + "\nQed.\n")
    (tmp_path / "C.v").write_text("\n".join(lines))
    done = subprocess.run(["coqc", "C.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
