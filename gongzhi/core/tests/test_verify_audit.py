"""`gongzhi verify_audit` names the first broken entry when rows are altered, removed or inserted out of order
directly in the database (not through audit.record), and the demo's SQLite file holds no plaintext phone or ID."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from gongzhi.core import audit, crypto
from gongzhi.core.models import AuditEntry

REPO = Path(__file__).resolve().parents[3]


def verify() -> tuple[Any, str, str]:
    """(exit code, stdout, stderr) of verify_audit."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def raw(sql: str, params: Sequence[Any] = ()) -> None:
    """Run SQL straight on the database, past the append-only triggers (as someone with file access could)."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO gongzhi_audit_maintenance (reason) VALUES ('tamper test')")
        cur.execute(sql, params)
        cur.execute("DELETE FROM gongzhi_audit_maintenance")


@pytest.fixture
def chain(city):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert len(entries) > 10
    return entries


def test_intact_chain_exits_0_and_prints_the_count(chain):
    code, out, err = verify()
    assert code == 0 and err == ""
    assert f"{len(chain)} entries" in out


def test_altered_row_is_named(chain):
    victim = chain[4]
    raw("UPDATE core_auditentry SET target_label = %s WHERE id = %s", ["张三（已改）", victim.pk])
    code, _, err = verify()
    assert code == 1
    assert f"seq={victim.seq} (id={victim.pk})" in err and "altered" in err


def test_altered_hash_link_is_named(chain):
    victim = chain[6]
    raw("UPDATE core_auditentry SET prev_hash = %s WHERE id = %s", ["1:" + "0" * 64, victim.pk])
    code, _, err = verify()
    assert code == 1 and f"seq={victim.seq} (id={victim.pk})" in err


def test_deleted_row_is_named_by_the_gap_it_leaves(chain):
    victim, successor = chain[3], chain[4]
    raw("DELETE FROM core_auditentry WHERE id = %s", [victim.pk])
    code, _, err = verify()
    assert code == 1
    assert f"seq={successor.seq} (id={successor.pk})" in err
    assert f"jumps from {victim.seq - 1}" in err and "missing" in err


def test_deleted_last_row_is_caught_by_the_chain_head(chain):
    raw("DELETE FROM core_auditentry WHERE id = %s", [chain[-1].pk])
    code, _, err = verify()
    assert code == 1 and f"seq={chain[-1].seq} (chain head)" in err


def _forged(seq: int, prev_hash: str, *, sign: bool) -> AuditEntry:
    entry = AuditEntry(
        seq=seq, at=timezone.now(), action="orgs.membership.grant", target_label="forged", prev_hash=prev_hash
    )
    # even a forger who holds the audit key and signs the row correctly is caught by the sequence
    entry.hash = crypto.mac("audit", audit._canonical(entry)) if sign else "1:" + "f" * 64
    entry.save(force_insert=True)  # straight into the table, not through audit.record()
    return entry


def test_row_inserted_out_of_order_is_named(chain):
    last = chain[-1]
    forged = _forged(last.seq + 2, last.hash, sign=True)
    code, _, err = verify()
    assert code == 1 and f"seq={forged.seq} (id={forged.pk})" in err and "jumps" in err


def test_row_appended_without_the_key_is_named(chain):
    last = chain[-1]
    forged = _forged(last.seq + 1, last.hash, sign=False)
    code, _, err = verify()
    assert code == 1 and f"seq={forged.seq} (id={forged.pk})" in err


# --- The real thing: `make demo`'s steps in a fresh data directory, then the SQLite file itself --------------


def gongzhi(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DATABASE_URL", "PYTEST_"))}
    env.update(GONGZHI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="gongzhi.settings")
    return subprocess.run(
        [sys.executable, "-m", "gongzhi.manage", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo")
    for step in (("migrate", "--noinput", "-v0"), ("load_demo",)):
        done = gongzhi(data_dir, *step)
        assert done.returncode == 0, done.stderr
    return data_dir


def test_demo_sqlite_file_holds_no_plaintext_phone_or_id(demo_dir):
    dump = gongzhi(
        demo_dir,
        "shell",
        "-c",
        "import json; from gongzhi.orgs.models import Resident; from gongzhi.core.models import User; "
        "print(json.dumps([v for r in Resident.objects.all() for v in (r.phone, r.id_number) if v]"
        " + [u.phone for u in User.objects.all() if u.phone]))",
    )
    assert dump.returncode == 0, dump.stderr
    secrets = json.loads(dump.stdout.strip().splitlines()[-1])
    assert len(secrets) > 500
    blob = b"".join(p.read_bytes() for p in demo_dir.glob("gongzhi.sqlite3*"))
    assert "铜霞社区".encode() in blob  # the scan does read the data
    leaked = [s for s in secrets if s.encode() in blob]
    assert leaked == []


def test_editing_an_audit_row_in_the_sqlite_file_fails_verify_audit(demo_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_dir, copy)
    ok = gongzhi(copy, "verify_audit")
    assert ok.returncode == 0, ok.stderr
    assert "entries" in ok.stdout
    db = sqlite3.connect(copy / "gongzhi.sqlite3")
    victim_id = db.execute("SELECT id FROM core_auditentry WHERE seq = 7").fetchone()[0]
    db.execute("DROP TRIGGER core_auditentry_no_update")
    db.execute("UPDATE core_auditentry SET action = 'orgs.nothing' WHERE seq = 7")
    db.commit()
    db.close()
    broken = gongzhi(copy, "verify_audit")
    assert broken.returncode == 1
    assert f"seq=7 (id={victim_id})" in broken.stderr
