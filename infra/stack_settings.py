"""One Pulumi project's stack settings, read into a typed, validated pydantic model.

A Pulumi project keeps each stack's settings in `Pulumi.<stack>.yaml` beside its
`Pulumi.yaml`: keys `<project>:<name>` plus other packages' keys such as `aws:region`
(Pulumi docs, "Configuration" and "Project file reference"). `StackSettings` maps those
keys onto a model (camelCase aliases, `region` for `aws:region`) and turns every failure
into the project's own error type, naming the key, the value and the allowed values.
Both Pulumi projects read their settings through it: the streaming stack (`infra.config`)
and the load generator (`loadgen.config`).

Pure: pydantic and yaml only; `from_pulumi` imports the Pulumi SDK when a program calls it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class StackSettings(Generic[M]):
    """How one Pulumi project's stack settings become a `model`.

    namespace: the project name in `Pulumi.yaml` (keys are `<namespace>:<alias>`);
    model: the pydantic model (aliases are the keys without the namespace);
    error: the ValueError subclass raised for every invalid setting;
    root: the folder holding `Pulumi.yaml` and the stack files;
    no_secrets: the project has no secret settings, so a `secure:` value is an error.
    """

    namespace: str
    model: type[M]
    error: type[ValueError]
    root: Path
    no_secrets: bool = False

    @property
    def keys(self) -> set[str]:
        """Every key the model accepts, without the namespace (its aliases)."""
        return {field.alias or name for name, field in self.model.model_fields.items()}

    def key(self, name: str) -> str:
        """The stack key of a field given by Python name or alias: `aws:region` for
        `region`, else `<namespace>:<alias>`."""
        field = self.model.model_fields.get(name)
        alias = (field.alias or name) if field is not None else name
        return "aws:region" if alias == "region" else f"{self.namespace}:{alias}"

    def validate(self, values: Mapping[str, object], source: str = "stack config") -> M:
        """The model from stack keys (aliases, no namespace; `region` for aws:region).

        Raises `error` naming `source`: every unknown key with the known ones, or every
        invalid value with its key, the value given and the allowed values.
        """
        keys = self.keys
        unknown = sorted(k for k in values if k not in keys)
        if unknown:
            raise self.error(
                f"{source}: unknown key(s) {', '.join(f'{self.namespace}:{k}' for k in unknown)}; "
                f"known keys: {', '.join(sorted(keys))}"
            )
        try:
            return self.model.model_validate(dict(values))
        except ValidationError as exc:
            raise self.error(self._format_errors(source, exc)) from None

    def _format_errors(self, source: str, exc: ValidationError) -> str:
        lines = [f"{source}: invalid configuration"]
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if not err["loc"]:
                lines.append(f"  {msg}")
                continue
            name = str(err["loc"][0])
            found = self._field(name)
            if found is None:
                lines.append(f"  {name}: {msg}")
                continue
            field_name, field = found
            where = self.key(field_name) + "".join(f"[{p}]" for p in err["loc"][1:])
            lines.append(f"  {where}: {msg} (got {err.get('input')!r}); "
                         f"allowed: {field.description}")
        return "\n".join(lines)

    def _field(self, name: str) -> tuple[str, FieldInfo] | None:
        """The (Python name, field) an error location names, by Python name or alias."""
        fields = self.model.model_fields
        if name in fields:
            return name, fields[name]
        return next(((n, f) for n, f in fields.items() if f.alias == name), None)

    def _strip_namespace(self, values: Mapping[str, object], source: str) -> dict[str, object]:
        mapping: dict[str, object] = {}
        for key, value in values.items():
            namespace, _, name = key.partition(":")
            if key == "aws:region":
                mapping["region"] = value
            elif namespace == self.namespace and name:
                mapping[name] = value
            elif namespace not in ("aws", "pulumi"):
                raise self.error(
                    f"{source}: unknown key {key}; keys live in {self.namespace}:<name>")
        return mapping

    def stack_file(self, stack: str, root: Path | None = None) -> Path:
        """Where Pulumi keeps a stack's settings: `Pulumi.<stack>.yaml` in `root`
        (default: the project's folder, beside `Pulumi.yaml`)."""
        return (self.root if root is None else root) / f"Pulumi.{stack}.yaml"

    def load_stack(self, stack: str, root: Path | None = None) -> M:
        """The named stack's validated settings, read from its stack file."""
        return self.load_stack_file(self.stack_file(stack, root))

    def load_stack_file(self, path: Path | str) -> M:
        """Read and validate a `Pulumi.<stack>.yaml` file (no Pulumi engine needed).

        Raises `error` naming the file: unreadable or not YAML, `config` not a mapping, a
        key outside the project's namespace, `aws:` and `pulumi:`, or an invalid setting.
        """
        path = Path(path)
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise self.error(f"{path}: cannot read stack file: {exc}") from None
        values = document.get("config") or {}
        if not isinstance(values, Mapping):
            raise self.error(f"{path}: 'config' must be a mapping of keys to values")
        if self.no_secrets:
            for key, value in values.items():
                if isinstance(value, Mapping) and "secure" in value:
                    raise self.error(
                        f"{path}: {key} is a secret; this stack has no secret settings")
        return self.validate(self._strip_namespace(values, str(path)), str(path))

    def from_pulumi(self) -> M:
        """The running stack's configuration (the project's keys plus aws:region); only
        inside a Pulumi program. Errors name the stack file."""
        import pulumi
        from pulumi.runtime import config as runtime_config

        values: dict[str, object] = dict(runtime_config.get_config_env())
        values.update(runtime_config.CONFIG.get())
        mapping = self._strip_namespace(
            {k: v for k, v in values.items()
             if k.startswith(f"{self.namespace}:") or k == "aws:region"},
            f"stack {pulumi.get_stack()}",
        )
        return self.validate(mapping, self.stack_file(pulumi.get_stack()).name)

    def config_table(self) -> list[tuple[str, str, str]]:
        """(key, default, allowed) for every setting, in model order: a README table.

        Defaults as the README shows them: true/false, `(unset)` for None, lists as
        `[a, b]`, mappings as JSON.
        """
        rows = []
        for name, field in self.model.model_fields.items():
            default = field.default
            if isinstance(default, list):
                default = "[" + ", ".join(str(v) for v in default) + "]"
            elif isinstance(default, bool):
                default = str(default).lower()
            elif default is None:
                default = "(unset)"
            elif isinstance(default, dict):
                default = json.dumps(default)
            rows.append((self.key(name), str(default), field.description or ""))
        return rows
