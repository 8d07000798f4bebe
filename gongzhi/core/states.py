"""The one helper for state transitions: `move(obj, to, actor=…, reason=…)`.

A stateful model declares `Status(models.TextChoices)` and `TRANSITIONS: dict[str, set[str]]` (from → allowed to).
`move` locks the row, re-reads its status, checks the table, saves with update_fields and writes the audit entry,
all in one transaction. A request the table does not allow raises InvalidTransition (HTTP 409).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.db import models, transaction

from gongzhi.core import audit
from gongzhi.core.errors import InvalidTransition
from gongzhi.core.models import User


class Stateful(Protocol):
    pk: Any
    status: str
    TRANSITIONS: dict[str, set[str]]


M = TypeVar("M", bound=models.Model)


def allowed(obj: Any, to: str) -> bool:
    return to in obj.TRANSITIONS.get(obj.status, set())


@transaction.atomic
def move(
    obj: M,
    to: str,
    *,
    actor: User | None,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    action: str | None = None,
) -> M:
    """Move `obj` to status `to`. `fields` are further columns set in the same save (e.g. decided_at)."""
    model = type(obj)
    locked = model._default_manager.select_for_update(of=("self",)).get(pk=obj.pk)
    current = locked.status  # type: ignore[attr-defined]
    table: dict[str, set[str]] = model.TRANSITIONS  # type: ignore[attr-defined]
    if to not in table.get(current, set()):
        raise InvalidTransition(
            f"不能从“{_label(model, current)}”变为“{_label(model, to)}” / cannot move from {current} to {to}",
            code="invalid_transition",
        )
    update = {"status": to, **(fields or {})}
    for name, value in update.items():
        setattr(locked, name, value)
        setattr(obj, name, value)
    locked.save(update_fields=list(update))
    audit.record(
        action or f"{model._meta.app_label}.{model._meta.model_name}.{to}",
        actor=actor,
        target=locked,
        data={"from": current, "to": to, **({"reason": reason} if reason else {}), **(data or {})},
    )
    return obj


def _label(model: type[models.Model], value: str) -> str:
    status_cls = getattr(model, "Status", None)
    if status_cls is not None:
        try:
            return str(status_cls(value).label)
        except ValueError:
            return value
    return value
