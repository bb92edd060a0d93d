"""The data-subject request register (issue 15): deadlines, one extension with a reason,
closing, the dashboard warning, the access bundle, portability, rectification recipients
and erasure with what must stay."""

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from gdpr.models import Disclosure, RequestStatus
from gdpr.subject import bundle, erasure, requests, rights
from tenancy import hooks
from tenancy.models import Person
from tests.factories import MembershipFactory, make_lease, make_person
from tests.security.conftest import verified_client

pytestmark = pytest.mark.django_db


def test_deadline_is_one_month_and_extends_once_by_two(organisation, caseworker):
    person = make_person(organisation)
    request = requests.request_create(
        person=person, kind="access", received_on=date(2026, 1, 31), actor=caseworker
    )
    assert request.deadline == date(2026, 2, 28)
    with pytest.raises(DomainError):
        requests.request_extend(request=request, reason=" ")
    request = requests.request_extend(request=request, reason="Mange lejemål at gennemgå")
    assert request.deadline == date(2026, 4, 30)
    with pytest.raises(DomainError) as exc:
        requests.request_extend(request=request, reason="igen")
    assert "én gang" in exc.value.messages[0]


def test_request_rules(organisation):
    person = make_person(organisation)
    with pytest.raises(DomainError):
        requests.request_create(person=person, kind="wish")
    with pytest.raises(DomainError):
        requests.request_create(
            person=person, kind="access", received_on=timezone.localdate() + timedelta(days=1)
        )
    request = requests.request_create(person=person, kind="objection")
    with pytest.raises(DomainError):
        requests.request_close(request=request, status="completed", outcome=" ")
    with pytest.raises(DomainError):
        requests.request_close(request=request, status="open", outcome="x")
    requests.request_close(request=request, status="refused", outcome="Ingen grund angivet")
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    with pytest.raises(DomainError):
        requests.request_close(request=request, status="completed", outcome="igen")
    with pytest.raises(DomainError):
        requests.request_extend(request=request, reason="for sent")


def test_dashboard_warns_before_and_after_the_deadline(organisation, caseworker, settings):
    settings.GDPR_REQUEST_WARN_DAYS = 7
    person = make_person(organisation)
    today = timezone.localdate()
    assert requests.attention_items(user=caseworker, organisation=organisation) == []
    requests.request_create(person=person, kind="access", received_on=today - timedelta(days=27))
    items = requests.attention_items(user=caseworker, organisation=organisation)
    assert [(i["level"], i["count"]) for i in items] == [("warn", 1)]
    requests.request_create(person=person, kind="erasure", received_on=today - timedelta(days=40))
    items = requests.attention_items(user=caseworker, organisation=organisation)
    assert [(i["level"], i["count"]) for i in items] == [("danger", 1), ("warn", 1)]
    assert hooks.attention_items  # registered by gdpr
    assert requests.attention_items in list(hooks.attention_items)


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_access_bundle_zip_with_danish_html_and_json(unit, caseworker):
    person = make_person(unit.organisation, name="Karen Indsigt", email="karen@example.dk")
    make_lease(unit, parties=[person])
    rights.consent_give(person=person, purpose="health", evidence="Ansøgning om rampe")
    request = requests.request_create(person=person, kind="access")
    response = verified_client(caseworker).get(reverse("gdpr:request_access", args=[request.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = _zip(response)
    assert sorted(archive.namelist()) == ["indsigt.html", "indsigt.json"]
    html = archive.read("indsigt.html").decode()
    assert "Indsigt i dine personoplysninger" in html
    assert "Karen Indsigt" in html
    data = json.loads(archive.read("indsigt.json"))
    keys = {section["noegle"] for section in data["afsnit"]}
    assert {"gdpr.consents", "gdpr.requests"} <= keys
    assert any(k.startswith("tenancy.") for k in keys)
    # handed out: in the disclosure log and the request's history
    assert Disclosure.objects.filter(source="gdpr.subject_request").count() == 1


def test_access_bundle_queries_do_not_grow_with_rows(unit, caseworker):
    person = make_person(unit.organisation)
    make_lease(unit, parties=[person])
    request = requests.request_create(person=person, kind="access")
    with CaptureQueriesContext(connection) as few:
        bundle.access_bundle(request=request)
    for n in range(15):
        rights.objection_record(person=person, purpose="marketing")
        rights.objection_withdraw(objection=person.gdpr_objections.get(withdrawn_at=None))
        requests.request_create(person=person, kind="objection", details=f"nr {n}")
    with CaptureQueriesContext(connection) as many:
        bundle.access_bundle(request=request)
    assert len(many) <= len(few) + 2


def test_portability_json_and_csv_hold_what_the_person_gave(organisation, caseworker):
    person = make_person(organisation, name="Bo Port", email="bo@example.dk")
    rights.objection_record(person=person, purpose="marketing", note="Vil ikke have reklamer")
    request = requests.request_create(person=person, kind="portability")
    client = verified_client(caseworker)
    data = client.get(reverse("gdpr:request_portability_json", args=[request.pk])).json()
    titles = [s["titel"] for s in data["afsnit"]]
    assert "Indsigelser" in titles
    assert all(s["givet_af_personen"] for s in data["afsnit"])
    text = client.get(reverse("gdpr:request_portability_csv", args=[request.pk])).content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Afsnit", "Række", "Felt", "Værdi"]
    assert ["Indsigelser", "1", "Bemærkning", "Vil ikke have reklamer"] in rows
    # an access request has no portability export
    access = requests.request_create(person=person, kind="access")
    response = client.get(reverse("gdpr:request_portability_json", args=[access.pk]))
    assert response.status_code == 404


def test_rectification_lists_earlier_recipients(organisation, caseworker):
    person = make_person(organisation)
    hooks.personal_data_disclosed.call(
        [
            hooks.Disclosure(
                organisation_id=organisation.pk,
                recipient="Huslejenævnet",
                recipient_kind=hooks.RecipientKind.AUTHORITY,
                categories=(hooks.DataCategory.NAME,),
                person_ids=(person.pk,),
                legal_basis="Lejeloven",
                purpose="Sag",
                source="test",
            )
        ]
    )
    request = requests.request_create(person=person, kind="rectification")
    page = verified_client(caseworker).get(reverse("gdpr:request_detail", args=[request.pk]))
    assert "Huslejenævnet" in page.content.decode()


def test_erasure_keeps_what_must_stay_and_anonymises_the_rest(unit, organisation):
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    tenant = make_person(organisation, name="Aktiv Lejer", email="aktiv@example.dk")
    make_lease(unit, parties=[tenant])
    request = requests.request_create(person=tenant, kind="erasure")
    plan = erasure.erasure_plan(tenant)
    assert "tenancy" in plan.blocked_apps  # an active lease
    assert any("ikke ophørt" in keep.reason for keep in plan.blocking)
    page = verified_client(admin).get(reverse("gdpr:request_detail", args=[request.pk]))
    assert "Skal bevares indtil videre" in page.content.decode()
    erasure.erasure_perform(request=request, actor=admin)
    tenant.refresh_from_db()
    assert tenant.name == "Aktiv Lejer"  # kept while the lease runs

    former = make_person(organisation, name="Tidligere Lejer", email="tidl@example.dk")
    request = requests.request_create(person=former, kind="erasure")
    response = verified_client(admin).post(reverse("gdpr:request_erase", args=[request.pk]))
    assert response.status_code == 302
    former.refresh_from_db()
    assert former.name != "Tidligere Lejer"
    assert former.email == ""
    assert not Person.objects.filter(name="Tidligere Lejer").exists()


def test_erasure_is_for_administrators_and_erasure_requests(organisation, caseworker):
    person = make_person(organisation)
    request = requests.request_create(person=person, kind="erasure")
    response = verified_client(caseworker).post(reverse("gdpr:request_erase", args=[request.pk]))
    assert response.status_code == 403
    other = requests.request_create(person=person, kind="access")
    with pytest.raises(DomainError):
        erasure.erasure_perform(request=other)


def test_person_page_gdpr_panel_and_its_forms(organisation, caseworker):
    person = make_person(organisation)
    client = verified_client(caseworker)
    page = client.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert 'id="gdpr"' in page
    assert "Opbevaring af CPR-nummer" in page  # the factory's recorded basis
    response = client.post(
        reverse("gdpr:consent_give", args=[person.pk]),
        {"purpose": "health", "basis": "consent", "evidence": "Blanket"},
    )
    assert response.status_code == 302
    assert person.gdpr_consents.filter(purpose="health").exists()
    # an error is a Danish message, not a 500
    response = client.post(
        reverse("gdpr:consent_give", args=[person.pk]),
        {"purpose": "health", "basis": "contract", "evidence": "x"},
        follow=True,
    )
    assert "kun behandles med personens samtykke" in response.content.decode()
    client.post(reverse("gdpr:restriction_start", args=[person.pk]), {"reason": "Bestrider"})
    assert Person.objects.get(pk=person.pk).restricted
    restriction = person.gdpr_restrictions.get()
    client.post(reverse("gdpr:restriction_lift", args=[restriction.pk]), {"reason": "Rettet"})
    assert not Person.objects.get(pk=person.pk).restricted
    client.post(reverse("gdpr:objection_record", args=[person.pk]), {"purpose": "marketing"})
    objection = person.gdpr_objections.get()
    client.post(reverse("gdpr:objection_withdraw", args=[objection.pk]))
    objection.refresh_from_db()
    assert objection.withdrawn_at is not None
    consent = person.gdpr_consents.get(purpose="health")
    client.post(reverse("gdpr:consent_withdraw", args=[consent.pk]), {"evidence": "Brev"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    response = client.post(
        reverse("gdpr:request_create", args=[person.pk]),
        {"kind": "access", "received_on": timezone.localdate().isoformat()},
    )
    created = person.gdpr_requests.get()
    assert response["Location"] == reverse("gdpr:request_detail", args=[created.pk])


def test_request_screens_extend_close_and_excel(organisation, caseworker):
    person = make_person(organisation)
    request = requests.request_create(person=person, kind="objection")
    client = verified_client(caseworker)
    url = reverse("gdpr:request_detail", args=[request.pk])
    client.post(url, {"action": "extend", "reason": "Kompleks sag"})
    client.post(url, {"action": "close", "status": "completed", "outcome": "Indsigelse noteret"})
    client.post(url, {"action": "nonsense"})
    request.refresh_from_db()
    assert request.extended
    assert request.status == "completed"
    listing = client.get(reverse("gdpr:request_list") + "?status=completed&kind=objection")
    assert str(request.pk) in listing.content.decode()
    xlsx = client.get(reverse("gdpr:request_list") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    consents = client.get(reverse("gdpr:consent_list") + "?status=active")
    assert consents.status_code == 200
    xlsx = client.get(reverse("gdpr:consent_list") + "?status=withdrawn&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 8, 31), -6, date(2026, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    assert requests.add_months(day, months) == expected


def test_admin_lists_the_registers_read_only(unit, organisation):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.services import lease_document_upload

    root = get_user_model().objects.create_superuser("rod", "rod@example.dk", "x")
    person = make_person(organisation)
    lease = make_lease(unit, parties=[person])
    lease_document_upload(
        lease=lease,
        kind="contract",
        title="Kontrakt",
        upload=SimpleUploadedFile("k.pdf", b"%PDF-1.4\n"),
    )
    requests.request_create(person=person, kind="access")
    rights.objection_record(person=person, purpose="marketing")
    rights.restriction_start(person=person, reason="Test")
    client = verified_client(root)
    for model in ("consent", "objection", "restriction", "subjectrequest", "contactenquiry"):
        assert client.get(f"/admin/gdpr/{model}/").status_code == 200, model
    assert client.get("/admin/tenancy/leasedocument/").status_code == 200
    assert client.get("/admin/gdpr/consent/add/").status_code == 403
