"""cdp_pipe.py - headless Chromium driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: file descriptors 3 and 4, messages ended by NUL),
so that a test needs no websocket library and no port: load a page at a
window size and time it, evaluate expressions in it, take screenshots,
print it to PDF, collect what it logged. Used by tests/test_report_scale.py.

    with Browser() as b:
        page = b.open("file:///...", width=420, height=900)
        page.seconds, page.eval("document.title"), page.screenshot(path)

Every call has a deadline; a browser that stops answering raises Timeout
and is killed with its process group when the Browser closes.
"""
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


class Timeout(Exception):
    pass


class Browser(object):
    def __init__(self, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="kaudit-cdp-")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        def child():
            # The pipe's ends at 3 and 4 in Chromium, inheritable (dup2 onto
            # itself would keep close-on-exec, hence the copies first).
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.log = open(os.path.join(self.profile, "stderr.txt"), "wb")
        self.proc = subprocess.Popen([CHROMIUM] + FLAGS + ["--user-data-dir=" + os.path.join(self.profile, "p"),
                                                           "--remote-debugging-pipe", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
                                     preexec_fn=child, close_fds=False, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.w, self.r = to_chrome_w, from_chrome_r
        self.buf = b""
        self.n = 0
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise Timeout("chromium did not answer within %d s" % self.timeout)
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise Timeout("chromium closed the pipe (exit %s)" % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg.decode("utf-8"))

    def send(self, method, params=None, session=None, timeout=None):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + (timeout or self.timeout)
        while True:
            x = self._read(deadline)
            if x.get("id") == self.n:
                if "error" in x:
                    raise RuntimeError("%s: %s" % (method, x["error"].get("message")))
                return x.get("result", {})
            self.events.append(x)

    def wait_event(self, name, session, timeout=None):
        deadline = time.time() + (timeout or self.timeout)
        for i, e in enumerate(self.events):
            if e.get("method") == name and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            x = self._read(deadline)
            if x.get("method") == name and x.get("sessionId") == session:
                return x
            self.events.append(x)

    def open(self, url, width, height=900):
        """A new tab of width x height showing url, loaded (its load event
        and a layout after it); .seconds is how long that took."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        start = time.time()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        page.eval("document.body.getBoundingClientRect().height")    # a layout, done
        page.seconds = time.time() - start
        return page

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", timeout=10)
        except (Timeout, RuntimeError, OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
        for fd in (self.w, self.r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page(object):
    def __init__(self, browser, target, session):
        self.b, self.target, self.session = browser, target, session
        self.seconds = None

    def eval(self, expression, timeout=None):
        """The value of a JavaScript expression (JSON-able), awaiting a promise."""
        r = self.b.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session=self.session, timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %s: %s" % (expression[:80], r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")

    def wait_for(self, expression, seconds=10):
        """Poll expression until it is truthy; its value, or None at the deadline."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            v = self.eval(expression)
            if v:
                return v
            time.sleep(0.1)
        return None

    def screenshot(self, path):
        r = self.b.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def pdf(self, path):
        r = self.b.send("Page.printToPDF", {"printBackground": False}, session=self.session, timeout=120)
        data = base64.b64decode(r["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def problems(self):
        """What the page logged as an error: uncaught exceptions, console.error/warn, errors of the log."""
        out = []
        for e in self.b.events:
            if e.get("sessionId") != self.session:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % (p.get("exceptionDetails", {}).get("exception", {}).get("description")
                                              or p.get("exceptionDetails", {}).get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append("console.%s: %s" % (p.get("type"), " ".join(str(a.get("value", a.get("description")))
                                                                        for a in p.get("args", []))))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: %s" % p["entry"].get("text"))
        return out

    def close(self):
        try:
            self.b.send("Target.closeTarget", {"targetId": self.target})
        except (Timeout, RuntimeError):
            pass
