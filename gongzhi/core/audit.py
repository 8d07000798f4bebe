"""The audit log: `record()` appends one chained entry inside the caller's transaction; `verify_chain()` checks it.

Every service writes its audit entry through `record()` in the same transaction as the change, so a rolled-back
change leaves no entry and a committed change always has one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from gongzhi.core import crypto
from gongzhi.core.context import current_ip
from gongzhi.core.models import AuditEntry, AuditHead, User

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = [
        entry.seq,
        at,
        entry.actor_id,
        entry.actor_label,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.target_label,
        entry.data,
        entry.ip,
        entry.result,
        entry.prev_hash,
    ]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _normalize(data: dict[str, Any] | None) -> dict[str, Any]:
    if not data:
        return {}
    normalized: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return normalized


def record(
    action: str,
    *,
    actor: User | None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    result: str = "ok",
    ip: str | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append an audit entry. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction of the change it records")
    head, _ = AuditHead.objects.select_for_update(of=("self",)).get_or_create(id=1)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label if actor_label is not None else (actor.get_username() if actor else ""),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        data=_normalize(data),
        ip=ip or current_ip.get(),
        result=result,
        prev_hash=head.hash,
    )
    entry.hash = crypto.mac("audit", _canonical(entry))
    entry.save(force_insert=True)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def record_standalone(action: str, **kwargs: Any) -> AuditEntry:
    """For events that are not part of a data change (a failed login, a lockout): its own transaction."""
    with transaction.atomic():
        return record(action, **kwargs)


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    entry_id: int | None
    problem: str


def _entries() -> Iterator[AuditEntry]:
    yield from AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Walk the chain in order. Returns (entries checked, first problem or None)."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in _entries():
        if entry.seq != expected_seq:
            what = "missing entry before it" if entry.seq > expected_seq else "out-of-order entry"
            return count, ChainProblem(entry.seq, entry.pk, f"sequence jumps from {expected_seq - 1}: {what}")
        if entry.prev_hash != expected_prev:
            return count, ChainProblem(entry.seq, entry.pk, "does not chain to the previous entry")
        if not crypto.verify_mac("audit", _canonical(entry), entry.hash):
            return count, ChainProblem(entry.seq, entry.pk, "content does not match its hash (altered)")
        expected_prev = entry.hash
        expected_seq += 1
        count += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.seq != count:
        return count, ChainProblem(head.seq, None, f"chain head says {head.seq} entries, found {count}")
    return count, None
