"""Integration fixtures: a real Celery worker process against the test database.

`celery_worker_process` starts `python -m celery -A config worker --pool=solo -l warning`
with the same database (the pytest-django test database, committed data only: the fixture
uses `transactional_db`), broker and MEDIA_ROOT as the test. Use the returned handle's
`wait_for(predicate)` to poll for the work to finish; it fails early (with the worker's
output) if the worker dies.

Integration tests are skipped when the worker cannot start, unless REQUIRE_INTEGRATION=1
(CI), in which case they fail.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

BASE_DIR = Path(django_settings.BASE_DIR)
STARTUP_TIMEOUT = 30.0


def _database_url() -> str:
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
    """Handle on the running worker subprocess."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

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


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path_factory):
    """A real Celery worker (solo pool) running against this test's database and broker.

    MEDIA_ROOT is a fresh temporary folder shared by the test and the worker."""
    from config.celery import app

    run_dir = tmp_path_factory.mktemp("celery-worker")
    settings.MEDIA_ROOT = run_dir / "media"
    env = os.environ.copy()
    env["DATABASE_URL"] = _database_url()
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH")]))
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        env["CELERY_FS_BROKER_DIR"] = str(settings.BROKER_DIR)

    # Messages left over from earlier runs point at rows that no longer exist.
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            app.control.purge(connection=conn)
    except Exception as exc:  # any broker failure means: no integration run here
        _not_available(f"broker {settings.CELERY_BROKER_URL!r}: {exc}")

    log_path = run_dir / "worker.log"
    pidfile = run_dir / "worker.pid"
    python = BASE_DIR / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    log = log_path.open("wb")
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
            f"--hostname=test-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = WorkerProcess(process, log_path)
    try:
        # The pid file is written once Django and the tasks are loaded.
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not pidfile.exists():
            if not worker.alive():
                _not_available(f"worker exited at start:\n{worker.output()}")
            if time.monotonic() > deadline:
                _not_available(f"worker not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
