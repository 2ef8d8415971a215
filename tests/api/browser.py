"""Headless Chromium for the pages' tests: a page's DOM once its scripts have run, a
screenshot, and the DOM's elements as plain values; plus a small PNG to serve as a map tile.

Chromium is Debian's `chromium` package, which deploy/install-services.sh installs; without
it the tests fail and say so. `--virtual-time-budget` lets a page run for that long in virtual
time, which stands still while network fetches are pending, so the pages' API calls finish
before the DOM is dumped or the screenshot taken.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUDGET_MS = 15_000
"""Virtual time a page may run: far more than it needs, and free while it fetches."""


def _command(*args: str) -> list[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "chromium is not installed: run `bash deploy/install-services.sh` (it installs "
            "Debian's chromium package for these tests)"
        )
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--disable-extensions", f"--virtual-time-budget={BUDGET_MS}", *args,
    ]  # fmt: skip


def _run(*args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="curbside-chromium-") as profile:
        command = _command(f"--user-data-dir={profile}", *args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(url: str) -> str:
    """The page's DOM, serialized, after its scripts have run."""
    return _run("--dump-dom", url)


def screenshot(url: str, path: Path, width: int = 1280, height: int = 900) -> bytes:
    """A PNG of the page at that window size, written to `path` and returned."""
    _run(f"--screenshot={path}", f"--window-size={width},{height}", url)
    return path.read_bytes()


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height (from its IHDR chunk)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    """The text directly inside it (not its children's)."""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})  # fmt: skip
"""HTML elements without an end tag."""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.found.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].text += data


def elements(dom: str) -> list[Element]:
    """Every element of a serialized DOM, in document order."""
    collector = _Collector()
    collector.feed(dom)
    collector.close()
    return collector.found


def tile_png(size: int = 256) -> bytes:
    """A pale square with a darker edge: a map tile whose grid shows in a screenshot."""
    edge, inside = bytes((150, 165, 150)), bytes((226, 232, 220))
    rows = []
    for y in range(size):
        line = [edge if y == 0 or x == 0 else inside for x in range(size)]
        rows.append(b"\x00" + b"".join(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    body = zlib.compress(b"".join(rows))
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
