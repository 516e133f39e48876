"""Run a Pulumi program, with a stack's config, through the replay engine."""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .context import Record
from .engine import Engine, Mutator, RecordingMonitor, ReplayMocks
from .problems import Problem

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    project: str
    stack: str
    program: Path
    records: list[Record]
    problems: list[Problem]
    invokes: list[str]
    notes: list[str]
    seconds: float
    engine: Engine = field(repr=False)

    @property
    def resources(self) -> list[Record]:
        return [r for r in self.records if r.custom]

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r.type for r in self.resources).items()))

    def named(self, name: str) -> Record:
        return next(r for r in self.records if r.name == name)

    def of_type(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.type == type_]


def load_project(root: Path) -> tuple[str, Path]:
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    main = project.get("main") or "."
    return project["name"], (root / main).resolve()


def load_stack_config(root: Path, project: str, stack: str) -> dict[str, str]:
    """Pulumi.<stack>.yaml as the engine hands it to the program: "ns:key" -> string."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path}")
    raw = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return {_qualify(k, project): _wire(v) for k, v in raw.items()}


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _wire(value: Any) -> str:
    if isinstance(value, dict) and "secure" in value:
        return "replay-placeholder-secret"  # encrypted values cannot be read offline
    if isinstance(value, str):
        return value
    return json.dumps(value)


def run_program(
    root: Path | str = REPO_ROOT,
    stack: str = "dev",
    *,
    program: Path | str | None = None,
    config: dict[str, Any] | None = None,
    config_overrides: dict[str, Any] | None = None,
    mutators: dict[str, Mutator] | None = None,
    engine: Engine | None = None,
    project: str | None = None,
) -> Result:
    """Replay the program. Pass an `engine` already `active()` to read moto back afterwards."""
    root = Path(root)
    started = time.monotonic()
    if project is None or program is None:
        found_project, found_program = load_project(root)
        project = project or found_project
        program = program or found_program
    program = Path(program).resolve()
    if config is None:
        config = load_stack_config(root, project, stack)
    config = {_qualify(k, project): _wire(v) for k, v in config.items()}
    for key, value in (config_overrides or {}).items():
        config[_qualify(key, project)] = _wire(value)
    region = config.get("aws:region", "us-east-1")
    if engine is None:
        engine = Engine(region=region, mutators=mutators)
        with engine.active():
            _run(engine, program, project, stack, config, root)
    else:
        engine.region = region
        engine.mutators.update(mutators or {})
        _run(engine, program, project, stack, config, root)
    return Result(project, stack, program, engine.records, engine.problems, engine.invokes,
                  engine.notes, time.monotonic() - started, engine)


def _run(engine: Engine, program: Path, project: str, stack: str, config: dict[str, str],
         root: Path) -> None:
    mocks = ReplayMocks(engine)
    pulumi.runtime.set_all_config(config, [])
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                             monitor=RecordingMonitor(mocks))
    saved = _isolate_modules(program, root)
    sys.path[:0] = [str(program), str(root)]
    try:
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        entry = program / "__main__.py" if program.is_dir() else program
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(entry), run_name="__main__")))
    except Exception as exc:  # noqa: BLE001 - the program's own failure is a problem too
        engine.add_problem("program", entry.name if "entry" in dir() else str(program), "",
                           f"the program raised {type(exc).__name__}: {exc}")
    finally:
        del sys.path[:2]
        _restore_modules(program, root, saved)
    engine.finish()


def _program_modules(program: Path, root: Path) -> list[str]:
    base = str(program if program.is_dir() else program.parent) + os.sep
    return [name for name, module in list(sys.modules.items())
            if name != "__main__" and (getattr(module, "__file__", None) or "").startswith(base)]


def _isolate_modules(program: Path, root: Path) -> dict[str, Any]:
    """Each replay imports the program's modules afresh (config read at import time
    must see this run's config); the originals come back afterwards so other
    importers keep the module objects they hold."""
    return {name: sys.modules.pop(name) for name in _program_modules(program, root)}


def _restore_modules(program: Path, root: Path, saved: dict[str, Any]) -> None:
    for name in _program_modules(program, root):
        sys.modules.pop(name, None)
    sys.modules.update(saved)
