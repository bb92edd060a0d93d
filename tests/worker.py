"""The one way tests run a real Celery worker process (tests/conftest.py offers the fixture
to every test).

`celery_worker_process` starts `python -m celery -A config worker --pool=solo -l warning`
with the same database (the pytest-django test database, committed data only: the fixture
uses `transactional_db`), broker and MEDIA_ROOT as the test. Use the returned handle's
`wait_for(predicate)` to poll for the work to finish; it fails early (with the worker's
output) if the worker dies. `start_worker()` starts one more worker the same way (e.g. to
replace one a test killed); the caller stops it.

Integration tests are skipped when the worker cannot start, unless REQUIRE_INTEGRATION=1
(CI), in which case they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

BASE_DIR = Path(django_settings.BASE_DIR)
STARTUP_TIMEOUT = 30.0


def database_url() -> str:
    """The test database as a DATABASE_URL the worker's settings understand."""
    s = connection.settings_dict
    engine = s["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return "sqlite:///" + str(Path(s["NAME"]).resolve())  # sqlite:////abs/path
    if engine == "django.db.backends.postgresql":
        auth = quote(s.get("USER") or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "localhost"
        port = s.get("PORT") or "5432"
        return f"postgres://{auth}{'@' if auth else ''}{host}:{port}/{s['NAME']}"
    raise NotImplementedError(f"No DATABASE_URL form for {engine}")


def _not_available(reason: str):
    if os.environ.get("REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"Celery worker unavailable (REQUIRE_INTEGRATION=1): {reason}")
    pytest.skip(f"Celery worker unavailable: {reason}")


class WorkerProcess:
    """Handle on a running worker subprocess."""

    def __init__(self, process: subprocess.Popen, log_path: Path, pidfile: Path) -> None:
        self.process = process
        self.log_path = log_path
        self.pidfile = pidfile

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def ready(self) -> bool:
        """The pid file is written once Django and the tasks are loaded."""
        return self.pidfile.exists()

    def wait_for(
        self, predicate: Callable[[], bool], *, timeout: float = 60.0, interval: float = 0.25
    ) -> None:
        """Poll `predicate` (e.g. a fresh read of a job row) until it is true; fail on
        timeout or if the worker exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if not self.alive():
                pytest.fail(f"Celery worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(interval)
        pytest.fail(f"Timed out after {timeout:.0f} s waiting for the worker:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_worker(
    *, run_dir: Path | None = None, env_overrides: dict | None = None
) -> WorkerProcess:
    """Start a solo-pool worker on the test's database, broker and MEDIA_ROOT (the current
    settings), with this process's environment plus `env_overrides`. Does not wait."""
    run_dir = Path(run_dir or tempfile.mkdtemp(prefix="celery-worker-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url()
    env["CELERY_BROKER_URL"] = django_settings.CELERY_BROKER_URL
    env["MEDIA_ROOT"] = str(Path(django_settings.MEDIA_ROOT).resolve())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH")]))
    if django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        env["CELERY_FS_BROKER_DIR"] = str(django_settings.BROKER_DIR)
    env.update(env_overrides or {})

    stamp = time.time_ns()
    log_path = run_dir / f"worker-{stamp}.log"
    pidfile = run_dir / f"worker-{stamp}.pid"
    python = BASE_DIR / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(python),
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                f"--pidfile={pidfile}",
                f"--hostname=test-{os.getpid()}-{stamp}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(process, log_path, pidfile)


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path_factory):
    """A real Celery worker (solo pool) running against this test's database and broker.

    MEDIA_ROOT is a fresh temporary folder shared by the test and the worker."""
    from config.celery import app

    run_dir = tmp_path_factory.mktemp("celery-worker")
    settings.MEDIA_ROOT = run_dir / "media"

    # Messages left over from earlier runs point at rows that no longer exist.
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            app.control.purge(connection=conn)
    except Exception as exc:  # any broker failure means: no integration run here
        _not_available(f"broker {settings.CELERY_BROKER_URL!r}: {exc}")

    worker = start_worker(run_dir=run_dir)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not worker.ready():
            if not worker.alive():
                _not_available(f"worker exited at start:\n{worker.output()}")
            if time.monotonic() > deadline:
                _not_available(f"worker not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield worker
    finally:
        worker.stop()
