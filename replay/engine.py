"""The replay engine: Pulumi mocks that validate every request and create it in moto.

`Engine.new_resource` records each resource (a `Record`), runs the schema check and the
resource type's translator with a `Ctx` (replay/context.py); `Engine.call` serves invokes;
`Engine.finish` runs the deferred cross-resource checks once the program has run.
"""

from __future__ import annotations

import copy
import os
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import boto3
import pulumi
from botocore.config import Config as BotoConfig
from pulumi.runtime.mocks import MockMonitor

from . import schema
from .context import Ctx, Record
from .problems import Problem
from .registry import INVOKES, RESOURCES, InvokeError, load_all

Mutator = Callable[[dict[str, Any]], dict[str, Any]]  # the mutation suite's hook

_SECRET_SIG = "4dabf18193072939515e22adb298388d"


def _plain(value: Any) -> Any:
    """Unwrap secrets and turn integral floats (Pulumi's only number type) into ints."""
    if isinstance(value, dict):
        if _SECRET_SIG in value and "value" in value:
            return _plain(value["value"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Engine:
    """Holds moto, the records of every resource and the problems found."""

    def __init__(self, region: str = "us-east-1", mutators: dict[str, Mutator] | None = None):
        load_all()
        self.region = region
        self.mutators = dict(mutators or {})
        self.records: list[Record] = []
        self.problems: list[Problem] = []
        self.failed_ids: set[str] = set()
        self.invokes: list[str] = []
        self.notes: list[str] = []
        self.mutated: list[str] = []
        self.deferred: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._pending: dict[tuple[str, str], tuple[str, str]] = {}
        self._provider_regions: dict[str, str] = {}
        self._mock = None

    # --- moto lifecycle -----------------------------------------------------------------
    _active_engines = 0  # moto's in-process state is global: one live replay at a time

    @contextmanager
    def active(self):
        from moto import mock_aws

        if Engine._active_engines:
            raise RuntimeError("another replay engine is active; moto's in-process state is "
                               "global, so replays must not overlap")
        Engine._active_engines += 1
        saved = {k: os.environ.get(k) for k in [*_FAKE_ENV, "AWS_DEFAULT_REGION"]}
        os.environ.update(_FAKE_ENV)
        os.environ["AWS_DEFAULT_REGION"] = self.region
        self._mock = mock_aws()
        self._mock.start()
        try:
            yield self
        finally:
            Engine._active_engines -= 1
            self._mock.stop()
            self._mock = None
            self._clients.clear()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def client(self, service: str, region: str | None = None):
        key = f"{service}@{region or self.region}"
        if key not in self._clients:
            # No retries: a moto failure must surface at once, not after back-off sleeps.
            self._clients[key] = boto3.client(
                service, region_name=region or self.region,
                config=BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"}))
        return self._clients[key]

    # --- records and problems -----------------------------------------------------------
    def add_problem(self, type_: str, name: str, path: str, message: str) -> None:
        problem = Problem(type_, name, path, message)
        if problem not in self.problems:
            self.problems.append(problem)

    def find(self, type_prefix: str) -> list[Record]:
        return [r for r in self.records if r.type.startswith(type_prefix)]

    def by_id(self, id_: str) -> Record | None:
        return next((r for r in self.records if r.id == id_), None)

    def region_of(self, provider: str | None) -> str:
        """The region of an explicit aws provider reference, else the stack's region."""
        return self._provider_regions.get(provider or "", self.region)

    def expect_registration(self, type_: str, name: str, urn: str, parent: str) -> None:
        with self._lock:
            self._pending[(type_, name)] = (urn, parent)

    # --- the Mocks protocol ---------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        with self._lock:
            urn, parent = self._pending.pop((args.typ, args.name), ("", ""))
            inputs = _plain(copy.deepcopy(args.inputs))
            record = Record(urn or f"{args.typ}::{args.name}", args.typ, args.name, parent,
                            bool(args.custom), inputs, args.provider or "")
            self.records.append(record)
            if not record.custom:
                record.id = ""
                return "", inputs  # a component: nothing to create
            # A mutator (keyed by resource name or type token) breaks inputs on purpose:
            # the mutation suite uses it on the real program without editing the program.
            mutator = self.mutators.get(args.name) or self.mutators.get(args.typ)
            if mutator is not None:
                mutated = mutator(copy.deepcopy(inputs))
                if mutated is not None and mutated != inputs:
                    self.mutated.append(f"{args.typ} {args.name}")
                    record.inputs = inputs = mutated
            ctx = Ctx(self, record)
            args_cls = schema.args_class(args.typ)
            if args_cls is not None:
                for path, message in schema.check(args_cls, inputs):
                    ctx.problem(path, message)
            translator = RESOURCES.get(args.typ)
            outputs: dict[str, Any] = {}
            if translator is None:
                ctx.problem("", "unsupported resource type: the replay has no translator for it "
                                "(add one in replay/services/)")
            else:
                try:
                    outputs = translator(ctx) or {}
                except Exception as exc:  # noqa: BLE001 - reported, never cascades
                    tb = traceback.extract_tb(exc.__traceback__)[-1]
                    ctx.problem("", f"translator failed: {type(exc).__name__}: {exc} "
                                    f"({os.path.basename(tb.filename)}:{tb.lineno})")
                    outputs = {"__failed__": True}
            id_ = str(outputs.pop("id", None) or ctx.fake_id(f"{args.name}-"))
            if outputs.pop("__failed__", False):
                self.failed_ids.add(id_)
            record.summary = outputs.pop("__summary__", "")
            record.id = id_
            record.outputs = {**inputs, **outputs}
            if args.typ == "pulumi:providers:aws":
                # Resources name their provider as "<urn>::<id>"; remember its region.
                self._provider_regions[f"{record.urn}::{id_}"] = inputs.get("region") or \
                    self.region
            return id_, record.outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        with self._lock:
            self.invokes.append(args.token)
            handler = INVOKES.get(args.token)
            if handler is None:
                self.add_problem("invoke", args.token, "", "unknown invoke token: the replay "
                                 "serves no such data source (add one in replay/services/)")
                raise InvokeError(f"replay: unknown invoke {args.token}")
            stack_region, self.region = self.region, self.region_of(args.provider)
            try:
                return handler(self, args.args)  # served in the region of its provider
            except InvokeError as exc:
                self.add_problem("invoke", args.token, "", str(exc))
                raise
            finally:
                self.region = stack_region

    def finish(self) -> None:
        """Cross-resource checks that need the whole graph."""
        for check in self.deferred:
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - reported, never cascades
                self.add_problem("replay", "cross-check", "", f"{type(exc).__name__}: {exc}")


_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_ALLOW_NONEXISTENT_REGION": "false",
    # moto's ~1300 default AMIs (each with a volume and a snapshot) cost ~1 s per replay;
    # the program reads its AMI id from SSM, and moto launches instances without them.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


class ReplayMocks(pulumi.runtime.Mocks):
    def __init__(self, engine: Engine):
        self.engine = engine

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return self.engine.new_resource(args)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return self.engine.call(args)


class RecordingMonitor(MockMonitor):
    """MockMonitor that tells the engine each resource's URN and parent."""

    def __init__(self, mocks: ReplayMocks):
        super().__init__(mocks)
        self._engine = mocks.engine

    def RegisterResource(self, request):  # noqa: N802 - gRPC name
        urn = self.make_urn(request.parent, request.type, request.name)
        self._engine.expect_registration(request.type, request.name, urn, request.parent)
        return super().RegisterResource(request)
