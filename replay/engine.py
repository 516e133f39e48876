"""The replay engine: Pulumi mocks that validate every request and create it in moto."""

from __future__ import annotations

import copy
import hashlib
import os
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pulumi
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, ParamValidationError
from pulumi.runtime.mocks import MockMonitor

from . import awsmodel, policies, schema
from .problems import Problem, join
from .registry import INVOKES, RESOURCES, load_all

ACCOUNT = "123456789012"  # moto's default account
Mutator = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Record:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    provider: str = ""
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


class InvokeError(Exception):
    """An invoke the engine does not serve (or that failed)."""


class Ctx:
    """What a translator sees of one resource: its inputs, moto, and the problem list."""

    def __init__(self, engine: Engine, record: Record):
        self.engine = engine
        self.record = record
        self.inputs = record.inputs
        self.name = record.name
        self.type = record.type
        self.region = engine.region_of(record.provider)
        self.account = ACCOUNT

    # --- problems -------------------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        self.engine.add_problem(self.type, self.name, path, message)

    # --- translation helpers --------------------------------------------------------------
    def get(self, *keys: str | int, default: Any = None) -> Any:
        node: Any = self.inputs
        for key in keys:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and key < len(node) else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return default
        return node

    @staticmethod
    def pick(
        src: dict | None, spec: dict[str, str], where: dict[str, str] | None = None,
        api_path: str = "", wire_path: str = "",
    ) -> dict[str, Any]:
        """Copy wire keys to API members: spec maps ApiMember -> wireKey."""
        out: dict[str, Any] = {}
        src = src or {}
        for api_key, wire_key in spec.items():
            value = src.get(wire_key)
            if value is None:
                continue
            out[api_key] = value
            if where is not None:
                where[join(api_path, api_key)] = join(wire_path, wire_key)
        return out

    @staticmethod
    def tags(tags: dict | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: v} for k, v in (tags or {}).items()]

    def arn(self, service: str, resource: str, region: str | None = None,
            account: str | None = None) -> str:
        region = self.region if region is None else region
        account = ACCOUNT if account is None else account
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    def fake_id(self, prefix: str = "", length: int = 17) -> str:
        digest = hashlib.sha256(f"{self.type}/{self.name}".encode()).hexdigest()[:length]
        return f"{prefix}{digest}"

    # --- requests -------------------------------------------------------------------------
    def client(self, service: str):
        return self.engine.client(service, self.region)

    def check(self, service: str, operation: str, params: dict[str, Any],
              where: dict[str, str] | None = None) -> dict[str, Any]:
        """Validate a request against botocore's model; returns the coerced params."""
        model = awsmodel.service_model(service)
        if operation in model.operation_names:
            params = _coerce(model.operation_model(operation).input_shape, params)
        for path, message in awsmodel.validate(service, operation, params):
            self.problem(_to_wire(path, where, f"{service}.{operation}"), message)
        return params

    def call(self, service: str, operation: str, params: dict[str, Any],
             where: dict[str, str] | None = None, validate: bool = True) -> dict[str, Any] | None:
        """Validate, then send to moto; returns moto's response, or None when moto did not
        create it (rejected: a problem; refers to a failed resource or moto itself broke:
        a note). Translators then return realistic outputs marked failed."""
        before = len(self.engine.problems)
        if validate:
            params = self.check(service, operation, params, where)
        invalid = len(self.engine.problems) > before
        upstream = _mentions(params, self.engine.failed_ids)
        if upstream:
            # Refers to a resource moto could not create (already reported): a moto call
            # would only fail again, so this request is validated against the model only.
            self.engine.notes.append(f"{self.type} {self.name}: {service}.{operation} not sent "
                                     f"to moto, it refers to {sorted(upstream)[0]!r} which "
                                     "failed upstream")
            return None
        client = self.client(service)
        method = getattr(client, _snake(operation))
        try:
            # Client-side validation already reported; let moto judge the request too.
            return method(**params)
        except ParamValidationError:
            return None  # reported above
        except ClientError as exc:
            message = str(exc)
            if any(bad in message for bad in self.engine.failed_ids):
                return None  # follows from an earlier problem, already reported
            if invalid:  # the model check already named the property; moto agrees
                self.engine.notes.append(f"{self.type} {self.name}: moto also rejected "
                                         f"{service}.{operation}: {message}")
                return None
            self.problem(f"({service}.{operation})", f"moto rejected the request: {message}")
            return None
        except Exception as exc:  # noqa: BLE001 - a moto bug is not the program's problem
            self.engine.notes.append(f"{self.type} {self.name}: moto failed on {service}."
                                     f"{operation} ({type(exc).__name__}: {exc}); request "
                                     "validated against the model only")
            return None

    def policy(self, path: str, document: Any, kind: str = "identity") -> None:
        for sub, message in policies.check(document, kind):
            self.problem(join(path, sub) if sub else path, message)


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


def _mentions(value: Any, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    if isinstance(value, str):
        return {value} & ids
    if isinstance(value, dict):
        return set().union(*(_mentions(v, ids) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_mentions(v, ids) for v in value)) if value else set()
    return set()


def _snake(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


def _to_wire(api_path: str, where: dict[str, str] | None, op: str) -> str:
    if where:
        for key in sorted(where, key=len, reverse=True):
            if api_path == key or api_path.startswith((key + ".", key + "[")):
                return where[key] + api_path[len(key):]
    return f"({op}) {api_path}" if api_path else f"({op})"


def _coerce(shape, value: Any) -> Any:
    """Pulumi sends every number as a float; the API wants integers where it says so."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            k: _coerce(shape.members.get(k), v) if k in shape.members else v
            for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list | tuple):
        return [_coerce(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
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
