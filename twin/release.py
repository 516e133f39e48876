"""The API bundle as the ASG's instances install it, for the twin's autoscaled instances.

`infra.app_bundle.collect()` gives the bundle (app/ and requirements.txt pinned from
pyproject.toml); this writes it as the zip the stack uploads, unpacks it into a release
folder and installs a venv from the bundle's requirements.txt, as the user data in
infra/api_fleet.py does (`python -m zipfile -e`, `python -m venv`, `pip install -r`).
Instances then run the release's own gunicorn with the release as working directory, so
a file the bundle lacks or a requirement it does not pin fails in the twin first.

Differences from an instance, on purpose: the wheels in build/wheels/ are built for
Amazon Linux's CPython 3.11, so the twin leaves them out and pip installs the same pins
from the configured package index; and a release is built once per bundle digest and
kept under .cache/bundles/ (instances on one host share it, as releases/<key> would).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra.app_bundle import Bundle, collect

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO_ROOT / ".cache" / "bundles"
INSTALL_TIMEOUT_S = 900


class ReleaseFailed(RuntimeError):
    """The bundle could not be unpacked or its requirements not installed; names the log."""


@dataclass(frozen=True)
class Release:
    """An unpacked bundle with its venv: run `gunicorn` from `directory`."""

    key: str
    directory: Path

    @property
    def gunicorn(self) -> Path:
        return self.directory / "venv" / "bin" / "gunicorn"

    def argv(self) -> list[str]:
        """gunicorn as the systemd unit starts it on an instance."""
        return [str(self.gunicorn), "-c", "app/gunicorn.conf.py", "app.wsgi:app"]


def write_archive(bundle: Bundle, path: Path) -> Path:
    """The bundle as a zip: its files by archive path plus requirements.txt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in sorted(bundle.files.items()):
            archive.write(source, name)
        archive.writestr("requirements.txt", bundle.requirements)
    tmp.replace(path)
    return path


def prepare(bundle: Bundle | None = None, cache: Path = DEFAULT_CACHE) -> Release:
    """The release of `bundle` (default: the API bundle without wheels), built if missing.

    Raises ReleaseFailed when pip cannot install the bundle's requirements.
    """
    bundle = bundle or collect(with_wheels=False)
    name = bundle.key.rsplit("/", 1)[-1].removesuffix(".zip")
    directory = cache / name
    done = directory / ".installed"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return Release(bundle.key, directory)
        shutil.rmtree(directory, ignore_errors=True)
        archive = write_archive(bundle, cache / f"{name}.zip")
        with zipfile.ZipFile(archive) as z:
            z.extractall(directory)
        log = cache / f"{name}.install.log"
        pip = (["--no-index", "--find-links", "wheels"] if bundle.has_wheels else [])
        with open(log, "w") as out:
            for argv in ([sys.executable, "-m", "venv", "venv"],
                         [str(directory / "venv" / "bin" / "pip"), "install", "-q", *pip,
                          "-r", "requirements.txt"]):
                code = subprocess.run(argv, cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                                      timeout=INSTALL_TIMEOUT_S).returncode
                if code:
                    raise ReleaseFailed(f"{' '.join(argv)} exited with {code}; see {log}")
        done.touch()
    return Release(bundle.key, directory)
