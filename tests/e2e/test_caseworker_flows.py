"""The caseworker's main flows in headless Chromium (see conftest.py for the set-up)."""

import re
from io import BytesIO

from openpyxl import load_workbook
from playwright.sync_api import expect

from tenancy.choices import LeaseStatus
from tests.e2e.conftest import shot


def test_login(page, caseworker, organisation):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    shot(page, "01-login")
    page.get_by_label("Brugernavn").fill(caseworker.username)
    page.get_by_label("Adgangskode").fill("wrong")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_contain_text("forkert")
    page.get_by_label("Adgangskode").fill("pw")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Forside", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Kræver handling")).to_be_visible()
    shot(page, "02-dashboard")
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_search_for_an_address(logged_in, strandvejen):
    page = logged_in
    page.goto("/")
    box = page.get_by_role("searchbox").first
    box.press_sequentially("Strandvejen 12, 2. tv", delay=20)
    popup = page.locator("#search-popup")
    expect(popup.get_by_role("link", name="Strandvejen 12, 2. tv")).to_be_visible()
    expect(popup.get_by_role("link", name="Strandvejen 12, 2. th")).to_have_count(0)
    shot(page, "05-search-results")
    box.fill("")
    box.press_sequentially("Strandvejen 12", delay=20)
    expect(popup.locator("[data-kind=units] li")).to_have_count(3)
    popup.get_by_role("link", name="Strandvejen 12, 2. tv").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strandvejen 12, 2. tv")
    expect(page.get_by_text(str(strandvejen["units"]["2 tv"].dar_id))).to_be_visible()
    shot(page, "04-unit-detail")


def test_filter_a_list(logged_in, strandvejen):
    page = logged_in
    page.goto("/enheder/")
    expect(page.locator("#result-count")).to_contain_text("4 resultater")
    shot(page, "03-unit-list")
    page.get_by_role("textbox", name="Postnummer", exact=True).fill("8000")
    page.get_by_role("button", name="Filtrér").click()
    expect(page.locator("#result-count")).to_contain_text("1 resultat")
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Havnegade 1, 1. tv")
    page.get_by_role("link", name="Sortér efter Værelser").click()
    expect(page).to_have_url(re.compile(r"sort=vaerelser"))
    expect(page).to_have_url(re.compile(r"postcode=8000"))


def test_end_a_lease(logged_in, strandvejen):
    page = logged_in
    lease = strandvejen["lease"]
    page.goto(f"/lejemaal/{lease.pk}/")
    page.get_by_role("link", name="Afslut lejemål").click()
    page.get_by_label("Slutdato").fill("2019-12-31")
    page.get_by_role("button", name="Afslut lejemål").click()
    expect(page.locator(".field-error")).to_contain_text("før startdatoen")
    page.get_by_label("Slutdato").fill("2024-06-30")
    page.get_by_label("Årsag").fill("Opsagt af lejer")
    page.get_by_role("button", name="Afslut lejemål").click()
    expect(page.get_by_role("status")).to_contain_text("afsluttet pr. 30.06.2024")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ophørt")
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ENDED


def test_terms_form_does_not_offer_tenants_or_start_date(logged_in, strandvejen):
    """ "Ret vilkår" shows the tenants and start date but does not let you change them (a
    tenant change is end + new lease, issue 11); the terms are saved."""
    page = logged_in
    lease = strandvejen["lease"]
    page.goto(f"/lejemaal/{lease.pk}/rediger/")
    fieldset = page.locator("#parties-fieldset")
    expect(fieldset).to_contain_text("Karen Jensen (170580-xxxx)")
    expect(fieldset).to_contain_text("01.01.2020")
    expect(page.get_by_role("checkbox", name="Karen Jensen (170580-xxxx)")).to_have_count(0)
    expect(page.get_by_label("Find person (navn eller CPR-nummer)")).to_have_count(0)
    expect(page.get_by_label("Startdato")).to_have_count(0)
    expect(fieldset.get_by_role("link", name="Afslut lejemålet")).to_be_visible()
    page.get_by_label("Garage/carport").check()
    page.get_by_role("button", name="Gem vilkår").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(lease.number)
    shot(page, "06-lease-terms-saved")
    lease.refresh_from_db()
    assert [p.name for p in lease.parties.all()] == ["Karen Jensen"]
    assert lease.garage_carport is True


def test_excel_download_of_a_filtered_list(logged_in, strandvejen):
    page = logged_in
    page.goto("/enheder/?postcode=2900")
    expect(page.locator("#result-count")).to_contain_text("3 resultater")
    with page.expect_download() as info:
        page.get_by_role("link", name="Hent som Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        sheet = load_workbook(BytesIO(fh.read()), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("Adresse", "Postnr.", "By")
    assert "DAR adresse-id" in header
    assert len(body) == 3
    dar = header.index("DAR adresse-id")
    expected = {str(u.dar_id) for k, u in strandvejen["units"].items() if k != "havn"}
    assert {row[dar] for row in body} == expected


def test_cpr_officer_reveals_cpr_once(page, live_server, cpr_officer, strandvejen):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(cpr_officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    tenant = strandvejen["tenant"]
    page.goto(f"/personer/{tenant.pk}/")
    expect(page.get_by_text("170580-xxxx")).to_be_visible()
    page.get_by_label("Formål").fill("Boligstøttesag 2024-17")
    page.get_by_role("button", name="Vis CPR").click()
    expect(page.locator("#revealed-cpr")).to_have_text("170580-1234")
    shot(page, "07-person-cpr-revealed")
    page.goto(f"/personer/{tenant.pk}/")
    expect(page.get_by_text("170580-1234")).to_have_count(0)


def test_switch_to_english(logged_in, strandvejen):
    page = logged_in
    page.goto("/enheder/")
    page.get_by_label("Sprog").select_option("en")
    page.get_by_role("button", name="Skift sprog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Units")
    expect(page.get_by_role("navigation").get_by_role("link", name="Leases")).to_be_visible()
    expect(page.locator("#result-count")).to_contain_text("4 results")
    expect(page.get_by_role("link", name="Download as Excel")).to_be_visible()
    shot(page, "08-unit-list-english")


def test_find_a_person_by_cpr_without_it_in_the_url(logged_in, strandvejen):
    """The people list's filter posts; the address bar ends up with the number's keyed
    hash, never the number, and the list says what it is filtered on."""
    page = logged_in
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/personer/")
    page.get_by_role("textbox", name="Navn eller CPR-nummer").fill("170580-1234")
    page.get_by_role("button", name="Filtrér").click()
    expect(page).to_have_url(re.compile(r"/personer/\?(sort=navn&)?cpr_ref=[0-9a-f]{64}$"))
    expect(page.locator("#result-count")).to_contain_text("1 resultat")
    expect(page.get_by_text("CPR-nummer: 170580-xxxx")).to_be_visible()
    assert not [url for url in requested if "1705801234" in url or "170580-1234" in url]


def test_record_and_withdraw_filing_consent(logged_in, strandvejen):
    page = logged_in
    tenant = strandvejen["tenant"]
    page.goto(f"/personer/{tenant.pk}/")
    panel = page.locator("#samtykke")
    expect(panel).to_contain_text("Intet samtykke")
    panel.get_by_role("button", name="Registrér samtykke").click()
    expect(page.locator(".messages")).to_contain_text("Bekræft, at lejeren har givet samtykke.")
    panel.get_by_label("Lejeren har givet samtykke til, at CPR-nummeret indberettes").check()
    panel.get_by_label("Bemærkning").fill("Underskrevet blanket, j.nr. 2024-55")
    panel.get_by_role("button", name="Registrér samtykke").click()
    expect(panel).to_contain_text("Samtykke givet")
    expect(panel).to_contain_text("j.nr. 2024-55")
    shot(page, "09-person-filing-consent")
    panel.get_by_role("button", name="Træk samtykket tilbage").click()
    expect(panel).to_contain_text("Intet samtykke")
    expect(panel).to_contain_text("Samtykkehistorik")
    expect(panel).to_contain_text("samtykke trukket tilbage")
