"""The architecture's rules, checked on the source tree."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "agent"


def _sources(folder: Path):
    return [p for p in folder.rglob("*.py")]


def test_no_module_outside_the_backends_parses_goal_text():
    # Goal text is parsed in coq_env/ and lean_env/ only: the rest reads Goal fields. The
    # turnstile is printed by the one renderer (agent/env.py) and appears nowhere else.
    offenders = []
    for p in _sources(AGENT):
        if p == AGENT / "env.py":
            continue
        text = p.read_text(encoding="utf-8")
        if "⊢" in text or re.search(r"""split\(\s*["'] : ["']""", text) or "_HYP" in text:
            offenders.append(str(p.relative_to(ROOT)))
    assert offenders == []


def test_only_the_composition_root_and_cli_import_a_backend():
    pattern = re.compile(r"^\s*(from|import) (coq_env|lean_env)\b", re.M)
    importers = sorted(str(p.relative_to(ROOT)) for p in _sources(AGENT) if pattern.search(p.read_text(encoding="utf-8")))
    assert importers == ["agent/backends.py", "agent/cli.py"]


def test_agent_top_level_holds_subpackages_and_a_handful_of_modules():
    modules = sorted(p.name for p in AGENT.glob("*.py"))
    assert len(modules) <= 7, modules
    assert (AGENT / "__init__.py").read_text(encoding="utf-8").count("import") == 0
    for sub in ("search", "policies", "learning", "bench"):
        assert (AGENT / sub / "__init__.py").exists()


def _imported_packages(folder: Path) -> set[str]:
    pattern = re.compile(r"^\s*(?:from|import) (agent\.\w+)", re.M)
    return {m for p in _sources(folder) for m in pattern.findall(p.read_text(encoding="utf-8"))}


def test_the_learned_sources_import_one_way():
    # search -> policies, generator, project -> learned: the step generator builds on the shared
    # features and indexes (agent/learned), never on a candidate source of agent/policies, and
    # the one room that hands each source what it learned is agent/search/learners.py
    assert _imported_packages(AGENT / "learned") <= {"agent.env", "agent.learned"}
    assert not _imported_packages(AGENT / "generator") & {"agent.policies", "agent.project", "agent.search"}
    assert not _imported_packages(AGENT / "policies") & {"agent.generator", "agent.project", "agent.search"}
    assert not _imported_packages(AGENT / "project") & {"agent.generator", "agent.search"}
    wiring = [str(p.relative_to(ROOT)) for p in _sources(AGENT)
              if re.search(r"GeneratorPolicy\(|ProjectPolicy\(|\.add\(\[\(\[g\.to_json", p.read_text(encoding="utf-8"))
              and p.parent.name not in ("generator", "project")]
    assert wiring == ["agent/search/learners.py"], wiring
