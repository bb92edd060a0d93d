"""Fixtures for payments and messaging: the payment simulator (with its SMS gateway) and the
mail sink as real processes reached over HTTP/SMTP. Import the ones a module uses.

`payment_simulator` is started once per session (memory only, fast retries) and reset with
default knobs before each test. `payment_settings` points the product at it, with the
webhook and return URLs on pytest-django's live server so webhooks really arrive.
"""

from __future__ import annotations

import copy
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-payments"
SECRET = "test-webhook-secret"
DEFAULT_KNOBS = {
    "latency_ms": 0,
    "error_rate": 0,
    "down": False,
    "failure_rate": 0,
    "webhook_loss_rate": 0,
    "webhook_duplicate_rate": 0,
    "webhook_delay_ms": 0,
    "webhook_jitter_ms": 0,
    "webhook_retry_base_ms": 20,
    "webhook_retry_max_ms": 200,
    "webhooks_paused": False,
    "webhook_url": "",
    "sms_failure_rate": 0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _json_call(base_url: str, method: str, path: str, body=None, headers=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - our own localhost simulator
        base_url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Process:
    def __init__(self, cmd: list[str], log_file: Path, probe) -> None:
        self.cmd = cmd
        self.log_file = log_file
        self.probe = probe
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(self.cmd, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.cmd[2]} exited: {self.log_file.read_text()[-2000:]}")
            try:
                self.probe()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.cmd[2]} did not answer within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class PaymentSimulator:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_key = API_KEY
        self.secret = SECRET
        cmd = [
            sys.executable,
            "-m",
            "simulators.payments",
            "--port",
            str(self.port),
            "--data",
            "",
            "--api-key",
            API_KEY,
            "--webhook-secret",
            SECRET,
            "--webhook-threads",
            "4",
            "--webhook-timeout",
            "5",
        ]
        self.proc = Process(cmd, folder / "payments-sim.log", lambda: self.stats(timeout=0.5))

    def start(self) -> None:
        self.proc.start()

    def stop(self) -> None:
        self.proc.stop()

    def control(self, method: str, path: str, body=None, timeout=10):
        status, data = _json_call(self.base_url, method, path, body, timeout=timeout)
        if status >= 400 and status != 404:
            raise AssertionError(f"{method} {path}: {status} {data}")
        return data

    def api(self, method: str, path: str, body=None, headers=None):
        return _json_call(
            self.base_url, method, path, body, {"X-Api-Key": self.api_key, **(headers or {})}
        )

    def configure(self, **knobs) -> dict:
        return self.control("POST", "/_sim/config", knobs)

    def stats(self, timeout: float = 10) -> dict:
        return self.control("GET", "/_sim/stats", timeout=timeout)

    def reset(self) -> None:
        self.control("POST", "/_sim/reset")

    def pay(self, session_id: str, card: str = "4242424242424242") -> dict:
        return self.control("POST", f"/_sim/sessions/{session_id}/pay", {"card_number": card})

    def events(self) -> list[dict]:
        return self.control("GET", "/_sim/events")["events"]

    def redeliver(self, event_id: str) -> None:
        self.control("POST", "/_sim/events/redeliver", {"event_id": event_id})

    def sms(self) -> list[dict]:
        return self.control("GET", "/_sim/sms")["messages"]

    def wait_idle(self, timeout: float = 30) -> dict:
        """Until no webhook is queued or in flight (lost ones are never sent)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.control("GET", "/_sim/queue")["webhooks_queued"] == 0:
                return self.stats()
            time.sleep(0.05)
        raise AssertionError(f"webhooks still queued: {self.stats()}")


class MailSink:
    def __init__(self, folder: Path) -> None:
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        cmd = [
            sys.executable,
            "-m",
            "simulators.mailsink",
            "--smtp-port",
            str(self.smtp_port),
            "--http-port",
            str(self.http_port),
        ]
        self.proc = Process(cmd, folder / "mailsink.log", self.messages)

    def messages(self) -> list[dict]:
        return _json_call(self.base_url, "GET", "/_sim/messages", timeout=2)[1]["messages"]

    def reset(self) -> None:
        _json_call(self.base_url, "POST", "/_sim/reset")


@pytest.fixture(scope="session")
def payment_simulator_process(tmp_path_factory):
    sim = PaymentSimulator(tmp_path_factory.mktemp("payments-sim"))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def payment_simulator(payment_simulator_process):
    sim = payment_simulator_process
    sim.start()
    sim.configure(**DEFAULT_KNOBS)
    sim.reset()
    yield sim
    sim.start()
    sim.configure(**DEFAULT_KNOBS)
    sim.reset()


@pytest.fixture
def payment_settings(settings, payment_simulator):
    """The product's payment and SMS settings on the simulator (no live server: for tests
    that do not need webhooks to arrive)."""
    settings.PAYMENT_PROVIDER_URL = payment_simulator.base_url
    settings.PAYMENT_PROVIDER_API_KEY = payment_simulator.api_key
    settings.PAYMENT_PROVIDER_TIMEOUT = 5.0
    settings.PAYMENT_WEBHOOK_SECRET = payment_simulator.secret
    settings.PAYMENT_RECONCILE_AFTER_SECONDS = 0
    settings.SMS_GATEWAY_URL = payment_simulator.base_url + "/sms"
    settings.SMS_GATEWAY_API_KEY = payment_simulator.api_key
    return settings


@pytest.fixture
def live_payment_settings(payment_settings, payment_simulator, live_server):
    """As payment_settings, with webhooks and the return page on the live server."""
    payment_settings.PAYMENT_CALLBACK_BASE_URL = live_server.url
    # The "pay" form redirects to the simulator's page: the CSP must allow that origin.
    policy = copy.deepcopy(payment_settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", payment_simulator.base_url]
    payment_settings.CONTENT_SECURITY_POLICY = policy
    return payment_settings


@pytest.fixture(scope="session")
def mail_sink_process(tmp_path_factory):
    sink = MailSink(tmp_path_factory.mktemp("mailsink"))
    sink.proc.start()
    yield sink
    sink.proc.stop()


@pytest.fixture
def mail_sink(mail_sink_process, settings):
    """A running mail sink with no messages; Django's SMTP backend points at it."""
    sink = mail_sink_process
    sink.proc.start()
    sink.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return sink
