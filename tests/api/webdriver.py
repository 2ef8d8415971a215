"""A WebDriver session on headless Chromium, for the tests that use a page as a person does
(fill in a form, choose a file, click): Debian's chromium-driver, spoken to over HTTP with
httpx. Only what those tests need: open, find, type, click, read an attribute, wait."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from curbside.runtime import free_port

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
"""The key of an element reference in WebDriver's JSON (W3C WebDriver, 6.1)."""


@dataclass
class Session:
    http: httpx.Client
    url: str
    """The session's address: http://127.0.0.1:PORT/session/ID."""

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.url}{path}", json=body)
        value = response.json()["value"]
        if response.status_code != 200:
            raise AssertionError(f"WebDriver {method} {path}: {value.get('message', value)}")
        return value

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def find(self, css: str) -> str:
        """The element the selector finds first (its WebDriver id)."""
        found = self._call("POST", "/element", {"using": "css selector", "value": css})
        return str(found[ELEMENT])

    def type(self, css: str, text: str) -> None:
        """Type into a field; for a file input, `text` is the file's path."""
        self._call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/click", {})

    def attribute(self, css: str, name: str) -> str | None:
        value = self._call("GET", f"/element/{self.find(css)}/attribute/{name}")
        return None if value is None else str(value)

    def text(self, css: str) -> str:
        return str(self._call("GET", f"/element/{self.find(css)}/text"))

    def wait_for(self, css: str, timeout_s: float = 20.0) -> None:
        """Until the page has an element the selector finds."""
        deadline = time.monotonic() + timeout_s
        query = {"using": "css selector", "value": css}
        while not self._call("POST", "/elements", query):
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed {css}")
            time.sleep(0.1)


def _ready(http: httpx.Client, base: str) -> bool:
    try:
        return bool(http.get(f"{base}/status").json()["value"]["ready"])
    except httpx.HTTPError:
        return False


@contextmanager
def chromium_session() -> Iterator[Session]:
    """A fresh headless Chromium under chromedriver, for one test."""
    driver, chromium = shutil.which("chromedriver"), shutil.which("chromium")
    if driver is None or chromium is None:
        pytest.fail(
            "chromium and chromium-driver are not installed: run `bash deploy/install-services.sh`"
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=60) as http:
            deadline = time.monotonic() + 20
            while not _ready(http, base):
                if time.monotonic() > deadline:
                    pytest.fail("chromedriver did not start")
                time.sleep(0.1)
            args = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]
            options = {"binary": chromium, "args": args}
            wanted = {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}
            made = http.post(f"{base}/session", json={"capabilities": wanted}).json()["value"]
            if "sessionId" not in made:
                pytest.fail(f"chromedriver made no session: {made.get('message', made)}")
            session = Session(http, f"{base}/session/{made['sessionId']}")
            try:
                yield session
            finally:
                http.delete(session.url)
    finally:
        process.terminate()
        process.wait(10)
