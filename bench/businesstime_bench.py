"""Benchmark of portal.lib.businesstime: due times for 100,000 random submissions.

Run from the repository root:

    .venv/bin/python bench/businesstime_bench.py [--count 100000] [--repeat 3] [--seed 20260204]

Submissions are random aware instants (UTC, as the database returns them) spread over 2025-2030, with random
priorities. Each function is timed over the same loop as a "floor": a trivial function that only builds a
datetime, so the ratio says how much work the real function adds over the bare loop and call. The best of
``--repeat`` runs is reported, and also the first run (cold per-date cache). Results are printed and written
to bench/results/businesstime.json. Exit status 1 if sla_due takes 2 s or more (its budget).
"""

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.lib import businesstime as bt  # noqa: E402

BUDGET_SECONDS = 2.0
RESULTS = ROOT / "bench" / "results" / "businesstime.json"
SPAN_START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2031, 1, 1, tzinfo=UTC) - SPAN_START).total_seconds())


def make_inputs(count: int, seed: int) -> list[tuple[datetime, bt.Priority, int, datetime]]:
    rng = random.Random(seed)
    priorities = list(bt.Priority)
    inputs = []
    for _ in range(count):
        submitted = SPAN_START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        later = submitted + timedelta(minutes=rng.randrange(30 * 24 * 60))
        inputs.append((submitted, rng.choice(priorities), rng.randint(1, 10), later))
    return inputs


def floor(submitted: datetime, _other: Any) -> datetime:
    """The floor: as little as a function can do and still return a datetime."""
    return datetime(2026, 1, 1, tzinfo=UTC)


def time_loop(pairs: list[tuple[Any, Any]], function: Callable[[Any, Any], Any]) -> float:
    start = time.perf_counter()
    for first, second in pairs:
        function(first, second)
    return time.perf_counter() - start


def measure(
    pairs: list[tuple[Any, Any]], function: Callable[[Any, Any], Any], repeat: int
) -> dict[str, float]:
    runs = [time_loop(pairs, function) for _ in range(repeat)]
    return {"first_s": runs[0], "best_s": min(runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260204)
    args = parser.parse_args()

    inputs = make_inputs(args.count, args.seed)
    by_priority = [(submitted, priority) for submitted, priority, _, _ in inputs]
    by_n = [(submitted, n) for submitted, _, n, _ in inputs]
    spans = [(submitted, later) for submitted, _, _, later in inputs]

    # Start cold: the first run of the first real function also fills the per-date business-day cache.
    bt._is_business_date.cache_clear()
    cases: list[tuple[str, list[tuple[Any, Any]], Callable[[Any, Any], Any]]] = [
        ("floor", by_priority, floor),
        ("sla_due", by_priority, bt.sla_due),
        ("add_business_days", by_n, bt.add_business_days),
        ("business_time_between (spans up to 30 days)", spans, bt.business_time_between),
    ]
    results: dict[str, dict[str, float]] = {}
    for name, pairs, function in cases:
        results[name] = measure(pairs, function, args.repeat)
    floor_best = results["floor"]["best_s"]
    for result in results.values():
        result["per_call_us"] = result["best_s"] / args.count * 1e6
        result["ratio_to_floor"] = result["best_s"] / floor_best

    print(
        f"businesstime bench: {args.count:,} random submissions 2025-2030, seed {args.seed}, best of {args.repeat}"
    )
    print(f"{'function':<46} {'best s':>8} {'first s':>8} {'us/call':>8} {'x floor':>8}")
    for name, result in results.items():
        print(
            f"{name:<46} {result['best_s']:>8.3f} {result['first_s']:>8.3f} "
            f"{result['per_call_us']:>8.2f} {result['ratio_to_floor']:>8.1f}"
        )
    within_budget = (
        results["sla_due"]["first_s"] < BUDGET_SECONDS and results["sla_due"]["best_s"] < BUDGET_SECONDS
    )
    verdict = "within" if within_budget else "OVER"
    print(f"sla_due budget: {args.count:,} calls < {BUDGET_SECONDS:g} s on one core: {verdict} budget")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "businesstime",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "holidays": version("holidays"),
        "count": args.count,
        "repeat": args.repeat,
        "seed": args.seed,
        "budget_seconds": {"sla_due": BUDGET_SECONDS},
        "within_budget": within_budget,
        "results": results,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if within_budget else 1


if __name__ == "__main__":
    sys.exit(main())
