"""Anonymity and one-per-household (security.md SV-1, SV-2): the response tables have no way back to a household,
code, user or participation; arrival order cannot line participations up with responses; 10 concurrent
submissions from one household give exactly one response (SQLite here; PostgreSQL with
`bash scripts/test-postgres.sh gongzhi/surveys`)."""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.db import OperationalError, connection, models, transaction
from django.test import Client

from conftest import login, make_user
from gongzhi.core import audit
from gongzhi.core.logging import MaskSurveyCodes, mask_codes
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import Role
from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Region
from gongzhi.surveys import codes, services
from gongzhi.surveys.models import ANONYMOUS_TABLES, Answer, Participation, Response
from gongzhi.surveys.tests.conftest import add_households, answers, code_for


def test_response_tables_have_no_link_to_people_codes_or_participation():
    allowed = {
        Response: {"id", "survey", "community", "answers"},
        Answer: {"id", "response", "question", "community", "value", "text"},
    }
    for model, names in allowed.items():
        fields = {f.name for f in model._meta.get_fields()}
        assert fields == names, model
        for f in model._meta.get_fields():
            if f.is_relation and f.related_model is not None:
                assert f.related_model._meta.label in {  # type: ignore[union-attr]
                    "surveys.Survey",
                    "surveys.Question",
                    "surveys.Response",
                    "surveys.Answer",
                    "orgs.Region",
                }, f
        # no time at all, and keys that are not sequential
        assert not any(isinstance(f, models.DateField | models.DateTimeField) for f in model._meta.fields)
        assert isinstance(model._meta.pk, models.UUIDField)
    # participation: a day, no finer; a random key
    p_times = [
        f for f in Participation._meta.fields if isinstance(f, models.DateField | models.DateTimeField)
    ]
    assert [(f.name, type(f)) for f in p_times] == [("on", models.DateField)]
    assert isinstance(Participation._meta.pk, models.UUIDField)


@pytest.mark.django_db
def test_the_anonymous_tables_are_without_rowid_on_sqlite():
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"  # no rowid there; physical order: docs/surveys.md
        return
    with connection.cursor() as cur:
        for model in ANONYMOUS_TABLES:
            cur.execute(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=%s", [model._meta.db_table]
            )
            (sql,) = cur.fetchone()
            assert sql.rstrip().upper().endswith("WITHOUT ROWID"), model
            with pytest.raises(OperationalError):
                cur.execute(f'SELECT rowid FROM "{model._meta.db_table}"')


def spearman(xs: list[int], ys: list[int]) -> float:
    n = len(xs)
    d2 = sum((x - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_spearman_helper():
    assert spearman([1, 2, 3, 4], [1, 2, 3, 4]) == 1
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1


def test_arrival_order_does_not_line_up_participation_and_responses(survey, city, monkeypatch):
    """200 households answer one after another. Read back in every order the database offers (the model's
    default, by key, and on SQLite the table's own storage order), neither table lists rows in arrival order and
    the two listings do not line up: |Spearman ρ| < 0.15.

    The keys are random UUIDs; here they come from a seeded generator so that the test gives the same answer
    every run (with truly random keys ρ is about ±0.07, one standard deviation, so a fixed bound would fail
    now and then by chance). If rows were listed by arrival, ρ would be 1 whatever the keys."""
    rng = random.Random(20260101)
    for model in ANONYMOUS_TABLES:
        field = model._meta.get_field("id")
        monkeypatch.setattr(field, "_get_default", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
    households = add_households(city.estate, 200)
    q1 = survey.questions.get(position=1).pk
    arrival_of_participation: dict[str, int] = {}
    arrival_of_response: dict[str, int] = {}
    for i, household in enumerate(households):
        services.submit_with_code(code=code_for(survey, household), answers=answers(survey))
        p = Participation.objects.exclude(respondent_key__in=arrival_of_participation).get()
        arrival_of_participation[p.respondent_key] = i
        r = Response.objects.exclude(pk__in=arrival_of_response).get()
        arrival_of_response[str(r.pk)] = i
    assert Answer.objects.filter(question_id=q1).count() == 200

    orders: list[tuple[list[str], list[str]]] = [
        (
            list(Participation.objects.values_list("respondent_key", flat=True)),
            [str(pk) for pk in Response.objects.values_list("pk", flat=True)],
        ),
        (
            list(Participation.objects.order_by("pk").values_list("respondent_key", flat=True)),
            [str(pk) for pk in Response.objects.order_by("pk").values_list("pk", flat=True)],
        ),
    ]
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT respondent_key FROM surveys_participation")
            p_raw = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT id FROM surveys_response")
            r_raw = [str(uuid.UUID(row[0])) for row in cur.fetchall()]
        orders.append((p_raw, r_raw))
    for p_order, r_order in orders:
        p_arrivals = [arrival_of_participation[k] for k in p_order]
        r_arrivals = [arrival_of_response[k] for k in r_order]
        # position in the listing vs arrival, for each table; and the two listings against each other
        rho_p = spearman(list(range(200)), p_arrivals)
        rho_r = spearman(list(range(200)), r_arrivals)
        rho_pr = spearman(p_arrivals, r_arrivals)
        assert abs(rho_p) < 0.15 and abs(rho_r) < 0.15 and abs(rho_pr) < 0.15, (rho_p, rho_r, rho_pr)


def test_answers_never_reach_the_logs_or_the_audit(survey, city, caplog):
    secret = "我家楼道灯坏了三个月-独一无二的文字"
    text_q = str(survey.questions.get(position=5).pk)
    with caplog.at_level(logging.DEBUG):
        services.submit_with_code(
            code=code_for(survey, city.household), answers=answers(survey, extra={text_q: secret})
        )
    assert secret not in caplog.text
    assert not any(secret in str(e.data) for e in AuditEntry.objects.all())
    assert Answer.objects.filter(text=secret).count() == 1


def test_an_answer_by_code_or_account_leaves_no_time_address_or_user_in_the_audit(survey, city, resident):
    """D14: the audit log would keep the moment (its `at`, and its place in the chain among timed entries), the
    address and the user of each answer; the participation keeps the day only. So no entry is written."""
    code = code_for(survey, add_households(city.estate, 1)[0])
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    client = Client(REMOTE_ADDR="203.0.113.77")
    assert client.get(f"/s/{code}/").status_code == 302
    assert client.post("/s/answer/", {f"q{k}": v for k, v in answers(survey).items()}).status_code == 200
    signed_in = login(resident)
    page = signed_in.post(
        f"/surveys/{survey.pk}/answer/",
        {f"q{k}": v for k, v in answers(survey).items()},
        REMOTE_ADDR="203.0.113.78",
    )
    assert page.status_code == 200
    assert Participation.objects.count() == 2
    new = AuditEntry.objects.exclude(pk__in=before)
    assert not new.exists(), list(new.values_list("action", flat=True))
    assert not AuditEntry.objects.filter(ip__in=["203.0.113.77", "203.0.113.78"]).exists()
    assert not AuditEntry.objects.filter(actor=resident).exists()
    # what is kept: the day, not the moment
    assert all(
        isinstance(on, date) and not isinstance(on, datetime)
        for on in Participation.objects.values_list("on", flat=True)
    )
    assert audit.verify_chain()[1] is None


def test_a_full_answering_flow_puts_neither_the_code_nor_the_answers_in_the_logs(survey, city, caplog):
    """Typing the code, scanning the QR link, a 404 for a mistyped link, a 422 for a bad sheet, the answer and a
    409 for a second one: the request log (django.request writes the path of every 4xx) never holds the code, in
    any spelling, nor an answer."""
    code = code_for(survey, city.household)
    secret = "我家楼道灯坏了三个月-日志里不该有"
    text_q = survey.questions.get(position=5)
    sheet = {f"q{k}": v for k, v in answers(survey, extra={str(text_q.pk): secret}).items()}
    bad = {**sheet, f"q{survey.questions.get(position=1).pk}": "9"}
    with caplog.at_level(logging.DEBUG):
        phone = Client()
        assert phone.get(f"/s/{code.lower()}/").status_code == 302
        assert phone.get(f"/s/{codes.pretty(code)}X/").status_code == 404  # a mistyped link
        assert phone.post(f"/s/{code}/", sheet).status_code == 405
        assert phone.post("/s/", {"code": codes.pretty(code)}).status_code == 302
        assert phone.post("/s/answer/", bad).status_code == 422
        assert phone.post("/s/answer/", sheet).status_code == 200
        other = Client()
        assert other.get(f"/s/{code}/").status_code == 302
        assert other.post("/s/answer/", {**sheet, "retry": "b" * 32}).status_code == 409
    logged = caplog.text + "".join(str(r.args) + str(r.msg) for r in caplog.records)
    assert "/s/[code]/" in logged  # the 404 and 405 were logged, masked
    for spelling in (code, code.lower(), codes.pretty(code), codes.pretty(code).lower()):
        assert spelling not in logged
    assert secret not in logged and "日志里不该有" not in logged
    assert not any(secret in str(e.data) for e in AuditEntry.objects.all())


def test_the_log_filter_masks_codes_in_request_lines_and_paths():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /s/ABCDE-FGH23/?x=1 HTTP/1.1", 302, 0),
        None,
    )
    assert MaskSurveyCodes().filter(record)
    assert record.getMessage() == '"GET /s/[code]/?x=1 HTTP/1.1" 302 0'
    assert mask_codes("Not Found: /s/abcdefgh23/") == "Not Found: /s/[code]/"
    assert mask_codes("GET /s/answer/ 200") == "GET /s/answer/ 200"
    assert mask_codes("GET /s/?code=ABCDEFGH23&a=b") == "GET /s/?code=[code]&a=b"
    assert mask_codes("GET /surveys/12/ 200") == "GET /surveys/12/ 200"


# --- concurrency ----------------------------------------------------------------------------------------------


def attempt(work: Callable[[int], object], i: int) -> object:
    """work(i), retried while the in-memory SQLite test database's shared cache is locked by another writer (the
    database file in production waits out its busy timeout instead; PostgreSQL never raises this)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return work(i)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_submissions_from_one_household_give_one_response(city, community_staff):
    """Members of one household at once: some with the slip's code, two signed in, one staff member assisting."""
    survey = services.open_survey(
        actor=community_staff,
        survey=services.create_survey(
            actor=community_staff,
            scope=city.tongxia,
            title="并发",
            questions=[services.QuestionSpec(kind="scale", text="满意吗")],
        ),
    )
    q = str(survey.questions.get().pk)
    code = code_for(survey, city.household)
    first = make_user("member1", city.committee, Role.RESIDENT)
    second = make_user("member2", city.committee, Role.RESIDENT)
    for user in (first, second):
        org_services.register_resident(actor=None, household=city.household, name=user.username, user=user)

    def work(i: int) -> object:
        if i == 0:
            return services.submit_assisted(
                actor=community_staff, survey=survey, respondent_id=city.household.pk, answers={q: 3}
            )
        if i in (1, 2):
            return services.submit_with_account(actor=(first, second)[i - 1], survey=survey, answers={q: 4})
        return services.submit_with_code(code=code, answers={q: 5})

    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(work, i)
            outcome = "accepted"
        except services.AlreadyAnswered as exc:
            outcome = f"refused {exc.status}"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(10)]
    random.shuffle(threads)
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(outcomes) == {"accepted": 1, "refused 409": 9}, outcomes
    assert Participation.objects.count() == 1
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1
    # only a staff-assisted answer is audited (D14)
    assisted = Participation.objects.filter(channel=Participation.Channel.ASSISTED).count()
    assert AuditEntry.objects.filter(action="surveys.participate").count() == assisted
    assert Region.objects.filter(pk=Response.objects.get().community_id).get() == city.tongxia


# --- PostgreSQL: transaction ids and heap order ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_resealing_leaves_nothing_to_line_participations_and_responses_up_with(survey, city, monkeypatch):
    """On PostgreSQL every row carries xmin (its transaction) and sits in the heap in arrival order, so a
    participation and the response written with it could be joined (docs/surveys.md). After reseal_anonymous_tables
    every row of the three tables has the same xmin, and each heap lists its rows in the order of their random
    keys. SQLite has neither, and nothing is done."""
    if connection.vendor != "postgresql":
        assert services.reseal_anonymous_tables() == services.ResealResult(needed=False)
        assert not AuditEntry.objects.filter(action="surveys.storage.reseal").exists()
        return
    rng = random.Random(20261127)
    arrival: list[str] = []

    def key() -> uuid.UUID:
        new = uuid.UUID(int=rng.getrandbits(128), version=4)
        arrival.append(str(new))
        return new

    monkeypatch.setattr(Participation._meta.get_field("id"), "_get_default", key)
    households = add_households(city.estate, 40)
    for household in households:
        services.submit_with_code(code=code_for(survey, household), answers=answers(survey))

    def column(sql: str) -> list[str]:
        with connection.cursor() as cur:
            cur.execute(sql)
            return [str(row[0]) for row in cur.fetchall()]

    def xids(table: str) -> list[int]:
        return [int(x) for x in column(f"SELECT xmin::text FROM {table}")]

    # the threat: one transaction per submission, so each participation sits next to its response's xmin
    before = xids("surveys_participation")
    responses = set(xids("surveys_response"))
    assert len(set(before)) == 40
    assert all(x in responses or x - 1 in responses for x in before)
    assert column("SELECT id FROM surveys_participation") == arrival  # and the heap is in arrival order

    result = services.reseal_anonymous_tables()

    counts = {"surveys_participation": 40, "surveys_response": 40, "surveys_answer": Answer.objects.count()}
    assert result == services.ResealResult(needed=True, rows=counts)
    after = {table: set(xids(table)) for table in counts}
    assert len(set.union(*after.values())) == 1 and min(after["surveys_response"]) > max(responses)
    heap = column("SELECT id FROM surveys_participation")
    assert heap == [str(pk) for pk in Participation.objects.order_by("pk").values_list("pk", flat=True)]
    assert heap != arrival  # now in key order
    for table in ("surveys_response", "surveys_answer"):
        assert column(f"SELECT id FROM {table}") == column(f"SELECT id FROM {table} ORDER BY id")
    assert AuditEntry.objects.get(action="surveys.storage.reseal").data == {"rows": counts}


@pytest.mark.django_db(transaction=True)
def test_resealing_refuses_to_run_inside_a_transaction():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite there is nothing to reseal (the test above checks that)")
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        services.reseal_anonymous_tables()
