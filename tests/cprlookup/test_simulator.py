"""The GCTP simulator over raw HTTP (no product client): wire format, codes, knobs."""

# ruff: noqa: S314, S107 - parses our own simulator's answers; demo credentials

import base64
import http.client
import io
import json
import subprocess
import sys
import time
import types
import urllib.parse
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import pytest
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from core import crypto
from cprlookup.gctp import GctpClient, GctpRefused
from devtools.management.commands import gctp_sim_build as build
from devtools.management.commands.gctp_sim_build import build_register, decrypt_cprs
from tenancy import services
from tests.cprlookup.conftest import SAMPLE
from tests.factories import (
    EntranceFactory,
    OrganisationFactory,
    UnitFactory,
    make_lease,
    make_person,
)

NS = "{http://www.cpr.dk}"


def _post(sim, xml: str, token: str | None = None, timeout: float = 10):
    url = urllib.parse.urlsplit(sim.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {"Content-Type": "text/xml; charset=ISO-8859-1"}
    if token:
        headers["Cookie"] = f"Token={token}"
    conn.request("POST", url.path, body=xml.encode("iso-8859-1"), headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def _envelope(inner: str) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<root xmlns="http://www.cpr.dk"><Gctp v="2.0">{inner}</Gctp></root>'
    )


def _signon(sim, userid="boligkontor", password="demo-gctp"):
    return _post(
        sim, _envelope(f'<Sik function="signon" userid="{userid}" password="{password}"/>')
    )


def _token(sim) -> str:
    resp, _ = _signon(sim)
    return resp.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]


def _search_xml(**fields) -> str:
    key = "".join(f'<Field r="{r}" v="{v}"/>' for r, v in fields.items())
    return _envelope(
        '<System r="CprSoeg"><Service r="UDLEJER"><CprServiceHeader r="UDLEJER">'
        f"<Key>{key}</Key></CprServiceHeader></Service></System>"
    )


def _kvit(body: bytes) -> ET.Element:
    return next(ET.fromstring(body).iter(f"{NS}Kvit"))


def _rows(body: bytes) -> list[dict]:
    return [
        {f.get("r"): f.get("v") for f in row.iter(f"{NS}Field")}
        for row in ET.fromstring(body).iter(f"{NS}Row")
    ]


def test_signon_sets_token_cookie_with_expiry(gctp_simulator):
    resp, body = _signon(gctp_simulator)
    assert resp.status == 200
    assert "ISO-8859-1" in resp.getheader("Content-Type")
    cookie = resp.getheader("Set-Cookie")
    assert cookie.startswith("Token=")
    assert "Expires=" in cookie
    kvit = _kvit(body)
    assert (kvit.get("v"), kvit.get("r"), kvit.get("t")) == ("900", "returKode", "Signon udført")
    assert gctp_simulator.stats()["signons"] == 1


def test_wrong_password_answers_905_without_cookie(gctp_simulator):
    resp, body = _signon(gctp_simulator, password="forkert")
    assert resp.getheader("Set-Cookie") is None
    assert _kvit(body).get("v") == "905"
    assert gctp_simulator.stats()["signon_failures"] == 1


def test_search_without_or_with_expired_token_answers_901(gctp_simulator):
    xml = _search_xml(CVR=SAMPLE.CVR, DARADR=SAMPLE.H1_ST_TV)
    assert _kvit(_post(gctp_simulator, xml)[1]).get("v") == "901"
    token = _token(gctp_simulator)
    assert _kvit(_post(gctp_simulator, xml, token)[1]).get("v") == "0"
    gctp_simulator.expire_tokens()
    assert _kvit(_post(gctp_simulator, xml, token)[1]).get("v") == "901"


def test_token_lifetime_knob_expires_tokens(gctp_simulator):
    gctp_simulator.configure(token_lifetime=0.3)
    token = _token(gctp_simulator)
    xml = _search_xml(CVR=SAMPLE.CVR, DARADR=SAMPLE.H1_ST_TV)
    assert _kvit(_post(gctp_simulator, xml, token)[1]).get("v") == "0"
    time.sleep(0.4)
    assert _kvit(_post(gctp_simulator, xml, token)[1]).get("v") == "901"


def test_search_by_address_id_answers_rows_and_repeats_header(gctp_simulator):
    token = _token(gctp_simulator)
    resp, body = _post(gctp_simulator, _search_xml(CVR=SAMPLE.CVR, DARADR=SAMPLE.H1_ST_TV), token)
    assert resp.status == 200
    header = next(ET.fromstring(body).iter(f"{NS}CprServiceHeader"))
    assert header.get("r") == "UDLEJER"
    assert len(header.get("ts")) == 17
    assert _kvit(body).attrib == {"r": "Ok", "t": "", "v": "0"}
    # Søren lives there; FUTURE moves in after "today" and is not returned.
    assert _rows(body) == [
        {
            "PNR": SAMPLE.SOEREN[0],
            "ADRNVN": SAMPLE.SOEREN[1],
            "TILFLYDTO": "20150401",
            "FRAFLYDTO": "",
            "BESKYT": "0",
            "DARADR": SAMPLE.H1_ST_TV,
            "ETAGE": "st",
            "SIDEDOER": "tv",
        }
    ]
    assert "Søren Ærø".encode("iso-8859-1") in body  # Latin-1 on the wire, not UTF-8


def test_stairwell_search_returns_every_dwelling_and_filters_by_move_out(gctp_simulator):
    token = _token(gctp_simulator)
    body = _post(gctp_simulator, _search_xml(CVR=SAMPLE.CVR, DARHUS=SAMPLE.H1), token)[1]
    rows = {r["PNR"]: r for r in _rows(body)}
    assert set(rows) == {
        SAMPLE.SOEREN[0],
        SAMPLE.PROTECTED[0],
        SAMPLE.MOVED_RECENTLY[0],
        SAMPLE.NEWCOMER[0],
    }
    assert rows[SAMPLE.MOVED_RECENTLY[0]]["FRAFLYDTO"] == "20240115"
    protected = rows[SAMPLE.PROTECTED[0]]
    assert protected["BESKYT"] == "1"
    assert protected["ADRNVN"] == protected["DARADR"] == protected["ETAGE"] == ""
    assert gctp_simulator.stats()["searches_by_key"]["DARHUS"] == 1


def test_moved_out_exactly_one_year_ago_is_still_returned(gctp_simulator):
    gctp_simulator.configure(today="2025-01-15")
    token = _token(gctp_simulator)
    body = _post(gctp_simulator, _search_xml(CVR=SAMPLE.CVR, DARADR=SAMPLE.H1_1_TV), token)[1]
    assert SAMPLE.MOVED_RECENTLY[0] in {r["PNR"] for r in _rows(body)}
    gctp_simulator.configure(today="2025-01-16")
    body = _post(gctp_simulator, _search_xml(CVR=SAMPLE.CVR, DARADR=SAMPLE.H1_1_TV), token)[1]
    assert SAMPLE.MOVED_RECENTLY[0] not in {r["PNR"] for r in _rows(body)}


def test_address_parts_search_exact_and_whole_stairwell(gctp_simulator):
    token = _token(gctp_simulator)
    parts = {"KOMKOD": "101", "VEJKOD": SAMPLE.ROAD, "HUSNR": SAMPLE.H1_NUMBER}
    body = _post(
        gctp_simulator, _search_xml(CVR=SAMPLE.CVR, **parts, ETAGE="1", SIDEDOER="th"), token
    )[1]
    assert [r["PNR"] for r in _rows(body)] == [SAMPLE.PROTECTED[0]]
    body = _post(gctp_simulator, _search_xml(CVR=SAMPLE.CVR, **parts), token)[1]
    assert len(_rows(body)) == 4
    body = _post(
        gctp_simulator,
        _search_xml(CVR=SAMPLE.CVR, KOMKOD="0101", VEJKOD="0100", HUSNR="14b"),
        token,
    )[1]
    assert [r["PNR"] for r in _rows(body)] == [SAMPLE.H2_RESIDENT[0]]
    assert gctp_simulator.stats()["searches_by_key"]["ADRESSE"] == 3


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"CVR": SAMPLE.UNREGISTERED_CVR, "DARADR": SAMPLE.H4_ADDR}, "60"),
        ({"CVR": SAMPLE.OTHER_CVR, "DARADR": SAMPLE.H1_ST_TV}, "61"),
        ({"CVR": SAMPLE.OTHER_CVR, "DARHUS": SAMPLE.H1}, "61"),
        ({"CVR": SAMPLE.CVR, "DARADR": SAMPLE.UNKNOWN}, "62"),
        ({"CVR": SAMPLE.CVR, "DARHUS": SAMPLE.UNKNOWN}, "62"),
        ({"CVR": SAMPLE.CVR, "KOMKOD": "0101", "VEJKOD": "0100", "HUSNR": "99"}, "62"),
        ({"CVR": SAMPLE.CVR, "DARADR": "not-a-uuid"}, "16"),
        ({"CVR": "1234", "DARADR": SAMPLE.H1_ST_TV}, "16"),
        ({"DARADR": SAMPLE.H1_ST_TV}, "16"),
        ({"CVR": SAMPLE.CVR}, "16"),
        ({"CVR": SAMPLE.CVR, "DARADR": SAMPLE.H1_ST_TV, "DARHUS": SAMPLE.H1}, "16"),
        ({"CVR": SAMPLE.CVR, "PNR": "0101801234"}, "16"),
        ({"CVR": SAMPLE.CVR, "KOMKOD": "0101", "HUSNR": "12"}, "16"),
    ],
)
def test_refusals_answer_http_200_with_kvit(gctp_simulator, fields, code):
    token = _token(gctp_simulator)
    resp, body = _post(gctp_simulator, _search_xml(**fields), token)
    assert resp.status == 200
    kvit = _kvit(body)
    assert kvit.get("v") == code
    assert kvit.get("t")
    assert _rows(body) == []
    assert gctp_simulator.stats()["refusals"] == {code: 1}


def test_malformed_xml_answers_16(gctp_simulator):
    resp, body = _post(gctp_simulator, "<root><Gctp>")
    assert resp.status == 200
    assert _kvit(body).get("v") == "16"


def test_error_rate_injects_http_5xx_with_kvit(gctp_simulator):
    gctp_simulator.configure(error_rate=1)
    resp, body = _signon(gctp_simulator)
    assert resp.status in (500, 503)
    assert _kvit(body).get("v") == "999"
    assert gctp_simulator.stats()["errors_injected"] == 1


def test_timeout_rate_sleeps_then_drops_the_connection(gctp_simulator):
    gctp_simulator.configure(timeout_rate=1, timeout_sleep_ms=300)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, TimeoutError)):
        _signon(gctp_simulator)
    gctp_simulator.configure(timeout_rate=0)
    assert gctp_simulator.stats()["timeouts_injected"] == 1


def test_latency_knob_delays_answers(gctp_simulator):
    gctp_simulator.configure(latency_ms=200)
    started = time.monotonic()
    _signon(gctp_simulator)
    assert time.monotonic() - started >= 0.2


def test_bad_config_is_rejected(gctp_simulator):
    with pytest.raises(Exception, match="400"):
        gctp_simulator.configure(error_rate=2)
    with pytest.raises(Exception, match="400"):
        gctp_simulator.configure(nonsense=1)


def test_start_flags_and_empty_register(gctp_simulator_factory):
    sim = gctp_simulator_factory(
        data={"registered_cvrs": [], "addresses": [], "people": []}, latency_ms=5
    )
    assert sim.stats()["register"]["addresses"] == 0
    _, body = _signon(sim)  # default user when the file names none
    assert _kvit(body).get("v") == "900"


def test_simulator_does_not_import_django_or_product_code():
    ours = ("django", "config", "core", "tenancy", "cprlookup", "rentregister", "waitlist")
    ours += ("gdpr", "devtools")
    code = (
        "import sys, simulators.gctp as s; "
        f"bad = [m for m in sys.modules if m.split('.')[0] in {ours!r}]; "
        "print(json.dumps(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, check=True, text=True
    )
    assert json.loads(out.stdout) == []


# --------------------------------------------------------------------------------------------
# gctp_sim_build: the register derived from the portfolio


def _portfolio(organisation, today):
    """An entrance with four units: let, re-let, recently vacated, never let."""
    other = OrganisationFactory(cpr_service_registered=False)
    entrance = EntranceFactory(building__property__organisation=organisation)
    u1, u2, u3, u4 = (UnitFactory(entrance=entrance, floor="st", door=d) for d in "1234")
    p = {
        "aase": make_person(organisation, name="Åse Ødegård"),
        "protected": make_person(organisation, name="Skjult Person", protected=True),
        "old": make_person(organisation, name="Gammel Lejer"),
        "new": make_person(organisation, name="Ny Lejer"),
        "recent": make_person(organisation, name="Nylig Fraflyttet"),
        "other": make_person(other, name="Anden Organisation"),
    }
    make_lease(u1, parties=[p["aase"], p["protected"]], start_date=date(2020, 1, 1))
    old = make_lease(u2, parties=[p["old"]], start_date=date(2015, 1, 1))
    services.lease_end(lease=old, end_date=today - timedelta(days=400))
    make_lease(u2, parties=[p["new"]], start_date=today - timedelta(days=399))
    recent = make_lease(u3, parties=[p["recent"]], start_date=date(2018, 1, 1))
    services.lease_end(lease=recent, end_date=today - timedelta(days=30))
    other_unit = UnitFactory(entrance__building__property__organisation=other)
    make_lease(other_unit, parties=[p["other"]], start_date=date(2019, 1, 1))
    return types.SimpleNamespace(
        entrance=entrance, units=(u1, u2, u3, u4), other=other, other_unit=other_unit, p=p
    )


def _cpr(person) -> str:
    return person.reveal_cpr().replace("-", "")


@pytest.mark.django_db
def test_build_register_follows_the_leases(organisation):
    today = timezone.localdate()
    pf = _portfolio(organisation, today)
    data = build_register(disagreements=False, today=today)
    addresses = {a["id"]: a for a in data["addresses"]}
    u1 = pf.units[0]
    assert addresses[str(u1.dar_id)] == {
        "id": str(u1.dar_id),
        "house_id": str(pf.entrance.dar_id),
        "municipality_code": pf.entrance.municipality_code,
        "road_code": pf.entrance.road_code,
        "house_number": pf.entrance.house_number,
        "floor": u1.floor,
        "door": u1.door,
        "owner_cvr": organisation.cvr,
    }
    assert addresses[str(pf.other_unit.dar_id)]["owner_cvr"] == pf.other.cvr
    assert organisation.cvr in data["registered_cvrs"]
    assert pf.other.cvr not in data["registered_cvrs"]
    people = {p["cpr"]: p for p in data["people"]}
    assert len(people) == 6  # lease parties only, none invented
    aase = people[_cpr(pf.p["aase"])]
    assert aase["name"] == "Åse Ødegård"
    assert aase["registrations"] == [
        {"address_id": str(u1.dar_id), "move_in": "2020-01-01", "move_out": None}
    ]
    assert people[_cpr(pf.p["protected"])]["protected"] is True
    old = people[_cpr(pf.p["old"])]["registrations"][0]
    assert old["move_out"] == (today - timedelta(days=400)).isoformat()
    assert data["users"] == {settings.GCTP_USERID: settings.GCTP_PASSWORD}


@pytest.mark.django_db
def test_register_built_from_db_answers_stairwell_searches(organisation, gctp_settings):
    today = timezone.localdate()
    pf = _portfolio(organisation, today)
    gctp_settings.load_from_db(disagreements=False, today=today)
    gctp_settings.configure(today=today.isoformat())
    client = GctpClient()
    result = client.landlord_search(cvr=organisation.cvr, dar_house_id=pf.entrance.dar_id)
    found = {r.cpr: r for r in result.residents}
    # "old" moved out 400 days ago: no longer returned
    assert set(found) == {_cpr(pf.p[k]) for k in ("aase", "protected", "new", "recent")}
    assert found[_cpr(pf.p["recent"])].move_out == today - timedelta(days=30)
    assert found[_cpr(pf.p["protected"])].name == ""
    assert found[_cpr(pf.p["aase"])].dar_address_id == pf.units[0].dar_id
    with pytest.raises(GctpRefused) as excinfo:
        client.landlord_search(cvr=organisation.cvr, dar_address_id=pf.other_unit.dar_id)
    assert excinfo.value.code == 61
    with pytest.raises(GctpRefused) as excinfo:
        client.landlord_search(cvr=pf.other.cvr, dar_address_id=pf.other_unit.dar_id)
    assert excinfo.value.code == 60


@pytest.mark.django_db
def test_build_register_plants_each_kind_of_disagreement(organisation, monkeypatch):
    today = timezone.localdate()
    # Larger shares than the real ~3 % so that a small portfolio shows every kind.
    monkeypatch.setattr(build, "NOBODY_REGISTERED_SHARE", 0.3)
    monkeypatch.setattr(build, "MOVED_OUT_SHARE", 0.3)
    monkeypatch.setattr(build, "SQUATTER_SHARE", 0.5)
    monkeypatch.setattr(build, "EXTRA_PROTECTED_SHARE", 0.2)
    entrance = EntranceFactory(building__property__organisation=organisation)
    units = [
        UnitFactory(entrance=entrance, floor=str(i // 3 + 1), door=("tv", "th", "mf")[i % 3])
        for i in range(30)
    ]
    leases = {}
    for unit in units[:20]:
        leases[str(unit.dar_id)] = make_lease(unit, start_date=date(2020, 1, 1))
    data = build_register(seed=7, today=today)
    s = data["summary"]
    db_cprs = {_cpr(p) for lease in leases.values() for p in lease.parties.all()}
    regs_at: dict[str, list] = {}
    for person in data["people"]:
        for reg in person["registrations"]:
            regs_at.setdefault(reg["address_id"], []).append((person["cpr"], reg))
    nobody = [a for a in leases if a not in regs_at]
    moved = [a for a in leases if a in regs_at and regs_at[a][0][1]["move_out"]]
    vacant_taken = [str(u.dar_id) for u in units[20:] if str(u.dar_id) in regs_at]
    assert len(nobody) == s["let_units_nobody_registered"] > 0
    assert len(moved) == s["holders_moved_out_lease_running"] > 0
    assert all(date.fromisoformat(regs_at[a][0][1]["move_out"]) < today for a in moved)
    assert len(vacant_taken) == s["unlet_units_someone_registered"] > 0
    assert all(regs_at[a][0][0] not in db_cprs for a in vacant_taken)  # nobody with a lease
    assert s["protected_only_in_cpr"] > 0
    assert build_register(seed=7, today=today) == data  # reproducible
    assert build_register(seed=8, today=today) != data


@pytest.mark.django_db
def test_gctp_sim_build_command_writes_a_private_file(organisation, tmp_path):
    make_lease(UnitFactory(entrance__building__property__organisation=organisation))
    out = tmp_path / "sim.json"
    stdout = io.StringIO()
    call_command("gctp_sim_build", "--out", str(out), "--seed", "3", stdout=stdout)
    assert out.stat().st_mode & 0o077 == 0
    data = json.loads(out.read_text())
    assert len(data["addresses"]) == 1
    assert len(data["people"]) >= 1
    assert "1 adresser" in stdout.getvalue()


def test_decrypt_cprs_matches_crypto_decrypt_and_checks_the_mac():
    values = [f"{i:02d}0180{i:04d}" for i in range(1, 29)] + ["a longer value than one block"]
    tokens = [crypto.encrypt(v) for v in values]
    assert decrypt_cprs(tokens) == values
    data = bytearray(base64.urlsafe_b64decode(tokens[0]))
    data[30] ^= 1  # flip a ciphertext bit: the MAC no longer matches
    with pytest.raises(InvalidToken):
        decrypt_cprs([base64.urlsafe_b64encode(bytes(data)).decode()])


@pytest.mark.parametrize("n", [0, 1, 3, 4, 7])
def test_register_file_is_written_in_slices_as_valid_json(monkeypatch, tmp_path, n):
    monkeypatch.setattr(build, "CHUNK", 3)
    data = {
        "format": "gctp-sim/1",
        "addresses": [{"id": str(i), "door": "æ"} for i in range(n)],
        "people": [{"cpr": f"{i:010d}", "name": "Åse Ø"} for i in range(n)],
        "summary": {"people": n},
    }
    out = tmp_path / "sim.json"
    build.write_register(data, out)
    assert json.loads(out.read_text(encoding="utf-8")) == data
