"""The sample report in a real browser: headless Chromium driven over the DevTools protocol.

Chromium talks DevTools over a pipe (`--remote-debugging-pipe`: commands on fd 3, replies
on fd 4, NUL-separated JSON), so no port, no extra package and nothing on the network.
The set-up installs Debian's `chromium` and `fonts-noto-core` (Persian glyphs); without a
browser these tests skip with the reason, unless VOC_REQUIRE_BROWSER=1 (CI), where they
fail. Screenshots and a PDF print land in $VOC_TEST_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from voc.io.schema import records_schema, segments_schema
from voc.io.writers import rows_to_table, write_parquet
from voc.kpi.component import kpi_document, pain_rows_of, respondents
from voc.report.data import load_run_data
from voc.report.render import write_report

pytestmark = pytest.mark.slow

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--mute-audio",
                  "--hide-scrollbars", "--remote-debugging-pipe")
# The probe would set window.__voc_xss or fetch a URL if any of it ever became markup.
XSS_TEXT = ('<script>window.__voc_xss = 1</script><img src="https://probe.invalid/x.png" '
            'onerror="window.__voc_xss = 2"> the courier was late and rude, never again')
XSS_CHANNEL = '<b onmouseover="window.__voc_xss = 3">kiosk</b>'
PERSIAN_FONTS = ("Vazirmatn", "Noto Sans Arabic", "Noto Naskh Arabic", "Tahoma")
PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280
TIMEOUT_S = 30.0


def artifacts_dir() -> Path:
    directory = Path(os.environ.get("VOC_TEST_ARTIFACTS")
                     or Path(__file__).parent / "artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def find_chromium() -> str | None:
    if configured := os.environ.get("VOC_CHROMIUM"):
        return configured
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 9, clear of the 3 and 4 Chromium uses."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_read, self._to_browser = (_high_fd(fd) for fd in os.pipe())
        self._from_browser, from_browser_write = (_high_fd(fd) for fd in os.pipe())
        # bash (dash cannot name fds above 9) puts our pipe ends on the fds Chromium expects
        # (3: commands, 4: replies).
        command = (f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write} '
                   f'{to_browser_read}<&- {from_browser_write}>&-')
        self.process = subprocess.Popen(
            ["bash", "-c", command, executable, *CHROMIUM_FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as stream:
            while chunk := stream.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        with self._lock:
                            self._replies.setdefault(message["id"], queue.Queue()).put(message)
                    else:
                        self.events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            replies = self._replies.setdefault(message_id, queue.Queue())
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            reply = replies.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise TimeoutError(f"Chromium did not answer {method} in {TIMEOUT_S:.0f} s: "
                               f"{self._stderr_tail()}") from None
        if "error" in reply:
            raise RuntimeError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str, session: str, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for event in self.events[after:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            time.sleep(0.05)
        raise TimeoutError(f"no {method} from Chromium in {TIMEOUT_S:.0f} s")

    def _stderr_tail(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(browser still running)"
        return self.process.stderr.read().decode(errors="replace")[-800:]

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.send("Browser.close")  # a browser that already died needs no closing
        os.close(self._to_browser)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Page:
    """One tab, with every console message, exception and request it produced."""

    def __init__(self, browser: DevTools) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        self.first_event = len(browser.events)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def open(self, url: str, width: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile})
        start = len(self.browser.events)
        self.send("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session, start)

    def evaluate(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"evaluating {expression[:60]}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, path: Path, width: int, mobile: bool = False) -> None:
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": min(int(height), 16000), "deviceScaleFactor": 1,
                   "mobile": mobile})
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport":
                                                    True})
        path.write_bytes(base64.b64decode(shot["data"]))

    def own_events(self, *methods: str) -> list[dict[str, Any]]:
        return [e for e in self.browser.events[self.first_event:]
                if e.get("sessionId") == self.session and e.get("method") in methods]

    def errors(self) -> list[str]:
        found = []
        for event in self.own_events("Runtime.consoleAPICalled", "Runtime.exceptionThrown",
                                     "Log.entryAdded"):
            params = event["params"]
            if event["method"] == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:300])
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                    "error", "assert"):
                found.append(json.dumps(params["args"])[:300])
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] in (
                    "error", "warning"):
                found.append(f"{params['entry'].get('source')}: {params['entry']['text']}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"]
                for e in self.own_events("Network.requestWillBeSent")]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    executable = find_chromium()
    if executable is None:
        reason = ("no Chromium found (install Debian's 'chromium' and 'fonts-noto-core', "
                  "or set VOC_CHROMIUM)")
        if os.environ.get("VOC_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    client = DevTools(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        client.send("Browser.getVersion")
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def probed_report(sample_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run plus one hostile answer, re-rendered the way `voc report` does."""
    run_dir = tmp_path_factory.mktemp("probed_run") / "run"
    shutil.copytree(sample_run_dir, run_dir)
    records = pq.read_table(run_dir / "records.parquet").to_pylist()
    segments = pq.read_table(run_dir / "segments.parquet").to_pylist()
    template = next(r for r in records if r["status"] == "ok" and r.get("lang") == "en")
    # The hostile channel is a large one, so the breakdown table lists it by name.
    for record in [r for r in records if r["status"] == "ok"][:60]:
        record["channel"] = XSS_CHANNEL
    row_id = max(r["row_id"] for r in records) + 1
    records.append({**template, "row_id": row_id, "id": "XSS-1", "text": XSS_TEXT,
                    "text_redacted": XSS_TEXT, "channel": XSS_CHANNEL,
                    "sentiment": "negative", "sentiment_score": -1.0, "emotion": "anger",
                    "n_segments": 1, "is_pain_point": True})
    segment = next(s for s in segments if s["row_id"] == template["row_id"])
    segments.append({**segment, "row_id": row_id, "segment_id": f"{row_id}-0",
                     "text": XSS_TEXT, "sentiment": "negative", "sentiment_score": -1.0,
                     "emotion": "anger", "is_pain_point": True, "severity": 1.0})
    write_parquet(run_dir / "records.parquet", rows_to_table(records, records_schema()))
    write_parquet(run_dir / "segments.parquet", rows_to_table(segments, segments_schema()))
    run = load_run_data(run_dir)
    # The report reads its breakdowns from kpis.json: the channel groups as the drivers
    # stage would write them with the probe's records.
    people, _ = respondents(run.records, run.segments)
    run.kpis["by"]["channel"] = kpi_document(
        people, {}, run.kpis["min_support"], None, run.records, pain_rows_of(run.segments),
        run.segments)["by"]["channel"]
    write_report(run_dir, run)
    return run_dir / "report.html"


@pytest.fixture(scope="module")
def desktop(browser: DevTools, probed_report: Path) -> Page:
    page = Page(browser)
    page.open(probed_report.as_uri(), DESKTOP_WIDTH)
    return page


def test_loads_without_console_errors_or_network(desktop: Page, probed_report: Path) -> None:
    assert desktop.evaluate("document.title").startswith("Voice of the customer")
    assert desktop.errors() == []
    assert desktop.requests() == [probed_report.as_uri()]


def test_xss_probe_shows_as_text_and_never_runs(desktop: Page) -> None:
    assert desktop.evaluate("typeof window.__voc_xss") == "undefined"
    assert desktop.evaluate("document.scripts.length + document.images.length") == 0
    assert desktop.evaluate("document.querySelectorAll('[onerror],[onmouseover]').length") == 0
    assert not desktop.own_events("Page.javascriptDialogOpening")
    text = desktop.evaluate("document.body.innerText")
    assert "<script>window.__voc_xss = 1</script>" in text
    assert XSS_CHANNEL in text


def test_persian_quotes_run_right_to_left_and_english_left_to_right(desktop: Page) -> None:
    directions = desktop.evaluate("""
        Array.from(document.querySelectorAll('[dir=auto]'))
          .filter(e => e.innerText.trim())
          .map(e => {
            const strong = e.innerText.match(/[A-Za-z\\u0600-\\u06FF]/);
            return [strong && /[\\u0600-\\u06FF]/.test(strong[0]) ? 'fa' : 'en',
                    getComputedStyle(e).direction];
          })""")
    persian = [d for script, d in directions if script == "fa"]
    english = [d for script, d in directions if script == "en"]
    assert len(persian) >= 3 and set(persian) == {"rtl"}
    assert len(english) >= 3 and set(english) == {"ltr"}


def test_persian_text_has_a_font_with_its_glyphs(desktop: Page) -> None:
    fonts = desktop.send("DOM.getDocument")  # DOM must be enabled before CSS
    desktop.send("CSS.enable")
    node = desktop.send("DOM.querySelector", {
        "nodeId": fonts["root"]["nodeId"], "selector": "[dir=auto][lang=fa]"})["nodeId"]
    assert node, "no Persian quote in the report"
    used = desktop.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    # One of the report's Persian faces, not whatever fallback the system had.
    assert any(f["familyName"] in PERSIAN_FONTS and f["glyphCount"] > 0 for f in used), used


def test_screenshots_and_print(browser: DevTools, desktop: Page, probed_report: Path) -> None:
    artifacts = artifacts_dir()
    desktop.screenshot(artifacts / "report-desktop.png", DESKTOP_WIDTH)
    phone = Page(browser)
    phone.open(probed_report.as_uri(), PHONE_WIDTH, mobile=True)
    # Nothing wider than a phone: tables scroll inside their own box, charts shrink.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    phone.screenshot(artifacts / "report-phone.png", PHONE_WIDTH, mobile=True)
    pdf = desktop.send("Page.printToPDF", {"printBackground": True})
    (artifacts / "report-print.pdf").write_bytes(base64.b64decode(pdf["data"]))
    for name in ("report-desktop.png", "report-phone.png"):
        assert (artifacts / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (artifacts / "report-print.pdf").stat().st_size > 10_000
    assert phone.errors() == []
