"""DynamoDB calls per play: the Locust viewer's API requests, counted by operation.

Runs the API in-process (Flask test clients, several app instances standing for
gunicorn workers behind a round-robin balancer) against a moto server (its
user pool signs every viewer in, as playback requires), and drives
`--viewers` viewers through `--plays` plays each with the viewer model's mix
(loadtest/viewer.py): browse the catalog (always first, then with
BROWSE_SHARE), recommendations (RECOMMENDATIONS_SHARE of browses), title
detail, playback grant with the viewer's profile, one renewal, on a simulated
clock (see run()).

Every DynamoDB API call the app makes is counted by botocore's own
`before-call.dynamodb.*` event (once per call, before retries), not by its HTTP
traffic. The same run is made twice on a fresh moto server: with the read caches
of app/play_reads.py off (every TTL 0), then with the Settings defaults; the
last line is the ratio of calls per play. `--profile` adds cProfile's top
functions by own time for each run, and the API's own (app/) by cumulative time.

    python -m bench.dynamodb_calls [--viewers 300] [--plays 5] [--instances 2] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from flask import Flask
from moto.server import ThreadedMotoServer

from app import play_reads
from app import plays as plays_module
from app.aws import create_aws_clients
from app.catalog import CATALOG_KEY
from app.factory import create_app
from app.recommendations_api import DEGRADED_HEADER
from app.services import Services
from app.settings import Settings, settings_from_environment
from bench.bench_api import BUCKET, REGION, SECRET_ID, TABLE, TITLES, sample_catalog
from capacity.model import viewer_model
from loadtest.viewer import (
    BROWSE_SHARE,
    MAX_PAGES,
    PAGE_LIMIT,
    RECOMMENDATIONS_SHARE,
    ZIPF_S_DEFAULT,
    ZipfPicker,
)
from twin.seed import create_plays_table, create_user_pool, new_signing_pem

PASSWORD = "Bench-viewer-1!"
# The read caches' TTL fields; "uncached" sets each to 0.
CACHE_SETTINGS = ("history_cache_seconds", "coplay_cache_seconds", "trending_cache_seconds")
UNCACHED: dict[str, float] = dict.fromkeys(CACHE_SETTINGS, 0.0)


@dataclass(frozen=True)
class Tally:
    """DynamoDB calls by operation name over `plays` plays; UpdateItems by item kind."""

    plays: int
    calls: Counter[str]
    updates: Counter[str] = field(default_factory=Counter)

    @property
    def per_play(self) -> float:
        """All DynamoDB calls per play."""
        return sum(self.calls.values()) / self.plays

    def operation_per_play(self, operation: str) -> float:
        """Calls of one operation (e.g. "UpdateItem") per play."""
        return self.calls[operation] / self.plays


def item_kind(sort_key: str) -> str:
    """The kind of a plays-table item from its sort key: STATS, DAY#, COPLAY#, RECENT..."""
    head, sep, _ = sort_key.partition("#")
    return head + sep


@contextmanager
def counted_updates(dynamodb: Any) -> Iterator[Counter[str]]:
    """Count a boto3 DynamoDB client's UpdateItem calls by the kind of item they write
    (botocore's `before-parameter-build` event: once per call, with its parameters)."""
    updates: Counter[str] = Counter()

    def count(params: dict, **_: Any) -> None:
        updates[item_kind(params.get("Key", {}).get("sk", {}).get("S", "?"))] += 1

    dynamodb.meta.events.register("before-parameter-build.dynamodb.UpdateItem", count)
    try:
        yield updates
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", count)


@contextmanager
def counted_calls(dynamodb: Any) -> Iterator[Counter[str]]:
    """Count the API calls a boto3 DynamoDB client makes, by operation, while inside."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    dynamodb.meta.events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb", count)


def seed(settings: Settings, endpoint: str) -> tuple[str, str]:
    """Bucket with the bench catalog, the signing key secret, the plays table and a user
    pool with its app client, in the moto server at `endpoint`; the pool and client ids."""
    kwargs = {"region_name": REGION, "endpoint_url": endpoint}
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=settings.bucket)
    s3.put_object(Bucket=settings.bucket, Key=settings.catalog_key,
                  Body=sample_catalog(TITLES).model_dump_json())
    boto3.client("secretsmanager", **kwargs).create_secret(
        Name=settings.signing_secret_id, SecretString=new_signing_pem())
    create_plays_table(boto3.client("dynamodb", **kwargs), settings.table)
    pool = create_user_pool(boto3.client("cognito-idp", **kwargs), "bench-viewers")
    return pool.pool_id, pool.client_id


def access_token(idp: Any, client_id: str, pool_id: str, email: str) -> str:
    """A confirmed viewer's Cognito access token (signed up through boto3, as a player would
    through the accounts API; Cognito calls are not DynamoDB calls)."""
    idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return result["AuthenticationResult"]["AccessToken"]


class Viewer:
    """One viewer of the Locust model, making its API requests through `send`."""

    def __init__(self, number: int, rng: random.Random, token: str) -> None:
        self.profile = f"bench-{number:05d}"
        self.rng = rng
        self.picker: ZipfPicker | None = None
        self.token = token

    def play(self, fleet: Fleet) -> None:
        """Browse (sometimes), then one play: detail, grant, renewal (signed in)."""

        def send(method: str, path: str, body: dict | None = None) -> dict:
            return fleet.send(method, path, body, self.token)

        if self.picker is None or self.rng.random() < BROWSE_SHARE:
            titles: list[dict] = []
            offset: int | None = 0
            for _ in range(MAX_PAGES):
                page = send("GET", f"/api/v1/titles?limit={PAGE_LIMIT}&offset={offset}")
                titles += page["items"]
                offset = page["next_offset"]
                if offset is None:
                    break
            self.picker = ZipfPicker(titles, ZIPF_S_DEFAULT, self.rng)
            if self.rng.random() < RECOMMENDATIONS_SHARE:
                send("GET", f"/api/v1/recommendations?profile={self.profile}&limit=10")
        title_id = self.picker.pick()["id"]
        send("GET", f"/api/v1/titles/{title_id}")
        grant = send("POST", f"/api/v1/titles/{title_id}/playback", {"profile": self.profile})
        send("POST", f"/api/v1/titles/{title_id}/playback/renewal",
             {"renewal_token": grant["renewal_token"], "profile": self.profile})


class Fleet:
    """`instances` app instances, requests spread round robin as an ALB does."""

    def __init__(self, apps: list[Flask]) -> None:
        self.apps = apps
        self.clients = [app.test_client() for app in apps]
        self._next = 0

    def send(self, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
        """One request to the next instance; its JSON body. RuntimeError unless a 200
        that is not degraded (a degraded recommendation skipped DynamoDB)."""
        client = self.clients[self._next % len(self.clients)]
        self._next += 1
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(path, method=method, json=body, headers=headers)
        if response.status_code != 200 or DEGRADED_HEADER in response.headers:
            raise RuntimeError(f"{method} {path}: {response.status_code} "
                               f"{response.headers.get(DEGRADED_HEADER)} {response.data[:200]!r}")
        return response.get_json()

    def services(self) -> list[Services]:
        """Each instance's long-lived objects."""
        return [app.extensions["edgeflix"] for app in self.apps]


class SimulatedClock:
    """Seconds of simulated time: the read caches' timer during a run."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(
    endpoint: str,
    cache_settings: Mapping[str, float],
    viewers: int,
    plays: int,
    instances: int,
    seed_value: int = 12,
) -> Tally:
    """Drive the viewers on fresh moto tables; the DynamoDB calls counted per play.

    Time is simulated, so TTLs meet the traffic as in a real run: each viewer plays
    once per viewer-model cycle (capacity.model.viewer_model: think time plus mean
    watch time), the viewers' plays spread evenly over it, and the play writers
    flush every Settings.play_flush_seconds of it (their counter and co-play intervals
run on it too; the last flush writes what is left). `endpoint` is a fresh moto server's
    (measure() starts one per run); every viewer signs up and in first.
    """
    config: dict[str, Any] = {
        "endpoint_url": endpoint,
        "bucket": BUCKET,
        "table": TABLE,
        "signing_secret_id": SECRET_ID,
        "catalog_key": CATALOG_KEY,
        "catalog_refresh_seconds": 0,
        # Flushed by the loop below on the simulated clock (the writer thread never wakes).
        "play_flush_seconds": 3600,
        "plays_per_minute": 0,
        "renewals_per_minute": 0,
        "cookie_secure": False,
        # Every recommendation waits for its signals, however slow moto gets (a
        # degraded answer would skip DynamoDB and flatter the count).
        "recommendation_deadline_seconds": 60,
        **cache_settings,
    }
    settings = settings_from_environment().with_overrides(config)
    defaults = Settings()
    cycle = viewer_model(catalog_titles=TITLES, grant_ttl_seconds=defaults.cookie_ttl).cycle_seconds
    pool_id, client_id = seed(settings, endpoint)
    config.update(user_pool_id=pool_id, user_pool_client_id=client_id,
                  jwks_url=f"{endpoint}/{pool_id}/.well-known/jwks.json")
    idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint)
    clock = SimulatedClock()
    with mock.patch.object(play_reads, "monotonic", clock), \
            mock.patch.object(plays_module, "monotonic", clock):
        fleet = Fleet([create_app(config) for _ in range(instances)])
    rng = random.Random(seed_value)
    crowd = [
        Viewer(i, random.Random(rng.random()),
               access_token(idp, client_id, pool_id, f"viewer{i}@bench.example"))
        for i in range(viewers)
    ]
    next_flush = defaults.play_flush_seconds
    try:
        dynamodb = create_aws_clients(settings).dynamodb
        with counted_calls(dynamodb) as calls, counted_updates(dynamodb) as updates:
            for round_number in range(plays):
                for number, viewer in enumerate(crowd):
                    clock.now = (round_number + number / viewers) * cycle
                    while clock.now >= next_flush:
                        for svc in fleet.services():
                            svc.recorder.flush(everything=False)  # the writer thread's tick
                        next_flush += defaults.play_flush_seconds
                    viewer.play(fleet)
            for svc in fleet.services():
                svc.recorder.flush()  # what is left, as on a graceful stop
    finally:
        for svc in fleet.services():
            svc.close()
    return Tally(plays * viewers, Counter(calls), Counter(updates))


def measure(
    viewers: int, plays: int, instances: int, profile: bool = False
) -> dict[str, tuple[Tally, str]]:
    """Uncached then cached (Settings defaults) runs, each on a fresh moto server.

    Returns {"uncached"|"cached": (tally, cProfile summary or "")}.
    """
    defaults = Settings()
    modes = {
        "uncached": UNCACHED,
        "cached": {name: getattr(defaults, name) for name in CACHE_SETTINGS},
    }
    results: dict[str, tuple[Tally, str]] = {}
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's access log
    for name, cache_settings in modes.items():
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        try:
            host, port = moto.get_host_and_port()
            # In-process moto servers share one set of backends: start from empty.
            reset = urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
            urllib.request.urlopen(reset, timeout=10).close()
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            tally = run(f"http://{host}:{port}", cache_settings, viewers, plays, instances)
            summary = ""
            if profiler:
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(12)
                # The API's own code (moto, in the same process, dominates the above).
                stats.sort_stats("cumulative").print_stats(r"[/\\]app[/\\]", 10)
                summary = out.getvalue()
        finally:
            moto.stop()
        results[name] = (tally, summary)
    return results


def main(argv: list[str] | None = None) -> int:
    """Print DynamoDB calls per play by operation, uncached vs cached; the ratio last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--plays", type=int, default=5, help="plays per viewer")
    parser.add_argument("--instances", type=int, default=2,
                        help="API processes (the twin runs 2 gunicorn workers)")
    parser.add_argument("--profile", action="store_true", help="cProfile each run")
    args = parser.parse_args(argv)
    # moto accepts any credentials; never let the bench pick up real ones.
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    results = measure(args.viewers, args.plays, args.instances, args.profile)
    uncached, cached = results["uncached"][0], results["cached"][0]
    print(f"{uncached.plays} plays: {args.viewers} viewers x {args.plays} on {args.instances} "
          "instances, simulated time; DynamoDB calls per play")
    print(f"{'operation':16s} {'uncached':>9s} {'cached':>9s}")
    for operation in sorted(set(uncached.calls) | set(cached.calls)):
        print(f"{operation:16s} {uncached.operation_per_play(operation):9.3f} "
              f"{cached.operation_per_play(operation):9.3f}")
        if operation == "UpdateItem":
            for kind in sorted(set(uncached.updates) | set(cached.updates)):
                print(f"  {'on ' + kind:14s} {uncached.updates[kind] / uncached.plays:9.3f} "
                      f"{cached.updates[kind] / cached.plays:9.3f}")
    print(f"{'total':16s} {uncached.per_play:9.3f} {cached.per_play:9.3f}")
    for name, (_, summary) in results.items():
        if summary:
            print(f"\ncProfile, {name}: top functions by own time, then app/ by cumulative time"
                  f"\n{summary}")
    print(f"calls per play: uncached {uncached.per_play:.2f}, cached {cached.per_play:.2f}, "
          f"ratio {cached.per_play / uncached.per_play:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
