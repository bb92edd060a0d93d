"""The proof that anonymisation leaves nothing behind (issue 15, docs/privacy.md).

One person's data is put into every app through the product's own services (a tenant with
two leases and history, rent-register filings and consent, CPR lookups and a scan against
the GCTP simulator, a CPR reveal, a waiting-list application with login, messages, a letter
batch, a payment and its webhook, an Excel export on disk, the admin log, a failed login).
The person is anonymised through the personal-data registry; then EVERY column of EVERY
table (found by database introspection, so a table added later is covered without touching
this test) and every file under MEDIA_ROOT (xlsx and zip members, PDF streams unpacked) is
searched for the name, the surname, the CPR number with and without dash, the e-mails and
the phone number. The same scan first has to find them (in many places) before, so it
cannot pass by looking nowhere.
"""

import contextlib
import json
import re
import zipfile
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from core import personal_data
from core.personal_data import Subject
from cprlookup import services as cpr_services
from gdpr import services as gdpr_services
from rentregister.models import Filing, FilingState
from rentregister.services.consent import filing_consent_give
from tenancy import services
from tenancy.exports import export_job_create, export_job_run
from tenancy.models import Person
from tests.cprlookup.conftest import (  # noqa: F401 - fixtures
    _gctp_simulator_session,
    gctp_settings,
    gctp_simulator,
)
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register
from tests.factories import UserFactory, make_lease
from tests.waitlist.conftest import data
from waitlist.letters import print_batch_create
from waitlist.models import (
    ApplicantEvent,
    Channel,
    Cooperation,
    CooperationMember,
    FeeSchedule,
    Message,
    Payment,
    WebhookEvent,
)
from waitlist.services.applicants import applicant_signup, message_queue

NAME = "Kirsten Ørsted-Bønnelykke"
SURNAME = "Ørsted-Bønnelykke"
CPR = "1505821234"
CPR_DASH = "150582-1234"
EMAIL = "kirsten.orsted@eksempel.dk"
OLD_EMAIL = "k.bonnelykke@gammel-mail.dk"
PHONE = "29481763"
NEEDLES = [NAME, SURNAME, CPR, CPR_DASH, EMAIL, OLD_EMAIL, PHONE]

# Tables allowed to keep the person after anonymisation: the lease documents (contracts,
# rent notices, rulings) that lease law requires kept. Add their table here when they exist.
PRESERVED_TABLES: set[str] = set()


# --- the scan ----------------------------------------------------------------------------


def _texts(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        return [raw.decode("utf-8", "ignore"), raw.decode("latin-1")]
    text = str(value)
    out = [text]
    if text[:1] in "[{":  # JSON stored as text (SQLite escapes non-ASCII as \\uXXXX)
        with contextlib.suppress(ValueError):
            out.append(json.dumps(json.loads(text), ensure_ascii=False))
    return out


def _hits(texts, where: str) -> list[tuple[str, str]]:
    found = []
    for text in texts:
        lowered = text.casefold()
        for needle in NEEDLES:
            if needle.casefold() in lowered:
                found.append((where, needle))
    return found


def database_hits() -> list[tuple[str, str]]:
    """(table.column, needle) for every needle found in any column of any table."""
    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = connection.ops.quote_name
            if connection.vendor == "postgresql":
                select = ", ".join(f"{quoted(c)}::text" for c in columns)
            else:
                select = ", ".join(quoted(c) for c in columns)
            cursor.execute(f"SELECT {select} FROM {quoted(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    found.update(_hits(_texts(value), f"{table}.{column}"))
    return sorted(found)


def _file_texts(path: Path) -> list[str]:
    raw = path.read_bytes()
    parts = [raw]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            parts.append(stream)
    return [t for part in parts for t in _texts(part)]


def file_hits(root: Path) -> list[tuple[str, str]]:
    found = set()
    for path in root.rglob("*"):
        if path.is_file():
            found.update(_hits(_file_texts(path), str(path.relative_to(root))))
    return sorted(found)


# --- one person in every app ---------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _cooperation(organisation) -> Cooperation:
    coop = Cooperation.objects.create(name="Fælles venteliste")
    CooperationMember.objects.create(cooperation=coop, organisation=organisation)
    FeeSchedule.objects.create(
        cooperation=coop,
        channel=Channel.E_OFFER,
        valid_from=date(2020, 1, 1),
        announced_at=date(2019, 11, 1),
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("150"),
    )
    return coop


def fill_every_app(p, gctp, media: Path):
    org = p.organisation
    unit, old_unit = p.units[0], p.unit2
    person = services.person_create(
        organisation=org, name=NAME, cpr=CPR, email=OLD_EMAIL, phone=PHONE, actor=p.caseworker
    )
    services.person_update(person=person, email=EMAIL, actor=p.caseworker)  # history: old e-mail
    old = make_lease(old_unit, parties=[person], start_date=date(2010, 1, 1))
    services.lease_end(lease=old, end_date=date(2014, 12, 31), reason=f"Fraflytning, {NAME}")
    lease = make_lease(unit, parties=[person], start_date=SINCE)
    services.lease_change_rent(
        lease=lease, rent=Decimal("7100.00"), effective_date=date(2024, 1, 1), actor=p.caseworker
    )
    filing_consent_give(person=person, actor=p.caseworker, note=f"Samtykke fra {NAME}")
    Filing.objects.update(state=FilingState.ACCEPTED)

    # CPR: an ad hoc lookup with a purpose naming her, and a scan of every stairwell
    gctp.load(register(org, people=[(CPR, NAME, [(unit, SINCE, None)])]))
    cpr_services.cpr_lookup_perform(
        user=p.officer, organisation=org, unit_id=unit.pk, purpose=f"Sag om {NAME}, {PHONE}"
    )
    job = cpr_services.scan_start(organisation=org, user=p.admin)
    for chunk in cpr_services.scan_pending_chunks(job=job):
        cpr_services.scan_chunk_process(job_id=job.pk, item_ids=chunk)
    gdpr_services.cpr_reveal(user=p.officer, person=person, purpose=f"Boligstøtte, {NAME}")

    # the waiting list: the same human as an applicant with a login, messages and a payment
    login = UserFactory(username=EMAIL, email=EMAIL, first_name="Kirsten", last_name=SURNAME)
    applicant = applicant_signup(
        cooperation=_cooperation(org),
        data=data(name=NAME, cpr=CPR_DASH, email=EMAIL, phone=PHONE, spouse_name="Bo Hansen"),
        user=login,
    )
    message_queue(applicant=applicant, kind="welcome", subject=f"Velkommen {NAME}", body=NAME)
    letter = Message.objects.create(
        applicant=applicant,
        channel=Message.MessageChannel.LETTER,
        kind="offer",
        subject="Tilbud om bolig",
        body=f"Kære {NAME}",
        to_address="Nygade 1, 7400 Herning",
    )
    print_batch_create(cooperation=applicant.cooperation, actor=p.admin)
    assert Message.objects.get(pk=letter.pk).print_batch_id is not None
    ApplicantEvent.objects.create(applicant=applicant, kind="note", text=f"Ringede fra {PHONE}")
    Payment.objects.create(
        applicant=applicant,
        amount=Decimal("200"),
        paid_on=date(2024, 2, 1),
        method=Payment.Method.CARD,
        note=f"Betalt af {NAME}",
        provider_event_id="evt_gdpr_1",
    )
    WebhookEvent.objects.create(
        event_id="evt_gdpr_1",
        payload={"customer": {"email": EMAIL, "name": NAME}},
        outcome=WebhookEvent.Outcome.APPLIED,
    )
    client = Client()
    client.force_login(login)  # a session of her login

    # an Excel export of the people list, written to disk by the background job's code
    job = export_job_create(user=p.caseworker, organisation=org, kind="people", query="", total=1)
    export_job_run(job_id=job.pk)
    LogEntry.objects.create(
        user=p.admin,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(person.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message=f"Ændrede e-mail til {EMAIL}",
    )
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username=EMAIL,
        ip_address="127.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/ansoeger/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    return person, applicant, login


@pytest.mark.django_db(transaction=False)
def test_anonymisation_leaves_nothing_in_any_table_or_file(gctp_settings, media):  # noqa: F811
    p = make_portfolio()
    person, applicant, login = fill_every_app(p, gctp_settings, media)

    before = database_hits()
    tables = {where.split(".")[0] for where, _needle in before}
    expected = {
        "tenancy_person",
        "tenancy_changerecord",
        "rentregister_filing",
        "cprlookup_cprlookupresident",
        "cprlookup_cprregistration",
        "cprlookup_cprlookup",
        "gdpr_cprreveal",
        "waitlist_applicant",
        "waitlist_message",
        "waitlist_payment",
        "waitlist_webhookevent",
        "auth_user",
        "django_admin_log",
        "axes_accessattempt",
    }
    assert expected <= tables, sorted(expected - tables)
    files = {where.split("/")[0] for where, _needle in file_hits(media)}
    assert {"exports", "waitlist"} <= files

    subject = personal_data.resolve(
        Subject.of(organisation_ids=[p.organisation.pk], person_ids=[person.pk])
    )
    assert subject.applicant_ids == {applicant.pk}
    personal_data.anonymise(subject)

    left = [hit for hit in database_hits() if hit[0].split(".")[0] not in PRESERVED_TABLES]
    assert left == []
    assert file_hits(media) == []
    assert not Session.objects.exists()
    login.refresh_from_db()
    assert (login.is_active, login.has_usable_password()) == (False, False)
    # what must survive does: the person and leases as records, the lookup log, the filings
    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert person.leases.count() == 2
    assert Filing.objects.filter(lease__parties=person).exists()
    # and a second anonymisation finds nothing more to do
    assert sum(personal_data.anonymise(subject).values()) == 0
