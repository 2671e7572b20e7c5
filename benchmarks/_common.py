"""Timing helpers shared by the benchmarks: repeat a call, report median and p95 against a budget or a reference."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

# Runnable as `python benchmarks/NAME.py` from a checkout, without installing.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sample(fn: Callable[[int], object], times: int, warmup: int = 3) -> list[float]:
    """Seconds per call of fn(i) for i in range(times), after a few untimed calls."""
    for i in range(warmup):
        fn(-1 - i)
    return [timed(lambda i=i: fn(i)) for i in range(times)]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(name: str, samples: list[float], budget_ms: float | None = None) -> dict:
    """Print one line: median and p95 in ms, and median / budget (a ratio under 1.0 is within budget)."""
    med, high = statistics.median(samples) * 1000, p95(samples) * 1000
    line = f"{name:<46} median {med:8.2f} ms   p95 {high:8.2f} ms   n={len(samples)}"
    result = {"name": name, "median_ms": med, "p95_ms": high, "n": len(samples)}
    if budget_ms is not None:
        ratio = med / budget_ms
        result.update(budget_ms=budget_ms, ratio=ratio, ok=ratio <= 1.0)
        line += f"   budget {budget_ms:g} ms  ratio {ratio:5.2f}  {'ok' if ratio <= 1.0 else 'OVER BUDGET'}"
    print(line, flush=True)
    return result
