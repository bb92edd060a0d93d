"""Issue 11: one Danish formatting layer, charts, cross-links, one scope per session, the
scan progress fragment, manual scans logged as manual, the GDPR page, API page sizes."""

from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from core import charts, formatting
from cprlookup.models import CprLookup, ScanJob, ScanStatus
from rentregister.models import Filing, UdkTask
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    make_lease,
    make_person,
)

pytestmark = pytest.mark.django_db


# --- formatting ---------------------------------------------------------------------------


def test_danish_formats_for_money_area_dates_and_users():
    assert formatting.money(Decimal("7808")) == "7.808,00 kr."
    assert formatting.money(Decimal("1234567.5")) == "1.234.567,50 kr."
    assert formatting.area(Decimal("68.00")) == "68 m²"
    assert formatting.area(Decimal("72.50")) == "72,5 m²"
    assert formatting.number(12345) == "12.345"
    assert formatting.day(date(2026, 12, 1)) == "01.12.2026"
    assert formatting.day("2027-01-01") == "01.01.2027"
    at = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert formatting.moment(at) == "01.06.2026 12:00"  # Danish summer time
    user = get_user_model()(username="sara", first_name="Sara", last_name="Sagsbehandler")
    assert formatting.user_name(user) == "Sara Sagsbehandler"
    assert formatting.user_name(get_user_model()(username="bob")) == "bob"
    assert formatting.user_name(None, system="Systemet") == "Systemet"


def test_template_filters_and_django_date_format_are_danish():
    html = Template(
        "{% load boligkontor %}{{ a|kr }}|{{ m|m2 }}|{{ d|date }}|{{ d|day }}|"
        '{{ v|choice:"tenancy.Lease.heating_form" }}'
    ).render(
        Context({"a": Decimal("5800"), "m": Decimal("68"), "d": date(2026, 12, 1), "v": "district"})
    )
    assert html == "5.800,00 kr.|68 m²|01.12.2026|01.12.2026|Fjernvarme"


# --- charts -------------------------------------------------------------------------------


def test_charts_are_svg_without_style_attributes_and_readable_without_colour():
    svg = str(
        charts.bar_chart(
            [charts.Bar("Udlejet", 200, "ok"), charts.Bar("Ledig <b>", 5, "warn", "/enheder/")],
            title="Enheder",
        )
    )
    assert svg.startswith("<svg")
    assert "style=" not in svg
    assert "<script" not in svg
    assert "<title" in svg
    assert "Udlejet: 200; Ledig <b>: 5" not in svg
    assert "Ledig &lt;b&gt;: 5" in svg  # the figures in <desc>
    assert "<pattern" in svg  # the second bar is hatched, not only a different colour
    assert ">200<" in svg
    assert ">5<" in svg
    column = str(
        charts.column_chart([("jan", Decimal("12.5")), ("feb", 0)], title="Kr.", money=True)
    )
    assert "style=" not in column
    assert "jan" in column
    assert "jan: 12,50 kr." in column


# --- pages --------------------------------------------------------------------------------


@pytest.fixture
def lease(organisation):
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    person = make_person(organisation, name="Karen Jensen", cpr="1705801234")
    return make_lease(unit, parties=[person], rent=Decimal("7808"))


@pytest.fixture
def browser(client, caseworker):
    client.force_login(caseworker)
    return client


def test_dashboard_shows_charts(browser, lease):
    page = browser.get(reverse("tenancy:dashboard")).content.decode()
    assert page.count('<svg class="chart"') >= 4  # occupancy, new leases, filings, CPR cost
    assert "Indberetninger efter status" in page
    assert "Ingen scanning endnu" in page  # no green zeros before a scan


def test_lease_page_lists_its_filings_and_udk_tasks(browser, lease):
    filing = Filing.objects.get(lease=lease)
    task = UdkTask.objects.create(
        organisation=lease.organisation,
        lease=lease,
        filing=filing,
        kind="correction",
        recipient="UDK",
        subject="Rettelse for lejemål",
        message="-",
    )
    page = browser.get(reverse("tenancy:lease_detail", args=[lease.pk])).content.decode()
    assert reverse("rentregister:filing_detail", args=[filing.pk]) in page
    assert reverse("rentregister:task_detail", args=[task.pk]) in page
    assert "7.808,00 kr." in page


def test_filing_detail_shows_display_names_not_codes(browser, lease):
    filing = Filing.objects.get(lease=lease)
    page = browser.get(reverse("rentregister:filing_detail", args=[filing.pk])).content.decode()
    assert "Fjernvarme" in page
    assert ">district<" not in page
    assert "aconto_utility" not in page
    assert "aconto_organisation" not in page
    assert "7.808,00 kr." in page
    assert "01.01.2020" in page


def test_filings_and_leases_are_searchable(browser, lease, organisation):
    other_unit = UnitFactory(entrance__building__property__organisation=organisation)
    make_lease(other_unit, parties=[make_person(organisation, name="Ole Olsen", cpr="0101801111")])
    street = lease.unit.entrance.street_address
    page = browser.get(reverse("rentregister:filing_list"), {"q": street}).content.decode()
    assert lease.number in page
    assert "0000002" not in page
    page = browser.get(reverse("rentregister:filing_list"), {"q": lease.number}).content.decode()
    assert lease.number in page
    leases = browser.get(reverse("tenancy:lease_list"), {"q": "Karen"}).content.decode()
    assert lease.number in leases
    assert "Ole Olsen" not in leases
    leases = browser.get(reverse("tenancy:lease_list"), {"q": street}).content.decode()
    assert lease.number in leases
    prefix = lease.unit.entrance.street_name[:4]  # a street name by its beginning
    leases = browser.get(reverse("tenancy:lease_list"), {"q": prefix}).content.decode()
    assert lease.number in leases
    page = browser.get(reverse("rentregister:filing_list"), {"q": prefix}).content.decode()
    assert lease.number in page


def test_stairwell_page_has_cpr_button_with_price_and_tenant_names(browser, lease, settings):
    settings.CPR_SEARCH_PRICE = Decimal("1.25")
    page = browser.get(
        reverse("tenancy:entrance_detail", args=[lease.unit.entrance_id])
    ).content.decode()
    assert f"{reverse('cprlookup:index')}?entrance={lease.unit.entrance_id}" in page
    assert "1,25 kr." in page
    assert "Karen Jensen" in page


def test_reconciliation_before_any_scan_is_not_all_clear(browser, lease):
    page = browser.get(reverse("cprlookup:reconciliation")).content.decode()
    assert "Ingen scanning endnu" in page
    assert "badge-ok" not in page


def test_misspelled_address_is_called_a_typing_error(browser, lease):
    entrance = lease.unit.entrance
    page = browser.post(
        reverse("cprlookup:index"),
        {
            "kind": "address",
            "value": f"{entrance.street_name}x {entrance.house_number}",
            "purpose": "Sag 1",
        },
    ).content.decode()
    assert "Tjek stavning" in page
    assert "Mente du" in page
    assert not CprLookup.objects.exists()


def test_scan_page_shows_cost_estimate(client, organisation, lease, settings):
    settings.CPR_SEARCH_PRICE = Decimal("2")
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    client.force_login(admin)
    page = client.get(reverse("cprlookup:scans")).content.decode()
    assert "koster højst 2,00 kr." in page  # one stairwell at 2 kr.


def test_scan_progress_fragment_polls_itself_and_reloads_when_done(client, organisation):
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    client.force_login(admin)
    job = ScanJob.objects.create(organisation=organisation, started_by=admin, total=4)
    url = reverse("cprlookup:scan_progress", args=[job.pk])
    running = client.get(url, HTTP_HX_REQUEST="true")
    html = running.content.decode()
    assert f'hx-get="{url}"' in html
    assert "<html" not in html
    assert "HX-Refresh" not in running
    ScanJob.objects.filter(pk=job.pk).update(
        status=ScanStatus.DONE, done=4, finished_at=timezone.now()
    )
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "hx-get" not in done.content.decode()


def test_manual_scan_is_logged_as_manual_with_its_user(organisation):
    from cprlookup.services import scan_recording

    user = MembershipFactory(organisation=organisation, role="org_admin").user
    for scheduled, expected_user, purpose in ((False, user, "Manuel"), (True, None, "Planlagt")):
        job = ScanJob.objects.create(
            organisation=organisation, started_by=user, scheduled=scheduled
        )
        item = mock.Mock(pk=1, token="t", entrance_id=1)
        answer = mock.Mock(outcome="ok", residents=[], error_message="")
        with (
            mock.patch.object(scan_recording, "_lock_claimed", return_value={1}),
            mock.patch.object(scan_recording, "write_answers", return_value=["x"]) as write,
            mock.patch.object(scan_recording, "_set_item_outcomes"),
            mock.patch.object(scan_recording, "_count_finished"),
        ):
            scan_recording.record_scan_batch(job, [(item, answer)])
        kwargs = write.call_args.kwargs
        assert kwargs["user"] == expected_user
        assert kwargs["purpose"].startswith(purpose)
        ScanJob.objects.filter(pk=job.pk).update(status=ScanStatus.DONE)


# --- one scope per browser session ----------------------------------------------------------


def test_detail_pages_follow_the_organisation_switched_to(client, organisation, lease):
    other = OrganisationFactory(name="Andet Boligselskab")
    user = MembershipFactory(organisation=organisation).user
    MembershipFactory(organisation=other, user=user)
    client.force_login(user)
    filing = Filing.objects.get(lease=lease)
    filing_url = reverse("rentregister:filing_detail", args=[filing.pk])
    lease_url = reverse("tenancy:lease_detail", args=[lease.pk])
    session = client.session
    session["organisation_id"] = organisation.pk
    session.save()
    assert client.get(filing_url).status_code == 200
    client.post(reverse("tenancy:organisation_switch"), {"organisation": other.pk})
    assert client.get(lease_url).status_code == 404
    assert client.get(filing_url).status_code == 404  # the same rule as the lease


# --- GDPR page ------------------------------------------------------------------------------


def test_gdpr_page_needs_login_and_shows_the_reveal_log(client, organisation, lease):
    from gdpr.models import CprReveal

    response = client.get(reverse("gdpr:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
    person = lease.parties.get()
    officer = MembershipFactory(
        organisation=organisation, role="cpr_officer", user__first_name="Carl"
    ).user
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    CprReveal.objects.create(
        user=officer, person=person, organisation=organisation, purpose="Sag 7"
    )
    CprReveal.objects.create(user=admin, person=person, organisation=organisation, purpose="Sag 8")
    client.force_login(officer)
    page = client.get(reverse("gdpr:index")).content.decode()
    assert "<title>Persondata (GDPR)" in page
    assert "Sag 7" in page
    assert "Sag 8" not in page
    client.force_login(admin)
    page = client.get(reverse("gdpr:index")).content.decode()
    assert "Sag 7" in page
    assert "Sag 8" in page
    excel = client.get(reverse("gdpr:index"), {"format": "xlsx"})
    assert excel["Content-Type"].startswith("application/vnd.openxmlformats")


# --- API page size --------------------------------------------------------------------------


def test_api_honours_page_size_up_to_500(client, caseworker, organisation):
    for i in range(3):
        make_person(organisation, name=f"Person {i}")
    client.force_login(caseworker)
    body = client.get("/api/people/", {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"]
    body = client.get("/api/people/", {"page_size": 100000}).json()
    assert len(body["results"]) == 3


def test_person_page_lists_the_cpr_lookups_that_found_them(browser, lease):
    from cprlookup.models import CprLookupResident

    person = lease.parties.get()
    lookup = CprLookup.objects.create(
        organisation=lease.organisation,
        source="adhoc",
        target_kind="unit",
        target_label=lease.unit.address,
        owner_cvr=lease.organisation.cvr,
        purpose="Sag 42",
        outcome="ok",
    )
    CprLookupResident.objects.create(
        lookup=lookup, cpr_encrypted="x", cpr_hash=person.cpr_hash, cpr_masked=person.cpr_masked
    )
    page = browser.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "CPR-opslag om personen" in page
    assert reverse("cprlookup:lookup_detail", args=[lookup.pk]) in page
    assert "Sag 42" in page


def test_lookup_page_shows_its_price(browser, lease):
    from cprlookup.models import CprCharge

    lookup = CprLookup.objects.create(
        organisation=lease.organisation,
        source="adhoc",
        target_kind="unit",
        target_label=lease.unit.address,
        owner_cvr=lease.organisation.cvr,
        purpose="Sag 43",
        outcome="ok",
    )
    CprCharge.objects.create(
        organisation=lease.organisation,
        lookup=lookup,
        key=f"adhoc:{lookup.pk}",
        source="adhoc",
        month=date(2026, 12, 1),
        amount=Decimal("1.25"),
    )
    page = browser.get(reverse("cprlookup:lookup_detail", args=[lookup.pk])).content.decode()
    assert "1,25 kr." in page


def test_every_api_operation_has_a_danish_summary(client, caseworker):
    client.force_login(caseworker)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    missing = [
        f"{method} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and not operation.get("summary")
    ]
    assert missing == []
    assert schema["paths"]["/api/units/"]["get"]["summary"] == "Liste over enheder"


def test_rent_register_overview_has_charts_over_time_and_by_status(browser, lease):
    page = browser.get(reverse("rentregister:index")).content.decode()
    assert "Indberetninger efter status" in page
    assert "Indberetninger pr. måned, seneste 12 måneder" in page  # the chart's <title>
    assert page.count('<svg class="chart"') == 2


def test_last_months():
    months = charts.last_months(3, today=date(2026, 1, 15))
    assert months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
