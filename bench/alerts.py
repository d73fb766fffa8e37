"""How many alert-button presses a second does one machine take, and how fast is each answered?

400 signed devices (alert buttons and street call points over the Paris jurisdiction) press
through `POST /api/v1/alerts/trigger/`, 32 presses in flight at most, for 10 s per case: as fast
as they are answered, then at 10 presses/s. The server runs on PostGIS with 50,000 cameras over
Paris (bench/cameras.py's loader). Each press commits a critical report; Celery tasks then link
its cameras (PostGIS KNN) and turn up to VIGIE_ALERT_PTZ_CAMERAS PTZ cameras toward it
(simulated driver). Cases are SERVER:TASKS: `daphne:eager` is `make run`'s layout (daphne alone,
the tasks run in the request after commit, in-memory channel layer and cache); with `prefork`
(the README's `celery -A config worker`) or `threads`, the tasks go through Redis to a real
worker with that pool and 2 slots, the channel layer and throttle counters on Redis; `gunicorn`
(2 workers x 4 threads) is production's HTTP. It prints presses/s, latency, answers other than
201 (there must be none), whether each 201 is one stored alert and nothing else was stored, the
reports linked and steered, the time from a report's creation to its last PTZ command, where
the CPU went, PostgreSQL sessions opened per press, and the tasks that failed.

    make bench-alerts   (or: .venv/bin/python bench/alerts.py [--cases daphne:eager,...]
                         [--rates 0,10] [--clients 32] [--devices 400] [--duration 10] ...)

The database is `vigie_bench_alerts` on the local server unless BENCH_DATABASE_URL says
otherwise (created if missing, migrated; its cameras, devices and reports are replaced on each
run). Worker cases use Redis database 8 as the broker and 9 for the channel layer and throttle
counters (BENCH_BROKER_URL, BENCH_REDIS_URL), both flushed before each case. Servers listen on
free ports of 127.0.0.1 and are stopped at the end of each case, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import aiohttp  # noqa: E402
import django  # noqa: E402

# Helpers shared with the other benchmarks. Both modules set DATABASE_URL when imported, so
# ours is set after them.
from bench.cameras import PARIS_BBOX, load_cameras  # noqa: E402
from bench.console import cpu_seconds, machine_busy_seconds, ms, percentile, servers  # noqa: E402
from bench.database import ensure_database  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgis:///vigie_bench_alerts")
os.environ.pop("REDIS_URL", None)  # the bench process itself needs no channel layer
os.environ.pop("CELERY_BROKER_URL", None)  # nor a broker: it sends no task

# The broker on 8, not 9: tests/reporting/test_worker.py flushes 9 when it starts a worker, and
# a flush there would only cost throttle counters, not queued tasks.
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
TRIGGER = "/api/v1/alerts/trigger/"
TASKS = ("eager", "prefork", "threads")  # in the request, or a worker with this pool
PANIC = b'{"kind": "panic"}'
CALL_POINT_SHARE = 0.2
PREFIX = "vigie-bench-alerts"  # channel layer and cache keys: pub/sub spans Redis databases


# --- set-up (the bench process's own Django, on the bench database) ----------------------------


@dataclass
class Device:
    pk: int
    secret: str
    body: bytes
    last_second: int = 0  # the same body signed twice in one second is a replay (401)


def set_up(devices: int, cameras: int, seed: int) -> tuple[list[Device], float]:
    """Migrate; the centre, its cameras (replaced), its devices (replaced), no reports."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts import services
    from tests.factories import outline

    centre, _ = services.create_centre(
        "bench-alerts-paris",
        name="Bench alerts Paris",
        jurisdiction=outline("paris"),
        reference_prefix="BAL",
        organisation=services.ensure_organisation("Bench alerts"),
    )
    with connection.cursor() as cursor:
        # Earlier runs' alerts, devices and reports: each run starts from the same state.
        cursor.execute("TRUNCATE reporting_report, alerts_device CASCADE")
    load_s = load_cameras(centre.pk, cameras)
    return make_devices(centre.pk, devices, seed), load_s


def make_devices(centre_id: int, count: int, seed: int) -> list[Device]:
    """Buttons and call points at random places inside the Paris outline, in one bulk insert
    (register_device checks the same jurisdiction, one query per device; the outline is
    checked here in memory)."""
    from django.contrib.gis.geos import Point

    from alerts.models import Device as DeviceRow
    from alerts.models import DeviceKind
    from tests.factories import outline

    rng = random.Random(seed)  # noqa: S311 - reproducible places, not secrets
    paris = outline("paris").prepared
    west, south, east, north = PARIS_BBOX
    rows: list[DeviceRow] = []
    while len(rows) < count:
        point = Point(rng.uniform(west, east), rng.uniform(south, north), srid=4326)
        if paris.contains(point):
            call = rng.random() < CALL_POINT_SHARE
            kind = DeviceKind.CALL_POINT if call else DeviceKind.ALERT_BUTTON
            rows.append(DeviceRow(kind=kind, centre_id=centre_id, location=point, name="bench"))
    bodies = {DeviceKind.CALL_POINT: b'{"kind": "call"}', DeviceKind.ALERT_BUTTON: PANIC}
    return [Device(r.pk, r.secret, bodies[r.kind]) for r in DeviceRow.objects.bulk_create(rows)]


STEERING = """
SELECT r.id, count(p.id), count(p.id) FILTER (WHERE p.status = 'sent'),
       EXTRACT(EPOCH FROM max(p.created_at) - r.created_at) * 1000,
       EXISTS (SELECT 1 FROM cameras_cameralink l WHERE l.report_id = r.id)
FROM reporting_report r LEFT JOIN cameras_ptzcommand p ON p.report_id = r.id
WHERE r.id = ANY(%s) GROUP BY r.id
"""


def stored_since(mark: int) -> tuple[list[int], list[tuple[int, int, int, float | None, bool]]]:
    """The reports of alerts stored after alert `mark`, and per report its PTZ commands (all,
    sent), the time from the report's creation to its last command (ms), whether it has links."""
    from django.db import connection

    from alerts.models import Alert

    reports = list(Alert.objects.filter(pk__gt=mark).values_list("report_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(STEERING, [reports])
        return reports, cursor.fetchall()


def last_alert() -> int:
    from alerts.models import Alert

    return Alert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- servers and the worker --------------------------------------------------------------------


def server_env(secret_key: str, tasks: str) -> dict[str, str]:
    env = os.environ | {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secret_key}
    env |= {"DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SECURE_SSL_REDIRECT": "0"}
    env["DJANGO_LOG_LEVEL"] = "WARNING"  # the simulated PTZ driver logs each order at INFO
    if tasks != "eager":
        env |= {"CELERY_BROKER_URL": BROKER_URL, "REDIS_URL": REDIS_URL}
        env |= {"CHANNEL_LAYER_PREFIX": PREFIX, "CACHE_KEY_PREFIX": PREFIX}
    return env


@contextmanager
def worker(env: dict[str, str], logdir: Path, pool: str) -> Iterator[list[int]]:
    """A real `celery -A config worker` (prefork, the default, is the README's command), two
    processes or threads: one per core."""
    log = logdir / "celery.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}", "-c", "2"]
            + ["--without-gossip", "--without-mingle", "--loglevel=WARNING"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield [process.pid]
    finally:
        process.terminate()  # warm shutdown: the queue is drained by then
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def flush_redis() -> None:
    """Before any process starts: a flush later would drop the queue bindings it declared."""
    import redis

    for url in (BROKER_URL, REDIS_URL):
        redis.Redis.from_url(url, socket_timeout=3).flushdb()


def wait_drained(timeout: float) -> float:
    """Until the broker holds no task, queued or taken but unacknowledged (acks are late, so a
    task counts until it has finished). Returns the seconds waited; inf on timeout."""
    import redis

    broker = redis.Redis.from_url(BROKER_URL, socket_timeout=3)
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if broker.llen("celery") == 0 and broker.hlen("unacked") == 0:
            return time.perf_counter() - began
        time.sleep(0.05)
    return math.inf


# --- the presses (one asyncio loop) ------------------------------------------------------------


@dataclass
class Press:
    sent: float
    answered: float
    status: int
    report_id: int | None = None
    error: str = ""


def take(pool: deque[Device]) -> Device | None:
    """The device idle longest that did not press in this second (else None: wait a little)."""
    now = int(time.time())
    for _ in range(len(pool)):
        device = pool.popleft()
        if device.last_second != now:
            device.last_second = now
            return device
        pool.append(device)
    return None


async def client(
    session: aiohttp.ClientSession,
    url: str,
    pool: deque[Device],
    stop: float,
    due: Iterator[float] | None,
    presses: list[Press],
) -> None:
    """Presses one after the other; paced, each waits for its turn in the shared schedule."""
    from alerts.signing import sign

    while time.perf_counter() < stop:
        turn = next(due) if due is not None else 0.0
        if turn >= stop:
            return
        await asyncio.sleep(turn - time.perf_counter())
        device = take(pool)
        if device is None:
            await asyncio.sleep(0.01)
            continue
        # No Idempotency-Key: every press is new, none may be answered from the record.
        headers = {"Content-Type": "application/json", "X-Device-Id": str(device.pk)}
        headers["X-Timestamp"] = str(device.last_second)
        headers["X-Signature"] = sign(device.secret, device.last_second, device.body)
        # Paced, latency counts from the press's turn: a late send is the server's delay too.
        sent = min(turn, time.perf_counter()) if due is not None else time.perf_counter()
        try:
            async with session.post(url, data=device.body, headers=headers) as response:
                raw = await response.read()
            press = Press(sent, time.perf_counter(), response.status)
            if response.status == 201:
                press.report_id = json.loads(raw)["report"]
            else:
                press.error = f"{response.status} {raw[:200]!r}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            press = Press(sent, time.perf_counter(), 0, error=repr(exc))
        presses.append(press)
        pool.append(device)


async def press_for(
    url: str, pool: deque[Device], clients: int, duration: float, rate: float = 0.0
) -> list[Press]:
    """`clients` in flight at most, each as fast as it is answered (rate 0), else at `rate`."""
    presses: list[Press] = []
    connector = aiohttp.TCPConnector(limit=clients)  # one kept-alive connection per client
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        due = (start + k / rate for k in itertools.count()) if rate else None
        stop = start + duration
        runs = [client(session, url + TRIGGER, pool, stop, due, presses) for _ in range(clients)]
        await asyncio.gather(*runs)
    return presses


# --- one case ----------------------------------------------------------------------------------


@dataclass
class Case:
    server: str
    tasks: str
    rate: float  # presses per second asked; 0: as fast as answered
    presses: list[Press] = field(default_factory=list)
    lost: int = 0  # answered 201, no alert stored
    extra: int = 0  # stored, never answered 201
    linked: int = 0
    steered: int = 0
    commands: int = 0
    failed_commands: int = 0
    lag_ms: list[float] = field(default_factory=list)
    drain_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per second, by role
    worker_errors: list[str] = field(default_factory=list)
    sessions: int = 0  # PostgreSQL sessions opened on the bench database


def wait_quiet(limit_s: float) -> None:
    """Tests running beside us on these 2 cores would be measured too: wait (at most limit_s)
    for 3 s in a row in which the whole machine was at most 10% busy."""
    deadline, quiet = time.monotonic() + limit_s, 0
    while quiet < 3 and time.monotonic() < deadline:
        busy = machine_busy_seconds()
        time.sleep(1.0)
        idle = machine_busy_seconds() - busy < 0.1 * (os.cpu_count() or 1)
        quiet = quiet + 1 if idle else 0


def cpu_now(server_pids: list[int], worker_pids: list[int]) -> dict:
    """CPU seconds so far by role, and of each PostgreSQL backend of the bench database (ours:
    backends of other databases, tests running beside us, are other load)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        backends = {pid: cpu_seconds([pid]) for (pid,) in cursor.fetchall()}
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        sessions = cursor.fetchone()[0]
    cpu = {"server": cpu_seconds(server_pids), "worker": cpu_seconds(worker_pids)}
    cpu |= {"client": time.process_time(), "machine": machine_busy_seconds()}
    return cpu | {"backends": backends, "sessions": sessions}


def run_server(
    server: str, tasks: str, pool: deque[Device], env: dict[str, str], logdir: Path, args: Namespace
) -> Iterator[Case]:
    """One fresh server (and worker) for SERVER:TASKS, then one case per rate on it."""
    with_worker, log = tasks != "eager", logdir / "celery.log"
    if with_worker:
        flush_redis()
    pooled = worker(env, logdir, tasks) if with_worker else nullcontext([])
    with servers(server, env, logdir, "config.asgi:application") as srv, pooled as pids:
        # Warm every server thread's pooled connection (PostGIS initialises on first use) and,
        # with a worker, wait for it to take tasks: neither is what we measure.
        asyncio.run(press_for(srv.http_url, pool, args.clients, 1.0))
        if with_worker and math.isinf(wait_drained(60)):
            raise RuntimeError(f"no task taken:\n{log.read_text()[-3000:]}")
        for rate in args.rates:
            case = Case(server, tasks, rate)
            wait_quiet(args.quiet)
            mark, seen = last_alert(), log.stat().st_size if with_worker else 0
            before = cpu_now(srv.pids, pids)
            wall0 = time.perf_counter()
            case.presses = asyncio.run(
                press_for(srv.http_url, pool, args.clients, args.duration, rate)
            )
            case.drain_s = wait_drained(args.drain) if with_worker else 0.0
            window = time.perf_counter() - wall0
            after = cpu_now(srv.pids, pids)
            used = {role: after[role] - before[role] for role in ("server", "worker", "client")}
            used["db"] = sum(
                cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items()
            )
            used["other"] = after["machine"] - before["machine"] - sum(used.values())
            case.cpu = {role: seconds / window for role, seconds in used.items()}
            case.sessions = after["sessions"] - before["sessions"]
            if with_worker:  # this case's lines only
                with log.open("rb") as handle:
                    lines = handle.read()[seen:].decode(errors="replace").splitlines()
                case.worker_errors = [line for line in lines if "ERROR" in line]
            analyse(case, *stored_since(mark))
            yield case


def analyse(
    case: Case, reports: list[int], steering: list[tuple[int, int, int, float | None, bool]]
) -> None:
    answered = {p.report_id for p in case.presses if p.report_id is not None}
    case.lost = len(answered - set(reports))
    case.extra = len(set(reports) - answered)
    for _, commands, sent, lag_ms, linked in steering:
        case.linked += linked
        case.commands += commands
        case.failed_commands += commands - sent
        if commands:
            case.steered += 1
            case.lag_ms.append(float(lag_ms))


# --- output ------------------------------------------------------------------------------------

CPU_ROLES = ("server", "worker", "db", "client", "other")
HEADER = " | ".join(  # the same widths as describe()'s cells
    [
        f"{'case':>16} {'ask':>4} {'sends':>5} {'got':>5}",
        f"{'p50':>6} {'p99':>6} {'max':>6}",
        f"{'err':>3} {'lost':>4} {'extra':>5}",
        f"{'linked':>6} {'steered':>7} {'cmds':>5}",
        f"{'lag p50':>7} {'p99':>6} {'max':>6}",
        " ".join(f"{role:>6}" for role in CPU_ROLES),
        f"{'conns':>5}",
        f"{'drain':>5} {'failed':>6}",
    ]
)
LEGEND = (
    "ask = presses per second asked (max: each client sends its next press as soon as the last "
    "is answered); sends = presses answered; got = presses answered per second of the duration; "
    "p50/p99/max = from sending (paced: from the press's turn) to the answer; err = answers other "
    "than 201; lost = 201s with no stored alert; extra = alerts stored that no 201 announced; "
    "linked/steered = reports with camera links / with PTZ commands; cmds = PTZ commands "
    "recorded; lag = from the report's creation to its last PTZ command (eager: inside the "
    "request; a worker: after the answer, queueing included); server/worker/db/client/other = "
    "CPU seconds per second of the presses and drain (100% = one core; server = daphne, or "
    "gunicorn's processes and an idle daphne for /ws/; db = PostgreSQL backends of the bench "
    "database; other = the rest of the machine: Redis, starting new backends, PostgreSQL's own "
    "processes, other people's work); conns = PostgreSQL sessions opened per press; drain = "
    "seconds from the last answer until the worker had finished every task; failed = tasks "
    "failed (ERROR lines in the worker's log)"
)


def describe(case: Case, duration: float) -> str:
    # Presses answered within the duration: those still in flight at its end are not its rate.
    end = min(p.sent for p in case.presses) + duration
    rate = sum(1 for p in case.presses if p.answered <= end) / duration
    latency = [(p.answered - p.sent) * 1000 for p in case.presses]
    errors = sum(1 for p in case.presses if p.status != 201)
    lag, p = case.lag_ms, percentile
    failed = f" ({case.failed_commands} failed)" if case.failed_commands else ""
    asked = f"{case.rate:g}" if case.rate else "max"
    cells = [
        f"{case.server + ':' + case.tasks:>16} {asked:>4} {len(case.presses):>5} {rate:>5.1f}",
        f"{ms(p(latency, 0.5)):>6} {ms(p(latency, 0.99)):>6} {ms(max(latency)):>6}",
        f"{errors:>3} {case.lost:>4} {case.extra:>5}",
        f"{case.linked:>6} {case.steered:>7} {case.commands:>5}{failed}",
        f"{ms(p(lag, 0.5)):>7} {ms(p(lag, 0.99)):>6} {ms(max(lag, default=math.nan)):>6}",
        " ".join(f"{case.cpu[role]:>6.0%}" for role in CPU_ROLES),
        f"{case.sessions / len(case.presses):>5.1f}",
        f"{case.drain_s:>5.1f} {len(case.worker_errors):>6}",
    ]
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default="daphne:eager,daphne:prefork,gunicorn:prefork,gunicorn:threads"
    )
    parser.add_argument("--clients", type=int, default=32, help="presses in flight")
    parser.add_argument("--devices", type=int, default=400)
    parser.add_argument("--cameras", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of presses")
    parser.add_argument("--drain", type=float, default=120.0, help="longest wait for the worker")
    parser.add_argument("--quiet", type=float, default=60.0, help="longest wait for an idle CPU")
    parser.add_argument("--rates", default="0,10", help="presses/s asked; 0: as fast as answered")
    args = parser.parse_args()
    args.rates = [float(rate) for rate in args.rates.split(",")]
    specs = [tuple(spec.split(":")) for spec in args.cases.split(",")]
    if any(len(s) != 2 or s[0] not in ("daphne", "gunicorn") or s[1] not in TASKS for s in specs):
        sys.exit(f"unknown case in {args.cases}: daphne|gunicorn : {'|'.join(TASKS)}")
    ensure_database()
    django.setup()
    from django.conf import settings

    started = time.perf_counter()
    devices, load_s = set_up(args.devices, args.cameras, seed=6)
    calls = sum(1 for d in devices if d.body != PANIC)
    print(
        f"{os.cpu_count()} CPUs; DJANGO_DEBUG=0; {args.cameras:,} cameras over Paris (loaded in "
        f"{load_s:.1f} s), {len(devices)} devices ({len(devices) - calls} buttons, {calls} call "
        f"points; set up in {time.perf_counter() - started:.1f} s); at most {args.clients} "
        f"presses in flight for {args.duration:g} s per case, one fresh server per SERVER:TASKS; "
        f"up to {settings.VIGIE_ALERT_PTZ_CAMERAS} PTZ cameras per alert; device throttle "
        f"{settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['device']}; times in ms",
        flush=True,
    )
    print(f"{HEADER}\n{'-' * len(HEADER)}", flush=True)
    pool, secret_key = deque(devices), secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as logdir:
        for server, tasks in specs:
            env = server_env(secret_key, tasks)
            for case in run_server(server, tasks, pool, env, Path(logdir), args):
                print(describe(case, args.duration), flush=True)
                for press in [p for p in case.presses if p.error][:3]:
                    print(f"    press failed: {press.error}", flush=True)
                for line in case.worker_errors[:2]:
                    print(f"    worker: {line[:200]}", flush=True)
    print(LEGEND)


if __name__ == "__main__":
    main()
