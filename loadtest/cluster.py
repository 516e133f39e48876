"""Locust master/worker plumbing for the viewers' figures (`python -m loadtest --workers N`).

Each worker ships what its viewers recorded since its last report on Locust's
`report_to_master` event (every few seconds); the master merges those deltas into its own
StreamStats on `worker_report` (Mergeable.merge: exact, nothing counted twice). When the test
stops, the master asks every worker to stop its viewers and send its last delta, and waits for
them (bounded) before it quits: Locust itself waits only half a second for final reports.
The master alone writes the figures (`--stream-metrics`); with `--worker-figures DIR` each
worker also writes everything it recorded to DIR/worker-<pid>.json, to audit the merge.
Events and messages: https://docs.locust.io/en/stable/running-distributed.html
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import locust.runners
from locust.runners import MasterRunner, WorkerRunner

from loadtest.metrics import StreamStats

log = logging.getLogger("loadtest")

WIRE_KEY = "edgeflix_viewers"  # the figures' key in a worker's stats report
FLUSH = "edgeflix_flush"  # master -> workers: stop your viewers, send your last figures
FINAL = "edgeflix_final"  # worker -> master: the last figures
FINAL_WAIT_S = 20.0
# Heartbeats (one a second) a worker may miss before the master counts it missing and
# dispatches its viewers to the other workers; Locust's own is 3. On a machine the test
# saturates, a worker's heartbeat greenlet waits behind its viewers for longer than
# that: a 2,000-viewer run on 2 cores ran 2,950 viewers after a worker was counted
# missing and came back, its viewers never stopped (and the extra viewers shared
# accounts, so the stream limit answered 409). A worker that is really gone is still
# noticed, 15 s later. Set on the master (locust.runners.HEARTBEAT_LIVENESS).
HEARTBEAT_LIVENESS = 15


@dataclass
class WorkerLedger:
    """What the master received from one worker."""

    reports: int = 0
    final: bool = False
    figures: StreamStats | None = None


@dataclass
class MasterLedger:
    workers: dict[str, WorkerLedger] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Workers seen, those whose final figures never came, and per worker the reports
        merged and what it contributed."""
        by_worker = {}
        for client_id, w in sorted(self.workers.items()):
            figures = w.figures or StreamStats()
            by_worker[client_id] = {
                "reports": w.reports,
                "final_received": w.final,
                "requests": sum(figures.requests.values()),
                "plays_started": figures.plays_started,
                "startup_samples": len(figures.startup_ms),
            }
        return {
            "count": len(self.workers),
            "missing_final": self.missing_final,
            "by_worker": by_worker,
        }

    @property
    def missing_final(self) -> list[str]:
        return sorted(c for c, w in self.workers.items() if not w.final)


LEDGER = MasterLedger()


def install(environment, stats: Callable[[], StreamStats]) -> None:
    """Wire the events for this process's role; `stats` returns the current StreamStats.

    Call from Locust's `init` event (the runner exists then); a local runner needs nothing.
    """
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        _install_master(environment, runner, stats)
    elif isinstance(runner, WorkerRunner):
        _install_worker(environment, runner, stats)


def is_worker(environment) -> bool:
    return isinstance(environment.runner, WorkerRunner)


def is_master(environment) -> bool:
    return isinstance(environment.runner, MasterRunner)


def _install_master(environment, runner: MasterRunner, stats: Callable[[], StreamStats]) -> None:
    LEDGER.workers.clear()
    locust.runners.HEARTBEAT_LIVENESS = HEARTBEAT_LIVENESS

    def receive(client_id: str, wire: dict | None, final: bool) -> None:
        ledger = LEDGER.workers.setdefault(client_id, WorkerLedger())
        ledger.final = ledger.final or final
        if not wire:
            return
        stats().merge(StreamStats.from_wire(wire))
        ledger.figures = _added(ledger.figures, StreamStats.from_wire(wire))
        ledger.reports += 1

    def on_worker_report(client_id: str, data: dict, **_kw) -> None:
        receive(client_id, data.get(WIRE_KEY), final=False)

    def on_final(environment, msg, **_kw) -> None:  # noqa: ARG001
        receive(msg.node_id, (msg.data or {}).get(WIRE_KEY), final=True)

    def on_test_start(**_kw) -> None:
        LEDGER.workers.clear()

    def on_test_stopping(**_kw) -> None:
        expected = {client.id for client in runner.clients.all}
        for client_id in expected:
            LEDGER.workers.setdefault(client_id, WorkerLedger())
        runner.send_message(FLUSH)
        deadline = time.monotonic() + FINAL_WAIT_S
        while time.monotonic() < deadline and any(not LEDGER.workers[c].final for c in expected):
            gevent.sleep(0.05)
        missing = [c for c in expected if not LEDGER.workers[c].final]
        if missing:
            log.warning("no final figures from worker(s) %s: figures incomplete", missing)

    environment.events.worker_report.add_listener(on_worker_report)
    environment.events.test_start.add_listener(on_test_start)
    environment.events.test_stopping.add_listener(on_test_stopping)
    runner.register_message(FINAL, on_final)


def _install_worker(environment, runner: WorkerRunner, stats: Callable[[], StreamStats]) -> None:
    sent: dict[str, StreamStats | None] = {"figures": None}  # everything shipped so far

    def ship() -> dict | None:
        delta = stats().drain()
        if delta.is_empty():
            return None
        wire = delta.to_wire()
        sent["figures"] = _added(sent["figures"], delta)
        return wire

    def on_report_to_master(data: dict, **_kw) -> None:
        wire = ship()
        if wire:
            data[WIRE_KEY] = wire

    def on_flush(environment, msg, **_kw) -> None:  # noqa: ARG001
        runner.stop()  # no viewer records anything after this
        runner.send_message(FINAL, {WIRE_KEY: ship()})

    def on_test_start(**_kw) -> None:
        sent["figures"] = None

    def on_quitting(environment, **_kw) -> None:
        folder = getattr(environment.parsed_options, "worker_figures", "")
        if not folder:
            return
        # Everything recorded, sent or not: what the master merged should equal it.
        recorded = _added(sent["figures"], stats().drain()) or StreamStats()
        path = Path(folder) / f"worker-{os.getpid()}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"client_id": runner.client_id, "pid": os.getpid(), "recorded": recorded.to_wire()}
        path.write_text(json.dumps(record) + "\n")

    environment.events.report_to_master.add_listener(on_report_to_master)
    environment.events.test_start.add_listener(on_test_start)
    environment.events.quitting.add_listener(on_quitting)
    runner.register_message(FLUSH, on_flush)


def _added(total: StreamStats | None, delta: StreamStats) -> StreamStats:
    """`delta` added to `total` (None: nothing yet, so `delta` itself)."""
    return delta if total is None else total.merge(delta)
