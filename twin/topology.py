"""The local twin: every AWS part of the stack as a real process on loopback.

    viewer ─▶ nginx (CloudFront: behaviours, function, signed cookies, headers)
               └─▶ Varnish (CloudFront's cache: keys, TTLs, X-Cache, Age)
                    ├─▶ moto server, path-style /<bucket>/<key>  (S3 media origin)
                    └─▶ HAProxy + X-Origin-Verify  (ALB) ─▶ N instances (the ASG)
                         path rules per service         each: 4 gunicorn process groups
    moto server also stands in for Secrets Manager and DynamoDB.

Every instance runs the API's four services (app/service_map.py) as gunicorn process
groups of their own, `EDGEFLIX_SERVICE` set to each: catalog on the instance's port
(state.json's `api-N`, the group's process name `api-N` too), accounts, plans and
recommendations on the ports after it by their `port_offset` (process names
`accounts-N`, `plans-N`, `recommendations-N`). The catalog group asks its own
instance's plans group for plans (`EDGEFLIX_PLANS_URL`). HAProxy has one backend per
service, each health-checking its own port.

Everything comes from the stack file (N = minSize, health path, cookie TTL)
and edge-config. `Twin.up()` starts it, `Twin.down()` stops what `state.json`
says it started. With `autoscale`, the twin's Auto Scaling group (`twin.fleet`, a
process of its own) scales N between minSize and maxSize by the stack's policies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from app.catalog import CATALOG_KEY
from app.service_map import CATALOG, SERVICES, ServiceRoute, service_named
from app.settings import ENV_PREFIX, environment_from_settings
from edge.config import EdgeConfig, load_edge_config
from infra.config import load_stack
from loadtest.accounts import SignInFailed, ViewerCredentials, sign_up_and_sign_in
from twin import processes
from twin.alb import AlbTwin, write_alb
from twin.edge.nginx import NginxEdge, write_nginx_edge
from twin.edge.varnish import (
    ApiOrigin,
    MediaOrigin,
    VarnishEdge,
    ban_expression,
    varnish_request_limits,
    write_varnish_edge,
)
from twin.fleet import DEFAULT_TIME_SCALE, FLEET_FILE, load_record
from twin.fleet import MARKER as FLEET_MARKER
from twin.release import Release
from twin.release import prepare as prepare_release
from twin.seed import (
    aws_environment,
    client,
    origin_secret,
    seed_aws,
    seed_user_pool,
    signing_key,
    signing_secret,
    write_private,
)
from twin.state import (
    DEFAULT_RUN_DIR,
    STATE_FILE,
    TwinPorts,
    TwinState,
    group_name,
    instance_name,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# A process name's part before "-N" for each service's group (the catalog's keeps "api").
SERVICE_PARTS = {group_name(s.name, "api-1").rsplit("-", 1)[0]: s for s in SERVICES}
PLAYER_DIR = REPO_ROOT / "player"
STARTUP_TIMEOUT = 30.0
# gunicorn drains in-flight requests on SIGTERM; a twin has none worth waiting longer for.
STOP_TIMEOUT = 8.0
# How often the twin's API workers re-read the signing secret (production: the
# settings default, 60 s); short, so a rotation test sees the switch within seconds.
SIGNING_KEY_REFRESH_SECONDS = 2.0
# The small services' gunicorn: one worker (2 cores for the whole twin), threads for their
# waits on DynamoDB and Cognito; the catalog service, which grants playback to every
# viewer, keeps TWIN_GUNICORN_* (2 x 8).
SMALL_SERVICE_WORKERS, SMALL_SERVICE_THREADS = 1, 4


def player_files() -> dict[str, Path]:
    """The player page's bucket keys (hls.js comes from `npm ci` in player/)."""
    hls = PLAYER_DIR / "node_modules" / "hls.js" / "dist" / "hls.min.js"
    if not hls.is_file():
        raise FileNotFoundError(f"{hls} is missing: run `npm ci` in {PLAYER_DIR}")
    return {
        "index.html": PLAYER_DIR / "index.html",
        "player/app.js": PLAYER_DIR / "app.js",
        "player/browse.js": PLAYER_DIR / "browse.js",
        "player/plans.js": PLAYER_DIR / "plans.js",
        "player/views.js": PLAYER_DIR / "views.js",
        "player/hls.min.js": hls,
    }


class Twin:
    """Start, inspect and stop the loopback twin of one stack."""

    def __init__(self, *, stack: str = "dev", run_dir: Path = DEFAULT_RUN_DIR,
                 ports: TwinPorts | Callable[[int], TwinPorts] = TwinPorts.defaults,
                 titles: int = 12,
                 seconds: int | None = None, warm_top: int = 3,
                 profile: str = "ci",
                 progress: Callable[[str], None] | None = None,
                 edge_config: EdgeConfig | None = None,
                 cookie_ttl: int | None = None,
                 autoscale: bool = False, time_scale: float = DEFAULT_TIME_SCALE,
                 stack_root: Path | None = None, from_bundle: bool = True) -> None:
        self.stack_name = stack
        self.stack = load_stack(stack, stack_root)
        # The twin's ASG: target tracking on a clock `time_scale` times faster (fleet.py).
        self.autoscale = autoscale
        self.time_scale = time_scale
        # Autoscaled instances start from the app bundle (twin/release.py), not the checkout.
        self.from_bundle = from_bundle
        self.release: Release | None = None
        self.edge = edge_config or load_edge_config()
        self.run_dir = Path(run_dir)
        # `ports` is a recorded set (a running twin's) or a factory given the fleet size.
        self.ports = ports if isinstance(ports, TwinPorts) else ports(self.stack.min_size)
        if len(self.ports.api) != self.stack.min_size:
            raise ValueError(f"{len(self.ports.api)} API ports for minSize "
                             f"{self.stack.min_size}")
        self.titles = titles
        self.seconds = seconds
        # Tests shorten the grant (the API's minimum is 60 s) to watch renewals happen.
        self.cookie_ttl = cookie_ttl or self.stack.signed_cookie_ttl
        # The library profile (media.sample): `python -m twin up` asks for "demo";
        # the default stays the cheap "ci" one so a test never encodes 20 minutes.
        self.profile = profile
        self.warm_top = warm_top
        self.say = progress or (lambda _line: None)
        self._procs: dict[str, subprocess.Popen] = {}
        self._viewer: ViewerCredentials | None = None
        self.state = TwinState(
            cdn_url=f"http://127.0.0.1:{self.ports.edge}",
            alb_url=f"http://127.0.0.1:{self.ports.alb}",
            moto_url=f"http://127.0.0.1:{self.ports.moto}",
            bucket=self.stack.name("media"),
            table=self.stack.name("plays"),
            secret_id=f"edgeflix/{self.stack.environment}/cloudfront-signing-key",
            key_pair_id="",
            catalog_key=CATALOG_KEY,
            stack=stack,
            run_dir=str(self.run_dir),
            ports=self.ports.all(),
            profile=profile,
            library_titles=titles,
            library_seconds=seconds,
            cookie_ttl=self.cookie_ttl,
            stack_root=str(stack_root or ""),
            autoscale=autoscale, time_scale=time_scale,
        )

    @classmethod
    def attach(cls, run_dir: Path = DEFAULT_RUN_DIR) -> Twin:
        """The twin running from `run_dir`, as its state file records it.

        Raises StartupFailed when no twin was started there, StateFileError when
        state.json is damaged.
        """
        state = TwinState.load(run_dir)
        if state is None:
            raise processes.StartupFailed(f"no twin runs from {run_dir} (`python -m twin up`)")
        twin = cls(stack=state.stack, run_dir=Path(run_dir),
                   ports=TwinPorts.from_mapping(state.ports),
                   titles=state.library_titles, seconds=state.library_seconds,
                   profile=state.profile, cookie_ttl=state.cookie_ttl or None,
                   stack_root=Path(state.stack_root) if state.stack_root else None,
                   autoscale=state.autoscale, time_scale=state.time_scale or DEFAULT_TIME_SCALE)
        twin.state = state
        return twin

    # ---- paths ---------------------------------------------------------------

    @property
    def secret_file(self) -> Path:
        return self.run_dir / "origin-verify.secret"

    @property
    def key_file(self) -> Path:
        return self.run_dir / "signing-key.pem"

    @property
    def next_key_file(self) -> Path:
        """The staged next signing key: trusted at the edge, named `next` in the secret."""
        return self.run_dir / "signing-key-next.pem"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    # ---- lifecycle -----------------------------------------------------------

    def up(self) -> TwinState:
        """Start every part, publish the sample library and the player, wait for health."""
        started = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._check_ports_free()
        self.state.started_at = time.time()
        (self.run_dir / FLEET_FILE).unlink(missing_ok=True)
        # A fresh signing key and origin secret for every start.
        self.key_file.unlink(missing_ok=True)
        self.next_key_file.unlink(missing_ok=True)
        self.secret_file.unlink(missing_ok=True)
        key = signing_key(self.key_file)
        signing_key(self.next_key_file)
        origin_secret(self.secret_file)
        self.state.key_pair_id = key.key_pair_id
        n = self.stack.min_size
        # Every process starts at once (the slow parts, moto's imports, gunicorn's
        # boots and Varnish's VCL compile, overlap); then each is waited for in order.
        steps: list[tuple[str, Callable[[], None]]] = [
            ("render configs, start moto, HAProxy, Varnish and nginx", self._spawn_all),
            (f"moto server (S3, Secrets Manager, DynamoDB, Cognito) on :{self.ports.moto}, "
             "seeded", self._wait_origin),
            # The API's settings name the user pool, which exists once moto is seeded.
            (f"{n} API instance(s), each {len(SERVICES)} gunicorn process groups ("
             + ", ".join(s.name for s in SERVICES) + ") from "
             + ", ".join(f":{p}" for p in self.ports.api), self._start_fleet),
            (f"HAProxy as the ALB on :{self.ports.alb}, health {self.stack.health_check_path}",
             lambda: self._wait("alb", processes.http_ok(f"{self.state.alb_url}/", status=403),
                                "HAProxy")),
            (f"Varnish as CloudFront's cache on :{self.ports.cache}",
             lambda: self._wait("cache", processes.tcp_open(self.ports.cache), "Varnish")),
            (f"nginx + njs as the CloudFront edge on :{self.ports.edge}",
             lambda: self._wait("edge", processes.http_ok(
                 f"{self.state.cdn_url}{self.stack.health_check_path}"),
                 "edge (healthz through the ALB)")),
            (f"publish {self.titles} title(s) + the player page", self._publish),
            ("API ready, playback through the edge", self.wait_ready),
            (f"warm the edge with the top {self.warm_top} title(s)", self._warm),
        ]
        if self.autoscale and self.from_bundle:
            steps.append(("the API bundle as the ASG's instances install it (unpacked, venv from "
                          "its requirements; built once per bundle digest)", self._prepare_release))
        if self.autoscale:
            steps.append((
                f"autoscaler: {n}..{self.stack.max_size} instances, target tracking on "
                f"{self.stack.target_requests_per_target} requests/target/min and "
                f"{self.stack.target_cpu_percent} % CPU, clock x{self.time_scale:g} "
                f"(a 60 s period is {60 / self.time_scale:g} s)", self._start_autoscaler))
        try:
            for i, (what, step) in enumerate(steps, start=1):
                t0 = time.monotonic()
                self.say(f"[{i}/{len(steps)}] {what} ...")
                step()
                self.say(f"      ok in {time.monotonic() - t0:.1f} s")
        except BaseException:
            self.state.save(self.run_dir)
            self.down()
            raise
        self.state.startup_seconds = round(time.monotonic() - started, 1)
        self.state.save(self.run_dir)
        return self.state

    def down(self) -> list[str]:
        """Stop every process this run started, viewers' side first; safe to repeat."""
        recorded = TwinState.load(self.run_dir) or self.state
        stopped = []
        # The autoscaler first, so it launches nothing while the rest stops.
        front_to_back = ("fleet", "edge", "cache", "alb", "api", "moto")

        def order(name: str) -> int:
            part = name.split("-")[0]
            return front_to_back.index("api" if part in SERVICE_PARTS else part)

        for name in sorted(recorded.pids, key=order):
            pid = recorded.pids[name]
            t0 = time.monotonic()
            if processes.stop(pid, recorded.markers.get(name, ""), timeout=STOP_TIMEOUT):
                stopped.append(name)
                self.say(f"      stopped {name} (pid {pid}) in {time.monotonic() - t0:.1f} s")
        for name, inst in ((load_record(self.run_dir) or {}).get("instances") or {}).items():
            for service, pid in (inst.get("pids") or {"catalog": inst["pid"]}).items():
                if processes.stop(pid, "gunicorn", timeout=STOP_TIMEOUT):
                    stopped.append(f"{group_name(service, name)} (autoscaled)")
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.wait(timeout=10)
        (self.run_dir / STATE_FILE).unlink(missing_ok=True)
        self.secret_file.unlink(missing_ok=True)
        self.key_file.unlink(missing_ok=True)
        return stopped

    # ---- the parts -----------------------------------------------------------

    def _check_ports_free(self) -> None:
        ports = {name: port for name, port in self.ports.all().items()
                 if not name.startswith("api-")}
        for i, base in enumerate(self.ports.api, start=1):
            ports.update({group_name(s.name, instance_name(i)): s.port(base) for s in SERVICES})
        busy = [f"{name} :{port}" for name, port in ports.items()
                if not processes.port_is_free(port)]
        if busy:
            raise processes.StartupFailed(
                "ports in use: " + ", ".join(busy)
                + " (is a twin already running? `python -m twin down`)")

    def _spawn(self, name: str, argv: list[str], marker: str,
               env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = processes.spawn(name, argv, self.logs, env=env, cwd=REPO_ROOT)
        self._procs[name] = proc
        self.state.pids[name] = proc.pid
        self.state.markers[name] = marker
        self.state.save(self.run_dir)
        return proc

    def _wait(self, name: str, ready: Callable[[], bool], what: str) -> None:
        processes.wait_until(ready, what, STARTUP_TIMEOUT, self._procs.get(name),
                             self.logs / f"{name}.log")

    def _spawn_all(self) -> None:
        self._spawn_origin()
        self._spawn_alb()
        self._spawn_cache()
        self._spawn_edge()

    def _spawn_origin(self) -> None:
        argv = [sys.executable, "-m", "twin.moto_server", "-H", "127.0.0.1",
                "-p", str(self.ports.moto)]
        # Ids derived from the pool's name and settings: a restarted moto (an origin
        # outage) recreates the same pool and client ids the running API was given.
        env = {**os.environ, "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
               "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH"}
        self._spawn("moto", argv, "twin.moto_server", env=env)

    def start_origin(self) -> None:
        """Start the moto server again after `stop_origin`, seeded and published."""
        self._spawn_origin()
        self._wait_origin()

    def _wait_origin(self) -> None:
        self._wait("moto", processes.http_ok(f"{self.state.moto_url}/moto-api/data.json"),
                   "moto server")
        seed_aws(self.state.moto_url, bucket=self.state.bucket, table=self.state.table,
                 secret_id=self.state.secret_id, key=signing_key(self.key_file),
                 next_key=signing_key(self.next_key_file))
        pool = seed_user_pool(self.state.moto_url, self.stack.name("viewers"))
        self.state.user_pool_id, self.state.user_pool_client_id = pool.pool_id, pool.client_id
        self.state.save(self.run_dir)
        if self.state.titles:  # a restart: the stand-in forgot its objects
            self._publish()

    def rotate_signing_key(self) -> str:
        """Switch the signing key as `make rotate-signing-key STEP=switch` does; the new key id.

        The next key becomes current in the secret (and the old one next); the edge
        already trusts both, and each API worker picks the switch up within
        SIGNING_KEY_REFRESH_SECONDS. The key files swap too, so a restarted moto is
        seeded with the rotated secret.
        """
        old, new = self.key_file.read_text(), self.next_key_file.read_text()
        write_private(self.key_file, new)
        write_private(self.next_key_file, old)
        key, upcoming = signing_key(self.key_file), signing_key(self.next_key_file)
        client("secretsmanager", self.state.moto_url).put_secret_value(
            SecretId=self.state.secret_id, SecretString=signing_secret(key, upcoming))
        self.state.key_pair_id = key.key_pair_id
        self.state.save(self.run_dir)
        return key.key_pair_id

    def stop_origin(self, sig: int = signal.SIGTERM) -> None:
        """Stop the moto server (the origin outage of the chaos tests)."""
        processes.stop(self.state.pids["moto"], "twin.moto_server", sig=sig)
        self.state.pids.pop("moto")
        self.state.save(self.run_dir)

    def _api_env(self, port: int, service: ServiceRoute = CATALOG) -> dict[str, str]:
        """The environment of `service`'s gunicorn group on the instance whose catalog
        service listens on `port`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", ENV_PREFIX))}
        env.update(aws_environment(self.state.moto_url))
        small = service is not CATALOG
        env.update({
            "GUNICORN_BIND": f"127.0.0.1:{service.port(port)}",
            "GUNICORN_WORKERS": str(SMALL_SERVICE_WORKERS) if small
            else os.environ.get("TWIN_GUNICORN_WORKERS", "2"),
            "GUNICORN_THREADS": str(SMALL_SERVICE_THREADS) if small
            else os.environ.get("TWIN_GUNICORN_THREADS", "8"),
        })
        env.update(environment_from_settings({
            "service": service.name,
            # The catalog service reads plans from its own instance's plans service.
            "plans_url": f"http://127.0.0.1:{service_named('plans').port(port)}"
            if service is CATALOG else None,
            "bucket": self.state.bucket,
            "catalog_key": self.state.catalog_key,
            "signing_secret_id": self.state.secret_id,
            "table": self.state.table,
            "key_pair_id": self.state.key_pair_id,
            "cdn_url": self.state.cdn_url,
            "cookie_ttl": self.cookie_ttl,
            "signing_key_refresh_seconds": SIGNING_KEY_REFRESH_SECONDS,
            "cookie_secure": False,  # plain http on loopback
            "user_pool_id": self.state.user_pool_id or None,
            "user_pool_client_id": self.state.user_pool_client_id or None,
            # moto's tokens name the AWS issuer; its JWKS is served by the moto server.
            "jwks_url": (f"{self.state.moto_url}/{self.state.user_pool_id}/.well-known/jwks.json"
                         if self.state.user_pool_id else None),
        }))
        return env

    def instance_concurrency(self) -> int:
        """How many requests one API instance's catalog service answers at once
        (workers x threads)."""
        env = self._api_env(self.ports.api[0])
        return int(env["GUNICORN_WORKERS"]) * int(env["GUNICORN_THREADS"])

    API_ARGV = (sys.executable, "-m", "gunicorn", "-c", "app/gunicorn.conf.py", "app.wsgi:app")

    def start_api(self, index: int) -> None:
        """Start API instance `index` (1-based), all four services, as the ASG would
        replace one."""
        for service in SERVICES:
            self.start_group(service, index)

    def start_group(self, service: ServiceRoute, index: int) -> None:
        """Start `service`'s gunicorn group on instance `index` (1-based)."""
        port = self.ports.api[index - 1]
        self._spawn(group_name(service.name, instance_name(index)), list(self.API_ARGV),
                    "gunicorn", env=self._api_env(port, service))

    def launch_instance(self, name: str, port: int) -> dict[str, int]:
        """Start an API instance for the autoscaler, its catalog service on `port` and the
        others after it: from the release of the app bundle when there is one, else from
        the checkout. Each service's pid by service name (fleet.json, not state.json,
        records them)."""
        pids = {}
        for service in SERVICES:
            env = self._api_env(port, service)
            if self.release is None:
                argv, cwd = list(self.API_ARGV), REPO_ROOT
            else:
                # Nothing from the checkout: the release's own venv and files only.
                env.pop("PYTHONPATH", None)
                env.pop("VIRTUAL_ENV", None)
                argv, cwd = self.release.argv(), self.release.directory
            log = group_name(service.name, name)
            pids[service.name] = processes.spawn(log, argv, self.logs, env=env, cwd=cwd).pid
        return pids

    def _prepare_release(self) -> None:
        self.release = prepare_release()
        self.say(f"      {self.release.key} in {self.release.directory}")

    def _start_autoscaler(self) -> None:
        argv = [sys.executable, "-m", "twin.fleet", "--run-dir", str(self.run_dir)]
        if self.release is not None:
            argv += ["--release", str(self.release.directory), "--release-key",
                     self.release.key]
        self._spawn("fleet", argv, FLEET_MARKER)
        self._wait("fleet", lambda: (self.run_dir / FLEET_FILE).exists(), "autoscaler")

    def kill_api(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Kill API instance `index` (1-based), all four services, the hard way: no draining."""
        for service in SERVICES:
            name = group_name(service.name, instance_name(index))
            processes.stop(self.state.pids[name], "gunicorn", sig=sig)
            self.state.pids.pop(name)
        self.state.save(self.run_dir)

    def restart(self, name: str) -> None:
        """Start part `name` of the twin again (a state.json process name) and wait for it.

        A restarted moto server is seeded and published again; a restarted cache
        starts empty. Raises KeyError for an unknown name, StartupFailed when the
        part does not become ready.
        """
        if name == "moto":
            self.start_origin()
            return
        if name == "fleet":  # the autoscaler adopts the instances its predecessor launched
            if self.from_bundle:
                self._prepare_release()
            self._start_autoscaler()
            return
        part, _, number = name.rpartition("-")
        if part in SERVICE_PARTS:
            service, index = SERVICE_PARTS[part], int(number)
            self.start_group(service, index)
            self._wait_group(service, index)
            return
        spawn, ready = {
            "alb": (self._spawn_alb,
                    processes.http_ok(f"{self.state.alb_url}/", status=403)),
            "cache": (self._spawn_cache, processes.tcp_open(self.ports.cache)),
            "edge": (self._spawn_edge, processes.tcp_open(self.ports.edge)),
        }[name]
        spawn()
        self._wait(name, ready, name)

    def _start_fleet(self) -> None:
        for i in range(1, len(self.ports.api) + 1):
            self.start_api(i)
        self._wait_fleet()

    def _wait_fleet(self) -> None:
        for i in range(1, len(self.ports.api) + 1):
            for service in SERVICES:
                self._wait_group(service, i)

    def _wait_group(self, service: ServiceRoute, index: int, path: str = "") -> None:
        port = service.port(self.ports.api[index - 1])
        self._wait(group_name(service.name, instance_name(index)), processes.http_ok(
            f"http://127.0.0.1:{port}{path or self.stack.health_check_path}"),
            f"API instance {index}'s {service.name} service"
            + (" readiness" if path else ""))

    def alb_twin(self) -> AlbTwin:
        """The ALB twin's settings; with autoscale, one server slot per instance of maxSize."""
        return AlbTwin(
            port=self.ports.alb, instance_ports=self.ports.api,
            health_check_path=self.stack.health_check_path,
            idle_timeout=self.stack.alb_idle_timeout,
            read_timeout=max(o.read_timeout for o in self.edge.origins.values()),
            secret_file=self.secret_file, directory=self.run_dir / "alb",
            slots=self.stack.max_size if self.autoscale else 0,
        )

    def _spawn_alb(self) -> None:
        conf = write_alb(self.alb_twin())
        check = subprocess.run([processes.binary("haproxy"), "-c", "-q", "-f", str(conf)],
                               capture_output=True, text=True)
        if check.returncode:
            raise processes.StartupFailed(f"haproxy rejects {conf}:\n{check.stderr}")
        self._spawn("alb", [processes.binary("haproxy"), "-db", "-f", str(conf)], str(conf))

    def _varnish(self) -> VarnishEdge:
        return VarnishEdge(
            port=self.ports.cache, admin_port=self.ports.cache_admin,
            directory=self.run_dir / "cache",
            media=MediaOrigin(port=self.ports.moto, bucket=self.state.bucket),
            api=ApiOrigin(port=self.ports.alb, secret_file=self.secret_file),
        )

    def _spawn_cache(self) -> None:
        v = self._varnish()
        vcl = write_varnish_edge(self.edge, v)
        workdir = v.directory / "work"
        workdir.mkdir(parents=True, exist_ok=True)
        argv = [processes.binary("varnishd"), "-F", "-n", str(workdir), "-j", "none",
                "-a", f"127.0.0.1:{v.port}", "-T", f"127.0.0.1:{v.admin_port}", "-S", "none",
                "-f", str(vcl), "-s", "malloc,256m", "-P", str(v.directory / "varnishd.pid"),
                "-p", "thread_pool_min=50", "-p", "timeout_idle=65", *varnish_request_limits()]
        self._spawn("cache", argv, "varnishd")

    def _spawn_edge(self) -> None:
        # The key group: the current and the staged next key, as infra/signing.py.
        keys = [signing_key(self.key_file), signing_key(self.next_key_file)]
        nginx = NginxEdge(port=self.ports.edge, cache_port=self.ports.cache,
                          directory=self.run_dir / "edge",
                          trusted_keys={k.key_pair_id: k.public_spki_b64 for k in keys})
        conf = write_nginx_edge(self.edge, nginx)
        prefix = [processes.binary("nginx"), "-p", str(nginx.directory), "-c", str(conf)]
        check = subprocess.run([*prefix, "-t", "-q"], capture_output=True, text=True)
        if check.returncode:
            raise processes.StartupFailed(f"nginx rejects {conf}:\n{check.stderr}")
        self._spawn("edge", prefix, "nginx")

    def _publish(self) -> None:
        from media import LibrarySpec, generate_library, publish

        library = generate_library(LibrarySpec(titles=self.titles, seconds=self.seconds,
                                               profile=self.profile))
        report = publish(
            library, self.state.bucket,
            extra_files=player_files(),
            cdn_url=self.state.cdn_url,
            invalidate=self.invalidate if "cache" in self.state.pids else None,
            progress=False,
            probe=False,
            s3=client("s3", self.state.moto_url),
            edge_config=self.edge,
        )
        self._library = library
        self.state.titles = [t.id for t in library.catalog.titles]
        self.state.save(self.run_dir)
        self.say(f"      {report.summary()}")

    def _warm(self) -> None:
        """The publisher's edge warming, once the API can grant playback."""
        from media.warm import warm_edge

        if self.warm_top > 0:
            report = warm_edge(self.state.cdn_url, self._library.catalog, self.warm_top,
                               access_token=self.viewer_token())
            self.say(f"      {report.summary()}")

    def viewer_token(self) -> str:
        """An access token of the twin's own viewer (readiness, warming), signed up on first use.

        Raises SignInFailed when the API refuses.
        """
        return sign_up_and_sign_in(self.state.cdn_url, self.viewer_credentials(), timeout=2)

    def viewer_credentials(self) -> ViewerCredentials:
        """The twin's own viewer's email and password (generated once per Twin)."""
        if self._viewer is None:
            self._viewer = ViewerCredentials.generated("twin")
        return self._viewer

    def wait_ready(self) -> None:
        """Wait until every API instance is ready and a play works through the edge.

        Raises StartupFailed after STARTUP_TIMEOUT.
        """
        for i in range(1, len(self.ports.api) + 1):
            for service in SERVICES:
                if group_name(service.name, instance_name(i)) in self.state.pids:
                    self._wait_group(service, i, "/readyz")
        title = self.state.titles[0]

        def playable() -> bool:
            try:
                token = self.viewer_token()
            except (SignInFailed, requests.RequestException):
                return False
            grant = requests.post(f"{self.state.cdn_url}/api/v1/titles/{title}/playback",
                                  headers={"Authorization": f"Bearer {token}"}, timeout=2)
            if grant.status_code != 200:
                return False
            master = requests.get(grant.json()["manifest_url"], cookies=grant.cookies, timeout=2)
            return master.status_code == 200

        self._wait("edge", playable, "playback through the edge")

    # ---- operations ----------------------------------------------------------

    def invalidate(self, paths: list[str]) -> None:
        """CloudFront invalidation: ban each path (wildcards allowed) in Varnish."""
        for path in paths:
            result = subprocess.run(
                [processes.binary("varnishadm"), "-T", f"127.0.0.1:{self.ports.cache_admin}",
                 "-t", "5", "ban", ban_expression(path)],
                capture_output=True, text=True,
            )
            if result.returncode:
                raise RuntimeError(f"ban {path}: {result.stdout}{result.stderr}")
