"""Side-by-side throughput benchmark: Stoplight Prism 5 (static, silenced) against fanfare-mock, in one run.

Three workloads (get-audience, create-audience, a members page) are driven with wrk on loopback against
both servers, after a check that every request is answered 2xx. Prints a table per workload with the
mock/Prism ratios against DESIGN section 7, the time from process start to first 2xx and resident
memory. Run `bench/setup.sh` once first; see bench/README.md.

    python bench/throughput.py [--duration 10] [--json bench/results/throughput.json]
    python bench/throughput.py --servers mock --store memory,redis --workers 1,2   # the store figures
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # sibling helper modules, whatever the working directory
sys.path.insert(1, str(ROOT))  # fanfare_spec from the checkout

import wrk  # noqa: E402
from servers import Server, free_port, machine_busy_seconds, request  # noqa: E402

from mock_server.store.services import RedisServer  # noqa: E402

TOKEN = "sk_test_bench"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}
CREATE_BODY = json.dumps(
    {
        "name": "VIP",
        "type": "DYNAMIC",
        "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [5]}],
    },
    separators=(",", ":"),
)
PROBE_PATH = "/api/v1/audiences"  # readiness: the first 2xx to this GET ends the start clock

THROUGHPUT_TARGET, THROUGHPUT_STRETCH, START_TARGET_S = 2.0, 3.0, 1.5
# DESIGN section 7: one worker on Redis >= 70% of in memory; two workers >= 1.4x one.
REDIS_ONE_WORKER_TARGET, TWO_WORKERS_TARGET = 0.70, 1.4


@dataclass(frozen=True)
class Workload:
    name: str
    method: str
    path: str  # `{id}` is replaced by the audience id created for that server
    body: str | None

    def headers(self) -> dict[str, str]:
        return JSON_AUTH if self.body is not None else AUTH

    def label(self) -> str:
        return f"{self.method} {self.path}"


WORKLOADS = {
    w.name: w
    for w in (
        Workload("get-audience", "GET", "/api/v1/audiences/{id}", None),
        Workload("create-audience", "POST", "/api/v1/audiences", CREATE_BODY),
        Workload("members", "GET", "/api/v1/audiences/{id}/members?first=20", None),
    )
}
# Measured in this order: the creates run last, so the tens of thousands of audiences they add to the
# mock's store cannot slow the two read workloads (garbage collection grows with the store).
RUN_ORDER = ("get-audience", "members", "create-audience")


@dataclass
class Measurement:
    result: wrk.WrkResult | None = None
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    other_cpu_s: float = 0.0  # everything else busy on the machine meanwhile: it skews the figures
    all_rps: list[float] = field(default_factory=list)  # every round's throughput, when --rounds > 1
    check: str = ""  # the pre-check line: status and first bytes
    error: str | None = None
    rss_after: int = 0  # the server's resident memory once this workload (all rounds) was done


@dataclass
class Subject:
    """A server under test plus what the run learned about it."""

    key: str  # "prism" or "mock"
    label: str
    server: Server
    audience_id: str = ""
    store: str = "memory"  # or "redis"
    store_url: str = ""  # its own Redis database: subjects sharing one world would replay each other's writes
    restart_s: float | None = None  # restart to first 2xx with the history the run wrote
    history: int = 0  # commands in the store at that restart
    rss: tuple[int, int] = (0, 0)
    measurements: dict[str, Measurement] = field(default_factory=dict)


_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


# --------------------------------------------------------------------------------------------------
# Commands for the two servers


def prism_argv(spec: Path, port: int) -> list[str]:
    exe = HERE / "node_modules" / ".bin" / "prism"
    if not exe.exists():
        raise SystemExit("Prism is not installed: run bench/setup.sh (npm ci in bench/)")
    return [str(exe), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port), "-v", "silent"]


def prism_version() -> str:
    try:
        meta = json.loads((HERE / "node_modules/@stoplight/prism-cli/package.json").read_text())
        return str(meta["version"])
    except (OSError, ValueError, KeyError):
        return "missing"


def mock_argv(args: argparse.Namespace, port: int, kept: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """(label, argv) for the server compared with Prism; `kept` adds --store/--workers."""
    common = ["--port", str(port), "--seed", str(args.seed), "--consumers", str(args.consumers), *kept]
    quiet = [] if args.mock_logging else ["--quiet"]  # no access log: Prism runs with -v silent
    if args.mock_cmd:
        cmd = args.mock_cmd.format(port=port, seed=args.seed, consumers=args.consumers, python=sys.executable)
        return "mock", shlex.split(cmd)
    if args.standin:
        return "stand-in", [sys.executable, str(HERE / "standin.py"), *common]
    extra = shlex.split(args.mock_args or "")
    bindir = Path(sys.executable).parent
    script = shutil.which("fanfare-mock", path=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    if script:
        return "mock", [script, "serve", "--host", "127.0.0.1", *common, *quiet, *extra]
    if (ROOT / "mock_server" / "__main__.py").exists():
        return "mock", [
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            "--host",
            "127.0.0.1",
            *common,
            *quiet,
            *extra,
        ]
    raise SystemExit(
        "fanfare-mock is not available (no console script, no mock_server/__main__.py): "
        "`pip install -e .`, or run with --standin to compare Prism with a bare Starlette app"
    )


# --------------------------------------------------------------------------------------------------
# Steps


def start(subject: Subject, timeout: float, probe: str = PROBE_PATH) -> None:
    say(f"{subject.label}: starting: {shlex.join(subject.server.argv)}")
    subject.server.start()
    subject.server.wait_ready(probe, AUTH, timeout)
    srv = subject.server
    say(
        f"{subject.label}: first answer {srv.first_response_s:.3f} s, first 2xx (GET {probe}) "
        f"{srv.first_2xx_s:.3f} s after process start"
    )


def create_audience(subject: Subject) -> None:
    """Create the audience that get-audience and members read (for Prism: whatever id its example has)."""
    reply = request(subject.server.port, "POST", "/api/v1/audiences", JSON_AUTH, CREATE_BODY.encode())
    if not 200 <= reply.status < 300:
        raise RuntimeError(
            f"{subject.label}: creating the audience gave HTTP {reply.status}: {reply.body[:300]!r}"
        )
    data = json.loads(reply.body)
    ident = data.get("id") or (data.get("data") or {}).get("id") if isinstance(data, dict) else None
    if not ident:
        raise RuntimeError(f"{subject.label}: no id in the create response: {reply.body[:300]!r}")
    subject.audience_id = str(ident)
    say(f"{subject.label}: created audience {subject.audience_id} (HTTP {reply.status})")


def precheck(subject: Subject, workload: Workload) -> str:
    """One request exactly like wrk's; returns the status line, raises unless 2xx."""
    path = workload.path.replace("{id}", subject.audience_id)
    body = workload.body.encode() if workload.body is not None else None
    reply = request(subject.server.port, workload.method, path, workload.headers(), body)
    first = reply.body[:120].decode("utf-8", errors="replace")
    line = f"HTTP {reply.status} {reply.headers.get('content-type', '?')} {len(reply.body)} B: {first}"
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{workload.method} {path} gave {line}")
    return line


def measure(
    subject: Subject, workload: Workload, args: argparse.Namespace, tmp: Path, round_no: int
) -> Measurement:
    m = Measurement()
    try:
        m.check = precheck(subject, workload)
        say(f"{subject.label}: {workload.name}: check {m.check}")
    except Exception as exc:
        m.error = f"pre-check failed: {exc}"
        say(f"{subject.label}: {workload.name}: {m.error} -- not measured")
        return m
    path = workload.path.replace("{id}", subject.audience_id)
    url = f"http://127.0.0.1:{subject.server.port}{path}"
    script = wrk.write_script(
        tmp / f"{workload.name}.lua", workload.method, workload.headers(), workload.body
    )
    if args.warmup > 0 and round_no == 0:
        say(f"{subject.label}: {workload.name}: warm-up {args.warmup:g} s")
        wrk.run(url, script, args.warmup, args.threads, args.connections, niceness=args.nice)
    of = f", round {round_no + 1} of {args.rounds}" if args.rounds > 1 else ""
    say(
        f"{subject.label}: {workload.name}: measuring {args.duration:g} s "
        f"(wrk -t{args.threads} -c{args.connections}{of})"
    )
    if args.quiet_wait > 0:
        wait_for_quiet(args.quiet_wait)
    cpu_before = subject.server.cpu_seconds()
    busy_before = machine_busy_seconds()
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        m.result = wrk.run(
            url,
            script,
            args.duration,
            args.threads,
            args.connections,
            raw_output=tmp / f"{subject.key}-{workload.name}-{round_no + 1}.txt",
            niceness=args.nice,
        )
    except Exception as exc:
        m.error = str(exc)
        say(f"{subject.label}: {workload.name}: {m.error}")
        return m
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds() - busy_before
    m.server_cpu_s = subject.server.cpu_seconds() - cpu_before
    m.client_cpu_s = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    m.other_cpu_s = max(0.0, busy - m.server_cpu_s - m.client_cpu_s)
    r = m.result
    say(
        f"{subject.label}: {workload.name}: {r.rps:,.0f} req/s, "
        f"p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, non-2xx {r.non_2xx}, socket errors {r.socket_errors}"
    )
    if not subject.server.alive():
        m.error = f"the server died during the run:\n{subject.server.log_tail()}"
    return m


def mock_variants(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(store, workers) pairs to measure: in memory only one worker (a second needs a shared store)."""
    pairs = []
    for kind in args.store:
        for workers in args.workers:
            if kind == "memory" and workers > 1:
                say(f"skipping {workers} workers in memory: more than one worker needs --store")
                continue
            pairs.append((kind, workers))
    return pairs


def restart_with_history(subject: Subject, timeout: float) -> None:
    """Stop a store-backed server and start it again on the history its workloads wrote (the creates:
    tens of thousands of commands): the start time a team sees after a long day."""
    from redis import Redis

    with Redis.from_url(subject.store_url) as client:
        subject.history = int(client.xlen("fanfare-mock:log"))
    subject.server.stop()
    say(f"{subject.label}: restarting on a store of {subject.history:,} commands")
    first = subject.server.first_2xx_s
    # the probe is the audience the reads used: found, the world is back. Not the list: the creates left
    # tens of thousands of audiences in it, more than a probe's 2 s to answer (each timed-out probe still
    # renders them all), which measured the list, not the restart
    start(subject, timeout, f"/api/v1/audiences/{subject.audience_id}")
    subject.restart_s, subject.server.first_2xx_s = subject.server.first_2xx_s, first


def store_ratios(subjects: list[Subject], name: str) -> list[tuple[str, float, float | None]]:
    """(label, ratio, target) for the store comparisons of one workload."""
    rps = {
        s.key: s.measurements[name].result.rps  # type: ignore[union-attr]
        for s in subjects
        if name in s.measurements and s.measurements[name].result is not None
    }
    memory = rps.get("mock")
    out: list[tuple[str, float, float | None]] = []
    for s in subjects:
        if s.store != "redis" or s.key not in rps or not memory:
            continue
        workers = int(s.key.rsplit("-", 1)[1].rstrip("w"))
        target = REDIS_ONE_WORKER_TARGET if workers == 1 else TWO_WORKERS_TARGET if workers == 2 else None
        out.append((f"{s.key}/mock (memory, 1 worker)", rps[s.key] / memory, target))
        one = next((k for k in rps if k.endswith("-redis-1w")), None)
        if workers > 1 and one is not None:
            out.append((f"{s.key}/{one}", rps[s.key] / rps[one], None))
    return out


def wait_for_quiet(limit_s: float, threshold: float = 0.10) -> None:
    """Wait (at most limit_s) until the machine has been idle, below `threshold` of one core, for 1 s."""
    deadline = time.monotonic() + limit_s
    told = False
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        load = machine_busy_seconds() - before
        if load < threshold:
            return
        if time.monotonic() >= deadline:
            say(
                f"machine still busy ({load:.0%} of a core used by others) after {limit_s:g} s: measuring now"
            )
            return
        if not told:
            say(f"waiting for the machine to quiet down ({load:.0%} of a core used by other processes)")
            told = True


def median_round(rounds: list[Measurement]) -> Measurement:
    """The round with the median throughput (the lower middle one for an even count); errors win."""
    bad = [m for m in rounds if m.result is None or m.error]
    if bad:
        return bad[0]
    ok = sorted(rounds, key=lambda m: m.result.rps if m.result else 0)
    chosen = ok[(len(ok) - 1) // 2]
    chosen.all_rps = [round(m.result.rps, 1) for m in rounds if m.result is not None]
    return chosen


# --------------------------------------------------------------------------------------------------
# Report


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def ratios(prism: Measurement | None, mock: Measurement | None) -> dict[str, Any] | None:
    if not (prism and mock and prism.result and mock.result and prism.result.rps and prism.result.p99_ms):
        return None
    thr = mock.result.rps / prism.result.rps
    p99 = mock.result.p99_ms / prism.result.p99_ms
    return {
        "throughput": round(thr, 3),
        "p99": round(p99, 3),
        "throughput_target_met": thr >= THROUGHPUT_TARGET,
        "throughput_stretch_met": thr >= THROUGHPUT_STRETCH,
        "p99_lower": p99 < 1.0,
    }


def print_report(subjects: list[Subject], names: list[str], args: argparse.Namespace) -> None:
    print()
    print(
        f"Results: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency on 127.0.0.1, "
        f"{os.cpu_count()} cores shared by wrk and the server under load"
    )
    by_key = {s.key: s for s in subjects}
    noisy = False
    for name in names:
        wl = WORKLOADS[name]
        print()
        print(f"== {name}: {wl.label()}" + (f"  body {wl.body}" if wl.body else ""))
        print(
            f"   {'server':<10} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
            f"{'non-2xx':>8} {'sock err':>8} {'srv CPU':>8} {'wrk CPU':>8} {'other':>6}"
        )
        for s in subjects:
            m = s.measurements.get(name)
            if m is None or m.result is None:
                print(f"   {s.label:<10} not measured: {m.error if m else 'skipped'}")
                continue
            r = m.result
            print(
                f"   {s.label:<10} {r.rps:>10,.0f} {r.p50_ms:>8.2f} {r.p90_ms:>8.2f} {r.p99_ms:>8.2f} "
                f"{r.max_ms:>8.1f} {r.non_2xx:>8} {r.socket_errors:>8} "
                f"{m.server_cpu_s / r.duration_s:>8.0%} {m.client_cpu_s / r.duration_s:>8.0%} "
                f"{m.other_cpu_s / r.duration_s:>6.0%}"
            )
            if len(m.all_rps) > 1:
                print(
                    f"   {'':<10} rounds (req/s): {', '.join(f'{x:,.0f}' for x in m.all_rps)}; median shown"
                )
            if m.other_cpu_s / r.duration_s > 0.15:
                noisy = True
        rat = ratios(
            by_key["prism"].measurements.get(name) if "prism" in by_key else None,
            by_key["mock"].measurements.get(name) if "mock" in by_key else None,
        )
        if rat:
            mock_label = by_key["mock"].label
            print(
                f"   {mock_label}/prism throughput {rat['throughput']:.2f}x   "
                f"target >= {THROUGHPUT_TARGET:g}x: {_verdict(rat['throughput_target_met'])}   "
                f"stretch >= {THROUGHPUT_STRETCH:g}x: {_verdict(rat['throughput_stretch_met'])}"
            )
            print(
                f"   {mock_label}/prism p99        {rat['p99']:.2f}x   "
                f"target < 1x (lower p99): {_verdict(rat['p99_lower'])}"
            )
        for label, ratio, target in store_ratios(subjects, name):
            verdict = f"   target >= {target:g}x: {_verdict(ratio >= target)}" if target is not None else ""
            print(f"   {label} throughput {ratio:.2f}x{verdict}")
    if noisy:
        print()
        print("   WARNING: other processes kept the CPU busy during some runs (column 'other', in % of one")
        print("   core): those figures are low and noisy. On a quiet machine they are not; otherwise")
        print("   --rounds 3, --quiet-wait 20 and (as root) --nice -10 help.")
    print()
    print("== start and memory")
    for s in subjects:
        srv = s.server
        start = f"{srv.first_2xx_s:.3f} s" if srv.first_2xx_s is not None else "n/a"
        target = ""
        if s.key == "mock" and srv.first_2xx_s is not None:
            target = f"   target < {START_TARGET_S:g} s: {_verdict(srv.first_2xx_s < START_TARGET_S)}"
        rss, hwm = s.rss
        print(f"   {s.label:<10} start to first 2xx {start:>9}{target}")
        if s.restart_s is not None:
            print(f"   {'':<10} restart on a store of {s.history:,} commands: first 2xx {s.restart_s:.3f} s")
        print(f"   {'':<10} resident after the run {rss / 2**20:,.0f} MiB (peak {hwm / 2**20:,.0f} MiB)")
        steps = [(n, s.measurements[n].rss_after) for n in RUN_ORDER if n in s.measurements]
        if len(steps) > 1:
            trail = ", ".join(f"{n} {b / 2**20:,.0f}" for n, b in steps if b)
            print(f"   {'':<10} resident after each workload (MiB, in run order): {trail}")


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node,
        "prism": prism_version(),
        "wrk": wrk.version(),
        "commit": commit,
    }


def write_json(
    path: Path,
    subjects: list[Subject],
    names: list[str],
    args: argparse.Namespace,
    spec: Path,
    info: dict[str, Any],
) -> None:
    by_key = {s.key: s for s in subjects}
    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": info,
        "config": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "quiet_wait_s": args.quiet_wait,
            "nice": args.nice,
            "threads": args.threads,
            "connections": args.connections,
            "spec": str(spec),
            "seed": args.seed,
            "consumers": args.consumers,
        },
        "servers": {},
        "workloads": {},
        "targets": {
            "throughput_ratio": THROUGHPUT_TARGET,
            "throughput_ratio_stretch": THROUGHPUT_STRETCH,
            "p99_ratio_below": 1.0,
            "mock_start_s": START_TARGET_S,
        },
    }
    for s in subjects:
        out["servers"][s.key] = {
            "label": s.label,
            "argv": s.server.argv,
            "first_response_s": s.server.first_response_s,
            "start_to_first_2xx_s": s.server.first_2xx_s,
            "rss_bytes": s.rss[0],
            "peak_rss_bytes": s.rss[1],
            "store": s.store,
            "restart_with_history_s": s.restart_s,
            "history_commands": s.history,
        }
    for name in names:
        entry: dict[str, Any] = {"request": WORKLOADS[name].label(), "body": WORKLOADS[name].body}
        for s in subjects:
            m = s.measurements.get(name)
            entry[s.key] = (
                None
                if m is None
                else {
                    **(m.result.as_dict() if m.result else {}),
                    "server_cpu_s": round(m.server_cpu_s, 3),
                    "client_cpu_s": round(m.client_cpu_s, 3),
                    "other_cpu_s": round(m.other_cpu_s, 3),
                    "rounds_rps": m.all_rps,
                    "rss_after_bytes": m.rss_after,
                    "check": m.check,
                    "error": m.error,
                }
            )
        entry["store_ratios"] = [
            {"label": label, "ratio": round(ratio, 3), "target": target}
            for label, ratio, target in store_ratios(subjects, name)
        ]
        entry["ratio_mock_over_prism"] = ratios(
            by_key["prism"].measurements.get(name) if "prism" in by_key else None,
            by_key["mock"].measurements.get(name) if "mock" in by_key else None,
        )
        out["workloads"][name] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    say(f"figures written to {path}")


# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10, help="seconds of load per workload and server (10)")
    p.add_argument("--warmup", type=float, default=3, help="unmeasured seconds of load before each run (3)")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure each workload this many times per server, alternating, and report the "
        "median round (1); use 3 on a machine with background load",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each measurement wait up to this long for other processes to leave the CPU idle (0)",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="scheduling priority for both servers and wrk, e.g. -10 (root) to push other work aside (0)",
    )
    p.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    p.add_argument(
        "--workloads", default=",".join(RUN_ORDER), help=f"comma-separated subset of {', '.join(WORKLOADS)}"
    )
    p.add_argument("--servers", default="prism,mock", help="comma-separated subset of prism, mock")
    p.add_argument("--spec", type=Path, help="OpenAPI document for Prism (default: the bundled fanfare.json)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--consumers", type=int, default=10_000)
    p.add_argument(
        "--standin",
        action="store_true",
        help="compare Prism with bench/standin.py (bare Starlette) instead of fanfare-mock",
    )
    p.add_argument(
        "--workers",
        default="1",
        help="comma-separated worker counts for the mock, e.g. 1,2 (more than 1 needs a store) (1)",
    )
    p.add_argument(
        "--store",
        default="memory",
        help="comma-separated stores for the mock: memory, redis (a redis-server this run starts) (memory)",
    )
    p.add_argument("--mock-args", help='extra arguments for `fanfare-mock serve`, e.g. "--no-strict"')
    p.add_argument("--mock-logging", action="store_true", help="let the mock log each request (no --quiet)")
    p.add_argument(
        "--mock-cmd", help="full command for the mock; {port} {seed} {consumers} {python} are filled in"
    )
    p.add_argument("--start-timeout", type=float, default=60, help="seconds a server may take to answer (60)")
    p.add_argument("--json", type=Path, help="write the figures to this JSON file")
    p.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (logs, Lua, raw wrk output)"
    )
    args = p.parse_args(argv)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        p.error(f"unknown workload(s) {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    args.store = [k.strip() for k in args.store.split(",") if k.strip()]
    if set(args.store) - {"memory", "redis"} or not args.store or not args.workers or min(args.workers) < 1:
        p.error("--store takes memory, redis or both; --workers whole numbers >= 1")
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not args.servers or set(args.servers) - {"prism", "mock"}:
        p.error("--servers takes prism, mock or both")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    tmp = Path(tempfile.mkdtemp(prefix="fanfare-bench-"))
    subjects: list[Subject] = []
    redis: Any = None
    kept_redis: list[Any] = []
    databases = 0
    failed = False
    try:
        if args.spec:
            spec = args.spec.resolve()
        else:
            import fanfare_spec

            spec = fanfare_spec.path_of("fanfare")
        if not spec.is_file():
            raise SystemExit(f"no spec at {spec}: bundle it first (or pass --spec)")
        info = machine()
        say(
            f"machine: {info['cores']} cores, {info['cpu']}; python {info['python']}, node {info['node']}, "
            f"prism {info['prism']}, {info['wrk']}; commit {info['commit']}"
        )
        say(f"spec: {spec} ({spec.stat().st_size:,} bytes); scratch folder {tmp}")

        if "prism" in args.servers:
            # Prism 5.9 loads the bundle unchanged (checked: all 57 operations register, and it validates
            # our three requests); if a later spec breaks it, its start fails with Prism's own message.
            prism_spec = spec
            port = free_port()
            subjects.append(
                Subject(
                    "prism",
                    "prism",
                    Server(
                        "prism",
                        prism_argv(prism_spec, port),
                        port,
                        tmp / "prism.log",
                        cwd=HERE,
                        niceness=args.nice,
                    ),
                )
            )
        if "mock" in args.servers:
            for kind, workers in mock_variants(args):
                kept: tuple[str, ...] = ()
                store_url = ""
                if kind == "redis":
                    if redis is None:
                        redis = RedisServer().start()
                        say(f"redis-server {redis.url} (no persistence) for the store runs")
                        kept_redis.append(redis)
                    databases += 1  # one world per subject, on the one redis-server
                    store_url = f"{redis.url.rsplit('/', 1)[0]}/{databases}"
                    kept = ("--store", store_url, "--workers", str(workers))
                port = free_port()
                label, argv_ = mock_argv(args, port, kept)
                key = "mock" if kind == "memory" and workers == 1 else f"{label}-{kind}-{workers}w"
                server = Server(key, argv_, port, tmp / f"{key}.log", cwd=ROOT, niceness=args.nice)
                subjects.append(
                    Subject(key, key if key != "mock" else label, server, store=kind, store_url=store_url)
                )

        # One server starts at a time, so neither start time is measured under the other's start load.
        for s in subjects:
            start(s, args.start_timeout)
            create_audience(s)

        for name in [w for w in RUN_ORDER if w in args.workloads]:
            rounds: dict[str, list[Measurement]] = {s.key: [] for s in subjects}
            for round_no in range(args.rounds):
                # Servers alternate within each round, so slow drifts in background load hit both.
                for s in subjects:
                    m = measure(s, WORKLOADS[name], args, tmp, round_no)
                    rounds[s.key].append(m)
                    failed = failed or m.error is not None
            for s in subjects:
                s.measurements[name] = chosen = median_round(rounds[s.key])
                chosen.rss_after = s.server.memory()[0]
                say(f"{s.label}: resident after {name}: {chosen.rss_after / 2**20:,.0f} MiB")
        for s in subjects:
            s.rss = s.server.memory()
        for s in subjects:
            if s.store == "redis" and redis is not None:
                restart_with_history(s, args.start_timeout)

        names = [w for w in WORKLOADS if w in args.workloads]
        print_report(subjects, names, args)
        if args.json:
            write_json(args.json, subjects, names, args, spec, info)
    except KeyboardInterrupt:
        say("interrupted: stopping the servers")
        failed = True
    except (RuntimeError, OSError) as exc:
        say(f"FAILED: {exc}")
        failed = True
    except Exception:
        say(f"FAILED with an unexpected error:\n{traceback.format_exc()}")
        failed = True
    finally:
        for s in reversed(subjects):
            s.server.stop()
        for server in kept_redis:
            server.close()
        if args.keep or failed:
            say(f"logs, Lua scripts and raw wrk output kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
