"""What the twin needs from the system, and installing what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from twin.edge.nginx import NJS_MODULE
from twin.topology import PLAYER_DIR

# binary (or file) -> Debian package
REQUIREMENTS: dict[str, str] = {
    "varnishd": "varnish",
    "varnishadm": "varnish",
    "haproxy": "haproxy",
    "nginx": "nginx",
    str(NJS_MODULE): "libnginx-mod-http-js",
    "gcc": "gcc",  # varnishd compiles VCL
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "npm": "npm",
}


def _present(requirement: str) -> bool:
    if requirement.startswith("/"):
        return Path(requirement).exists()
    return shutil.which(requirement) is not None or Path("/usr/sbin", requirement).exists()


def missing_packages() -> list[str]:
    """Debian packages to install for what is absent, in a stable order."""
    return sorted({pkg for req, pkg in REQUIREMENTS.items() if not _present(req)})


def install_system_packages(say) -> None:  # noqa: ANN001 - a print-like callable
    packages = missing_packages()
    if not packages:
        return
    if os.geteuid() != 0:
        raise SystemExit("missing: " + " ".join(packages)
                         + "\n  install them with: sudo apt-get install -y " + " ".join(packages))
    say(f"installing Debian packages: {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                   check=True, env=env)


def install_player(say) -> None:  # noqa: ANN001
    """`npm ci` in player/ when hls.js is missing or older than the lockfile."""
    installed = PLAYER_DIR / "node_modules" / ".package-lock.json"
    lock = PLAYER_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    say("npm ci in player/ (hls.js)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=PLAYER_DIR, check=True)
