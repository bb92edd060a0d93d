"""Excel downloads of the tenancy lists: the filtered set, scoped to the organisation,
Danish headers, real dates and amounts, masked CPR numbers, protected persons marked, and
the background path for large lists."""

import re
import zipfile
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.excel import FORMATS
from tenancy import exports
from tenancy.models import ExportJob, Membership
from tests.factories import MembershipFactory, UnitFactory, make_lease, make_person

UNIT_HEADERS = [
    "Adresse",
    "Postnr.",
    "By",
    "Etage",
    "Dør",
    "DAR adresse-id",
    "BBR enheds-id",
    "Anvendelse",
    "Areal m²",
    "Værelser",
    "Udlejningsforhold",
]


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(response.content)).active


def _rows(sheet):
    return list(sheet.iter_rows(values_only=True))


def _unit(organisation, **kwargs):
    return UnitFactory(entrance__building__property__organisation=organisation, **kwargs)


@pytest.fixture
def logged_in(client, caseworker):
    client.force_login(caseworker)
    return client


def test_unit_export_is_exactly_the_filtered_set_of_the_organisation(
    logged_in, organisation, other_organisation
):
    two_rooms = [_unit(organisation, rooms=2) for _ in range(3)]
    _unit(organisation, rooms=4)
    _unit(other_organisation, rooms=2)

    response = logged_in.get(reverse("tenancy:export", args=["units"]), {"rooms": "2"})

    assert re.fullmatch(
        r'attachment; filename="enheder-\d{4}-\d{2}-\d{2}\.xlsx"',
        response["Content-Disposition"],
    )
    rows = _rows(_sheet(response))
    assert list(rows[0]) == UNIT_HEADERS
    assert sorted(r[5] for r in rows[1:]) == sorted(str(u.dar_id) for u in two_rooms)
    unit = two_rooms[0]
    row = next(r for r in rows if r[5] == str(unit.dar_id))
    entrance = unit.entrance
    assert row[0] == f"{entrance.street_name} {entrance.house_number}, {unit.floor}. {unit.door}"
    assert row[1:5] == (entrance.postcode, entrance.city, unit.floor, unit.door)
    assert row[7:10] == (140, 72.5, 2)
    assert row[10] == "Udlejet (almindeligt lejemål)"


def test_address_prefix_filter_is_the_same_as_the_list(logged_in, organisation):
    stairwell = _unit(organisation).entrance
    others = [UnitFactory(entrance=stairwell, organisation=organisation) for _ in range(2)]
    _unit(organisation)  # another stairwell
    query = f"{stairwell.street_name} {stairwell.house_number}"

    rows = _rows(_sheet(logged_in.get(reverse("tenancy:export", args=["units"]), {"q": query})))

    assert len(rows) == 1 + 3
    assert {r[5] for r in rows[1:]} >= {str(u.dar_id) for u in others}


def test_export_uses_the_chosen_organisation_only(client, organisation, other_organisation):
    user = MembershipFactory(organisation=organisation).user
    MembershipFactory(user=user, organisation=other_organisation)
    mine, theirs = _unit(organisation), _unit(other_organisation)
    client.force_login(user)
    session = client.session
    session["organisation_id"] = other_organisation.pk
    session.save()

    rows = _rows(_sheet(client.get(reverse("tenancy:export", args=["units"]))))

    assert [r[5] for r in rows[1:]] == [str(theirs.dar_id)]
    assert str(mine.dar_id) not in {r[5] for r in rows}


def test_people_export_masks_cpr_and_marks_protected(logged_in, organisation, other_organisation):
    make_person(organisation, name="Karen Jensen", cpr="1705801234", phone="20 30 40 50")
    make_person(organisation, name="Ole Beskyttet", cpr="0101901235", protected=True)
    make_person(other_organisation, name="Fremmed Person", cpr="0202901236")

    response = logged_in.get(reverse("tenancy:export", args=["people"]))

    sheet = _sheet(response)
    rows = _rows(sheet)
    assert list(rows[0]) == ["Navn", "CPR-nummer", "Fødselsdato", "E-mail", "Telefon", "Beskyttet"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Karen Jensen", "Ole Beskyttet"}
    assert by_name["Karen Jensen"][1] == "170580-xxxx"
    assert by_name["Karen Jensen"][2].date() == date(1980, 5, 17)
    assert by_name["Karen Jensen"][4] == "20 30 40 50"
    assert by_name["Karen Jensen"][5] == "Nej"
    assert by_name["Ole Beskyttet"][5] == "Ja"
    assert sheet["C2"].is_date
    for row in rows:
        for value in row:
            text = str(value or "")
            assert not re.search(r"\d{6}-?\d{4}", text), text  # no full CPR number anywhere
    # Nor anywhere inside the file (every part of the zip, uncompressed).
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        xml = b"".join(archive.read(name) for name in archive.namelist())
    for cpr in (b"1705801234", b"170580-1234", b"0101901235", b"010190-1235"):
        assert cpr not in xml


def test_formula_like_data_comes_back_as_text(logged_in, organisation):
    make_person(organisation, name='=HYPERLINK("http://evil","klik")', cpr="")
    make_person(organisation, name="@SUM(1)", cpr="", phone="+4520202020")

    sheet = _sheet(logged_in.get(reverse("tenancy:export", args=["people"])))

    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    for cell in cells:
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
            assert cell.data_type == "s"
    assert {c.value for c in cells} >= {
        '=HYPERLINK("http://evil","klik")',
        "@SUM(1)",
        "+4520202020",
    }


def test_lease_export_money_dates_parties_and_labels(logged_in, organisation):
    unit = _unit(organisation)
    tenants = [
        make_person(organisation, name="Anne Andersen"),
        make_person(organisation, name="Bo Beskyttet", protected=True),
    ]
    lease = make_lease(
        unit,
        parties=tenants,
        start_date=date(2021, 2, 1),
        rent=Decimal("7250.50"),
        heating_aconto=Decimal("450.00"),
    )

    sheet = _sheet(logged_in.get(reverse("tenancy:export", args=["leases"])))

    header = [c.value for c in sheet[1]]
    assert header[:8] == [
        "Lejemålsnr.",
        "Adresse",
        "Lejere",
        "Type",
        "Status",
        "Startdato",
        "Slutdato",
        "Husleje",
    ]
    assert {"Særlige ydelser", "Aconto varme", "Aconto vand", "El", "Vand", "Afledning"} <= set(
        header
    )
    row = dict(zip(header, sheet[2], strict=True))
    assert row["Lejemålsnr."].value == lease.number
    assert row["Adresse"].value.endswith(f"{unit.entrance.postcode} {unit.entrance.city}")
    assert row["Lejere"].value == "Anne Andersen, Bo Beskyttet (beskyttet)"
    assert (row["Type"].value, row["Status"].value) == ("Lejer", "Aktiv")
    assert row["Startdato"].is_date
    assert row["Startdato"].value.date() == date(2021, 2, 1)
    assert row["Slutdato"].value is None
    assert row["Husleje"].value == 7250.5
    assert row["Husleje"].data_type == "n"
    assert row["Husleje"].number_format == FORMATS["money"]
    assert row["Aconto varme"].value == 450
    assert row["Varme"].value == "Aconto til udlejer"
    assert row["Opvarmning"].value == "Fjernvarme"
    assert row["Eget køkken"].value == "Ja"


def test_lease_parties_cost_no_query_per_lease(
    logged_in, organisation, django_assert_max_num_queries
):
    url = reverse("tenancy:export", args=["leases"])
    for _ in range(2):
        make_lease(_unit(organisation))
    logged_in.get(url)  # warm caches (session, content types)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        logged_in.get(url)
    for _ in range(6):
        make_lease(_unit(organisation))
    with CaptureQueriesContext(connection) as many:
        rows = _rows(_sheet(logged_in.get(url)))

    assert len(rows) == 1 + 8
    assert len(many) == len(few)


def test_lease_filter_by_person_still_lists_every_party(logged_in, organisation):
    anne, bo = make_person(organisation, name="Anne"), make_person(organisation, name="Bo")
    make_lease(_unit(organisation), parties=[anne, bo])
    make_lease(_unit(organisation), parties=[bo])

    rows = _rows(
        _sheet(logged_in.get(reverse("tenancy:export", args=["leases"]), {"person": anne.pk}))
    )

    assert [r[2] for r in rows[1:]] == ["Anne, Bo"]


@pytest.mark.parametrize(
    ("kind", "first_header"),
    [("properties", "Navn"), ("entrances", "Adresse"), ("units", "Adresse")],
)
def test_every_list_can_be_exported(logged_in, organisation, kind, first_header):
    _unit(organisation)

    rows = _rows(_sheet(logged_in.get(reverse("tenancy:export", args=[kind]))))

    assert rows[0][0] == first_header
    assert len(rows) == 2


def test_unknown_kind_is_404_and_login_is_required(client, logged_in):
    assert logged_in.get(reverse("tenancy:export", args=["bananer"])).status_code == 404
    client.logout()
    response = client.get(reverse("tenancy:export", args=["units"]))
    assert response.status_code == 302
    assert "login" in response.url


def test_invalid_filter_is_refused_not_widened(logged_in, organisation):
    _unit(organisation)

    response = logged_in.get(reverse("tenancy:export", args=["units"]), {"rooms": "mange"})

    assert response.status_code == 400
    assert "Filtrene er ugyldige" in response.content.decode()


# --- large exports: a background job ------------------------------------------------------


@pytest.fixture
def big_limit(settings, tmp_path):
    settings.EXPORT_SYNC_LIMIT = 2
    settings.MEDIA_ROOT = tmp_path
    return settings


def test_above_the_limit_a_job_is_queued_after_commit(
    logged_in, caseworker, organisation, big_limit, django_capture_on_commit_callbacks, monkeypatch
):
    for _ in range(3):
        _unit(organisation, rooms=3)
    _unit(organisation, rooms=1)
    queued = []  # the broker is not part of this test; the integration test uses a worker
    monkeypatch.setattr("tenancy.tasks.export_job_run_task.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = logged_in.get(reverse("tenancy:export", args=["units"]), {"rooms": "3"})

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tenancy:export_job", args=[job.pk])
    assert (job.user, job.organisation, job.kind) == (caseworker, organisation, "units")
    assert (job.query, job.status, job.total, job.done) == ("rooms=3", "queued", 3, 0)
    assert len(callbacks) == 1
    assert queued == [job.pk]

    # Asking again while it is queued does not start a second job.
    with django_capture_on_commit_callbacks(execute=True):
        again = logged_in.get(reverse("tenancy:export", args=["units"]), {"rooms": "3"})
    assert again.url == response.url
    assert ExportJob.objects.count() == 1
    assert queued == [job.pk]


def _job(user, organisation, query="", kind="units"):
    return ExportJob.objects.create(user=user, organisation=organisation, kind=kind, query=query)


def test_running_a_job_writes_the_filtered_file_and_rerunning_rewrites_it(
    caseworker, organisation, other_organisation, big_limit
):
    for _ in range(3):
        _unit(organisation, rooms=3)
    _unit(organisation, rooms=1)
    _unit(other_organisation, rooms=3)
    job = _job(caseworker, organisation, query="rooms=3")

    job = exports.export_job_run(job_id=job.pk)

    assert (job.status, job.total, job.done) == ("done", 3, 3)
    path = exports.export_job_path(job)
    assert path.is_file()
    assert path.is_relative_to(big_limit.MEDIA_ROOT / "exports")
    rows = _rows(load_workbook(path).active)
    assert list(rows[0]) == UNIT_HEADERS
    assert [r[9] for r in rows[1:]] == [3, 3, 3]

    _unit(organisation, rooms=3)
    again = exports.export_job_run(job_id=job.pk)

    assert again.file == job.file  # same file, rewritten with today's data
    assert (again.status, again.done) == ("done", 4)
    assert len(_rows(load_workbook(path).active)) == 1 + 4
    assert not list(path.parent.glob("*.part"))


def test_job_fails_cleanly_when_the_user_lost_access(caseworker, organisation, big_limit):
    _unit(organisation)
    job = _job(caseworker, organisation)
    Membership.objects.filter(user=caseworker).delete()

    job = exports.export_job_run(job_id=job.pk)

    assert job.status == "failed"
    assert job.error == "Brugeren har ikke længere adgang til organisationen."
    assert job.file == ""


def test_a_missing_job_is_ignored(db):
    assert exports.export_job_run(job_id=987654) is None


def test_job_pages_and_file_are_for_the_owner_only(
    client, logged_in, caseworker, organisation, big_limit
):
    _unit(organisation)
    job = exports.export_job_run(job_id=_job(caseworker, organisation).pk)
    urls = [
        reverse("tenancy:export_job", args=[job.pk]),
        reverse("tenancy:export_job_status", args=[job.pk]),
        reverse("tenancy:export_job_file", args=[job.pk]),
    ]

    page = logged_in.get(urls[0])
    status = logged_in.get(urls[1])
    download = logged_in.get(urls[2])

    assert page.status_code == 200
    assert "Excel-eksport: Enheder" in page.content.decode()
    assert status.status_code == 200
    assert urls[2] in status.content.decode()
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert load_workbook(BytesIO(b"".join(download.streaming_content))).active["A1"].value == (
        "Adresse"
    )

    stranger = MembershipFactory(organisation=organisation).user
    client.force_login(stranger)
    for url in urls:
        assert client.get(url).status_code == 404
    client.logout()
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page


def test_status_fragment_polls_until_finished(logged_in, caseworker, organisation, big_limit):
    job = _job(caseworker, organisation)
    url = reverse("tenancy:export_job_status", args=[job.pk])

    running = logged_in.get(url).content.decode()

    assert f'hx-get="{url}"' in running
    assert "I kø" in running
    assert reverse("tenancy:export_job_file", args=[job.pk]) not in running
    assert logged_in.get(reverse("tenancy:export_job_file", args=[job.pk])).status_code == 404


def test_old_jobs_and_files_are_purged(caseworker, organisation, big_limit):
    _unit(organisation)
    old = exports.export_job_run(job_id=_job(caseworker, organisation).pk)
    ExportJob.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2000))
    fresh = _job(caseworker, organisation)
    path = exports.export_job_path(old)

    assert exports.export_jobs_purge() == 1

    assert not path.exists()
    assert list(ExportJob.objects.all()) == [fresh]


def test_rows_come_in_the_order_of_the_list_sort(logged_in, organisation):
    sizes = [3, 1, 2]
    for rooms in sizes:
        _unit(organisation, rooms=rooms)
    url = reverse("tenancy:export", args=["units"])

    ascending = _rows(_sheet(logged_in.get(url, {"sort": "vaerelser"})))
    descending = _rows(_sheet(logged_in.get(url, {"sort": "-vaerelser"})))

    assert [r[9] for r in ascending[1:]] == [1, 2, 3]
    assert [r[9] for r in descending[1:]] == [3, 2, 1]


# --- the benchmark command (figures themselves: docs/benchmarks.md) -----------------------


@pytest.mark.django_db(transaction=True)  # the export is measured in child processes
def test_bench_command_measures_pages_and_export(organisation, settings):
    from django.core.management import call_command

    from tests.factories import UserFactory

    user = UserFactory(username="bench", password="demo")
    MembershipFactory(user=user, organisation=organisation)
    for _ in range(3):
        make_lease(_unit(organisation), parties=[make_person(organisation, name="Anne Bench")])
    out = StringIO()

    call_command("bench", "--requests", "1", "--rounds", "1", stdout=out)

    text = out.getvalue()
    assert "3 units" in text
    assert re.search(r"units: page 1\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+\s+1\n", text)
    assert "search: full CPR" in text
    assert "HTTP" not in text  # every page answered 200
    assert re.search(r"our export path\s+[\d.]+ s\s+[\d,]+ rows/s", text)
    assert re.search(r"speed ratio ours/bare: \d+\.\d\d wall", text)
    assert re.search(r"peak memory of our export: \d+ MB", text)
