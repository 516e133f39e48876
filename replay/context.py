"""What a translator sees of one resource (`Ctx`), and what an invoke handler sees.

The engine (replay/engine.py) records every resource as a `Record` and hands each one's
translator a `Ctx`; translators (replay/services/) and cross-resource checks
(replay/checks/) import this module, never the engine.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError

from . import awsmodel, policies
from .problems import join

if TYPE_CHECKING:  # the engine owns the Ctx; only its type is named here
    from .engine import Engine

ACCOUNT = "123456789012"  # moto's default account


@dataclass
class Record:
    """One resource or component as the program registered it, and what the replay made.

    `inputs` are wire inputs (camelCase names, secrets unwrapped, integral floats as
    ints); `outputs` are the inputs plus what the translator returned; `id` is empty
    for a component.
    """

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


class Ctx:
    """What a translator sees of one resource, and what it may do.

    A translator is `def x(ctx: Ctx) -> dict`, registered for a type token with
    `@resource(...)` (replay/registry.py). It sees:

    - `inputs`: the resource's wire inputs (Pulumi's camelCase names, numbers as
      Pulumi sends them except that integral floats are ints, secrets unwrapped);
    - `type`, `name`: its type token and logical name;
    - `region`: the region of its provider (else the stack's); `account`: moto's.

    It may:

    - build requests: `pick` (wire keys to API members, recording where each came
      from), `tags`, `arn`, `fake_id` / `fake_uuid` (stable per resource);
    - validate and send them: `check` (botocore's model only, for APIs moto lacks),
      `call` (the model, then moto; None when moto did not create it), `client`
      (a boto3 client on moto, to read back what it made);
    - judge: `problem(path, message)` with the wire path of the property, and
      `policy(path, document, kind)` for IAM / resource policy JSON;
    - read the rest of the stack, as registered so far: `find(type_prefix)`,
      `by_id(id)`; and `defer(check)` a cross-resource check until the program has
      run and the graph is whole (replay/checks/);
    - `note(message)`: a moto limit worth telling, which is no problem.

    It returns the resource's Pulumi outputs in wire names: "id" (else a fake one),
    plus "__summary__" (the plan's one-line detail) and "__failed__" (set by
    `services.failed` when moto could not create the resource, so dependants do not
    fail again). It reports a bad input as a problem rather than raising; an
    exception becomes a "translator failed" problem on the resource.
    """

    def __init__(self, engine: Engine, record: Record):
        self._engine = engine
        self.inputs = record.inputs
        self.name = record.name
        self.type = record.type
        self.region = engine.region_of(record.provider)
        self.account = ACCOUNT

    # --- problems and notes ---------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        """Report what AWS would reject; `path` is the wire path (`origins[1].domainName`)."""
        self._engine.add_problem(self.type, self.name, path, message)

    def note(self, message: str) -> None:
        """A moto limit met on this resource (printed under notes; not a problem)."""
        self._engine.notes.append(f"{self.type} {self.name}: {message}")

    def policy(self, path: str, document: Any, kind: str = "identity") -> list[tuple[str, str]]:
        """Check a policy document (replay/policies.py); returns the (path, message) found."""
        found = policies.check(document, kind)
        for sub, message in found:
            self.problem(join(path, sub) if sub else path, message)
        return found

    # --- the rest of the stack -----------------------------------------------------------
    def find(self, type_prefix: str) -> list[Record]:
        """Records registered so far whose type token starts with `type_prefix`."""
        return self._engine.find(type_prefix)

    def by_id(self, id_: str) -> Record | None:
        """The record the replay gave this id, if any."""
        return self._engine.by_id(id_)

    def defer(self, check: Callable[[], None]) -> None:
        """Run `check` once the program has run (resources may register in any order)."""
        self._engine.deferred.append(check)

    # --- building requests ----------------------------------------------------------------
    @staticmethod
    def pick(
        src: dict | None, spec: dict[str, str], where: dict[str, str] | None = None,
        api_path: str = "", wire_path: str = "",
    ) -> dict[str, Any]:
        """Copy wire keys to API members: spec maps ApiMember -> wireKey; `where` records
        API path -> wire path so a problem botocore finds names the wire property."""
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
        """Pulumi's tag map as the API's [{Key, Value}] list."""
        return [{key: k, value: v} for k, v in (tags or {}).items()]

    def arn(self, service: str, resource: str, region: str | None = None,
            account: str | None = None) -> str:
        """An ARN in this resource's region and moto's account (region="" for global)."""
        region = self.region if region is None else region
        account = ACCOUNT if account is None else account
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    def fake_id(self, prefix: str = "", length: int = 17) -> str:
        """A stable hex id for what moto does not create: `prefix` + `length` hex digits."""
        digest = hashlib.sha256(f"{self.type}/{self.name}".encode()).hexdigest()[:length]
        return f"{prefix}{digest}"

    def fake_uuid(self) -> str:
        """A stable UUID (the id form of CloudFront's policies and key groups)."""
        return str(uuid.UUID(self.fake_id("", 32)))

    # --- validating and sending -----------------------------------------------------------
    def client(self, service: str):
        """A boto3 client on moto in this resource's region."""
        return self._engine.client(service, self.region)

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
        engine = self._engine
        before = len(engine.problems)
        if validate:
            params = self.check(service, operation, params, where)
        invalid = len(engine.problems) > before
        upstream = _mentions(params, engine.failed_ids)
        if upstream:
            # Refers to a resource moto could not create (already reported): a moto call
            # would only fail again, so this request is validated against the model only.
            self.note(f"{service}.{operation} not sent to moto, it refers to "
                      f"{sorted(upstream)[0]!r} which failed upstream")
            return None
        method = getattr(self.client(service), xform_name(operation))
        try:
            # Client-side validation already reported; let moto judge the request too.
            return method(**params)
        except ParamValidationError:
            return None  # reported above
        except ClientError as exc:
            message = str(exc)
            if any(bad in message for bad in engine.failed_ids):
                return None  # follows from an earlier problem, already reported
            if invalid:  # the model check already named the property; moto agrees
                self.note(f"moto also rejected {service}.{operation}: {message}")
                return None
            self.problem(f"({service}.{operation})", f"moto rejected the request: {message}")
            return None
        except Exception as exc:  # noqa: BLE001 - a moto bug is not the program's problem
            self.note(f"moto failed on {service}.{operation} ({type(exc).__name__}: {exc}); "
                      "request validated against the model only")
            return None


class InvokeCtx(Protocol):
    """What an invoke handler sees: the region it is served in (its provider's, else the
    stack's) and boto3 clients on moto. A handler is `def x(ctx: InvokeCtx, args: dict)
    -> dict` (args in wire names), registered with `@invoke(...)`; it raises
    `registry.InvokeError` for data it cannot serve."""

    region: str

    def client(self, service: str, region: str | None = None) -> Any: ...


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
