"""The API's deployable bundle: app/ plus pinned requirements (and wheels, when built).

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
RUNTIME_PACKAGES = ("flask", "gunicorn", "boto3", "cryptography", "pydantic")
PYTHON_VERSION = "3.11"
BUNDLE_PREFIX = "bundles/"
WHEEL_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


def requirements() -> str:
    """requirements.txt for the fleet: the pins pyproject.toml already holds."""
    pins = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    by_name = {re.split(r"[=<>~! \[]", pin, maxsplit=1)[0].lower(): pin for pin in pins}
    missing = [name for name in RUNTIME_PACKAGES if name not in by_name]
    if missing:
        raise ValueError(f"pyproject.toml: no pin for the API's runtime packages {missing}")
    return "".join(f"{by_name[name]}\n" for name in RUNTIME_PACKAGES)


@dataclass(frozen=True)
class Bundle:
    """The bundle's files (archive path -> source path), requirements and digest."""

    files: dict[str, Path]
    requirements: str
    digest: str
    has_wheels: bool

    @property
    def key(self) -> str:
        return f"{BUNDLE_PREFIX}api-{self.digest[:16]}.zip"


def collect(architecture: str = "x86_64") -> Bundle:
    """Gather app/ (no caches) and the wheelhouse for `architecture`; digest them."""
    files: dict[str, Path] = {}
    for path in sorted(APP_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(REPO_ROOT).as_posix()] = path
    wheels = WHEEL_DIR / architecture
    if wheels.is_dir():
        for path in sorted(wheels.glob("*.whl")):
            files[f"wheels/{path.name}"] = path
    reqs = requirements()
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(b"requirements.txt\0" + reqs.encode())
    return Bundle(files, reqs, digest.hexdigest(),
                  has_wheels=any(n.startswith("wheels/") for n in files))


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
