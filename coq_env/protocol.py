"""coqidetop's XML protocol (Coq 8.16): encode calls, decode replies.

Only the calls qstar needs: Init, Add, Edit_at, Goal. Every reply is one ``<value>`` element,
``good`` or ``fail``, possibly preceded by ``<feedback>`` elements that we skip. The pretty
printer emits ``&nbsp;``, which is not an XML entity; it is replaced before parsing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from agent.env import Goal
from coq_env.goals import flatten, goal_from_xml


def init_call() -> bytes:
    return b'<call val="Init"><option val="none"/></call>'


def add_call(sentence: str, state_id: int) -> bytes:
    # Add : ((((text, edit_id), (state_id, verbose)), bp), (line_nb, bol_pos))
    body = (
        f'<call val="Add"><pair><pair><pair><pair><string>{escape(sentence)}</string>'
        f'<int>-1</int></pair><pair><state_id val="{state_id}"/><bool val="false"/></pair>'
        f"</pair><int>0</int></pair><pair><int>0</int><int>0</int></pair></pair></call>"
    )
    return body.encode("utf-8")


def edit_at_call(state_id: int) -> bytes:
    return f'<call val="Edit_at"><state_id val="{state_id}"/></call>'.encode()


def goal_call() -> bytes:
    return b'<call val="Goal"><unit/></call>'


@dataclass(frozen=True)
class Reply:
    good: bool
    root: ET.Element  # the <value> element
    error: str = ""  # the failure message when not good


@dataclass(frozen=True)
class CoqGoals:
    foreground: tuple[Goal, ...]
    background: tuple[Goal, ...]
    shelved: tuple[Goal, ...]
    given_up: tuple[Goal, ...]


def find_value_end(buf: bytes) -> int:
    """Offset just past the first complete ``<value ...>...</value>`` in buf, or -1."""
    start = buf.find(b"<value ")
    if start < 0:
        return -1
    end = buf.find(b"</value>", start)
    if end >= 0:
        return end + len(b"</value>")
    # A value can also be self-contained with no children, e.g. <value val="good"/>: not emitted
    # by 8.16 for the calls we make, so we wait for the closing tag.
    return -1


def parse_reply(raw: bytes) -> Reply:
    """Parse the bytes of one reply (feedback then value)."""
    start = raw.rfind(b"<value ")
    text = raw[start:].decode("utf-8", errors="replace").replace("&nbsp;", " ")
    root = ET.fromstring(text)
    if root.get("val") == "good":
        return Reply(True, root)
    msg = flatten(root.find("richpp")) if root.find("richpp") is not None else "".join(root.itertext())
    return Reply(False, root, error=" ".join(msg.split()) or "Coq error")


def new_state_id(reply: Reply) -> int:
    """The state id an Add assigned."""
    sid = reply.root.find("pair/state_id")
    if sid is None:
        raise ValueError("Add reply without a state id")
    return int(sid.get("val"))


def parse_goals(reply: Reply) -> CoqGoals | None:
    """Goals of a Goal reply; None when no proof is open."""
    opt = reply.root.find("option")
    if opt is None or opt.get("val") == "none":
        return None
    goals = opt.find("goals")
    lists = list(goals)
    fg = tuple(goal_from_xml(g) for g in lists[0].findall("goal"))
    bg: list[Goal] = []
    for pair in lists[1].findall("pair"):  # (goals before focus, goals after focus)
        for side in pair.findall("list"):
            bg.extend(goal_from_xml(g) for g in side.findall("goal"))
    shelved = tuple(goal_from_xml(g, shelved=True) for g in lists[2].findall("goal"))
    given_up = tuple(goal_from_xml(g) for g in lists[3].findall("goal"))
    return CoqGoals(fg, tuple(bg), shelved, given_up)
