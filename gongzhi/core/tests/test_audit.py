import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.db.utils import DatabaseError

from gongzhi.core import audit
from gongzhi.core.models import AuditEntry


def test_chain_verifies_and_rows_are_append_only(city):
    count, problem = audit.verify_chain()
    assert problem is None
    assert count == AuditEntry.objects.count() > 10
    entry = AuditEntry.objects.order_by("seq")[3]
    with pytest.raises((DatabaseError, IntegrityError, OperationalError)), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises((DatabaseError, IntegrityError, OperationalError)), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_record_outside_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit.record("x.y", actor=None)
