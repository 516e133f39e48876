"""The twin under test: started once per session on free ports, stopped afterwards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from twin_grants import short_grant_twin_args

from twin.edge.nginx import NJS_MODULE
from twin.state import TwinPorts
from twin.topology import PLAYER_DIR, Twin

# A small library keeps the first (uncached) ffmpeg run short: 2 titles of 12 s.
TITLES, SECONDS = 2, 12
BINARIES = ("varnishd", "varnishadm", "haproxy", "nginx", "ffmpeg", "ffprobe", "gcc")


def _missing() -> list[str]:
    missing = [b for b in BINARIES
               if not (shutil.which(b) or Path("/usr/sbin", b).exists())]
    if not NJS_MODULE.exists():
        missing.append(f"{NJS_MODULE} (libnginx-mod-http-js)")
    return missing


@pytest.fixture(scope="session")
def twin_prerequisites() -> None:
    """Skips when this machine lacks what a twin needs (`make setup` installs it all);
    installs the player's hls.js when only that is missing and npm is there. Every
    fixture that starts a twin of its own asks for this first."""
    missing = _missing()
    if missing:
        pytest.skip(f"the twin needs {', '.join(missing)} (`make setup` installs them)")
    if not (PLAYER_DIR / "node_modules" / "hls.js").is_dir():
        if not shutil.which("npm"):
            pytest.skip("the player needs hls.js from npm, and npm is absent")
        from twin.install import install_player
        install_player(print)


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory, twin_prerequisites: None) -> Iterator[Twin]:
    t = Twin(stack="dev", run_dir=tmp_path_factory.mktemp("twin"),
             ports=TwinPorts.free, titles=TITLES, seconds=SECONDS, warm_top=0,
             progress=print)
    t.up()
    try:
        yield t
    finally:
        t.down()


@pytest.fixture(scope="module")
def short_grant_twin(tmp_path_factory: pytest.TempPathFactory,
                     twin_prerequisites: None) -> Iterator[Twin]:
    """A second twin whose grants last 60 s, serving one 20-minute title (tiny profile)."""
    t = Twin(stack="dev", run_dir=tmp_path_factory.mktemp("twin-short-grant"),
             ports=TwinPorts.free, progress=print, **short_grant_twin_args(titles=1))
    t.up()
    try:
        yield t
    finally:
        t.down()


@pytest.fixture(scope="session")
def cdn(twin: Twin) -> str:
    return twin.state.cdn_url


@pytest.fixture(scope="session")
def titles(twin: Twin) -> list[str]:
    return twin.state.titles
