"""Fixtures for CPR lookups: a real GCTP simulator process reached over HTTP.

* ``gctp_simulator`` (function scope): one simulator process per test session, reset before
  each test (knobs back to defaults, stats zeroed, tokens expired, the SAMPLE register
  loaded, "today" = SIM_TODAY). The handle has ``.base_url`` (the GCTP endpoint for
  settings.GCTP_BASE_URL), ``.stats()``, ``.configure(**knobs)``, ``.reset_stats()``,
  ``.expire_tokens()``, ``.load(data)`` (replace the register with a dict in the data-file
  format, see docs/gctp-simulator.md) and ``.load_from_db(**kwargs)`` (build the register
  from the test database with ``devtools.management.commands.gctp_sim_build.build_register``).
* ``gctp_simulator_factory``: start extra, separate simulator processes with their own
  data and start-up flags: ``gctp_simulator_factory(data=None, **knobs)``.
* ``gctp_settings``: points settings.GCTP_* at ``gctp_simulator`` (short timeout, fast
  backoff, a per-test token file) and returns the simulator handle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)
STARTUP_TIMEOUT = 30.0
SIM_TODAY = "2024-06-01"
DEFAULT_KNOBS = {
    "latency_ms": 0,
    "error_rate": 0,
    "timeout_rate": 0,
    "token_lifetime": 7200,
    "timeout_sleep_ms": 30000,
    "today": SIM_TODAY,
}


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gctp-sim-test/{name}"))


class SAMPLE:
    """A small register: ids and values the tests refer to (relative to SIM_TODAY)."""

    CVR = "12345674"  # registered, owns house H1 (three dwellings) and H2 (one)
    OTHER_CVR = "23456781"  # registered, owns H3
    UNREGISTERED_CVR = "34567898"  # owns H4, not registered for the service
    H1 = _id("h1")
    H1_ST_TV = _id("h1-st-tv")
    H1_1_TH = _id("h1-1-th")
    H1_1_TV = _id("h1-1-tv")
    H2 = _id("h2")
    H2_ADDR = _id("h2-addr")
    H3 = _id("h3")
    H3_ADDR = _id("h3-addr")
    H4 = _id("h4")
    H4_ADDR = _id("h4-addr")
    UNKNOWN = _id("unknown")
    MUNICIPALITY = "0101"
    ROAD = "0100"
    H1_NUMBER = "12"
    H2_NUMBER = "14B"
    # people
    SOEREN = ("0101801234", "Søren Ærø Åberg")  # H1 st tv since 2015
    PROTECTED = ("0202802345", "Hemmelig Hansen")  # H1 1 th, protected
    MOVED_RECENTLY = ("0303803456", "Jens Flyttet")  # H1 1 tv, out 2024-01-15
    MOVED_LONG_AGO = ("0404804567", "Gammel Beboer")  # H1 1 tv, out 2022-03-01
    NEWCOMER = ("0505055678", "Ny Lejer")  # H1 1 tv, in 2024-02-01
    FUTURE = ("0606066789", "Kommer Senere")  # H1 st tv, in 2024-07-01 (not yet)
    H2_RESIDENT = ("0707077890", "Bo Østergård")
    H3_RESIDENT = ("0808088901", "Anden Ejer")


def sample_data() -> dict:
    """The SAMPLE register in the data-file format."""
    s = SAMPLE

    def addr(adr_id, house_id, number, floor, door, owner, road=s.ROAD):
        return {
            "id": adr_id,
            "house_id": house_id,
            "municipality_code": s.MUNICIPALITY,
            "road_code": road,
            "house_number": number,
            "floor": floor,
            "door": door,
            "owner_cvr": owner,
        }

    def person(cpr_name, regs, protected=False):
        return {
            "cpr": cpr_name[0],
            "name": cpr_name[1],
            "protected": protected,
            "registrations": [{"address_id": a, "move_in": i, "move_out": o} for a, i, o in regs],
        }

    return {
        "users": {"boligkontor": "demo-gctp", "anden": "hemmeligt"},
        "registered_cvrs": [s.CVR, s.OTHER_CVR],
        "addresses": [
            addr(s.H1_ST_TV, s.H1, s.H1_NUMBER, "st", "tv", s.CVR),
            addr(s.H1_1_TH, s.H1, s.H1_NUMBER, "1", "th", s.CVR),
            addr(s.H1_1_TV, s.H1, s.H1_NUMBER, "1", "tv", s.CVR),
            addr(s.H2_ADDR, s.H2, s.H2_NUMBER, "", "", s.CVR),
            addr(s.H3_ADDR, s.H3, "16", "", "", s.OTHER_CVR),
            addr(s.H4_ADDR, s.H4, "18", "", "", s.UNREGISTERED_CVR),
        ],
        "people": [
            person(s.SOEREN, [(s.H1_ST_TV, "2015-04-01", None)]),
            person(s.PROTECTED, [(s.H1_1_TH, "2019-09-01", None)], protected=True),
            person(s.MOVED_RECENTLY, [(s.H1_1_TV, "2018-01-01", "2024-01-15")]),
            person(s.MOVED_LONG_AGO, [(s.H1_1_TV, "2010-01-01", "2022-03-01")]),
            person(s.NEWCOMER, [(s.H1_1_TV, "2024-02-01", None)]),
            person(s.FUTURE, [(s.H1_ST_TV, "2024-07-01", None)]),
            person(s.H2_RESIDENT, [(s.H2_ADDR, "2001-01-01", None)]),
            person(s.H3_RESIDENT, [(s.H3_ADDR, "2001-01-01", None)]),
        ],
    }


class SimulatorProcess:
    """A running ``python -m simulators.gctp`` and its /_sim/ endpoints."""

    def __init__(self, *, workdir: Path, data: dict | None, knobs: dict) -> None:
        self.workdir = workdir
        self.data_path = workdir / "gctp-sim.json"
        self.data_path.write_text(json.dumps(data if data is not None else sample_data()))
        args = [sys.executable, "-m", "simulators.gctp", "--port", "0"]
        args += ["--data", str(self.data_path), "--seed", "1"]
        for name, value in knobs.items():
            if value is not None:
                args += [f"--{name.replace('_', '-')}", str(value)]
        self._stderr = (workdir / "gctp-sim.stderr").open("wb")
        self.process = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self._first_line()
        url = line.rsplit(" ", 1)[-1].strip()
        self.base_url = url
        self.root_url = url.split("/cpr-online-gctp/")[0]
        self._wait_ready()

    def _first_line(self) -> str:
        box: list[bytes] = []
        reader = threading.Thread(target=lambda: box.append(self.process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(STARTUP_TIMEOUT)
        if not box or b"listening on" not in box[0]:
            self.stop()
            pytest.fail(f"GCTP simulator did not start: {self.stderr()}")
        return box[0].decode()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                self._request("GET", "/_sim/health")
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"GCTP simulator did not answer: {self.stderr()}")

    def stderr(self) -> str:
        self._stderr.flush()
        return (self.workdir / "gctp-sim.stderr").read_text(errors="replace")

    def _request(self, method: str, path: str, payload: dict | None = None) -> dict:
        body = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(  # noqa: S310 - our own local simulator
            self.root_url + path, data=body, method=method
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return json.loads(resp.read())

    def stats(self) -> dict:
        return self._request("GET", "/_sim/stats")

    def configure(self, **knobs) -> dict:
        return self._request("POST", "/_sim/config", knobs)

    def reset_stats(self) -> None:
        self._request("POST", "/_sim/reset-stats", {})

    def expire_tokens(self) -> int:
        return self._request("POST", "/_sim/expire-tokens", {})["expired"]

    def load(self, data: dict) -> dict:
        """Replace the register (data-file format) and reload it in the running process."""
        self.data_path.write_text(json.dumps(data))
        return self._request("POST", "/_sim/reload", {})

    def load_from_db(self, **kwargs) -> dict:
        """Build the register from the test database (gctp_sim_build) and load it."""
        from devtools.management.commands.gctp_sim_build import build_register

        return self.load(build_register(**kwargs))

    def reset(self) -> None:
        self.configure(**DEFAULT_KNOBS)
        self.expire_tokens()
        self.load(sample_data())
        self.reset_stats()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()


@pytest.fixture(scope="session")
def _gctp_simulator_session(tmp_path_factory):
    sim = SimulatorProcess(
        workdir=tmp_path_factory.mktemp("gctp-sim"), data=None, knobs={"today": SIM_TODAY}
    )
    yield sim
    sim.stop()


@pytest.fixture
def gctp_simulator(_gctp_simulator_session):
    """The shared simulator, reset to the SAMPLE register and default knobs."""
    sim = _gctp_simulator_session
    if sim.process.poll() is not None:
        pytest.fail(f"GCTP simulator died: {sim.stderr()}")
    sim.reset()
    return sim


@pytest.fixture
def gctp_simulator_factory(tmp_path):
    """Start separate simulator processes: ``factory(data=None, **start_flags)``."""
    started: list[SimulatorProcess] = []

    def start(data: dict | None = None, **knobs) -> SimulatorProcess:
        knobs.setdefault("today", SIM_TODAY)
        workdir = tmp_path / f"gctp-sim-{len(started)}"
        workdir.mkdir()
        sim = SimulatorProcess(workdir=workdir, data=data, knobs=knobs)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def gctp_settings(settings, gctp_simulator, tmp_path):
    """settings.GCTP_* pointed at the simulator; returns the simulator handle."""
    settings.GCTP_BASE_URL = gctp_simulator.base_url
    settings.GCTP_USERID = "boligkontor"
    settings.GCTP_PASSWORD = "demo-gctp"
    settings.GCTP_TIMEOUT = 2.0
    settings.GCTP_TOKEN_FILE = str(tmp_path / "gctp-token.json")
    settings.GCTP_BACKOFF_BASE = 0.01
    settings.GCTP_BACKOFF_MAX = 0.05
    return gctp_simulator
