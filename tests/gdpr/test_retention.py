"""The retention schedule and its runs (gdpr.retention): defaults, preview, a run that
anonymises former tenants and applicants past their period and deletes old records, keeps
who must stay (with the reason), resumes after a crash and does nothing the second time."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from core import personal_data
from core.errors import DomainError
from cprlookup.models import CprLookup, CprLookupResident
from gdpr.models import CprReveal, RetentionKept, RetentionRule, RetentionRun
from gdpr.models.retention import RunStatus, months_before
from gdpr.retention import services
from rentregister.models import Filing, FilingState
from tenancy import services as tenancy_services
from tenancy.models import ExportJob, Person
from tests.factories import UnitFactory, make_lease, make_person
from tests.waitlist.conftest import cooperation, data  # noqa: F401 - fixture
from waitlist.models import Applicant, Application, Invoice, Message
from waitlist.services.applicants import applicant_signup

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def former_tenant(unit, *, name="Ole Fraflyttet", ended=date(2019, 6, 30), cpr=None):
    person = make_person(unit.organisation, name=name, **({"cpr": cpr} if cpr else {}))
    lease = make_lease(
        UnitFactory(entrance=unit.entrance), parties=[person], start_date=date(2010, 1, 1)
    )
    tenancy_services.lease_end(lease=lease, end_date=ended, reason="Fraflytning")
    Filing.objects.filter(lease=lease).update(state=FilingState.ACCEPTED)
    return person


def test_defaults_cover_every_category_with_a_legal_basis(db):
    keys = set(RetentionRule.objects.values_list("key", flat=True))
    assert keys == {
        "tenants",
        "applicants",
        "contact_enquiries",
        "cpr_answers",
        "cpr_registrations",
        "cpr_moves",
        "cpr_lookup_log",
        "cpr_reveals",
        "filings",
        "export_files",
        "sessions",
        "messages",
    }
    tenants = RetentionRule.objects.get(key="tenants")
    assert (tenants.period, tenants.unit, tenants.action) == (5, "years", "anonymise")
    contact = RetentionRule.objects.get(key="contact_enquiries")
    assert (contact.period, contact.unit) == (6, "months")
    assert all(len(r.legal_basis) > 40 for r in RetentionRule.objects.all())
    # every category has an app carrying it out (the contact form: gdpr.subject)
    handled = {k for k in keys if personal_data.registry.for_retention(k)}
    assert keys == handled


def test_cutoff_arithmetic():
    assert months_before(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(NOW, 13) == datetime(2025, 11, 1, 12, 0, tzinfo=UTC)
    rule = RetentionRule(period=5, unit="years")
    assert rule.cutoff(NOW).date() == date(2021, 12, 1)
    assert RetentionRule(period=7, unit="days").cutoff(NOW) == NOW - timedelta(days=7)
    assert RetentionRule(period=0, unit="days").period_label == "straks"


def test_preview_and_run_anonymise_the_former_tenant_only_once(unit):
    gone = former_tenant(unit)
    recent = former_tenant(unit, name="Nylig Fraflyttet", ended=date(2024, 6, 30))
    active = make_person(unit.organisation, name="Aktiv Lejer")
    make_lease(unit, parties=[active], start_date=date(2025, 1, 1))
    rows = {r.rule.key: r for r in services.preview(organisation=unit.organisation, now=NOW)}
    assert rows["tenants"].count == 1
    assert [p.label for p in rows["tenants"].people] == ["Ole Fraflyttet"]
    assert not rows["tenants"].people[0].blocked

    run = services.run_create(organisation=unit.organisation, now=NOW)
    assert run.total >= 1
    run = services.run_process(run_id=run.pk)
    assert run.status == RunStatus.DONE
    assert run.counts["tenants"] == 1
    gone.refresh_from_db()
    assert gone.anonymised_at is not None
    assert gone.name == "Anonymiseret person"
    assert Person.objects.get(pk=recent.pk).anonymised_at is None
    assert Person.objects.get(pk=active.pk).anonymised_at is None

    again = services.run_process(run_id=services.run_create(organisation=unit.organisation).pk)
    assert (again.total, again.done) == (0, 0)


def test_a_pending_filing_keeps_the_person_and_says_why(unit):
    person = former_tenant(unit)
    Filing.objects.filter(lease__parties=person).update(state=FilingState.PENDING)
    run = services.run_process(run_id=services.run_create(organisation=unit.organisation).pk)
    kept = RetentionKept.objects.get(run=run)
    assert kept.person_id == person.pk
    assert "huslejeregistret" in kept.reason
    assert run.failed == 1
    assert Person.objects.get(pk=person.pk).anonymised_at is None


def test_applicants_after_seniority_deleted_kept_while_in_debt(cooperation):  # noqa: F811
    org = cooperation.organisations.first()
    old = timezone.now() - timedelta(days=6 * 366)
    paid = applicant_signup(cooperation=cooperation, data=data())
    owing = applicant_signup(
        cooperation=cooperation, data=data(name="Bo Skylder", cpr="020290-1234")
    )
    Application.objects.filter(applicant__in=[paid, owing]).update(
        status=Application.Status.DELETED, ended_at=old
    )
    Invoice.objects.filter(applicant=paid).update(status=Invoice.Status.CANCELLED)
    Applicant.objects.filter(pk=paid.pk).update(debt=Decimal("0.00"))
    Applicant.objects.filter(pk=owing.pk).update(debt=Decimal("150.00"))
    Message.objects.create(
        applicant=paid, channel="email", kind="x", body="Hej Anna", to_address="a@b.dk"
    )
    Message.objects.filter(applicant=paid).update(created_at=old)
    run = services.run_process(run_id=services.run_create(organisation=org).pk)
    assert run.counts["applicants"] == 1
    assert Applicant.objects.get(pk=paid.pk).name == "Anonymiseret ansøger"
    assert Applicant.objects.get(pk=owing.pk).name == "Bo Skylder"
    assert "gæld" in RetentionKept.objects.get(run=run).reason
    assert not Message.objects.filter(applicant=paid).exclude(body="").exists()


def test_records_past_their_period_go(unit, settings, tmp_path, cpr_officer):
    settings.MEDIA_ROOT = str(tmp_path)
    org = unit.organisation
    long_ago = timezone.now() - timedelta(days=6 * 366)
    lookup = CprLookup.objects.create(
        organisation=org,
        source="adhoc",
        target_kind="unit",
        target_label="Strandvejen 1",
        owner_cvr=org.cvr,
        purpose="Sag om Ole",
        outcome="ok",
    )
    CprLookupResident.objects.create(
        lookup=lookup, cpr_encrypted="x", cpr_hash="h", cpr_masked="010101-xxxx", name="Ole"
    )
    CprLookup._base_manager.filter(pk=lookup.pk).update(at=long_ago)
    person = make_person(org, name="Vist Person")
    CprReveal.objects.create(user=cpr_officer, person=person, organisation=org, purpose="Tjek")
    CprReveal.objects.update(at=long_ago)
    path = Path(tmp_path) / "exports" / "1" / "personer.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"xlsx")
    job = ExportJob.objects.create(
        user=cpr_officer,
        organisation=org,
        kind="people",
        status="done",
        file="exports/1/personer.xlsx",
    )
    ExportJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    store = SessionStore()
    store["x"] = 1
    store.set_expiry(-10)
    store.create()

    run = services.run_process(run_id=services.run_create(organisation=None).pk)
    assert run.counts["cpr_answers"] == 1
    assert run.counts["cpr_lookup_log"] == 1
    assert run.counts["cpr_reveals"] == 1
    assert run.counts["export_files"] == 1
    assert run.counts["sessions"] >= 1
    assert not CprLookupResident._base_manager.exists()
    assert CprLookup._base_manager.get(pk=lookup.pk).purpose == "[slettet]"
    assert not path.exists()
    assert not Session.objects.filter(expire_date__lt=timezone.now()).exists()


def test_run_resumes_after_a_crash_and_refuses_a_second_open_run(unit, monkeypatch):
    people = [former_tenant(unit, name=f"Fraflyttet {i}") for i in range(5)]
    run = services.run_create(organisation=unit.organisation)
    with pytest.raises(DomainError):
        services.run_create(organisation=unit.organisation)
    real = personal_data.anonymise
    calls = {"n": 0}

    def crash_on_second_batch(subject):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker died")
        return real(subject)

    monkeypatch.setattr(personal_data, "anonymise", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        services.run_process(run_id=run.pk, batch=2)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.done == 2
    assert run.cursors["tenants"] == people[1].pk
    services.run_resume(run=run)
    run = services.run_process(run_id=run.pk, batch=2)
    assert run.status == RunStatus.DONE
    assert run.counts["tenants"] == 5
    assert not Person.objects.filter(pk__in=[p.pk for p in people], anonymised_at=None).exists()
    with pytest.raises(DomainError):
        services.run_resume(run=run)


def test_person_page_panel_and_button(client, unit, caseworker):
    person = former_tenant(unit)
    client.force_login(caseworker)
    page = client.get(reverse("tenancy:person_detail", args=[person.pk]))
    assert "Opbevaringsperioden er udløbet" in page.content.decode()
    response = client.post(reverse("gdpr:retention_person_anonymise", args=[person.pk]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.anonymised_at is not None
    run = RetentionRun.objects.get()
    assert (run.started_by, run.done) == (caseworker, 1)
    page = client.get(reverse("tenancy:person_detail", args=[person.pk]))
    assert "Anonymiseret" in page.content.decode()
    # not due: refused with a Danish message, nothing changed
    active = make_person(unit.organisation, name="Aktiv")
    make_lease(unit, parties=[active], start_date=date(2025, 1, 1))
    client.post(reverse("gdpr:retention_person_anonymise", args=[active.pk]), follow=True)
    assert Person.objects.get(pk=active.pk).anonymised_at is None


def test_screens_and_excel(client, unit, caseworker):
    former_tenant(unit)
    client.force_login(caseworker)
    schedule = client.get(reverse("gdpr:retention"))
    assert "Lejere efter fraflytning" in schedule.content.decode()
    preview = client.get(reverse("gdpr:retention_preview"))
    assert "Ole Fraflyttet" in preview.content.decode()
    for name in ("gdpr:retention", "gdpr:retention_preview", "gdpr:retention_runs"):
        xlsx = client.get(reverse(name), {"format": "xlsx"})
        assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    started = client.post(reverse("gdpr:retention_run_start"))
    run = RetentionRun.objects.get()
    assert started.url == reverse("gdpr:retention_run_detail", args=[run.pk])
    services.run_process(run_id=run.pk)
    detail = client.get(started.url)
    assert "Udført pr. kategori" in detail.content.decode()
    progress = client.get(
        reverse("gdpr:retention_run_progress", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    assert progress["HX-Refresh"] == "true"
    assert client.get(started.url, {"format": "xlsx"}).status_code == 200
    assert client.post(reverse("gdpr:retention_run_resume", args=[run.pk])).status_code == 302


def test_api(client, unit, caseworker):
    former_tenant(unit)
    client.force_login(caseworker)
    rules = client.get("/api/gdpr/retention/rules/").json()
    assert rules["count"] if isinstance(rules, dict) else len(rules) == 12
    preview = client.get("/api/gdpr/retention/preview/").json()
    tenants = next(r for r in preview if r["key"] == "tenants")
    assert tenants["people"][0]["label"] == "Ole Fraflyttet"
    created = client.post("/api/gdpr/retention/runs/", {}, content_type="application/json")
    assert created.status_code == 201
    again = client.post("/api/gdpr/retention/runs/", {}, content_type="application/json")
    assert again.status_code == 400
    run_id = created.json()["id"]
    assert client.get(f"/api/gdpr/retention/runs/{run_id}/").json()["status"] == "queued"
    assert client.get("/api/gdpr/retention/runs/").status_code == 200
    unknown = client.post("/api/gdpr/retention/runs/", {"x": 1}, content_type="application/json")
    assert unknown.status_code == 400
    assert client.get("/api/gdpr/retention/runs/999999/").status_code == 404


def test_admin_edits_a_rule_and_records_who(client, db):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    rule = RetentionRule.objects.get(key="export_files")
    url = reverse("admin:gdpr_retentionrule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    form = {
        "title": rule.title,
        "description": rule.description,
        "period": 14,
        "unit": "days",
        "starts": rule.starts,
        "action": rule.action,
        "legal_basis": rule.legal_basis,
        "enabled": "on",
        "position": rule.position,
    }
    assert client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert (rule.period, rule.updated_by) == (14, admin)
    assert client.get(reverse("admin:gdpr_retentionrule_add")).status_code == 403


def test_nightly_task_runs_everything_once(unit):
    from gdpr.retention import tasks

    former_tenant(unit)
    run_id = tasks.retention_nightly()
    run = RetentionRun.objects.get(pk=run_id)
    assert (run.organisation, run.scheduled, run.counts["tenants"]) == (None, True, 1)
    assert RetentionRun.objects.get(pk=tasks.retention_nightly()).done == 0
    assert tasks.retention_run(run_id) == 1  # a redelivered message: the run is done already


def test_api_organisation_parameter(client, unit, caseworker, other_organisation):
    from tests.factories import MembershipFactory

    MembershipFactory(user=caseworker, organisation=other_organisation)
    client.force_login(caseworker)
    assert client.get("/api/gdpr/retention/runs/").status_code == 400  # two organisations
    assert client.get("/api/gdpr/retention/runs/", {"organisation": "x"}).status_code == 400
    assert client.get("/api/gdpr/retention/runs/", {"organisation": 999999}).status_code == 400
    ok = client.get("/api/gdpr/retention/runs/", {"organisation": unit.organisation_id})
    assert ok.status_code == 200
