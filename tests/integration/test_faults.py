"""Faults (issue 17): the database going away mid-request gives a 503 with a Danish message
(pages and API) and the web recovers by itself when it is back; Redis restarting while a
push task runs loses no rent-register filing.

PostgreSQL's restart is emulated on the test database only (other work shares the server):
new connections refused (ALTER DATABASE ... ALLOW_CONNECTIONS false) and the test
database's backends terminated (pg_terminate_backend). Redis's restart is emulated by a TCP
proxy this test controls between the worker (and this process) and the real Redis."""

import contextlib
import socket
import threading
import time
from urllib.parse import urlparse

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from psycopg import sql

from rentregister.models import Filing, FilingState
from tests.factories import make_lease
from tests.rentregister.conftest import (  # noqa: F401 - fixtures
    _hlr_simulator_process,
    hlr_settings,
    hlr_simulator,
)
from tests.rentregister.fixtures_rent import make_rent_unit
from tests.rentregister.test_integration import _reset_pools, _states, _swept_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DANISH = "midlertidigt utilgængeligt"


def _logged_in(user) -> Client:
    client = Client(raise_request_exception=False)  # a 500 would be answered, not raised
    client.force_login(user)
    return client


def _assert_unavailable(client: Client) -> None:
    page = client.get(reverse("tenancy:unit_list"))
    assert page.status_code == 503, page.status_code
    assert DANISH in page.content.decode()
    assert page["Retry-After"]
    assert "no-store" in page["Cache-Control"]
    api = client.get("/api/units/")
    assert api.status_code == 503
    assert DANISH in api.json()["detail"]


def test_database_error_in_a_request_gives_503_in_danish(caseworker):
    """Any OperationalError (SQLite locked, PostgreSQL gone) in a request: 503, not 500."""
    client = _logged_in(caseworker)

    def broken(execute, sql_text, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(broken):
        _assert_unavailable(client)
    assert client.get(reverse("tenancy:unit_list")).status_code == 200


@contextlib.contextmanager
def _postgres_admin():
    s = connection.settings_dict
    with psycopg.connect(
        host=s.get("HOST") or "localhost",
        port=s.get("PORT") or 5432,
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        yield admin


def _terminate_test_backends(admin, name: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )


def test_postgres_restart_mid_request_503_then_recovers(caseworker):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the suite runs it in CI's PostgreSQL pass)")
    client = _logged_in(caseworker)
    url = reverse("tenancy:unit_list")
    assert client.get(url).status_code == 200
    name = connection.settings_dict["NAME"]
    with _postgres_admin() as admin:
        # 1. The server goes away in the middle of a request (after its first query).
        calls = []

        def dies_mid_request(execute, sql_text, params, many, context):
            calls.append(sql_text)
            if len(calls) == 2:
                _terminate_test_backends(admin, name)
            return execute(sql_text, params, many, context)

        with connection.execute_wrapper(dies_mid_request):
            response = client.get(url)
        assert response.status_code == 503
        assert DANISH in response.content.decode()
        # 2. While it is down (restarting: no connections), every request answers 503.
        admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        try:
            _terminate_test_backends(admin, name)
            _assert_unavailable(client)
        finally:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name))
            )
    # 3. Back: the next request reconnects by itself.
    assert client.get(url).status_code == 200
    assert client.get("/api/units/").status_code == 200


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream address; `cut()` drops every connection and
    refuses new ones (a restarting server), `restore()` listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets = []


@pytest.fixture
def redis_proxy(settings, monkeypatch):
    """This process and the worker reach Redis through a proxy the test can cut."""
    url = urlparse(settings.CELERY_BROKER_URL)
    if url.scheme != "redis":
        pytest.skip("Redis only (the suite runs it in CI's PostgreSQL and Redis pass)")
    from config.celery import app

    proxy = TcpProxy((url.hostname or "127.0.0.1", url.port or 6379))
    proxied = f"redis://127.0.0.1:{proxy.port}{url.path}"
    old = app.conf.broker_url
    settings.CELERY_BROKER_URL = proxied
    monkeypatch.setenv("CELERY_BROKER_URL", proxied)
    app.conf.broker_url = proxied
    _reset_pools(app)
    yield proxy
    proxy.cut()
    app.conf.broker_url = old
    _reset_pools(app)


@pytest.mark.usefixtures("hlr_settings")
def test_redis_restart_mid_task_loses_no_filing(organisation, redis_proxy, monkeypatch, request):
    sim = request.getfixturevalue("hlr_simulator")
    monkeypatch.setenv("HLR_BASE_URL", sim.base_url)
    monkeypatch.setenv("HLR_API_KEY", sim.api_key)
    monkeypatch.setenv("HLR_TIMEOUT", "5")
    monkeypatch.setenv("RENT_PUSH_BACKOFF_SECONDS", "0.2")
    monkeypatch.setenv("RENT_PUSH_BACKOFF_MAX_SECONDS", "0.5")
    monkeypatch.setenv("RENT_STUCK_AFTER_SECONDS", "3")
    worker = request.getfixturevalue("celery_worker_process")
    units = [make_rent_unit(organisation) for _ in range(4)]
    # A slow register keeps the push task running while Redis goes away.
    sim.configure(latency_ms=1500)
    leases = [make_lease(unit) for unit in units[:2]]
    worker.wait_for(
        lambda: Filing.objects.filter(
            lease__in=leases, state__in=[FilingState.SENT, FilingState.ACCEPTED]
        ).exists(),
        timeout=30,
    )
    redis_proxy.cut()  # Redis restarts mid-task
    started = time.monotonic()
    leases += [make_lease(unit) for unit in units[2:]]  # changes while Redis is down
    assert time.monotonic() - started < 15  # the requests did not hang on the broker
    time.sleep(2)
    redis_proxy.restore()
    from config.celery import app

    _reset_pools(app)
    sim.configure(latency_ms=0)
    lease_ids = [lease.pk for lease in leases]
    total = Filing.objects.filter(lease_id__in=lease_ids).count()
    assert total == 4
    worker.wait_for(
        _swept_until(lambda: _states(lease_ids).count(FilingState.ACCEPTED) == total),
        timeout=120,
    )
    filed = sim.filings()
    mine = [f for f in filed if f["lease_number"] in {lease.number for lease in leases}]
    assert len(mine) == total  # every filing arrived, none twice
    assert len({f["idempotency_key"] for f in mine}) == total
