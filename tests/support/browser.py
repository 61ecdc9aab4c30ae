"""Headless Chromium for the HTML report tests, driven over the DevTools protocol with the standard
library only (``--remote-debugging-pipe``: JSON messages ending in NUL on file descriptors 3 and 4).

``render_page(path, workdir)`` loads a local file and returns what a user would notice: console
errors and uncaught exceptions, failed loads, every request that left the file (network), the
SVG charts with their drawn paths, a full-page screenshot and one screenshot per chart. The PNG
helpers decode screenshots with zlib so a test can count the colours a chart really painted.
Deadlines only bound a hang; nothing asserts how fast the browser is.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

DEADLINE_S = 180.0
CHARTS_JS = """JSON.stringify([...document.querySelectorAll('svg.chart')].map(s => {
  const r = s.getBoundingClientRect();
  return {cls: s.getAttribute('class'), label: s.getAttribute('aria-label'),
          x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height,
          paths: [...s.querySelectorAll('path.series')].map(p => p.getTotalLength())};
}))"""


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageRender:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    requests: list[str] = field(default_factory=list)  # every URL the page asked for (the file itself too)
    charts: list[dict] = field(default_factory=list)
    screenshot: bytes = b""
    chart_shots: list[bytes] = field(default_factory=list)  # one PNG per chart, clipped to it
    text: str = ""  # document.body.innerText


class _Pipe:
    def __init__(self, proc, write_fd: int, read_fd: int):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.buffer, self.events, self._ids = b"", [], iter(range(1, 1 << 30))
        self.deadline = time.monotonic() + DEADLINE_S

    def _message(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"chromium did not answer within {DEADLINE_S:.0f} s")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise AssertionError(f"chromium exited: {self.proc.stderr.read().decode(errors='replace')[-800:]}")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        ident = next(self._ids)
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            msg = self._message()
            if msg.get("id") == ident:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._message())


def _launch(profile: Path):
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def fds_3_and_4():  # chromium reads commands on fd 3 and writes answers on fd 4
        a, b = os.dup(to_child_r), os.dup(from_child_w)
        os.dup2(a, 3)
        os.dup2(b, 4)
        os.set_inheritable(3, True)
        os.set_inheritable(4, True)

    argv = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--window-size=1280,1000", "about:blank"]
    proc = subprocess.Popen(argv, preexec_fn=fds_3_and_4, close_fds=False, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(to_child_r)
    os.close(from_child_w)
    return proc, _Pipe(proc, to_child_w, from_child_r)


def render_page(path: Path, workdir: Path) -> PageRender:
    """Load ``path`` in headless Chromium and gather what it showed (see the module docstring)."""
    proc, pipe = _launch(workdir / "chromium-profile")
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired")
        result = PageRender()
        value = pipe.call("Runtime.evaluate", {"expression": CHARTS_JS, "returnByValue": True}, session=session)
        result.charts = json.loads(value["result"]["value"])
        result.text = pipe.call("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                                session=session)["result"]["value"]
        size = pipe.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        result.screenshot = _shot(pipe, session, clip)
        for chart in result.charts:
            if chart["width"] and chart["height"]:
                result.chart_shots.append(_shot(pipe, session, {"x": chart["x"], "y": chart["y"], "width": chart["width"],
                                                                "height": chart["height"], "scale": 1}))
        pipe.call("Runtime.evaluate", {"expression": "1"}, session=session)  # flush events sent meanwhile
        _collect(pipe.events, result)
        try:
            pipe.call("Browser.close")
        except AssertionError:
            pass
        return result
    finally:
        for fd in (pipe.write_fd, pipe.read_fd):
            os.close(fd)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _shot(pipe: _Pipe, session: str, clip: dict) -> bytes:
    data = pipe.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                     session=session)["data"]
    return base64.b64decode(data)


def _collect(events: list[dict], result: PageRender) -> None:
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            result.errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            details = p.get("exceptionDetails", {})
            result.errors.append("exception: " + str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            result.errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            result.requests.append(p["request"]["url"])


# -- PNG, read with zlib -------------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, after checking its signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width = height = None
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        pos += 12 + length
        if kind == b"IEND":
            break
    assert width and height, "no IHDR"
    return width, height


def png_colours(data: bytes) -> dict[tuple[int, int, int], int]:
    """How many pixels of each RGB colour an 8-bit RGB/RGBA, non-interlaced PNG has."""
    width, height = png_size(data)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    _, _, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    bpp = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous = bytearray(stride)
    counts: dict[tuple[int, int, int], int] = {}
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        for x in range(0, stride, bpp):
            pixel = (line[x], line[x + 1], line[x + 2])
            counts[pixel] = counts.get(pixel, 0) + 1
        previous = line
    return counts


def near(counts: dict[tuple[int, int, int], int], hex_colour: str, tolerance: int = 40) -> int:
    """Pixels within ``tolerance`` (per channel) of ``#rrggbb`` (anti-aliasing blends the edges)."""
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for c, n in counts.items() if all(abs(a - b) <= tolerance for a, b in zip(c, target)))
