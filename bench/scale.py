"""Scale benchmark (DESIGN.md section 7): 1,000,000 seeded consumers in one organization.

Prints seed time, resident memory, members-page p50/p99, count latency, materialization time of
dynamic audiences over everyone, and a gen-2 GC pause, each next to its target.

    python bench/scale.py [--consumers 1000000] [--seed 0] [--pages 2000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mock_server.domain.audiences import AudienceInput, AudienceType, PageRequest, RuleInput
from mock_server.domain.kernel import Clock
from mock_server.domain.world import World
from mock_server.seeding import consumer_source


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, value: str, target: str, ok: bool) -> None:
    print(f"{label:<52} {value:>14}   target {target:<12} {'ok' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--consumers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pages", type=int, default=2_000)
    args = parser.parse_args()
    n = args.consumers

    print(f"python {sys.version.split()[0]}, {n:,} consumers, seed {args.seed}")
    base_rss = rss_mib()
    world = World(args.seed, n, Clock(), consumer_source=consumer_source)
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if done == total or time.perf_counter() - last[0] > 1:
            last[0] = time.perf_counter()
            print(f"  seeding {done:>9,}/{total:,}  {time.perf_counter() - t0:5.1f} s", file=sys.stderr)

    org = world.organization_for_hash("bench", progress)
    seed_s = time.perf_counter() - t0
    row("seed 1M consumers (incl. Faker pools)", f"{seed_s:.2f} s", "< 30 s", seed_s < 30)
    row("resident memory after seeding (VmRSS)", f"{rss_mib():.0f} MiB", "< 1536 MiB", rss_mib() < 1536)
    print(f"  (interpreter and imports before seeding: {base_rss:.0f} MiB)")

    rules = {
        "totalOrders >= 5 (1 numeric)": (RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (5,)),),
        "ltv > 500 AND lastOrderAt > 2024-06-01 (2 rules)": (
            RuleInput("ltv", "GREATER_THAN", ("500",)),
            RuleInput("lastOrderAt", "GREATER_THAN", ("2024-06-01T00:00:00Z",)),
        ),
        "email CONTAINS gmail": (RuleInput("email", "CONTAINS", ("gmail",)),),
        "metadata.vip = true OR favoriteTeam IN (2 groups)": (
            RuleInput("metadata.vip", "EQUALS", (True,), "a"),
            RuleInput("metadata.favoriteTeam", "IN", ("Lakers", "Celtics"), "b"),
        ),
        "fullName CONTAINS ann (case-insensitive)": (RuleInput("fullName", "CONTAINS", ("ann",)),),
        "totalOrders EXISTS (everyone)": (RuleInput("totalOrders", "EXISTS"),),
    }
    audiences = {}
    for label, rule_set in rules.items():
        t = time.perf_counter()
        audience = org.audiences.create(AudienceInput(label, AudienceType.DYNAMIC, rules=rule_set))
        took = time.perf_counter() - t
        audiences[label] = audience.id
        count = org.members.count(audience.id).count
        row(f"materialize: {label}"[:52], f"{took * 1000:.0f} ms", "< 500 ms", took < 0.5)
        print(f"  -> {count:,} members")

    everyone = audiences["totalOrders EXISTS (everyone)"]
    cursors: list[str | None] = [None]
    after = None
    for _ in range(args.pages):
        page = org.members.page(everyone, PageRequest(first=20, after=after))
        after = page.end_cursor
        cursors.append(after)
    rng = random.Random(1)
    sample = [rng.choice(cursors) for _ in range(args.pages)]
    deep = org.members.page(everyone, PageRequest(first=100, after=None))
    jump = [deep.end_cursor] * 10
    times = []
    for cursor in sample + jump:
        t = time.perf_counter()
        org.members.page(everyone, PageRequest(first=20, after=cursor))
        times.append(time.perf_counter() - t)
    p50, p99 = pct(times, 0.5), pct(times, 0.99)
    row("members page (first=20) p50", f"{p50 * 1000:.3f} ms", "< 5 ms p99", p50 < 0.005)
    row("members page (first=20) p99", f"{p99 * 1000:.3f} ms", "< 5 ms", p99 < 0.005)
    big = timed(lambda: org.members.page(everyone, PageRequest(first=100, after=rng.choice(cursors))), 500)
    row("members page (first=100) p99", f"{pct(big, 0.99) * 1000:.3f} ms", "< 5 ms", pct(big, 0.99) < 0.005)
    search = timed(lambda: org.members.page(everyone, PageRequest(first=20, search="smith")), 20)
    print(
        f"{'members page with search=smith (no target) p50':<52} {statistics.median(search) * 1000:>11.2f} ms"
    )

    counts = timed(lambda: org.members.count(everyone), 10_000)
    row(
        "count p99 (O(1) after materialization)",
        f"{pct(counts, 0.99) * 1e6:.1f} us",
        "O(1)",
        pct(counts, 0.99) < 1e-4,
    )

    gc.collect()
    t = time.perf_counter()
    gc.collect()
    pause = time.perf_counter() - t
    row("full gen-2 GC pause after gc.freeze()", f"{pause * 1000:.1f} ms", "small", pause < 0.05)
    row("resident memory at the end (VmRSS)", f"{rss_mib():.0f} MiB", "< 1536 MiB", rss_mib() < 1536)


if __name__ == "__main__":
    main()
