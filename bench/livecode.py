"""Benchmark: the live code page /j/<code>/ against an empty Django view, on a real gunicorn.

    python bench/livecode.py --seconds 20 [--redis-down] [--workers 4] [--clients 4]
    DATABASE_URL=postgres://… python bench/livecode.py --seconds 20

Seeds a live code whose pool holds groups with room, groups already full and groups whose image has
expired (interleaved, so a wrong choice would show), starts a Redis (unless --redis-down: then the live
codes' Redis URL names a port where nothing listens, the whole run) and gunicorn (sync workers, 127.0.0.1)
with the production settings plus BENCH_EMPTY_VIEW, which routes /bench/empty/ (Django's whole request path,
an empty response). The same client processes then alternate between the two URLs for --seconds in all (half
each), in slices of about a second that every client starts at the same instant, so both views are measured
under the same load and the machine's drift falls on both alike; each request is on a new connection, as
gunicorn's sync workers want. Afterwards the scans the workers counted are flushed (the beat task's code) and
the database's counts read.

The last line on stdout is one JSON object: {"requests", "per_second", "empty_per_second", "ratio",
"p95_ms", "scans_counted", "full_group_shown", "errors"}: requests made to the live code page (answered
200), its rate and the empty view's, their ratio, the page's 95th percentile latency, scans the database
counted afterwards (must equal requests), how many answers showed a group past its room or with an expired
image, and failed requests of either kind (warm-up included). Progress goes to stderr. Exit status 1 when scans
were lost, a full group was shown or a request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "bench"
MARGIN = 5
MEMBERS_IN_OPEN_GROUP = 10
SLICES = 6  # alternations between the two views, at least
GROUP_RE = re.compile(rb'data-group="(\d+)"')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def base_env(var_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "LIVECODE_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="communityops.settings",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        COMMUNITYOPS_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        LIVECODE_REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,  # production refuses the filesystem broker; nothing is sent here
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        BENCH_EMPTY_VIEW="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def seed(groups_open: int) -> dict[int, int]:
    """The pool: open groups (10 members each) interleaved with full ones and ones whose image expired.
    Returns each group's room for scans (0 for the full and expired ones)."""
    import io

    import segno
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from livecodes import services
    from livecodes.models import LiveCode, QRImage
    from members.models import Group, Member, Membership

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # as a deployment does: the page links them
    LiveCode.objects.filter(slug=SLUG).delete()
    Group.objects.filter(code__startswith="BENCH-").delete()
    Member.objects.filter(external_id__startswith="BENCH-").delete()
    owner, _ = User.objects.get_or_create(username="bench-owner")
    code = services.live_code_save(LiveCode(slug=SLUG, name="川药掌柜VIP会员群", owner=owner, margin=MARGIN,
                                            contact_text="加客服微信 chuanyao-kefu"))  # fmt: skip
    out = io.BytesIO()
    segno.make("https://weixin.qq.com/g/bench").save(out, kind="png", scale=4)
    picture = out.getvalue()
    rooms: dict[int, int] = {}
    layout = []
    for n in range(groups_open):
        if n % 10 == 0:
            layout += ["full", "expired"]
        layout.append("open")
    members, memberships = [], []
    for n, kind in enumerate(layout):
        group = Group.objects.create(code=f"BENCH-{n:04d}", name=f"压测群{n}", capacity=500)
        count = 200 if kind == "full" else MEMBERS_IN_OPEN_GROUP
        people = [Member(external_id=f"BENCH-{n}-{m}") for m in range(count)]
        members += people
        memberships += [(person, group) for person in people]
        entry = services.pool_add(live_code=code, group=group)
        image = services.image_upload(entry=entry, upload=SimpleUploadedFile("qr.png", picture))
        if kind == "expired":
            past = timezone.now() - timezone.timedelta(minutes=1)
            QRImage.objects.filter(pk=image.pk).update(expires_at=past, uploaded_at=past - timezone.timedelta(days=7))
        rooms[group.pk] = 200 - MARGIN - MEMBERS_IN_OPEN_GROUP if kind == "open" else 0
    Member.objects.bulk_create(members, batch_size=2000)
    Membership.objects.bulk_create([Membership(member=m, group=g) for m, g in memberships], batch_size=2000)
    return rooms


def _get(port: int, path: str) -> tuple[int, bytes]:
    # A long timeout: a request given up on by the client may still be served and its scan counted, which would
    # read as a count without a request (a worker's first answer can take seconds on a busy machine).
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def client_loop(port: int, paths: list[str], start: float, slice_seconds: float, slices: int, out) -> None:
    """One client process, one request at a time: from `start`, `slices` slices of `slice_seconds`, slice n
    requesting paths[n % len(paths)]. Every client switches at the same instants, so each view is measured under
    the same load and the same drift of the machine. A request counts in the slice it started in. Sends back, per
    path, (ok, errors, latencies, groups shown, pages showing none, first error)."""
    results = {path: {"ok": 0, "errors": 0, "latencies": [], "shown": {}, "none": 0, "first_error": "",
                      "per_slice": {}} for path in paths}  # fmt: skip
    end = start + slice_seconds * slices
    while (now := time.time()) < end:
        if now < start:
            time.sleep(start - now)
            continue
        n = int((now - start) // slice_seconds)
        path = paths[n % len(paths)]
        result = results[path]
        started = time.perf_counter()
        try:
            status, body = _get(port, path)
        except OSError:
            result["errors"] += 1
            continue
        result["latencies"].append((time.perf_counter() - started) * 1000)
        if status != 200:
            result["errors"] += 1
            result["first_error"] = result["first_error"] or f"{path}: {status} {body[:300]!r}"
            continue
        result["ok"] += 1
        result["per_slice"][n] = result["per_slice"].get(n, 0) + 1
        if path.startswith("/j/"):
            match = GROUP_RE.search(body)
            if match:
                group = int(match.group(1))
                result["shown"][group] = result["shown"].get(group, 0) + 1
            else:
                result["none"] += 1
    out.put(results)


def run_clients(port: int, paths: list[str], seconds: float, clients: int, slices: int) -> dict[str, list[dict]]:
    """`clients` processes alternating between `paths` in `slices` slices for `seconds` in all; per path, each
    client's results."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + 0.5  # every process started and waiting before the first slice
    args = (port, paths, start, seconds / slices, slices, queue)
    procs = [ctx.Process(target=client_loop, args=args) for _ in range(clients)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join()
    return {path: [result[path] for result in results] for path in paths}


def p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--redis-down", action="store_true", help="the live codes' Redis is down the whole run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4, help="client processes (each one request at a time)")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-livecode-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'bench.sqlite3'}"
    redis_process = None
    redis_port = free_port()
    if not args.redis_down:
        redis_process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(redis_port, redis_process)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = base_env(var_dir, database_url, redis_url)
    setup_django(env)
    # Enough open groups that the pool never runs out during the run (well over any rate seen here).
    rooms = seed(groups_open=max(20, int(args.seconds * 3000 / (200 - MARGIN - MEMBERS_IN_OPEN_GROUP)) // 2))
    log(f"seeded {len(rooms)} groups ({sum(1 for r in rooms.values() if r)} with room); database {database_url}")

    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "communityops.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--error-logfile", str(var_dir / "gunicorn.log")],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(var_dir / "django.log", "w"), start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, gunicorn)
        warm = []
        for path in ("/bench/empty/", f"/j/{SLUG}/"):  # every worker imports and connects before timing
            warm += run_clients(port, [path], 1.0, args.clients, slices=1)[path]
        counted_before = sum(r["ok"] for r in warm[len(warm) // 2 :])  # the warm-up's page requests
        slices = 2 * max(SLICES, round(args.seconds / 2))  # about a second each, at least 12
        log(f"timing: {args.clients} clients, {slices} slices of {args.seconds / slices:.2f} s, alternating")
        timed = run_clients(port, ["/bench/empty/", f"/j/{SLUG}/"], args.seconds, args.clients, slices)
        empty, page = timed["/bench/empty/"], timed[f"/j/{SLUG}/"]
        per_slice = [sum(r["per_slice"].get(n, 0) for r in empty + page) for n in range(slices)]
        pairs = sorted(round(per_slice[n + 1] / per_slice[n], 3) for n in range(0, slices, 2) if per_slice[n])
        log(f"requests per slice: {per_slice}; page/empty per pair of slices, sorted: {pairs}")
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=60)

    from livecodes.counting import scans_flush
    from livecodes.models import LiveCode, QRImage

    # The workers added their counts as they exited; this adds any a worker left behind (the beat task's code).
    scans_flush()
    leases = 0
    if redis_process is not None:
        import redis

        stats = redis.Redis.from_url(redis_url).info("commandstats")
        leases = sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))
        redis_process.terminate()
        redis_process.wait(timeout=30)
    counted = sum(QRImage.objects.values_list("scans", flat=True)) + sum(
        LiveCode.objects.values_list("unavailable_scans", flat=True)
    )
    requests = sum(r["ok"] for r in page)
    seconds_each = args.seconds / 2
    shown: dict[int, int] = {}
    for result in page + warm:  # the warm-up's scans took places too
        for group, count in result["shown"].items():
            shown[group] = shown.get(group, 0) + count
    # A group shown past its room (or seeded full, or with an expired image) counts every showing beyond it.
    full_shown = sum(max(0, count - rooms.get(group, 0)) for group, count in shown.items())
    per_second = requests / seconds_each
    empty_per_second = sum(r["ok"] for r in empty) / seconds_each
    result = {
        "requests": requests,
        "per_second": round(per_second, 1),
        "empty_per_second": round(empty_per_second, 1),
        "ratio": round(per_second / empty_per_second, 3) if empty_per_second else 0.0,
        "p95_ms": round(p95([lat for r in page for lat in r["latencies"]]), 2),
        "scans_counted": counted - counted_before,
        "full_group_shown": full_shown,
        "errors": sum(r["errors"] for r in page + empty + warm),  # the warm-up's too
    }
    from livecodes.models import ScanHold

    log(
        f"pages with no group shown: {sum(r['none'] for r in page)}; redis {'down' if args.redis_down else 'up'}; "
        f"scans taken on the database path: {ScanHold.objects.count()}; Redis asked for places {leases} times "
        f"({leases / max(1, requests + counted_before):.3f} a scan, warm-up included)"
    )
    if result["errors"]:
        first = next((r["first_error"] for r in page + empty if r["first_error"]), "")
        log(f"errors: {first}; see {var_dir / 'gunicorn.log'}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    print(json.dumps(result))
    ok = result["scans_counted"] == requests and full_shown == 0 and result["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
