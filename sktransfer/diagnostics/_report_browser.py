"""Load a report in headless Chromium: console messages, images, a full-page screenshot.

Used by the tests of the HTML report and by the script that makes the
documentation's screenshot; not public API. It drives Chromium through the
DevTools protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
messages separated by NUL bytes), so it needs no Python package beyond the
standard library and no network port.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# every image of the page: loaded, of a non-zero size, and decodable
_IMAGES_JS = """
(async () => {
  const images = Array.from(document.images);
  const decoded = await Promise.all(images.map(i => i.decode().then(() => true, () => false)));
  return images.map((i, k) => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,
                                height: i.naturalHeight, decoded: decoded[k],
                                src: i.getAttribute('src').slice(0, 22)}));
})()
"""


def find_chromium():
    """Path of a Chromium (or Chrome) executable, or None.

    ``$SKTRANSFER_CHROMIUM`` wins when set.
    """
    given = os.environ.get("SKTRANSFER_CHROMIUM")
    if given:
        return given if shutil.which(given) else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _DevTools:
    """A Chromium process and its DevTools pipe."""

    def __init__(self, executable, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="sktransfer-chromium-")
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        # out of the way of 3 and 4, so that the dup2 below cannot clobber them
        high_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(res_w)

        def wire():  # in the child: the pipe's two ends become fds 3 and 4
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--hide-scrollbars", "--mute-audio", f"--user-data-dir={self.profile}", "about:blank"]
        # preexec_fn: the pipe protocol wants the ends at fds 3 and 4, which pass_fds cannot place;
        # the child only calls dup2 before exec
        self.process = subprocess.Popen(args, preexec_fn=wire, close_fds=False,  # noqa: PLW1509
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(high_r)
        os.close(high_w)
        self.write_fd, self.read_fd = cmd_w, res_r
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time.")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed its DevTools pipe.")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"DevTools {method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method, deadline):
        for k, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(k)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def close(self):
        try:
            os.write(self.write_fd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            for fd in (self.write_fd, self.read_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)


def _messages(events):
    """Console calls, uncaught exceptions and browser log entries, as (level, text)."""
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            out.append((params.get("type", "log"), text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append(("error", details.get("text", "") + " " + str(details.get("exception", {}).get(
                "description", ""))))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            out.append((entry.get("level", "info"), entry.get("text", "")))
    return out


def load_in_chromium(path, *, screenshot=None, pdf=None, width=1100, timeout=60, executable=None):
    """Open a local HTML file in headless Chromium and report what the page did.

    Parameters
    ----------
    path : str or Path
        The HTML file.
    screenshot : str or Path, default=None
        Where to write a full-page PNG screenshot.
    pdf : str or Path, default=None
        Where to write the page printed to PDF (A4, the page's print styles).
    width : int, default=1100
        Width of the window, in CSS pixels.
    timeout : float, default=60
        Seconds to wait for each answer of the browser.
    executable : str, default=None
        The browser; None: :func:`find_chromium`.

    Returns
    -------
    result : dict
        ``messages`` (list of ``(level, text)``: console calls, uncaught
        exceptions, and the browser's log, e.g. a resource that failed to
        load), ``images`` (per ``<img>``: ``alt``, ``complete``, ``width``,
        ``height``, ``decoded``, ``src`` prefix), ``title``, ``height``
        (of the page, CSS pixels) and ``text`` (``document.body.innerText``).
    """
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium executable found (install the chromium package).")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    url = Path(path).resolve().as_uri()
    browser = _DevTools(executable, timeout)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        browser.events.clear()  # what about:blank said is not the report's
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", time.monotonic() + timeout)

        def evaluate(expression):
            answer = browser.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                       "returnByValue": True}, session=session)
            if "exceptionDetails" in answer:
                raise RuntimeError(f"evaluating {expression[:40]!r}: {answer['exceptionDetails']}")
            return answer["result"].get("value")

        images = evaluate(_IMAGES_JS)
        title = evaluate("document.title")
        text = evaluate("document.body.innerText")
        metrics = browser.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(size["height"])
        if screenshot is not None:
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            }, session=session)
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        if pdf is not None:
            printed = browser.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True},
                                   session=session)
            Path(pdf).write_bytes(base64.b64decode(printed["data"]))
        # events that arrived while the page was examined
        browser.send("Runtime.evaluate", {"expression": "0"}, session=session)
        return {"messages": _messages(browser.events), "images": images, "title": title,
                "height": height, "text": text}
    finally:
        browser.close()
