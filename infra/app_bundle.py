"""The API's deployable bundle: app/ plus pinned requirements (and wheels, when built).

The same bundler serves other fleets: `collect(files=..., packages=..., name=...)` bundles
any set of project files with the pyproject pins of the packages they import (the
load-generator stack bundles loadtest/ this way, see loadgen/bundle.py).

The program uploads it to the artifacts bucket under a key carrying its content
digest; user data names that key, so a changed bundle gives a new launch template
version and an instance refresh. `python -m infra.app_bundle wheels` fills
build/wheels/<arch>/ for fleets without NAT (the bundle then carries its wheels).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app"
WHEEL_DIR = REPO_ROOT / "build" / "wheels"
# What the API imports at run time (its own code needs nothing else).
RUNTIME_PACKAGES = ("flask", "gunicorn", "boto3", "cryptography", "pydantic", "pyjwt",
                    "cachetools", "requests")
PYTHON_VERSION = "3.11"
BUNDLE_PREFIX = "bundles/"
WHEEL_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


def requirements(packages: tuple[str, ...] = RUNTIME_PACKAGES) -> str:
    """requirements.txt for a fleet: the pins pyproject.toml already holds for `packages`.

    Pins are looked up in the dependencies and every optional-dependency group. Raises
    ValueError naming the packages pyproject.toml has no pin for.
    """
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"],
            *(pin for group in project.get("optional-dependencies", {}).values()
              for pin in group)]
    by_name = {re.split(r"[=<>~! \[]", pin, maxsplit=1)[0].lower(): pin for pin in pins}
    missing = [name for name in packages if name not in by_name]
    if missing:
        raise ValueError(f"pyproject.toml: no pin for the runtime packages {missing}")
    return "".join(f"{by_name[name]}\n" for name in packages)


@dataclass(frozen=True)
class Bundle:
    """The bundle's files (archive path -> source path), requirements and digest."""

    files: dict[str, Path]
    requirements: str
    digest: str
    has_wheels: bool
    name: str = "api"

    @property
    def key(self) -> str:
        return f"{BUNDLE_PREFIX}{self.name}-{self.digest[:16]}.zip"


def app_files() -> dict[str, Path]:
    """app/ (no caches), by archive path (relative to the repository root)."""
    return {path.relative_to(REPO_ROOT).as_posix(): path for path in sorted(APP_DIR.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def collect(architecture: str = "x86_64", *, files: dict[str, Path] | None = None,
            packages: tuple[str, ...] = RUNTIME_PACKAGES, name: str = "api",
            with_wheels: bool = True) -> Bundle:
    """Gather `files` (default: app/) and, `with_wheels`, the wheelhouse for `architecture`;
    pin `packages` from pyproject.toml; digest them. The key is bundles/<name>-<digest>.zip."""
    files = dict(app_files() if files is None else files)
    wheels = WHEEL_DIR / architecture
    if with_wheels and wheels.is_dir():
        for path in sorted(wheels.glob("*.whl")):
            files[f"wheels/{path.name}"] = path
    reqs = requirements(packages)
    digest = hashlib.sha256()
    for archive_path, path in sorted(files.items()):
        digest.update(archive_path.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(b"requirements.txt\0" + reqs.encode())
    return Bundle(files, reqs, digest.hexdigest(),
                  has_wheels=any(n.startswith("wheels/") for n in files), name=name)


def archive(bundle: Bundle):
    """The bundle as a Pulumi archive (uploaded as a zip)."""
    import pulumi

    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        name: pulumi.FileAsset(str(path)) for name, path in bundle.files.items()
    }
    assets["requirements.txt"] = pulumi.StringAsset(bundle.requirements)
    return pulumi.AssetArchive(assets)


def download_wheels(architecture: str) -> Path:
    """pip download the pinned wheels for Amazon Linux 2023 (CPython 3.11, manylinux)."""
    target = WHEEL_DIR / architecture
    target.mkdir(parents=True, exist_ok=True)
    reqs = target / "requirements.txt"
    reqs.write_text(requirements())
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--platform", WHEEL_PLATFORMS[architecture], "--python-version", PYTHON_VERSION,
         "--implementation", "cp", "-d", str(target), "-r", str(reqs)],
        check=True,
    )
    reqs.unlink()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.app_bundle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    wheels = sub.add_parser("wheels", help="download the fleet's wheels into build/wheels/")
    wheels.add_argument("--arch", choices=sorted(WHEEL_PLATFORMS), default="x86_64")
    sub.add_parser("show", help="print the bundle's key and files")
    args = parser.parse_args(argv)
    if args.command == "wheels":
        print(download_wheels(args.arch))
    else:
        bundle = collect()
        print(bundle.key)
        for name in bundle.files:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
