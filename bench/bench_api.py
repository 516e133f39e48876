"""API throughput against a bare WSGI app, both under app/gunicorn.conf.py, on loopback.

Starts a moto server (seeded with a catalog, a signing key, the plays table and a
user pool whose signed-in viewer's bearer token every playback request carries),
gunicorn serving `app.wsgi:app` as the catalog service (EDGEFLIX_SERVICE=catalog: the
titles and playback it measures are that service's, as on the fleet) and gunicorn
serving `bench/bare_app.py`, then
drives each target with keep-alive connections from a few client processes for a
bounded time and request count. Prints req/s, p50 and p99 per target and, as the
last line, the ratios to the bare app. The measured figures are also written as JSON
(default reports/bench-api.json), which `python -m capacity` reads for the per-instance
API throughput.

    python bench/bench_api.py [--seconds 8] [--connections 8] [--clients 2] [--result PATH]
                              [--service catalog|all]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from app.catalog import CATALOG_KEY, Catalog, Rendition, Title, master_key, poster_key, variant_key
from app.settings import environment_from_settings
from twin.seed import UserPoolIds, create_plays_table, create_user_pool, new_signing_pem

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "app" / "gunicorn.conf.py"
REGION = "us-east-1"
BUCKET = "edgeflix-media"
SECRET_ID = "edgeflix/cloudfront-signing-key"
TABLE = "edgeflix-plays"
TITLES = 40
MAX_PER_CONNECTION = 100_000
RESULT_PATH = ROOT / "reports" / "bench-api.json"


def free_port() -> int:
    """An unused TCP port on loopback."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sample_catalog(count: int) -> Catalog:
    """A catalog in the publisher's format with `count` synthetic titles."""
    genres = ["Drama", "Comedy", "Documentary", "Action", "Animation"]
    titles = []
    for i in range(count):
        title_id = f"t{i:02d}-bench-title"
        titles.append(
            Title(
                id=title_id,
                title=f"Bench Title {i}",
                synopsis="A title made up for the benchmark.",
                genres=[genres[i % 5], genres[(i + 2) % 5]],
                tags=[f"tag{i % 7}"],
                year=2000 + i % 25,
                duration=600.0,
                popularity=round((i % 10) / 10, 2),
                poster=poster_key(title_id),
                master=master_key(title_id),
                renditions=[
                    Rendition(
                        name=f"{h}p",
                        width=w,
                        height=h,
                        bandwidth=b,
                        playlist=variant_key(title_id, f"{h}p", h),
                    )
                    for w, h, b in (
                        (426, 240, 400_000),
                        (854, 480, 1_200_000),
                        (1280, 720, 2_800_000),
                    )
                ],
            )
        )
    return Catalog(titles=titles)


def seed_moto(endpoint: str) -> None:
    """Bucket + catalog, signing key secret, plays table, the viewers' user pool."""
    kwargs = {"region_name": REGION, "endpoint_url": endpoint}
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=sample_catalog(TITLES).model_dump_json())
    pem = new_signing_pem()
    boto3.client("secretsmanager", **kwargs).create_secret(Name=SECRET_ID, SecretString=pem)
    create_plays_table(boto3.client("dynamodb", **kwargs), TABLE)


BENCH_VIEWER = ("bench@example.com", "Bench-Viewer-1!")


def sign_in_bench_viewer(endpoint: str) -> tuple[UserPoolIds, str]:
    """moto's user pool (its JWKS served by the same moto server) and a viewer's access token."""
    idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint)
    ids = create_user_pool(idp, "bench-viewers")
    email, password = BENCH_VIEWER
    idp.sign_up(ClientId=ids.client_id, Username=email, Password=password)
    idp.admin_confirm_sign_up(UserPoolId=ids.pool_id, Username=email)
    result = idp.initiate_auth(ClientId=ids.client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": password})
    return ids, result["AuthenticationResult"]["AccessToken"]


def start_gunicorn(app_module: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn with the project's config, logs to a file."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app_module],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    """Poll until `url` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {timeout}s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM and wait (graceful), SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Target:
    """One thing to load: a name, a port and the raw request bytes."""

    name: str
    port: int
    request: bytes


def raw_request(method: str, path: str, *headers: str) -> bytes:
    """A keep-alive HTTP/1.1 request as bytes, with extra `Name: value` headers."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: bench-api", *headers]
    if method == "POST":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def exchange(sock: socket.socket, request: bytes, buffer: bytearray) -> int:
    """Send one request, read one Content-Length framed response; the status code."""
    sock.sendall(request)
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head = bytes(buffer[: end + 2]).lower()
    marker = head.find(b"content-length:")
    length = int(head[marker + 15 : head.find(b"\r\n", marker)]) if marker >= 0 else 0
    total = end + 4 + length
    while len(buffer) < total:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    status = int(head[9:12])
    del buffer[:total]
    return status


def connection_loop(target: Target, seconds: float, max_requests: int, out: list) -> None:
    """One keep-alive connection sending requests back to back."""
    latencies: list[float] = []
    errors = 0
    buffer = bytearray()
    with socket.create_connection(("127.0.0.1", target.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        clock = time.perf_counter
        deadline = clock() + seconds
        while len(latencies) < max_requests:
            start = clock()
            if start >= deadline:
                break
            status = exchange(sock, target.request, buffer)
            latencies.append(clock() - start)
            if status != 200:
                errors += 1
    out.append((latencies, errors))


def client_process(
    target: Target, connections: int, seconds: float, max_requests: int, queue
) -> None:
    """A client process: `connections` threads, one keep-alive connection each."""
    import threading

    results: list = []
    threads = [
        threading.Thread(target=connection_loop, args=(target, seconds, max_requests, results))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


@dataclass
class Tally:
    """Latencies and errors gathered for one target over all its rounds."""

    name: str
    latencies: list[float]
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        """Requests per second over the measured rounds."""
        return len(self.latencies) / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def drive(target: Target, clients: int, connections: int, seconds: float, tally: Tally) -> None:
    """One round: load a target from `clients` processes for `seconds` (or a request cap)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(
            target=client_process, args=(target, connections, seconds, MAX_PER_CONNECTION, queue)
        )
        for _ in range(clients)
    ]
    for process in processes:
        process.start()
    gathered = [queue.get(timeout=seconds + 60) for _ in processes]
    for process in processes:
        process.join()
    for batch in gathered:
        for latencies, errors in batch:
            tally.latencies.extend(latencies)
            tally.errors += errors
    # Each connection stops at its own deadline; the round lasts `seconds` of load.
    tally.seconds += seconds


def write_result(path: Path, tallies: dict[str, Tally], clients: int, connections: int) -> None:
    """The measured figures as JSON: when, on how many CPUs, and per target its req/s,
    p50/p99 in ms, request and non-200 counts (`endpoints` maps target name to those)."""
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "clients": clients,
        "connections_per_client": connections,
        "endpoints": {
            t.name: {
                "rps": round(t.rps, 1),
                "p50_ms": round(t.percentile_ms(0.5), 3),
                "p99_ms": round(t.percentile_ms(0.99), 3),
                "requests": len(t.latencies),
                "errors": t.errors,
            }
            for t in tallies.values()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; the ratios are the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per target (max 60)")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds per target")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per client")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: conf)")
    parser.add_argument("--service", choices=("catalog", "all"), default="catalog",
                        help="the API process's EDGEFLIX_SERVICE (all: every service)")
    parser.add_argument("--result", type=Path, default=RESULT_PATH,
                        help="write the measured figures as JSON here")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, 60.0)
    # moto accepts any credentials; never let the bench pick up real ones.
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ[name] = value
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        stack.callback(moto.stop)
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        seed_moto(endpoint)
        pool, token = sign_in_bench_viewer(endpoint)
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            **environment_from_settings({
                "service": args.service,
                "cookie_secure": False,
                "user_pool_id": pool.pool_id,
                "user_pool_client_id": pool.client_id,
                "jwks_url": f"{endpoint}/{pool.pool_id}/.well-known/jwks.json",
            }),
        }
        if args.workers:
            env["GUNICORN_WORKERS"] = str(args.workers)
        api_port, bare_port = free_port(), free_port()
        api = start_gunicorn("app.wsgi:app", api_port, env, Path(tmp) / "api.log")
        stack.callback(stop, api)
        bare = start_gunicorn("bench.bare_app:app", bare_port, env, Path(tmp) / "bare.log")
        stack.callback(stop, bare)
        wait_ready(f"http://127.0.0.1:{api_port}/readyz", api)
        wait_ready(f"http://127.0.0.1:{bare_port}/", bare)

        targets = [
            Target("bare", bare_port, raw_request("GET", "/")),
            Target("titles", api_port, raw_request("GET", "/api/v1/titles")),
            Target(
                "playback", api_port,
                raw_request("POST", "/api/v1/titles/t07-bench-title/playback",
                            f"Authorization: Bearer {token}"),
            ),
        ]
        print(
            f"service {args.service}; "
            f"loopback, {os.cpu_count()} CPUs, {args.clients} client processes x "
            f"{args.connections} keep-alive connections, {seconds:g}s per target"
        )
        tallies = {t.name: Tally(t.name, []) for t in targets}
        for target in targets:  # warm-up: first requests fill caches and connection pools
            drive(target, args.clients, args.connections, 0.5, Tally(target.name, []))
        # Short interleaved rounds, so a change in background load hits every target alike.
        for _ in range(args.rounds):
            for target in targets:
                drive(
                    target,
                    args.clients,
                    args.connections,
                    seconds / args.rounds,
                    tallies[target.name],
                )
        for tally in tallies.values():
            print(
                f"{tally.name:9s} {tally.rps:9.0f} req/s  p50 {tally.percentile_ms(0.5):6.2f} ms  "
                f"p99 {tally.percentile_ms(0.99):6.2f} ms  "
                f"({len(tally.latencies)} requests, {tally.errors} non-200)"
            )
        results = tallies
        write_result(args.result, tallies, args.clients, args.connections)
        bare_rps = results["bare"].rps
        failed = sum(r.errors for r in results.values())
        print(
            f"ratios to bare: playback {results['playback'].rps / bare_rps:.2f} (goal 0.60), "
            f"titles {results['titles'].rps / bare_rps:.2f} (goal 0.80)"
        )
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
