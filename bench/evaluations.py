"""Two-way evaluation at city scale (issue 6): issuing every household's invitation, recording the responses,
computing a whole cycle and serving the results pages, on SQLite, each next to a baseline measured in the same run.

The city comes from the data generator (`gongzhi gen_data`) plus 60 departments; it is built once into
`<data dir>/city/` and reused by later runs (`--fresh` rebuilds it). Every run works on a copy of it
(`<data dir>/run/`, deleted afterwards unless `--keep`), so runs do not pile surveys and cycles on each other.

    python -m bench evaluations                          (or `make bench`; --scale small)
    python -m bench evaluations --scale=full             400 communities, 60 departments, 600,000 households
    python -m bench evaluations --data-dir=/tmp/gz-full  where the city is built or reused

(Write options with `=`: `python -m bench` takes every word that does not start with "-" for a benchmark name.)

What is measured (one satisfaction survey over the whole city, 4 scale questions and 1 optional text question):

1. `surveys.services.issue_invitations` for every household of the city, one call (batches of
   `surveys.services.ISSUE_BATCH` = 50,000, each its own transaction and audit entry). Baseline: a plain INSERT
   of as many rows (same columns and indexes, random 128-bit hex instead of HMACs) into a scratch table, as many
   rows a transaction.
2. Responses. The real path, `surveys.services.submit_with_code` (code look-up, answer check, participation,
   response and answers in one transaction; no audit entry since D14), is timed on a sample of households single-threaded and
   with several threads, each thread with its own SQLite connection. Every other household's response is then
   written by a bulk path that writes exactly the rows the service writes (Participation, Response, one Answer
   per answer), a batch of 50,000 responses a transaction. Baseline:
   the smallest write transaction (BEGIN IMMEDIATE; one-row INSERT; COMMIT) per second, same threads.
3. Computing the whole cycle: `evaluations.services.move_cycle(... to=reviewing)`, which computes every
   indicator of every community and department and stores the scores. The cycle has the residents' survey
   linked, the office's rating of each community and five department ratings from each community (written in
   bulk beforehand). Baseline: SELECT COUNT(*) over the responses and over the answers.
4. The public results page (anonymous) and the office's review page (signed-in office officer), after sign-off
   and publication, through django.test.Client: p50/p95 over --requests requests after two warm-ups. Baseline:
   the sign-in page, anonymous, same number of requests.

Targets (issue 6, at full scale): issuing ≤ 60 s, computing a cycle ≤ 30 s, results page p95 ≤ 200 ms; the
submission rate is reported (no target).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCALES = {
    "small": {"communities": 40, "households": 60_000},
    "full": {"communities": 400, "households": 600_000},
}
DEPARTMENTS = 60
SEED = 7
BULK_BATCH = 50_000  # responses a transaction in the set-up path (random-keyed tables: big batches)
TARGETS = {"issue_s": 60.0, "compute_s": 30.0, "results_p95_ms": 200.0}
CHILD_ENV = "GONGZHI_BENCH_EVALUATIONS_RUN"
OUT_ENV = "GONGZHI_BENCH_EVALUATIONS_OUT"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench evaluations", description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--data-dir", type=Path, default=None, help="where the city is built (or reused)")
    p.add_argument("--fresh", action="store_true", help="rebuild the city even if one is there")
    p.add_argument("--keep", action="store_true", help="keep the run's database copy")
    p.add_argument("--sample", type=int, default=1000, help="real submissions per thread setting")
    p.add_argument("--threads", type=int, default=4, help="threads for the concurrent submissions")
    p.add_argument("--requests", type=int, default=50, help="requests per page")
    p.add_argument("--quick", action="store_true", help="fewer samples and requests")
    p.add_argument("--issue-only", action="store_true", help="measure issuing (1) only")
    return p


def _args(argv: list[str]) -> argparse.Namespace:
    # `python -m bench` passes the options starting with "-": accept `--scale=full` and `--scale full` alike.
    args, _unknown = _parser().parse_known_args(argv)
    if args.quick:
        args.sample, args.requests = min(args.sample, 200), min(args.requests, 20)
    return args


# --- building the city (parent process) ---------------------------------------------------------------------


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - start


def build_city(city: Path, scale: str, fresh: bool) -> dict[str, Any]:
    marker = city / "built.json"
    size = SCALES[scale]
    if marker.exists() and not fresh:
        built: dict[str, Any] = json.loads(marker.read_text())
        print(
            f"reusing the city in {city}: {built['size']} (gen_data took {built['gen_data_s']:.0f} s)",
            flush=True,
        )
        if built.get("size") != size:
            print(f"  (not the {scale} scale {size}: --fresh rebuilds it)", flush=True)
        return {**built, "reused": True}
    if city.exists():
        shutil.rmtree(city)
    city.mkdir(parents=True)
    env = {**os.environ, "GONGZHI_DATA_DIR": str(city), "DJANGO_SETTINGS_MODULE": "gongzhi.settings"}
    env.pop(CHILD_ENV, None)
    manage = [sys.executable, "-m", "django"]
    print(f"building the city in {city}: {size['communities']} communities, {size['households']} households")
    migrate_s = _run([*manage, "migrate", "--noinput", "-v", "0"], env)
    gen_s = _run(
        [
            *manage,
            "gen_data",
            "--communities",
            str(size["communities"]),
            "--households",
            str(size["households"]),
            "--seed",
            str(SEED),
            "--batch",
            "5000",
        ],
        env,
    )
    built = {"size": size, "seed": SEED, "migrate_s": migrate_s, "gen_data_s": gen_s}
    marker.write_text(json.dumps(built))
    print(f"built: migrate {migrate_s:.0f} s, gen_data {gen_s:.0f} s", flush=True)
    return {**built, "reused": False}


def main(argv: list[str]) -> int:
    if os.environ.get(CHILD_ENV):
        return measure(_args(argv))
    args = _args(argv)
    from django.conf import settings

    base = args.data_dir or Path(tempfile.gettempdir()) / f"gongzhi-bench-evaluations-{args.scale}"
    city, run = base / "city", base / "run"
    built = build_city(city, args.scale, args.fresh)
    if run.exists():
        shutil.rmtree(run)
    run.mkdir(parents=True)
    start = time.perf_counter()
    for f in city.iterdir():
        if f.is_file() and not f.name.startswith("built"):
            shutil.copy2(f, run / f.name)
    print(f"copied the city to {run} in {time.perf_counter() - start:.1f} s", flush=True)
    migrate_env = {**os.environ, "GONGZHI_DATA_DIR": str(run), "DJANGO_SETTINGS_MODULE": "gongzhi.settings"}
    migrate_env.pop(CHILD_ENV, None)
    took = _run([sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"], migrate_env)
    print(
        f"migrated the copy in {took:.1f} s (a city built by an older version gets the newer schema)",
        flush=True,
    )
    out = Path(settings.DATA_DIR) / "bench" / f"evaluations-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, CHILD_ENV: "1", OUT_ENV: str(out), "GONGZHI_DATA_DIR": str(run)}
    env["GONGZHI_BENCH_EVALUATIONS_BUILT"] = json.dumps(built)
    try:
        done = subprocess.run([sys.executable, "-m", "bench", "evaluations", *argv], env=env, check=False)
    finally:
        if not args.keep:
            shutil.rmtree(run, ignore_errors=True)
    return done.returncode


# --- measuring (child process, on the run's copy) -----------------------------------------------------------


def _q(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "n": len(s),
        "p50": s[len(s) // 2],
        "p95": s[min(len(s) - 1, int(len(s) * 0.95))],
        "mean": statistics.fmean(s),
        "max": s[-1],
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:7.1f}×" if b else "    n/a"


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - cpu


def _setup(report: dict[str, Any]) -> dict[str, Any]:
    """Departments up to 60, an office officer and a panel member, the satisfaction survey (open)."""
    from django.db import transaction

    from gongzhi.core import services as core_services
    from gongzhi.core.roles import OrgKind, Role
    from gongzhi.orgs import demo
    from gongzhi.orgs.models import Household, Organization, Region
    from gongzhi.orgs.services import grant_membership
    from gongzhi.surveys import services as survey_services
    from gongzhi.surveys.models import Survey

    with transaction.atomic():
        skel = demo.ensure_city(None)
        have = Organization.objects.filter(kind=OrgKind.DEPARTMENT, region=skel.city, is_active=True).count()
        for n in range(have, DEPARTMENTS):
            demo.ensure_org(
                None, name=f"{demo.CITY_NAME}样本部门{n + 1:02d}", kind=OrgKind.DEPARTMENT, region=skel.city,
                is_sample=True,
            )  # fmt: skip
        office_user = core_services.create_user(actor=None, username="bench-office", password=None)
        panel_user = core_services.create_user(actor=None, username="bench-panel", password=None)
        grant_membership(actor=None, user=office_user, organization=skel.office, role=Role.APPROVAL_OFFICER)
        grant_membership(actor=None, user=panel_user, organization=skel.panel, role=Role.PANEL_MEMBER)
    spec = survey_services.QuestionSpec
    scale = Survey.Purpose.SATISFACTION
    survey = survey_services.create_survey(
        actor=None,
        owner=skel.office,
        scope=skel.city,
        title="社区服务居民满意度调查(基准测试)",
        purpose=scale,
        questions=[
            spec(kind="scale", text="您对社区办事服务是否满意?"),
            spec(kind="scale", text="您对社区环境卫生是否满意?"),
            spec(kind="scale", text="您对社区治安是否满意?"),
            spec(kind="scale", text="您对社区开展活动是否满意?"),
            spec(kind="text", text="您还有什么意见和建议?", required=False),
        ],
    )
    survey = survey_services.open_survey(actor=None, survey=survey)
    communities = Region.objects.filter(kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE]).count()
    report["city"] = {
        "communities": communities,
        "departments": Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).count(),
        "households": Household.objects.count(),
    }
    print(
        f"city: {communities} communities, {report['city']['departments']} departments, "
        f"{report['city']['households']} households",
        flush=True,
    )
    return {"skel": skel, "office_user": office_user, "panel_user": panel_user, "survey": survey}


# (1) issuing --------------------------------------------------------------------------------------------------


def _scratch_insert(n: int) -> float:
    """The baseline for issuing: n rows of the invitation's shape (same columns and indexes), as many a
    transaction as issuing writes, plain INSERT."""
    from django.db import connection, transaction

    from gongzhi.surveys.services import ISSUE_BATCH

    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_scratch_invitation")
        c.execute(
            "CREATE TABLE bench_scratch_invitation (id INTEGER PRIMARY KEY AUTOINCREMENT, series char(32) NOT NULL,"
            " survey_id integer NOT NULL, kind varchar(12) NOT NULL, respondent_key varchar(64) NOT NULL,"
            " community_id integer NOT NULL, code_hash varchar(64) NOT NULL UNIQUE, generation integer NOT NULL,"
            " issued_on date NOT NULL, UNIQUE (series, respondent_key))"
        )
        c.execute("CREATE INDEX bench_scratch_sc ON bench_scratch_invitation (series, community_id)")
    series = uuid.uuid4().hex
    start = time.perf_counter()
    for lo in range(0, n, ISSUE_BATCH):
        rows = [
            (
                series,
                1,
                "households",
                os.urandom(16).hex(),
                1 + i % 400,
                os.urandom(16).hex(),
                0,
                "2026-11-27",
            )
            for i in range(lo, min(n, lo + ISSUE_BATCH))
        ]
        with transaction.atomic(), connection.cursor() as c:
            c.executemany(
                "INSERT INTO bench_scratch_invitation (series, survey_id, kind, respondent_key, community_id,"
                " code_hash, generation, issued_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    took = time.perf_counter() - start
    with connection.cursor() as c:
        c.execute("DROP TABLE bench_scratch_invitation")
    return took


def measure_issue(ctx: dict[str, Any], report: dict[str, Any]) -> None:
    from gongzhi.surveys import services as survey_services

    households = report["city"]["households"]
    base = _scratch_insert(households)
    result, wall, cpu = _timed(
        lambda: survey_services.issue_invitations(actor=None, survey=ctx["survey"], community=None)
    )
    report["issue"] = {
        "invitations": result.created,
        "wall_s": wall,
        "cpu_s": cpu,
        "baseline_insert_s": base,
        "per_s": result.created / wall,
    }
    print(
        f"\n(1) issuing invitations: {result.created} in {wall:.1f} s (CPU {cpu:.1f} s, "
        f"{result.created / wall:,.0f}/s) | baseline plain INSERT {base:.1f} s | ratio {_ratio(wall, base)}",
        flush=True,
    )


# (2) responses ------------------------------------------------------------------------------------------------


def _answers(rng: random.Random, lean: float) -> dict[str, Any]:
    def one() -> int:
        return max(1, min(5, round(rng.gauss(lean, 1.0))))

    return {
        "scale": [one() for _ in range(4)],
        "text": "楼道灯坏了,希望尽快修" if rng.random() < 0.02 else "",
    }


def _lean(community_id: int) -> float:
    return 2.8 + (community_id * 7919 % 100) / 60  # each community its own mean, 2.8–4.45


def _sample_codes(ctx: dict[str, Any], n: int) -> list[tuple[str, int]]:
    """n random households' codes (derived as the slips are), with their community."""
    from gongzhi.orgs.models import Household
    from gongzhi.surveys import codes
    from gongzhi.surveys.models import Invitation

    survey = ctx["survey"]
    ids = list(Household.objects.values_list("pk", "community_id"))
    picked = random.Random(SEED).sample(ids, min(n, len(ids)))
    keys = {codes.respondent_key(survey.series, survey.respondents, pk): (pk, cid) for pk, cid in picked}
    gen = dict(
        Invitation.objects.filter(series=survey.series, respondent_key__in=list(keys)).values_list(
            "respondent_key", "generation"
        )
    )
    return [
        (codes.derive_code(survey.series, survey.respondents, pk, gen[key]), cid)
        for key, (pk, cid) in keys.items()
    ]


def _submit_many(
    ctx: dict[str, Any], items: list[tuple[str, int]], threads: int
) -> tuple[float, list[float]]:
    from django.db import connection

    from gongzhi.surveys import services as survey_services

    questions = list(ctx["survey"].questions.order_by("position"))
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(part: list[tuple[str, int]], seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        try:
            for code, community_id in part:
                a = _answers(rng, _lean(community_id))
                raw: dict[str, Any] = {str(q.pk): v for q, v in zip(questions[:4], a["scale"], strict=True)}
                raw[str(questions[4].pk)] = a["text"]
                t = time.perf_counter()
                survey_services.submit_with_code(code=code, answers=raw)
                mine.append((time.perf_counter() - t) * 1000)
        except BaseException as exc:  # reported after the join
            errors.append(exc)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    parts = [items[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=work, args=(p, i)) for i, p in enumerate(parts)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - start
    if errors:
        raise errors[0]
    return took, latencies


def _tiny_writes(n: int, threads: int) -> float:
    """Baseline: n smallest write transactions (BEGIN IMMEDIATE; one-row INSERT; COMMIT), over `threads`."""
    from django.db import connection, transaction

    with connection.cursor() as c:
        c.execute(
            "CREATE TABLE IF NOT EXISTS bench_scratch_tiny (id INTEGER PRIMARY KEY, v integer NOT NULL)"
        )

    def work(k: int) -> None:
        try:
            for i in range(k):
                with transaction.atomic(), connection.cursor() as c:
                    c.execute("INSERT INTO bench_scratch_tiny (v) VALUES (%s)", [i])
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(n // threads,)) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (n // threads * threads) / (time.perf_counter() - start)


def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """executemany of rows already in their database form (what the ORM would have sent)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as c:
        c.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


def _bulk_responses(ctx: dict[str, Any], skip: set[str]) -> tuple[int, float]:
    """Every other household's response, writing exactly the rows surveys.services._record writes for a code
    submission: a Participation, a Response and an Answer per answered question (the 4 scale answers, and the text
    when there is one), with the same values in the same database form (each field's get_db_prep_save, worked out
    once for the values that do not change); no audit entry, as for a code submission (D14). Raw executemany,
    50,000 responses a transaction: building 6 model instances per response through the ORM would cost more than
    writing them."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gongzhi.surveys.models import Answer, Invitation, Participation, Response

    def db(model: Any, name: str, value: Any) -> Any:
        return model._meta.get_field(name).get_db_prep_save(value, connection)

    survey = ctx["survey"]
    questions = list(survey.questions.order_by("position"))
    todo = [
        (key, cid)
        for key, cid in Invitation.objects.filter(series=survey.series)
        .order_by("pk")
        .values_list("respondent_key", "community_id")
        if key not in skip
    ]
    rng = random.Random(SEED + 1)
    series_db = db(Participation, "series", survey.series)
    on_db = db(Participation, "on", timezone.localdate())
    channel = Participation.Channel.CODE
    start = time.perf_counter()
    for lo in range(0, len(todo), BULK_BATCH):
        parts: list[tuple[Any, ...]] = []
        responses: list[tuple[Any, ...]] = []
        answers: list[tuple[Any, ...]] = []
        for key, cid in todo[lo : lo + BULK_BATCH]:
            parts.append(
                (
                    uuid.uuid4().hex,
                    series_db,
                    survey.pk,
                    survey.respondents,
                    key,
                    cid,
                    channel,
                    None,
                    "",
                    on_db,
                )
            )
            response_id = uuid.uuid4().hex
            responses.append((response_id, survey.pk, cid))
            a = _answers(rng, _lean(cid))
            answers.extend(
                (uuid.uuid4().hex, response_id, q.pk, cid, v, "")
                for q, v in zip(questions[:4], a["scale"], strict=True)
            )
            if a["text"]:
                answers.append((uuid.uuid4().hex, response_id, questions[4].pk, cid, None, a["text"]))
        with transaction.atomic():
            _insert(
                Participation,
                ["id", "series", "survey", "kind", "respondent_key", "community", "channel", "entered_by",
                 "retry_hash", "on"],
                parts,
            )  # fmt: skip
            _insert(Response, ["id", "survey", "community"], responses)
            _insert(Answer, ["id", "response", "question", "community", "value", "text"], answers)
    return len(todo), time.perf_counter() - start


def measure_responses(ctx: dict[str, Any], args: argparse.Namespace, report: dict[str, Any]) -> None:
    from gongzhi.surveys.models import Participation

    survey = ctx["survey"]
    n = args.sample
    items = _sample_codes(ctx, 2 * n)
    single, multi = items[:n], items[n:]
    base_1 = _tiny_writes(n, 1)
    base_t = _tiny_writes(n, args.threads)
    took_1, lat_1 = _submit_many(ctx, single, 1)
    took_t, lat_t = _submit_many(ctx, multi, args.threads)
    rate_1, rate_t = len(single) / took_1, len(multi) / took_t
    sampled = set(Participation.objects.filter(series=survey.series).values_list("respondent_key", flat=True))
    cpu = time.process_time()
    bulk_n, bulk_s = _bulk_responses(ctx, sampled)
    bulk_cpu = time.process_time() - cpu
    report["responses"] = {
        "service_single": {"submissions": len(single), "per_s": rate_1, "latency_ms": _q(lat_1)},
        "service_threads": {
            "threads": args.threads,
            "submissions": len(multi),
            "per_s": rate_t,
            "latency_ms": _q(lat_t),
        },
        "baseline_tiny_tx_per_s": {"single": base_1, "threads": base_t},
        "bulk": {
            "responses": bulk_n,
            "wall_s": bulk_s,
            "cpu_s": bulk_cpu,
            "per_s": bulk_n / bulk_s if bulk_s else 0.0,
        },
        "total": len(sampled) + bulk_n,
    }
    print(
        f"\n(2) submit_with_code, 1 thread: {rate_1:,.0f}/s (p50 {_q(lat_1)['p50']:.1f} ms, p95 "
        f"{_q(lat_1)['p95']:.1f} ms) | baseline tiny write tx {base_1:,.0f}/s | ratio {_ratio(base_1, rate_1)} "
        "slower",
        flush=True,
    )
    print(
        f"    submit_with_code, {args.threads} threads: {rate_t:,.0f}/s (p50 {_q(lat_t)['p50']:.1f} ms, p95 "
        f"{_q(lat_t)['p95']:.1f} ms) | baseline tiny write tx {base_t:,.0f}/s | ratio {_ratio(base_t, rate_t)} "
        "slower",
        flush=True,
    )
    print(
        f"    bulk path (same rows): {bulk_n} responses in {bulk_s:.1f} s (CPU {bulk_cpu:.1f} s, "
        f"{bulk_n / bulk_s:,.0f}/s); "
        f"{len(sampled) + bulk_n} responses in all",
        flush=True,
    )


# (3) computing the cycle --------------------------------------------------------------------------------------


def _cycle(ctx: dict[str, Any]) -> Any:
    """A cycle over the city: residents' survey linked, open, with ratings (written in bulk: setup, not timed)."""
    import datetime as dt

    from django.utils import timezone

    from gongzhi.core.models import User
    from gongzhi.core.roles import OrgKind
    from gongzhi.evaluations import services as ev
    from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating
    from gongzhi.orgs.models import Organization

    office_user, skel = ctx["office_user"], ctx["skel"]
    year = timezone.localdate().year
    cycle = ev.create_cycle(
        actor=office_user,
        scope=skel.city,
        year=year,
        period=Cycle.Period.YEAR,
        name=f"{year}年度双向评估(基准测试)",
        ratings_due=dt.date(year, 12, 31),
    )
    residents = Indicator.objects.get(cycle=cycle, direction=Direction.COMMUNITY, key="residents")
    ev.link_survey(actor=office_user, indicator=residents, survey=ctx["survey"])
    cycle = ev.move_cycle(actor=office_user, cycle=cycle, to=Cycle.Status.OPEN)
    rng = random.Random(SEED + 2)
    now = timezone.now()
    statutory = Indicator.objects.get(cycle=cycle, direction=Direction.COMMUNITY, key="statutory")
    rated_dept = list(Indicator.objects.filter(cycle=cycle, direction=Direction.DEPARTMENT, source="rated"))
    communities = list(ev.communities_of(cycle))
    departments = list(ev.departments_of(cycle))
    committees = {
        o.region_id: o for o in Organization.objects.filter(kind=OrgKind.COMMITTEE, region__in=communities)
    }
    rater = User.objects.get(username="bench-office")
    ratings = [
        Rating(
            indicator=statutory,
            rater_org=skel.office,
            rater=rater,
            community=c,
            score=rng.randint(60, 100),
            rated_at=now,
        )
        for c in communities
    ]
    for c in communities:
        org = committees.get(c.pk)
        if org is None:
            continue
        for d in rng.sample(departments, min(5, len(departments))):
            ratings.extend(
                Rating(
                    indicator=i,
                    rater_org=org,
                    rater=rater,
                    department=d,
                    score=rng.randint(50, 100),
                    rated_at=now,
                )
                for i in rated_dept
            )
    Rating.objects.bulk_create(ratings, batch_size=1000)
    return cycle


def measure_compute(ctx: dict[str, Any], report: dict[str, Any]) -> Any:
    from gongzhi.evaluations import services as ev
    from gongzhi.evaluations.models import Cycle, Rating, Score
    from gongzhi.surveys.models import Answer, Response

    cycle = _cycle(ctx)

    def counts() -> tuple[int, int]:
        return Response.objects.count(), Answer.objects.count()

    (responses, answers), base, _ = _timed(counts)
    cycle, wall, cpu = _timed(lambda: ev.move_cycle(actor=ctx["office_user"], cycle=cycle, to="reviewing"))
    scores = Score.objects.filter(indicator__cycle=cycle).count()
    report["compute"] = {
        "wall_s": wall,
        "cpu_s": cpu,
        "scores": scores,
        "ratings": Rating.objects.filter(indicator__cycle=cycle).count(),
        "responses": responses,
        "answers": answers,
        "baseline_count_s": base,
    }
    print(
        f"\n(3) computing the cycle: {scores} scores from {responses} responses ({answers} answers) and "
        f"{report['compute']['ratings']} ratings in {wall:.2f} s (CPU {cpu:.2f} s) | baseline COUNT(*) of "
        f"responses and answers {base:.3f} s | ratio {_ratio(wall, base)}",
        flush=True,
    )
    cycle = ev.move_cycle(actor=ctx["panel_user"], cycle=cycle, to=Cycle.Status.SIGNED_OFF)
    return ev.move_cycle(actor=ctx["office_user"], cycle=cycle, to=Cycle.Status.PUBLISHED)


# (4) pages ----------------------------------------------------------------------------------------------------


def _page(client: Any, url: str, n: int) -> dict[str, float]:
    for _ in range(2):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200
    return {**_q(samples), "bytes": len(r.content)}


def measure_pages(ctx: dict[str, Any], cycle: Any, args: argparse.Namespace, report: dict[str, Any]) -> None:
    from django.test import Client
    from django.urls import reverse

    anonymous, office = Client(), Client()
    office.force_login(ctx["office_user"])
    n = args.requests
    pages = {
        "baseline_login": _page(anonymous, reverse("core:login"), n),
        "public_results": _page(anonymous, reverse("evaluations:public_results", args=[cycle.pk]), n),
        "office_review": _page(office, reverse("evaluations:review", args=[cycle.pk]), n),
    }
    report["pages_ms"] = pages
    b = pages["baseline_login"]
    print(f"\n(4) pages, ms ({n} requests each, after 2 warm-ups)")
    print("    page              p50     p95     max   | ratio p50  p95 (to the sign-in page)")
    for name, m in pages.items():
        print(
            f"    {name:<16} {m['p50']:7.1f} {m['p95']:7.1f} {m['max']:7.1f}  | {_ratio(m['p50'], b['p50'])} "
            f"{_ratio(m['p95'], b['p95'])}   ({m['bytes'] / 1024:.0f} KiB)"
        )


def measure(args: argparse.Namespace) -> int:
    import django
    from django.conf import settings
    from django.db import connection

    report: dict[str, Any] = {
        "scale": args.scale,
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_avg_1m": os.getloadavg()[0],
        },
        "django": django.get_version(),
        "build": json.loads(os.environ.get("GONGZHI_BENCH_EVALUATIONS_BUILT", "{}")),
        "database": str(settings.DATABASES["default"]["NAME"]),
    }
    with connection.cursor() as c:
        c.execute("select sqlite_version()")
        report["sqlite"] = c.fetchone()[0]
    print(
        f"scale {args.scale}; {os.cpu_count()} CPUs, Python {report['machine']['python']}, SQLite "
        f"{report['sqlite']}, load average {report['machine']['load_avg_1m']:.1f}",
        flush=True,
    )
    ctx = _setup(report)
    measure_issue(ctx, report)
    if args.issue_only:
        print(json.dumps(report["issue"]), flush=True)
        return 0
    measure_responses(ctx, args, report)
    cycle = measure_compute(ctx, report)
    measure_pages(ctx, cycle, args, report)
    report["machine"]["load_avg_1m_end"] = os.getloadavg()[0]

    checks = {
        f"issuing all invitations ≤ {TARGETS['issue_s']:.0f} s": report["issue"]["wall_s"]
        <= TARGETS["issue_s"],
        f"computing a whole cycle ≤ {TARGETS['compute_s']:.0f} s": report["compute"]["wall_s"]
        <= TARGETS["compute_s"],
        f"public results page p95 ≤ {TARGETS['results_p95_ms']:.0f} ms": report["pages_ms"]["public_results"][
            "p95"
        ]
        <= TARGETS["results_p95_ms"],
        f"office review page p95 ≤ {TARGETS['results_p95_ms']:.0f} ms": report["pages_ms"]["office_review"][
            "p95"
        ]
        <= TARGETS["results_p95_ms"],
    }
    report["targets"] = checks
    print(f"\ntargets (issue 6, set for the full scale; this run: {args.scale}):")
    for label, ok in checks.items():
        print(f"  {'met   ' if ok else 'MISSED'} {label}")
    out = Path(os.environ.get(OUT_ENV) or Path(settings.DATA_DIR) / "bench" / "evaluations.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print(f"\nwritten: {out}")
    return 0
