"""A minimal headless Chromium driver over the DevTools protocol (websocket-client)."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-extensions", "--disable-sync", "--no-first-run", "--mute-audio",
    "--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
    "--window-size=1280,900",
)


class Browser:
    """One headless Chromium with one page; `evaluate` runs JS in it."""

    def __init__(self, timeout: float = 20.0) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="twin-chromium-"))
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        pages = []
        while not pages and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                import urllib.request
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                    pages = [p for p in json.load(r) if p["type"] == "page"]
            time.sleep(0.05)
        # No Origin header: Chromium (since 111) refuses DevTools connections from an
        # origin it was not told to allow, but accepts a client that sends none.
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
        self.ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str):  # noqa: ANN201 - any JSON value
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "exception"))
        return result["result"].get("value")

    def add_init_script(self, source: str) -> None:
        """Run `source` in every document this page loads from now on, before its scripts
        (DevTools Page.addScriptToEvaluateOnNewDocument)."""
        self.call("Page.enable")
        self.call("Page.addScriptToEvaluateOnNewDocument", source=source)

    def screenshot(self, path: Path) -> Path:
        """Save the page's viewport as a PNG at `path` (DevTools Page.captureScreenshot)."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
