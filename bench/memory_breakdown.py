"""Where a new organization's bytes go: K organizations made in process (one request each, distinct keys),
the Python heap compared before and after with tracemalloc, grouped by source line or by traceback.

    python bench/memory_breakdown.py [--organizations 50] [--consumers 1000] [--scenario demo|none]
                                     [--group lineno|traceback] [--frames 6] [--top 25]

The total is what the organizations hold on the heap (numpy buffers included), divided by K; the RSS a
real server pays is `bench/memory.py`'s (a little more: allocator slack). A few warm-up organizations
come first, so the seed's shared base and its lookups are not counted.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=50, help="organizations measured (default 50)")
    parser.add_argument("--consumers", type=int, default=1_000, help="per organization (default 1,000)")
    parser.add_argument("--scenario", default="demo", help="each new organization's scenario, or none")
    parser.add_argument("--group", choices=("lineno", "traceback"), default="lineno")
    parser.add_argument("--frames", type=int, default=6, help="traceback depth with --group traceback")
    parser.add_argument("--top", type=int, default=25, help="how many groups to print (default 25)")
    args = parser.parse_args()

    with warnings.catch_warnings():  # (starlette's note on the httpx it runs on)
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from mock_server.app import create_app
    from mock_server.scenarios import read

    scenarios = [] if args.scenario == "none" else [read(args.scenario)]
    app = create_app(consumers=args.consumers, scenarios=scenarios, journal_size=0, strict_responses=False)
    client = TestClient(app)

    def touch(key: str) -> None:
        reply = client.get("/api/v1/audiences", headers={"Authorization": f"Bearer {key}"})
        if reply.status_code != 200:
            raise RuntimeError(f"{key}: {reply.status_code} {reply.text}")

    for n in range(5):  # the seed's base, its shared lookups, the app's lazily built parts
        touch(f"sk_test_breakdown_warm_{n}")
    gc.collect()
    frames = args.frames if args.group == "traceback" else 1
    tracemalloc.start(frames)
    before = tracemalloc.take_snapshot()
    for n in range(args.organizations):
        touch(f"sk_test_breakdown_{n:06d}")
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    ignored = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(ignored).compare_to(before.filter_traces(ignored), args.group)
    k = args.organizations
    total = sum(s.size_diff for s in stats)
    print(f"{k} organizations, {args.consumers:,} consumers each, scenario {args.scenario}")
    print(f"heap per organization: {total / k / 1024:.1f} KB")
    for stat in stats[: args.top]:
        line = f"{stat.size_diff / k / 1024:8.1f} KB {stat.count_diff / k:8.1f} blocks"
        if args.group == "lineno":
            frame = stat.traceback[0]
            print(f"{line}  {_short(frame.filename)}:{frame.lineno}")
        else:
            print(line)
            for frame in stat.traceback:
                print(f"        {_short(frame.filename)}:{frame.lineno}")
    return 0


def _short(filename: str) -> str:
    path = Path(filename)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else filename


if __name__ == "__main__":
    raise SystemExit(main())
