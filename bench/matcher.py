"""The task matcher: accuracy on the labelled sets, latency per match and index build time, on the seed edition
and on a generated 1,000-item edition, each next to a baseline measured in the same run.

The baseline is a trivial substring scan: every item's title and keywords are looked for verbatim in the task
text; the item with the most hits decides (its kind → the verdict), no hit → `unlisted`, and only the word 证明
raises a flag. It shows what the matcher's rules and ranking add, and its timings are the yardstick for
machine-independent ratios.

    python -m bench matcher            (or `make bench`)
    python -m bench matcher --quick    fewer timing rounds

Targets (issue 3): ≥ 90 % accuracy on the development set; p99 ≤ 10 ms per match and index build ≤ 1 s at
1,000 items.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import generated_docs, seed_docs
from gongzhi.duties import matcher

DATA = Path(matcher.__file__).resolve().parent / "data"
SETS = ("devset.tsv", "holdout.tsv")
TARGETS = {"accuracy": 0.90, "p99_ms_1000": 10.0, "build_s_1000": 1.0}


@dataclass(frozen=True)
class Row:
    text: str
    verdict: str
    flags: frozenset[str]


def read_set(name: str) -> list[Row]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, verdict, flags, _note = line.split("\t")
            rows.append(Row(text, verdict, frozenset(filter(None, flags.split(",")))))
    return rows


# --- the baseline ---------------------------------------------------------------------------------------------


class SubstringBaseline:
    def __init__(self, docs: Sequence[matcher.Doc]) -> None:
        self.entries = [
            (doc, [p for p in {matcher._clean_title(doc.title), *doc.keywords} if len(p) >= 2])
            for doc in docs
        ]

    def decide(self, text: str) -> tuple[str, frozenset[str]]:
        best, hits = None, 0
        for doc, phrases in self.entries:
            n = sum(1 for p in phrases if p in text)
            if n > hits:
                best, hits = doc, n
        flags = frozenset({"certificate"}) if "证明" in text else frozenset()
        return (matcher.KIND_VERDICT[best.kind] if best is not None else "unlisted"), flags


# --- scoring ----------------------------------------------------------------------------------------------------


def evaluate(rows: list[Row], decide: Callable[[str], tuple[str, frozenset[str]]]) -> dict[str, Any]:
    predicted = [decide(r.text) for r in rows]
    verdicts = list(matcher.VERDICTS)
    confusion = {t: {p: 0 for p in verdicts} for t in verdicts}
    for row, (verdict, _flags) in zip(rows, predicted, strict=True):
        confusion[row.verdict][verdict] += 1
    per_verdict = {}
    for v in verdicts:
        tp = confusion[v][v]
        predicted_v = sum(confusion[t][v] for t in verdicts)
        actual_v = sum(confusion[v].values())
        per_verdict[v] = {
            "precision": tp / predicted_v if predicted_v else 0.0,
            "recall": tp / actual_v if actual_v else 0.0,
            "support": actual_v,
        }
    per_flag = {}
    for f in matcher.FLAGS:
        tp = sum(1 for r, (_, fl) in zip(rows, predicted, strict=True) if f in fl and f in r.flags)
        said = sum(1 for _, fl in predicted if f in fl)
        real = sum(1 for r in rows if f in r.flags)
        per_flag[f] = {
            "precision": tp / said if said else 0.0,
            "recall": tp / real if real else 0.0,
            "support": real,
        }
    right = sum(1 for r, (v, _) in zip(rows, predicted, strict=True) if v == r.verdict)
    flags_right = sum(1 for r, (_, fl) in zip(rows, predicted, strict=True) if fl == r.flags)
    return {
        "n": len(rows),
        "accuracy": right / len(rows),
        "flags_exact": flags_right / len(rows),
        "per_verdict": per_verdict,
        "per_flag": per_flag,
        "confusion": confusion,
    }


def _quantiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50": samples[len(samples) // 2],
        "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "mean": statistics.fmean(samples),
    }


def latencies_ms(texts: list[str], decide: Callable[[str], object], rounds: int) -> dict[str, Any]:
    """Wall-clock and CPU time (this thread) per call. On a busy machine the wall clock includes time spent
    waiting for a CPU; the CPU time does not."""
    for text in texts:  # warm-up
        decide(text)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            decide(text)
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - start) / 1e6)
    return {"n": len(wall), **_quantiles(wall), "cpu": _quantiles(cpu)}


def build_seconds(make: Callable[[], object], repeats: int) -> dict[str, float]:
    """The first build in this process (cold: it also teaches jieba the keywords) and the median of the next
    ones (warm), wall clock and CPU time."""
    start, start_cpu = time.perf_counter(), time.process_time()
    make()
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    warm, warm_cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        make()
        warm.append(time.perf_counter() - start)
        warm_cpu.append(time.process_time() - start_cpu)
    return {
        "cold": cold,
        "cold_cpu": cold_cpu,
        "warm_median": statistics.median(warm),
        "warm_cpu_median": statistics.median(warm_cpu),
    }


# --- report -----------------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:6.1f}×" if b else "   n/a"


def print_quality(name: str, ours: dict[str, Any], base: dict[str, Any]) -> None:
    print(f"\n{name}: {ours['n']} texts")
    print(f"  accuracy        matcher {_pct(ours['accuracy'])}   baseline {_pct(base['accuracy'])}")
    print(f"  flags exact     matcher {_pct(ours['flags_exact'])}   baseline {_pct(base['flags_exact'])}")
    print("  per verdict     precision  recall  (baseline P / R)  support")
    for v, m in ours["per_verdict"].items():
        b = base["per_verdict"][v]
        print(
            f"    {v:<11}   {_pct(m['precision'])}  {_pct(m['recall'])}   "
            f"({_pct(b['precision'])} / {_pct(b['recall'])})  {m['support']}"
        )
    print("  per flag        precision  recall  support")
    for f, m in ours["per_flag"].items():
        print(f"    {f:<18} {_pct(m['precision'])}  {_pct(m['recall'])}  {m['support']}")
    verdicts = list(matcher.VERDICTS)
    print("  confusion (rows: label, columns: matcher)")
    print("    " + " " * 11 + "".join(f"{v[:10]:>11}" for v in verdicts))
    for t in verdicts:
        print(f"    {t:<11}" + "".join(f"{ours['confusion'][t][p]:>11}" for p in verdicts))


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    rounds = 3 if quick else 20
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}}

    start = time.perf_counter()
    import jieba

    jieba.initialize()
    report["jieba_dictionary_load_s"] = time.perf_counter() - start
    print(f"jieba dictionary load (once per process): {report['jieba_dictionary_load_s']:.2f} s")

    seed = seed_docs()
    big = generated_docs(1000)
    sets = {name: read_set(name) for name in SETS}
    texts = [r.text for rows in sets.values() for r in rows]

    # Index build: cold (first build in this process, which also teaches jieba the keywords) and warm.
    builds = {
        "seed": build_seconds(lambda: matcher.Index(seed), 5),
        "1000": build_seconds(lambda: matcher.Index(big), 5),
        "baseline_seed": build_seconds(lambda: SubstringBaseline(seed), 5),
        "baseline_1000": build_seconds(lambda: SubstringBaseline(big), 5),
    }
    report["build_s"] = builds
    seed_index, big_index = matcher.Index(seed), matcher.Index(big)
    seed_base, big_base = SubstringBaseline(seed), SubstringBaseline(big)

    def ours(index: matcher.Index) -> Callable[[str], tuple[str, frozenset[str]]]:
        def decide(text: str) -> tuple[str, frozenset[str]]:
            v = matcher.decide(text, index)
            return v.verdict, frozenset(v.flags)

        return decide

    report["quality"] = {}
    for name, rows in sets.items():
        q, b = evaluate(rows, ours(seed_index)), evaluate(rows, seed_base.decide)
        report["quality"][name] = {"matcher": q, "baseline": b}
        print_quality(name, q, b)

    report["latency_ms"] = {
        "seed": latencies_ms(texts, ours(seed_index), rounds),
        "1000": latencies_ms(texts, ours(big_index), rounds),
        "baseline_seed": latencies_ms(texts, seed_base.decide, rounds),
        "baseline_1000": latencies_ms(texts, big_base.decide, rounds),
    }
    lat = report["latency_ms"]
    load = report["machine"]["load_avg_1m"]
    print(
        f"\nlatency per match, ms ({lat['seed']['n']} matches each; {os.cpu_count()} CPUs, load average {load:.1f})"
    )
    print("  edition  items  clock    p50     p99    mean  | baseline p50    p99  | ratio p50    p99")
    for key, size in (("seed", len(seed)), ("1000", len(big))):
        for clock in ("wall", "cpu"):
            m = lat[key] if clock == "wall" else lat[key]["cpu"]
            b = lat[f"baseline_{key}"] if clock == "wall" else lat[f"baseline_{key}"]["cpu"]
            print(
                f"  {key:<7} {size:>5}  {clock:<5} {m['p50']:6.2f}  {m['p99']:6.2f}  {m['mean']:6.2f}  |"
                f"  {b['p50']:8.3f}  {b['p99']:6.3f}  | {_ratio(m['p50'], b['p50'])} {_ratio(m['p99'], b['p99'])}"
            )
    print("\nindex build, s     cold (cpu)        warm (cpu)      | baseline warm | ratio warm")
    for key, size in (("seed", len(seed)), ("1000", len(big))):
        m, b = builds[key], builds[f"baseline_{key}"]
        print(
            f"  {key:<6} {size:>5}  {m['cold']:6.3f} ({m['cold_cpu']:5.3f})  {m['warm_median']:6.3f} "
            f"({m['warm_cpu_median']:5.3f})  |   {b['warm_median']:8.5f}    | "
            f"{_ratio(m['warm_median'], b['warm_median'])}"
        )

    dev = report["quality"]["devset.tsv"]["matcher"]["accuracy"]
    checks = {
        f"accuracy on devset ≥ {TARGETS['accuracy']:.0%}": dev >= TARGETS["accuracy"],
        f"p99 ≤ {TARGETS['p99_ms_1000']:.0f} ms at 1,000 items (wall clock)": lat["1000"]["p99"]
        <= TARGETS["p99_ms_1000"],
        f"p99 ≤ {TARGETS['p99_ms_1000']:.0f} ms at 1,000 items (CPU time)": lat["1000"]["cpu"]["p99"]
        <= TARGETS["p99_ms_1000"],
        f"index build ≤ {TARGETS['build_s_1000']:.0f} s at 1,000 items (cold, wall clock)": builds["1000"][
            "cold"
        ]
        <= TARGETS["build_s_1000"],
        f"index build ≤ {TARGETS['build_s_1000']:.0f} s at 1,000 items (cold, CPU time)": builds["1000"][
            "cold_cpu"
        ]
        <= TARGETS["build_s_1000"],
    }
    report["targets"] = checks
    print("\ntargets:")
    for label, ok in checks.items():
        print(f"  {'met   ' if ok else 'MISSED'} {label}")

    out = Path(os.environ.get("GONGZHI_DATA_DIR", "var")) / "bench" / "matcher.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nwritten: {out}")
    return 0
