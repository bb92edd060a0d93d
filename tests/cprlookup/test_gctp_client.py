"""The GCTP client over real HTTP against the simulator process (tests/cprlookup/conftest.py)."""

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from cprlookup.gctp import (
    GctpClient,
    GctpError,
    GctpRefused,
    GctpUnavailable,
    Resident,
    SearchResult,
)
from cprlookup.gctp import client as gctp_client
from tests.cprlookup.conftest import SAMPLE, sample_data

ALL_H1 = {SAMPLE.SOEREN[0], SAMPLE.PROTECTED[0], SAMPLE.MOVED_RECENTLY[0], SAMPLE.NEWCOMER[0]}


def _by_cpr(result: SearchResult) -> dict[str, Resident]:
    return {r.cpr: r for r in result.residents}


def test_signs_on_once_and_reuses_the_token(gctp_settings):
    client = GctpClient()
    for _ in range(5):
        result = client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
        assert result.reached_service
        assert result.attempts == 1
    # a second client in the same process finds the token in the shared file
    GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H2)
    stats = gctp_settings.stats()
    assert stats["signons"] == 1
    assert stats["searches"] == 6


def test_token_is_shared_between_processes(gctp_settings, tmp_path):
    """Two worker processes start searching at the same moment without a token: the file
    lock makes one sign on and the other reuse its token."""
    script = (
        "import os, sys, time, django\n"
        "from pathlib import Path\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
        "from cprlookup.gctp import GctpClient\n"
        "c = GctpClient(token_file=sys.argv[1])\n"
        "Path(sys.argv[4]).touch()\n"
        "while not Path(sys.argv[5]).exists():\n"
        "    time.sleep(0.005)\n"
        "for _ in range(5):\n"
        "    c.landlord_search(cvr=sys.argv[2], dar_house_id=sys.argv[3])\n"
    )
    gctp_settings.configure(latency_ms=100)  # sign-on is slow: both processes overlap it
    env = {**os.environ, "GCTP_BASE_URL": gctp_settings.base_url}
    go = tmp_path / "go"
    procs = []
    for i in range(2):
        args = [sys.executable, "-c", script, settings.GCTP_TOKEN_FILE, SAMPLE.CVR, SAMPLE.H1]
        args += [str(tmp_path / f"ready-{i}"), str(go)]
        procs.append(subprocess.Popen(args, cwd=settings.BASE_DIR, env=env, stderr=subprocess.PIPE))
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline, "worker processes did not start"
        assert all(p.poll() is None for p in procs), procs[0].stderr.read().decode()
        time.sleep(0.01)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)  # and this one too
    stats = gctp_settings.stats()
    assert stats["searches"] == 11
    assert stats["signons"] == 1


def test_signs_on_again_once_on_901(gctp_settings):
    client = GctpClient()
    client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    gctp_settings.expire_tokens()  # e.g. the service restarted
    result = client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    assert [r.cpr for r in result.residents] == [SAMPLE.SOEREN[0]]
    assert result.attempts == 1
    stats = gctp_settings.stats()
    assert stats["token_rejections"] == 1
    assert stats["signons"] == 2


def test_renews_token_before_its_expiry(gctp_settings):
    gctp_settings.configure(token_lifetime=1)
    client = GctpClient()
    client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    time.sleep(1.1)
    client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    stats = gctp_settings.stats()
    assert stats["signons"] == 2
    assert stats["token_rejections"] == 0  # the client knew from Expires, no 901 needed


def test_wrong_password_raises_905_without_retry(gctp_settings):
    client = GctpClient(password="forkert")
    with pytest.raises(GctpError) as excinfo:
        client.landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    err = excinfo.value
    assert not isinstance(err, GctpRefused | GctpUnavailable)
    assert err.code == 905
    assert "adgangskode" in err.message
    assert not err.reached_service
    stats = gctp_settings.stats()
    assert stats["signon_failures"] == 1
    assert stats["requests"] == 1


def test_search_by_address_id(gctp_settings):
    result = GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_address_id=uuid.UUID(SAMPLE.H1_1_TV))
    residents = _by_cpr(result)
    assert set(residents) == {SAMPLE.MOVED_RECENTLY[0], SAMPLE.NEWCOMER[0]}
    newcomer = residents[SAMPLE.NEWCOMER[0]]
    assert newcomer == Resident(
        cpr=SAMPLE.NEWCOMER[0],
        name=SAMPLE.NEWCOMER[1],
        move_in=date(2024, 2, 1),
        move_out=None,
        protected=False,
        dar_address_id=uuid.UUID(SAMPLE.H1_1_TV),
        floor="1",
        door="tv",
    )
    assert result.key_kind == "DARADR"
    assert len(result.service_ts) == 17


def test_stairwell_search_protected_and_moved_out(gctp_settings):
    result = GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    residents = _by_cpr(result)
    # MOVED_LONG_AGO (2022) and FUTURE (moves in after "today") are not returned
    assert set(residents) == ALL_H1
    assert residents[SAMPLE.MOVED_RECENTLY[0]].move_out == date(2024, 1, 15)
    assert residents[SAMPLE.SOEREN[0]].move_out is None
    protected = residents[SAMPLE.PROTECTED[0]]
    assert protected.protected
    assert protected.name == ""
    assert protected.dar_address_id is None
    assert (protected.floor, protected.door) == ("", "")
    assert protected.move_in == date(2019, 9, 1)
    assert gctp_settings.stats()["searches_by_key"]["DARHUS"] == 1


def test_search_by_address_parts_exact_and_stairwell(gctp_settings):
    client = GctpClient()
    parts = {"municipality_code": "101", "road_code": "100", "house_number": "12"}
    exact = client.landlord_search(cvr=SAMPLE.CVR, address={**parts, "floor": "St.", "door": "TV"})
    assert [r.cpr for r in exact.residents] == [SAMPLE.SOEREN[0]]
    stairwell = client.landlord_search(cvr=SAMPLE.CVR, address={**parts, "floor": "", "door": ""})
    assert {r.cpr for r in stairwell.residents} == ALL_H1
    single = client.landlord_search(
        cvr=SAMPLE.CVR,
        address={"municipality_code": "0101", "road_code": "0100", "house_number": "14b"},
    )
    assert [r.name for r in single.residents] == [SAMPLE.H2_RESIDENT[1]]
    assert gctp_settings.stats()["searches_by_key"]["ADRESSE"] == 3


def test_danish_letters_round_trip_in_iso_8859_1(gctp_settings):
    data = sample_data()
    data["users"]["østergård"] = "blåbær"
    data["addresses"].append(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "door-ae")),
            "house_id": SAMPLE.H2,
            "municipality_code": SAMPLE.MUNICIPALITY,
            "road_code": SAMPLE.ROAD,
            "house_number": SAMPLE.H2_NUMBER,
            "floor": "kl",
            "door": "æ1",
            "owner_cvr": SAMPLE.CVR,
        }
    )
    data["people"].append(
        {
            "cpr": "1212121212",
            "name": "Åse Ødegård-Æbelø",
            "registrations": [
                {
                    "address_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "door-ae")),
                    "move_in": "2020-01-01",
                }
            ],
        }
    )
    gctp_settings.load(data)
    client = GctpClient(userid="østergård", password="blåbær")
    result = client.landlord_search(
        cvr=SAMPLE.CVR,
        address={
            "municipality_code": "0101",
            "road_code": "0100",
            "house_number": "14B",
            "floor": "kl",
            "door": "Æ1",
        },
    )
    assert [(r.name, r.door) for r in result.residents] == [("Åse Ødegård-Æbelø", "æ1")]
    soeren = GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    assert soeren.residents[0].name == "Søren Ærø Åberg"


@pytest.mark.parametrize(
    ("kwargs", "code", "text"),
    [
        ({"cvr": SAMPLE.UNREGISTERED_CVR, "dar_address_id": SAMPLE.H4_ADDR}, 60, "tilmeldt"),
        ({"cvr": SAMPLE.OTHER_CVR, "dar_address_id": SAMPLE.H1_ST_TV}, 61, "ejer"),
        ({"cvr": SAMPLE.OTHER_CVR, "dar_house_id": SAMPLE.H1}, 61, "ejer"),
        ({"cvr": SAMPLE.CVR, "dar_house_id": SAMPLE.UNKNOWN}, 62, "findes ikke"),
        (
            {
                "cvr": SAMPLE.CVR,
                "address": {"municipality_code": "101", "road_code": "100", "house_number": "99"},
            },
            62,
            "findes ikke",
        ),
    ],
)
def test_refusals_are_not_retried_and_reached_the_service(gctp_settings, kwargs, code, text):
    with pytest.raises(GctpRefused) as excinfo:
        GctpClient().landlord_search(**kwargs)
    err = excinfo.value
    assert err.code == code
    assert text in err.message
    assert err.reached_service
    assert err.attempts == 1
    assert gctp_settings.stats()["refusals"] == {str(code): 1}


def test_malformed_input_refused_by_the_service(gctp_settings, monkeypatch):
    # The local check normally stops this; force a field the service does not know.
    monkeypatch.setattr(
        gctp_client,
        "search_key",
        lambda **kw: ("DARADR", [("CVR", kw["cvr"]), ("PNR", "0101801234")]),
    )
    with pytest.raises(GctpRefused) as excinfo:
        GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_address_id=SAMPLE.H1_ST_TV)
    assert excinfo.value.code == 16
    assert excinfo.value.reached_service
    assert "ugyldig" in excinfo.value.message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cvr": "1234567", "dar_address_id": SAMPLE.H1_ST_TV},
        {"cvr": "1234567a", "dar_address_id": SAMPLE.H1_ST_TV},
        {"cvr": SAMPLE.CVR},
        {"cvr": SAMPLE.CVR, "dar_address_id": SAMPLE.H1_ST_TV, "dar_house_id": SAMPLE.H1},
        {"cvr": SAMPLE.CVR, "dar_address_id": "ikke-et-uuid"},
        {"cvr": SAMPLE.CVR, "dar_house_id": "123"},
        {
            "cvr": SAMPLE.CVR,
            "address": {"municipality_code": "12345", "road_code": "1", "house_number": "1"},
        },
        {
            "cvr": SAMPLE.CVR,
            "address": {"municipality_code": "101", "road_code": "x", "house_number": "1"},
        },
        {
            "cvr": SAMPLE.CVR,
            "address": {"municipality_code": "101", "road_code": "1", "house_number": "0"},
        },
        {
            "cvr": SAMPLE.CVR,
            "address": {"municipality_code": "101", "road_code": "1", "house_number": "12b3"},
        },
        {
            "cvr": SAMPLE.CVR,
            "address": {
                "municipality_code": "101",
                "road_code": "1",
                "house_number": "1",
                "floor": "tag",
            },
        },
        {
            "cvr": SAMPLE.CVR,
            "address": {
                "municipality_code": "101",
                "road_code": "1",
                "house_number": "1",
                "door": "12345",
            },
        },
    ],
)
def test_malformed_input_is_refused_before_any_call(gctp_settings, kwargs):
    with pytest.raises(GctpRefused) as excinfo:
        GctpClient().landlord_search(**kwargs)
    assert excinfo.value.code == 16
    assert not excinfo.value.reached_service
    assert excinfo.value.attempts == 0
    assert gctp_settings.stats()["requests"] == 0


def test_all_errors_end_in_unavailable_after_max_attempts(gctp_settings):
    gctp_settings.configure(error_rate=1)
    with pytest.raises(GctpUnavailable) as excinfo:
        GctpClient(max_attempts=3).landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    err = excinfo.value
    assert err.attempts == 3
    assert not err.reached_service
    assert "3 forsøg" in err.message
    assert gctp_settings.stats()["errors_injected"] == 3


def test_timeouts_end_in_unavailable_without_hanging(gctp_settings):
    client = GctpClient(timeout=0.2, max_attempts=3)
    client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)  # signed on
    gctp_settings.configure(timeout_rate=1, timeout_sleep_ms=2000)
    started = time.monotonic()
    with pytest.raises(GctpUnavailable) as excinfo:
        client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    assert time.monotonic() - started < 3 * 0.2 + 3 * 0.05 + 1.0
    assert "timeout" in excinfo.value.message
    assert excinfo.value.attempts == 3
    assert gctp_settings.stats()["timeouts_injected"] == 3


def test_faulty_service_every_search_ends_in_result_or_unavailable(gctp_settings):
    """20 % HTTP 5xx and 5 % timeouts, 8 threads: no hang, nothing lost, charged once."""
    gctp_settings.configure(error_rate=0.2, timeout_rate=0.05, timeout_sleep_ms=1500)
    client = GctpClient(timeout=0.3)
    n = 120

    def one(_):
        try:
            return client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
        except GctpUnavailable as exc:
            return exc

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(one, range(n)))
    elapsed = time.monotonic() - started
    results = [o for o in outcomes if isinstance(o, SearchResult)]
    failures = [o for o in outcomes if isinstance(o, GctpUnavailable)]
    assert len(results) + len(failures) == n
    assert all({r.cpr for r in res.residents} == ALL_H1 for res in results)
    assert any(res.attempts > 1 for res in results)  # retries happened and succeeded
    assert all(f.attempts == 4 for f in failures)
    stats = gctp_settings.stats()
    assert stats["errors_injected"] > 0
    assert stats["timeouts_injected"] > 0
    # every successful search is one answered search at the service: charged once
    assert stats["searches"] == len(results) + sum(f.reached_service for f in failures)
    assert elapsed < 60


def test_recovers_after_transient_errors(gctp_settings):
    client = GctpClient()
    client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    gctp_settings.configure(error_rate=1)
    # Turn the errors off from another thread while the client is backing off.
    timer = threading.Timer(0.1, lambda: gctp_settings.configure(error_rate=0))
    timer.start()
    result = GctpClient(backoff_base=0.1, backoff_max=0.2, max_attempts=10).landlord_search(
        cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1
    )
    timer.join()
    assert result.attempts > 1
    assert result.reached_service
    assert gctp_settings.stats()["searches"] == 2


class _BrokenService(BaseHTTPRequestHandler):
    """An HTTP 200 that is not a valid GCTP answer; ``answers`` maps call number → body."""

    protocol_version = "HTTP/1.1"
    answers: list[bytes] = []
    calls = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        body = cls.answers[min(cls.calls, len(cls.answers) - 1)]
        cls.calls += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=ISO-8859-1")
        self.send_header("Set-Cookie", "Token=abc; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _answer(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?><root xmlns="http://www.cpr.dk">'
        f'<Gctp v="2.0">{inner}</Gctp></root>'
    ).encode("iso-8859-1")


SIGNON_OK = _answer('<Sik function="signon"><Kvit r="returKode" t="" v="900"/></Sik>')


def _rows(fields: str) -> bytes:
    return _answer(
        '<System r="CprSoeg"><Service r="UDLEJER"><CprData><Table r="UDLEJER">'
        f'<Row k="0">{fields}</Row></Table></CprData><Kvit r="Ok" t="" v="0"/>'
        "</Service></System>"
    )


@pytest.mark.parametrize(
    "bad",
    [
        b"ikke xml",
        b"<html><body>Bad gateway</body></html>",
        _answer("<System/>"),  # no Kvit
        _rows('<Field r="PNR" v="12345"/>'),  # CPR not 10 digits
        _rows('<Field r="PNR" v="0101801234"/><Field r="TILFLYDTO" v="2024-01-01"/>'),
        _rows('<Field r="PNR" v="0101801234"/><Field r="DARADR" v="xyz"/>'),
    ],
)
def test_malformed_answers_are_retried_then_unavailable(tmp_path, bad):
    _BrokenService.answers = [SIGNON_OK, bad]
    _BrokenService.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = GctpClient(
            base_url=f"http://127.0.0.1:{server.server_address[1]}/cpr-online-gctp/gctp",
            token_file=tmp_path / "token.json",
            max_attempts=2,
            backoff_base=0.01,
        )
        with pytest.raises(GctpUnavailable) as excinfo:
            client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
        assert excinfo.value.attempts == 2
        assert _BrokenService.calls == 3  # sign-on + two search attempts
    finally:
        server.shutdown()
        server.server_close()


def test_logs_carry_no_cpr_numbers_or_names(gctp_settings, caplog):
    caplog.set_level(logging.DEBUG, logger="cprlookup.gctp")
    gctp_settings.configure(error_rate=0.5)
    client = GctpClient(max_attempts=10)
    result = client.landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    with pytest.raises(GctpRefused):
        client.landlord_search(cvr=SAMPLE.OTHER_CVR, dar_house_id=SAMPLE.H1)
    assert caplog.records  # it does log
    for resident in result.residents:
        assert resident.cpr not in caplog.text
        assert resident.cpr not in repr(resident)
        if resident.name:
            assert resident.name not in caplog.text
            assert resident.name not in repr(resident)


def test_token_file_is_private(gctp_settings):
    GctpClient().landlord_search(cvr=SAMPLE.CVR, dar_house_id=SAMPLE.H1)
    assert os.stat(settings.GCTP_TOKEN_FILE).st_mode & 0o077 == 0
