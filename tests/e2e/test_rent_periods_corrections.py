"""Issue 12 (domain) in headless Chromium: rent by period on the lease page, a future rent
that waits, the large-drop confirmation, a correction with a reason, and the person edit
refusing a tenant change through the CPR number."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import shot


def test_rent_periods_and_correction(logged_in, strandvejen):
    page = logged_in
    lease = strandvejen["lease"]
    future = timezone.localdate() + timedelta(days=45)
    page.goto(f"/lejemaal/{lease.pk}/husleje/")
    page.get_by_label("Ny husleje pr. måned (kr.)").fill("2000")
    page.get_by_label("Gælder fra").fill(future.isoformat())
    page.get_by_role("button", name="Gem ny husleje").click()
    expect(page.get_by_text("boligstøtte").first).to_be_visible()
    shot(page, "d12-01-large-drop-confirm")
    page.get_by_label("Jeg bekræfter den store nedsættelse af huslejen").check()
    page.get_by_role("button", name="Gem ny husleje").click()
    expect(page.get_by_role("heading", name="Husleje pr. periode")).to_be_visible()
    expect(page.locator("#rent-periods").get_by_text("Venter")).to_be_visible()
    shot(page, "d12-02-lease-rent-periods")
    page.get_by_role("link", name="Ret fejlindberetning").click()
    page.get_by_label("Hvad rettes, og hvorfor?").fill("Huslejen for 2020 var tastet forkert")
    page.get_by_label("Rigtig husleje pr. måned (kr.)").fill("6400")
    page.get_by_label("Huslejen gælder fra").fill("2020-01-01")
    shot(page, "d12-03-correction-form")
    page.get_by_role("button", name="Gem rettelse").click()
    expect(page.locator("#rent-periods").get_by_text("Rettelse", exact=True)).to_be_visible()
    shot(page, "d12-04-lease-after-correction")


def test_person_edit_refuses_tenant_change(logged_in, strandvejen):
    page = logged_in
    tenant = strandvejen["tenant"]
    page.goto(f"/personer/{tenant.pk}/")
    page.get_by_role("link", name="Ret oplysninger").click()
    page.locator("#id_name").fill("Peter Andersen")
    page.get_by_label("Nyt CPR-nummer").fill("010170-1234")
    page.get_by_label("Begrundelse for rettelse af CPR-nummer").fill("Ny lejer")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_text("lejerskifte").first).to_be_visible()
    shot(page, "d12-05-person-edit-refused")
