"""Fixtures for the rent register: a real HLR simulator process reached over HTTP.

`hlr_simulator` gives a running simulator with empty state and default knobs for each test
(the process is started once per session and reset between tests; a test that stops it
gets it started again). `hlr_settings` points settings.HLR_* at it with short timeouts and
backoff so retry tests stay fast.
"""

from __future__ import annotations

import json
import os
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
API_KEY = "test-hlr"
DEFAULT_KNOBS = {
    "latency_ms": 0,
    "error_rate": 0,
    "down": False,
    "down_mode": "503",
    "lost_response_rate": 0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HlrSimulator:
    """Handle on one simulator process with a fixed port and data file."""

    def __init__(self, data_file: Path, log_file: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_key = API_KEY
        self.data_file = data_file
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    # -- process -------------------------------------------------------------------

    def start(self, **knobs) -> None:
        """Start (or restart) the process on the same port and data file."""
        if self.running:
            return
        cmd = [
            sys.executable,
            "-m",
            "simulators.hlr",
            "--port",
            str(self.port),
            "--data",
            str(self.data_file),
            "--api-key",
            self.api_key,
        ]
        for key, value in knobs.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"HLR simulator exited: {self.log_file.read_text()[-2000:]}")
            try:
                self._call("GET", "/_sim/stats", timeout=0.5)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("HLR simulator did not answer within 15 s")

    def stop(self) -> None:
        """Graceful stop (SIGTERM): the state is saved and survives start()."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Crash (SIGKILL): only the journal is left to recover from."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- control plane -------------------------------------------------------------

    def _call(self, method: str, path: str, body=None, timeout: float = 5):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own localhost simulator
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())

    def configure(self, **knobs) -> dict:
        """Set fault knobs: latency_ms, error_rate, down, down_mode, lost_response_rate."""
        return self._call("POST", "/_sim/config", knobs)

    def stats(self) -> dict:
        return self._call("GET", "/_sim/stats")

    def filings(self) -> list[dict]:
        """Every accepted filing (one row per filing, never per replay)."""
        return self._call("GET", "/_sim/filings")["filings"]

    def notifications(self, since: int = 0) -> list[dict]:
        return self.api("GET", f"/api/v3/udk/notifications?since={since}")[1]["notifications"]

    def reset(self) -> None:
        self._call("POST", "/_sim/reset")

    def api(self, method: str, path: str, body=None, headers: dict | None = None):
        """Raw API call with the API key: returns (status, json)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own localhost simulator
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "X-Api-Key": self.api_key,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="session")
def _hlr_simulator_process(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hlr-sim")
    sim = HlrSimulator(folder / "hlr-sim.json", folder / "hlr-sim.log")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def hlr_simulator(_hlr_simulator_process):
    """A running HLR simulator with empty state and default knobs."""
    sim = _hlr_simulator_process
    sim.start()
    sim.configure(**DEFAULT_KNOBS)
    sim.reset()
    yield sim
    sim.start()  # the test may have stopped or killed it
    sim.configure(**DEFAULT_KNOBS)


@pytest.fixture
def hlr_settings(settings, hlr_simulator):
    """Django settings pointing the HLR client at the simulator (fast retries)."""
    settings.HLR_BASE_URL = hlr_simulator.base_url
    settings.HLR_API_KEY = hlr_simulator.api_key
    settings.HLR_TIMEOUT = 2.0
    settings.HLR_RETRY_ATTEMPTS = 3
    settings.HLR_RETRY_BACKOFF = 0.01
    return settings


@pytest.fixture
def lease_payload():
    """A valid filing body (the shape rentregister's outbox builds)."""
    return {
        "organisation_cvr": "12345674",
        "department_number": "001",
        "dwelling": {
            "bbr_unit_id": "0a3f50a0-1c2d-4e5f-8a9b-123456789abc",
            "address": "Strandvejen 12, 2. tv, 2900 Hellerup",
            "area_m2": "72.50",
            "rooms": 3,
        },
        "lease": {
            "lease_number": "0000123-01",
            "holder_type": "tenant",
            "tenants": [{"name": "Jens Hansen", "birth_date": "1980-05-17", "cpr": None}],
            "start_date": "2020-01-01",
            "end_date": None,
            "rent": "6500.00",
            "special_payments": "0.00",
            "heating_form": "district",
            "electricity": "included",
            "water": "aconto_organisation",
            "drainage": "included",
            "heating": "aconto_utility",
            "tenant_maintains": False,
            "private_kitchen": True,
            "garage_carport": False,
            "accessible": False,
            "student_room": False,
        },
        "effective_date": "2026-11-26",
    }
