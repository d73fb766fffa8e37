"""How fast does a report reach every operator console, through the real stack?

N consoles (100, then 1,000) sign in as one operator of one centre and hold `/ws/console/`
open on a real daphne; a resident's app token then files reports through `POST
/api/v1/reports/` at a steady rate (20/s, then 50/s) for 10 s. Everything is real: daphne (or
gunicorn for the HTTP API with daphne for the WebSockets, the production layout), the
channels-redis pub/sub layer on the local Redis, PostGIS, camera linking (Celery eager), with
the 1,389 Paris Préfecture de Police cameras loaded so that `report.cameras` frames carry links.

For each report it prints the time from sending its POST to the moment the *last* console
received its `report.created` frame (p50, p99, max), the same per single delivery, and checks
every console's stream: each must hold every event of the centre (`report.created` and
`report.cameras`) exactly once, in `seq` order, without a gap. Target (issue 5): p99 under
250 ms at 20 reports/s with 100 consoles on the 2-core machine.

    make bench-console   (or: .venv/bin/python bench/console.py [--consoles 100,1000]
                          [--rates 20,50] [--modes daphne,gunicorn] [--duration 10])

The database is `vigie_bench_console` on the local server unless BENCH_DATABASE_URL says
otherwise (created if missing, migrated); the channel layer and throttle counters use Redis
database 10 (BENCH_REDIS_URL) under their own key and channel prefixes. Servers listen on free
ports of 127.0.0.1 and are stopped at the end of each case, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.client
import io
import json
import math
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgis:///vigie_bench_console")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)  # the bench process itself needs no channel layer

import django  # noqa: E402

from bench.database import ensure_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
PASSWORD = "bench-console-" + "long-enough-2026"
PARIS_CAMERAS = ROOT / "data" / "cameras" / "paris_prefecture_police_cameras_2013.csv"
CONNECT_AT_ONCE = 50  # WebSocket handshakes in flight (daphne's listen backlog is 50)
POST_THREADS = 16
LIVE_TYPES = ("report.created", "report.cameras")


# --- set-up (the bench process's own Django, on the bench database) ----------------------------


def set_up() -> int:
    """Migrate; the centre, its cameras, one operator and one approved resident."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts import services
    from cameras.models import Camera
    from tests.factories import outline

    centre, _ = services.create_centre(
        "paris-csu",
        name="Bench console Paris",
        jurisdiction=outline("paris"),
        reference_prefix="BCN",
        organisation=services.ensure_organisation("Bench console"),
    )
    services.create_user("bench-operator", role="operator", centre=centre, password=PASSWORD)
    services.create_user("bench-resident", role="resident", centre=centre, password=PASSWORD)
    if not Camera.objects.filter(centre=centre).exists():
        call_command(
            "import_cameras", str(PARIS_CAMERAS), "--centre", centre.slug, stdout=io.StringIO()
        )
    return centre.pk


def latest_seq(centre_id: int) -> int:
    from django.db.models import Max

    from live.models import Event

    return Event.objects.filter(centre_id=centre_id).aggregate(m=Max("seq"))["m"] or 0


def event_types(centre_id: int, after: int, until: int) -> dict[int, str]:
    from live.models import Event

    rows = Event.objects.filter(centre_id=centre_id, seq__gt=after, seq__lte=until)
    return dict(rows.values_list("seq", "type"))


SITES: list[tuple[float, float]] = []


def load_sites() -> None:
    """Real camera sites at least ~100 m inside the Paris outline (so jittered points stay in
    the jurisdiction, and camera links exist)."""
    from django.contrib.gis.geos import Point

    from tests.factories import outline

    inside = outline("paris").buffer(-0.0015)
    with PARIS_CAMERAS.open(encoding="utf-8") as handle:
        rows = [(float(row["lon"]), float(row["lat"])) for row in csv.DictReader(handle)]
    SITES[:] = [(lon, lat) for lon, lat in rows if inside.contains(Point(lon, lat, srid=4326))]


def report_points(count: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible sample points, not secrets
    points = []
    for _ in range(count):
        lon, lat = rng.choice(SITES)
        points.append((lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-4e-4, 4e-4)))
    return points


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(secret_key: str, debug: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": REDIS_URL,
        # Pub/sub channels are shared by every Redis database: our own prefix keeps other
        # processes' `centre.<id>` groups (tests, `make run`) out of the consoles' streams.
        "CHANNEL_LAYER_PREFIX": "vigie-bench-console",
        "CACHE_KEY_PREFIX": "vigie-bench-console",
        "DJANGO_DEBUG": "1" if debug else "0",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "VIGIE_THROTTLE_REPORTS": "10000000/hour",
        "VIGIE_THROTTLE_USER": "10000000/hour",
        "VIGIE_THROTTLE_LOGIN": "10000/min",
        # The bench measures fan-out, not sign-in: its operator has no authenticator, and a
        # run may outlast the idle limit of a console nobody touches.
        "VIGIE_STAFF_OTP": "0",
        "VIGIE_SESSION_IDLE_MINUTES": "1440",
    }


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 40
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=3)  # noqa: S310 - our own server
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


@dataclass
class Servers:
    http_url: str
    ws_port: int
    pids: list[int]


@contextmanager
def servers(mode: str, env: dict[str, str], logdir: Path, asgi: str) -> Iterator[Servers]:
    """daphne alone (HTTP + WebSockets), or gunicorn for HTTP and daphne for WebSockets."""
    bindir = Path(sys.executable).parent
    started: list[tuple[subprocess.Popen, Path, str]] = []
    try:
        ws_port = free_port()
        commands = [
            (
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(ws_port)] + [asgi],
                ws_port,
            )
        ]
        if mode == "gunicorn":
            http_port = free_port()
            commands.append(
                (
                    [str(bindir / "gunicorn"), "config.wsgi", "-w", "2", "--threads", "4"]
                    + ["-b", f"127.0.0.1:{http_port}"],
                    http_port,
                )
            )
        for command, port in commands:
            log = logdir / f"{Path(command[2] if command[1] == '-m' else command[0]).name}.log"
            with log.open("ab") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            started.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, url in started:
            wait_healthy(url, process, log)
        yield Servers(started[-1][2], ws_port, [p.pid for p, _, _ in started])
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def machine_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (every core, everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their direct children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    wanted = set(pids)
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(entry.name), int(fields[1])
        if pid in wanted or ppid in wanted:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# --- HTTP (blocking, in threads) ---------------------------------------------------------------


def http_json(base: str, path: str, body: dict) -> tuple[dict, SimpleCookie]:
    """POST JSON; returns the answer and the cookies it set."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=15)
    try:
        conn.request(
            "POST",
            path,
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"POST {path}: {response.status} {raw[:300]!r}")
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return json.loads(raw), cookies
    finally:
        conn.close()


@dataclass
class Post:
    index: int
    scheduled: float
    sent: float = 0.0
    answered: float = 0.0
    status: int = 0
    report_id: int | None = None
    error: str = ""


def post_reports(base: str, token: str, rate: float, duration: float, seed: int) -> list[Post]:
    """Open loop: report k is due at start + k/rate, sent by the first free thread."""
    host, port = base.removeprefix("http://").split(":")
    count = round(rate * duration)
    points = report_points(count, seed)
    local = threading.local()

    def send(post: Post) -> Post:
        lon, lat = points[post.index]
        body = json.dumps(
            {
                "category": "theft",
                "description": f"bench console report {post.index}",
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "accuracy_m": 10,
            }
        )
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        post.sent = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/reports/", body, headers)
            response = conn.getresponse()
            raw = response.read()
            post.answered = time.perf_counter()
            post.status = response.status
            if response.status == 201:
                post.report_id = json.loads(raw)["id"]
            else:
                post.error = f"{response.status} {raw[:200]!r}"
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                local.conn = None
        except (OSError, http.client.HTTPException) as exc:
            post.answered = time.perf_counter()
            post.error = repr(exc)
            conn.close()
            local.conn = None
        return post

    posts = [Post(k, 0.0) for k in range(count)]
    with ThreadPoolExecutor(POST_THREADS, thread_name_prefix="post") as pool:
        start = time.perf_counter() + 0.05
        futures = []
        for post in posts:
            post.scheduled = start + post.index / rate
            delay = post.scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, post))
        for future in futures:
            future.result()
    return posts


# --- the consoles (one asyncio loop) -----------------------------------------------------------


@dataclass
class Console:
    start_seq: int = -1
    seqs: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    closed: str = ""


class Frames:
    """Every console gets the same text for one event: parse each text once."""

    PING, OTHER = -1, -2

    def __init__(self) -> None:
        self.by_text: dict[str, int] = {}
        self.meta: dict[int, tuple[str, int | None]] = {}  # seq -> (type, report id)

    def seq(self, text: str) -> int:
        known = self.by_text.get(text)
        if known is not None:
            return known
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "ping":
            seq = self.PING
        elif "seq" in frame:
            seq = frame["seq"]
            data = frame.get("data") or {}
            report = data.get("id") if kind == "report.created" else data.get("report")
            self.meta[seq] = (kind, report)
        else:
            seq = self.OTHER
        if len(self.by_text) < 100_000:
            self.by_text[text] = seq
        return seq


async def console(
    session,  # noqa: ANN001 - aiohttp.ClientSession
    url: str,
    headers: dict[str, str],
    state: Console,
    frames: Frames,
    gate: asyncio.Semaphore,
    connected: list[int],
) -> None:
    import aiohttp

    async with gate:
        ws = await session.ws_connect(
            url,
            headers=headers,
            autoping=True,
            heartbeat=None,
            max_msg_size=0,
            compress=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=3.0),
        )
        hello = await ws.receive(timeout=30)
        if hello.type != aiohttp.WSMsgType.TEXT:
            state.closed = f"refused: {hello.type.name} {ws.close_code}"
            await ws.close()
            return
        state.start_seq = json.loads(hello.data)["centres"][0]["seq"]
    connected[0] += 1
    seqs, times, perf_counter, text = (
        state.seqs,
        state.times,
        time.perf_counter,
        aiohttp.WSMsgType.TEXT,
    )
    try:
        while True:
            message = await ws.receive()
            received = perf_counter()  # first thing: the loop's own delay is all we add
            if message.type is not text:
                state.closed = f"{message.type.name} {ws.close_code}"
                return
            seq = frames.seq(message.data)
            if seq >= 0:
                seqs.append(seq)
                times.append(received)
            elif seq == Frames.PING:
                await ws.send_str('{"type": "pong"}')
    finally:
        await ws.close()


@dataclass
class Case:
    mode: str
    consoles: int
    rate: float
    connected: int = 0
    connect_s: float = 0.0
    posts: list[Post] = field(default_factory=list)
    all_ms: list[float] = field(default_factory=list)  # per report: last console
    each_ms: list[float] = field(default_factory=list)  # per delivery
    http_ms: list[float] = field(default_factory=list)
    undelivered_reports: int = 0
    lost: int = 0
    late: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    closed: int = 0
    other_events: int = 0
    drained_s: float = 0.0
    drain_timed_out: bool = False
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    rest_cpu: float = 0.0
    window_s: float = 0.0
    send_lag_ms: float = 0.0


async def run_case(
    case: Case,
    srv: Servers,
    cookie: str,
    token: str,
    centre_id: int,
    args: argparse.Namespace,
) -> None:
    import aiohttp

    frames = Frames()
    states = [Console() for _ in range(case.consoles)]
    url = f"ws://127.0.0.1:{srv.ws_port}/ws/console/"
    headers = {"Origin": f"http://127.0.0.1:{srv.ws_port}", "Cookie": f"sessionid={cookie}"}
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    connected = [0]
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        tasks = [
            asyncio.create_task(console(session, url, headers, s, frames, gate, connected))
            for s in states
        ]
        deadline = began + 120
        while connected[0] < case.consoles and time.perf_counter() < deadline:
            if all(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        case.connect_s = time.perf_counter() - began
        case.connected = connected[0]
        if case.connected < case.consoles:
            failed = [t.exception() for t in tasks if t.done() and t.exception()]
            reasons = {s.closed for s in states if s.closed} | {repr(e) for e in failed[:3]}
            for task in tasks:
                task.cancel()
            raise RuntimeError(f"only {case.connected}/{case.consoles} consoles: {reasons}")
        await asyncio.sleep(1.0)  # let the last group_add settle

        cpu0, server0, machine0 = time.process_time(), cpu_seconds(srv.pids), machine_busy_seconds()
        wall0 = time.perf_counter()
        case.posts = await asyncio.to_thread(
            post_reports, srv.http_url, token, case.rate, args.duration, case.consoles
        )
        final = await asyncio.to_thread(latest_seq, centre_id)
        drain_deadline = time.perf_counter() + args.drain
        while time.perf_counter() < drain_deadline:
            if all(s.closed or (s.seqs and s.seqs[-1] >= final) for s in states):
                break
            await asyncio.sleep(0.02)
        else:
            case.drain_timed_out = True
        wall1 = time.perf_counter()
        case.drained_s = wall1 - case.posts[-1].answered
        case.client_cpu = time.process_time() - cpu0
        case.server_cpu = cpu_seconds(srv.pids) - server0
        case.rest_cpu = machine_busy_seconds() - machine0 - case.server_cpu - case.client_cpu
        case.window_s = wall1 - wall0
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    start = min(s.start_seq for s in states)
    types = await asyncio.to_thread(event_types, centre_id, start, final)
    analyse(case, states, frames, types, final)


def analyse(
    case: Case, states: list[Console], frames: Frames, types: dict[int, str], final: int
) -> None:
    created_seq = {
        report: seq
        for seq, (kind, report) in frames.meta.items()
        if kind == "report.created" and report is not None
    }
    case.other_events = sum(1 for kind in types.values() if kind not in LIVE_TYPES)
    case.closed = sum(1 for s in states if s.closed)
    arrival: list[dict[int, float]] = []
    for state in states:
        got = dict(zip(state.seqs, state.times, strict=True))
        arrival.append(got)
        # Missing below the last seq a console holds: skipped (lost). Above it: not delivered
        # before the drain ended (late), which only a timed-out drain can leave.
        last = state.seqs[-1] if state.seqs else state.start_seq
        case.lost += sum(1 for seq in range(state.start_seq + 1, last + 1) if seq not in got)
        case.late += max(0, final - max(last, state.start_seq))
        case.duplicates += len(state.seqs) - len(got)
        previous = state.start_seq
        for seq in state.seqs:
            if seq != previous + 1:
                case.out_of_order += 1
            previous = seq
    for post in case.posts:
        case.http_ms.append((post.answered - post.sent) * 1000)
        case.send_lag_ms = max(case.send_lag_ms, (post.sent - post.scheduled) * 1000)
        if post.report_id is None:
            continue  # refused or failed: counted as an error, not as a delivery
        seq = created_seq.get(post.report_id)
        if seq is None:
            case.undelivered_reports += 1
            case.all_ms.append(math.inf)
            continue
        latest = 0.0
        for got in arrival:
            at = got.get(seq)
            if at is None:
                latest = math.inf
                continue
            case.each_ms.append((at - post.sent) * 1000)
            latest = max(latest, at)
        if latest == math.inf:
            case.undelivered_reports += 1
        case.all_ms.append((latest - post.sent) * 1000)


# --- output ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(value: float) -> str:
    if math.isinf(value):
        return "never"
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def describe(case: Case) -> str:
    errors = sum(1 for p in case.posts if p.status != 201)
    span = max(p.answered for p in case.posts) - min(p.sent for p in case.posts)
    achieved = len(case.posts) / span if span > 0 else math.nan
    p = percentile
    cells = [
        f"{case.mode:>8} {case.consoles:>5} {case.rate:>4g}/s {achieved:>4.0f}/s "
        f"{len(case.posts):>4} {errors:>3}",
        f"{ms(p(case.all_ms, 0.5)):>7} {ms(p(case.all_ms, 0.99)):>7} "
        f"{ms(max(case.all_ms, default=math.nan)):>7}",
        f"{ms(p(case.each_ms, 0.5)):>7} {ms(p(case.each_ms, 0.99)):>7}",
        f"{ms(p(case.http_ms, 0.5)):>6} {ms(p(case.http_ms, 0.99)):>6}",
        f"{case.lost:>4} {case.out_of_order:>4} {case.duplicates:>4} {case.closed:>4} "
        f"{case.late:>7}",
        f"{case.server_cpu / case.window_s:>5.0%} {case.client_cpu / case.window_s:>5.0%} "
        f"{case.rest_cpu / case.window_s:>5.0%} "
        f"{case.drained_s:>6.1f}" + (" (drain timed out)" if case.drain_timed_out else ""),
    ]
    return " | ".join(cells)


HEADER = (
    "    mode  cons   rate    got  sent err |  all p50  all p99  all max | each p50 each p99 "
    "|  POST p50   p99 | lost  ooo  dup shut    late | server client  rest drain s\n" + "-" * 150
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", default="100,1000")
    parser.add_argument("--rates", default="20,50")
    parser.add_argument("--modes", default="daphne,gunicorn")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of reports")
    parser.add_argument("--drain", type=float, default=60.0, help="longest wait after the last")
    parser.add_argument("--debug", action="store_true", help="servers with DJANGO_DEBUG=1")
    parser.add_argument(
        "--asgi", default="config.asgi:application", help="daphne's application (experiments)"
    )
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20000)), hard))
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis at {REDIS_URL} does not answer ({exc}): `bin/bootstrap test` starts it")
    ensure_database()
    django.setup()
    centre_id = set_up()
    load_sites()
    secret_key = secrets.token_urlsafe(48)
    env = server_env(secret_key, args.debug)
    cases = [
        Case(mode, int(n), float(r))
        for mode in args.modes.split(",")
        for n in args.consoles.split(",")
        for r in args.rates.split(",")
    ]
    print(
        f"{os.cpu_count()} CPUs; DJANGO_DEBUG={int(args.debug)}; {args.duration:g} s of reports "
        f"per case, one fresh server per case; channel layer RedisPubSub at {REDIS_URL}; "
        "times in ms from sending the POST",
        flush=True,
    )
    print(HEADER, flush=True)
    cookie = token = ""
    with tempfile.TemporaryDirectory(prefix="bench-console-") as logdir:
        for case in cases:
            with servers(case.mode, env, Path(logdir), args.asgi) as srv:
                if not cookie:  # sessions and tokens live in the database: sign in once
                    credentials = {"username": "bench-operator", "password": PASSWORD}
                    _, jar = http_json(srv.http_url, "/api/v1/auth/session/", credentials)
                    cookie = jar["sessionid"].value
                    answer, _ = http_json(
                        srv.http_url,
                        "/api/v1/auth/token/",
                        {"username": "bench-resident", "password": PASSWORD},
                    )
                    token = answer["token"]
                # Warm the server's pool connections (PostGIS initialises on first use).
                post_reports(srv.http_url, token, rate=20, duration=0.5, seed=0)
                asyncio.run(run_case(case, srv, cookie, token, centre_id, args))
            print(describe(case), flush=True)
            for post in [p for p in case.posts if p.error][:3]:
                print(f"    POST #{post.index} failed: {post.error}", flush=True)
    print(
        "rate = asked, got = reports per second the server really answered (16 POSTs in flight "
        "at most); all = until the last console had the report.created frame; each = every single "
        "delivery (never: not every console had it when the drain ended); lost = frames a console "
        "skipped (a later seq came, this one never); ooo = frames that were not exactly the "
        "previous seq + 1; dup = frames received twice; shut = consoles closed by the server; "
        "late = frames still undelivered when the drain ended (the server had fallen behind); "
        "server/client = CPU seconds per second of the run (100% = one core; server = daphne, "
        "plus gunicorn and its workers; rest = everything else on the machine: PostgreSQL, Redis "
        "and any other load); drain = from the last POST's answer to the last frame"
    )


if __name__ == "__main__":
    main()
