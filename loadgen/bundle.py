"""The load generator's bundle: the locustfile, every project module it imports, and the
pins of the packages they need, built by the API's bundler (infra/app_bundle.py).

The file list is the locustfile's import closure within the repository (followed through
`import`/`from` statements with the standard library's `ast`), so a module loadtest/ starts
to import travels with it without a list to keep in step.
"""

from __future__ import annotations

import ast
from pathlib import Path

from infra import app_bundle

REPO_ROOT = app_bundle.REPO_ROOT
LOCUSTFILE = "loadtest/locustfile.py"
# What the locustfile's closure imports from PyPI (locust brings gevent; twin.processes
# imports requests). A test checks the closure imports nothing else outside the repo.
PACKAGES = ("locust", "m3u8", "requests")
NAME = "locust"


def _module_file(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parse(path: Path, tries: int = 3) -> ast.Module:
    """`ast.parse` of `path`, tried again on CPython 3.11's spurious SystemError "AST
    constructor recursion depth mismatch" (cpython gh-106905, fixed in 3.11.8): its
    AST-construction depth counter is shared by the interpreter's threads, so a parse
    that races another thread's (Pulumi runs programs on several) can be refused with
    nothing wrong in the source. A real syntax error is a SyntaxError and is not retried."""
    source = path.read_text()
    for _ in range(tries - 1):
        try:
            return ast.parse(source, str(path))
        except SystemError:
            continue
    return ast.parse(source, str(path))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def closure(entry: str = LOCUSTFILE, root: Path = REPO_ROOT) -> dict[str, Path]:
    """Archive path -> file for `entry` and every repository module it imports, with the
    packages' `__init__.py` files (Python needs them to import the package)."""
    files: dict[str, Path] = {}
    todo = [root / entry]
    while todo:
        path = todo.pop()
        name = path.relative_to(root).as_posix()
        if name in files:
            continue
        files[name] = path
        for parent in path.relative_to(root).parents:
            init = root / parent / "__init__.py"
            if parent != Path(".") and init.is_file():
                todo.append(init)
        for module in _imports(path):
            found = _module_file(module, root)
            if found is not None:
                todo.append(found)
    return dict(sorted(files.items()))


def external_imports(entry: str = LOCUSTFILE, root: Path = REPO_ROOT) -> set[str]:
    """Top-level names the closure imports from outside the repository (stdlib included)."""
    names: set[str] = set()
    for path in closure(entry, root).values():
        names.update(m.split(".")[0] for m in _imports(path)
                     if m and _module_file(m.split(".")[0], root) is None)
    return names


def collect() -> app_bundle.Bundle:
    """The bundle: bundles/locust-<digest>.zip with the closure and requirements.txt."""
    return app_bundle.collect(files=closure(), packages=PACKAGES, name=NAME, with_wheels=False)
