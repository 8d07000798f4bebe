"""Classifying an inventoried task with the list matcher (gongzhi.duties.matcher.match), and the decision the
verdict suggests. The matcher belongs to the duties app; this module only reads its Verdict:
`.verdict` (statutory | assisting | excluded | unlisted), `.matches` (items with code, kind, title, score),
`.flags` (plaque, report_form, inspection_ranking, certificate) and `.reason`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gongzhi.cleanup.models import CarriedTask
from gongzhi.duties import matcher
from gongzhi.orgs.models import Region

Decision = CarriedTask.Decision


@dataclass(frozen=True)
class Classification:
    verdict: str
    flags: list[str] = field(default_factory=list)
    code: str = ""
    title: str = ""
    reason: str = ""


def classify(text: str, *, community: Region | None = None) -> Classification:
    """The matcher's verdict on a task text, against the lists in force for the community."""
    result = matcher.match(text, community=community)
    top = result.matches[0] if result.verdict != "unlisted" and result.matches else None
    return Classification(
        verdict=result.verdict,
        flags=sorted(result.flags),
        code=top.code[:32] if top is not None else "",
        title=top.title[:200] if top is not None else "",
        reason=result.reason[:300],
    )


def suggest(verdict: str, flags: Sequence[str], *, has_department: bool) -> str:
    """The decision a verdict suggests ('' when the office has to judge it itself).

    statutory → keep as the community's own duty; assisting → keep with an entrustment agreement; excluded → back
    to the department that sent it (or cancel when no department is known); a department's own inspection or
    ranking of communities → cancel (郑州二七区: departments may not separately inspect, assess or rank them).
    """
    if verdict == "statutory":
        return Decision.KEEP_STATUTORY
    if verdict == "assisting":
        return Decision.KEEP_ASSISTING
    if verdict == "excluded":
        return Decision.RETURN if has_department else Decision.CANCEL
    if "inspection_ranking" in flags:
        return Decision.CANCEL
    return ""
