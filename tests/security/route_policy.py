"""Who may reach which route: the authorisation matrix's one table (issue 17, item 1).

Every URL pattern and every REST operation has an entry. A new route without one fails
tests/security/test_authorisation_matrix.py. An entry names

* `obj`: the object the URL's {pk}/{id} refers to (a builder in tests/security/world.py);
* `access`: the outcome per role, usually one of the profiles below:
  - "ok"    the role reaches the view (2xx/3xx, or 400 when the empty test input is refused:
            a view that validates input before checking the role shows "ok" here, e.g.
            POST /api/cpr/owner-use/ for a caseworker; its role check is tested with the app);
  - "login" sent to the login page (browser) or 401/403 (API) - anonymous only;
  - "deny"  403, or 404 for a role that may not even know the object exists;
  - "404"   not found (the applicant, who belongs to no organisation, sees no objects).

Roles: anonymous; applicant (a user with no membership, standing in for the self-service
applicant); caseworker, cpr_officer and org_admin (members of organisation A); superuser
(also org admin of A). For every role with "ok", the same route with organisation B's object
must answer 404 and leave B's object unchanged (checked by the test, not declared here).

Anonymous may reach only the pages in PUBLIC_FOR_ANONYMOUS."""

from __future__ import annotations

from dataclasses import dataclass, field

OK, LOGIN, DENY, NOT_FOUND = "ok", "login", "deny", "404"


def _roles(anonymous, applicant, caseworker, cpr_officer, org_admin, superuser) -> dict:
    return {
        "anonymous": anonymous,
        "applicant": applicant,
        "caseworker": caseworker,
        "cpr_officer": cpr_officer,
        "org_admin": org_admin,
        "superuser": superuser,
    }


PUBLIC = _roles(OK, OK, OK, OK, OK, OK)
# staff screens and API: any member; the applicant is refused (403) or sees nothing (404)
STAFF = _roles(LOGIN, DENY, OK, OK, OK, OK)
# CPR officers and organisation admins (scans, scan settings, CPR lookups)
CPR_AND_ADMIN = _roles(LOGIN, DENY, DENY, OK, OK, OK)
# the CPR officer role only (full CPR numbers)
CPR_ONLY = _roles(LOGIN, DENY, DENY, OK, DENY, DENY)
# organisation admins only
ADMIN_ONLY = _roles(LOGIN, DENY, DENY, DENY, OK, OK)
# the staff login, password reset and token endpoint: anyone but an applicant's account
STAFF_LOGIN = _roles(OK, DENY, OK, OK, OK, OK)
# pages every logged-in user needs (the two-factor step)
ANY_USER = _roles(LOGIN, OK, OK, OK, OK, OK)
# the applicants' self-service pages: their own login; staff are sent to it too
APPLICANT = _roles(LOGIN, OK, LOGIN, LOGIN, LOGIN, LOGIN)
# answers everyone by logging them out / sending them to a login
LOGGED_OUT = _roles(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)
# found by nobody without the right token or state
NOBODY = _roles(NOT_FOUND, DENY, DENY, DENY, DENY, DENY)
# refused (403/404) to every member as the matrix calls it (no input / no such state)
MEMBERS_REFUSED = _roles(LOGIN, DENY, DENY, DENY, DENY, DENY)
# an export job: only the user who asked for it (A's job belongs to the caseworker)
OWNER_ONLY = _roles(LOGIN, DENY, OK, DENY, DENY, DENY)


@dataclass(frozen=True)
class Entry:
    access: dict
    obj: str | None = None
    methods: dict = field(default_factory=dict)  # per-method override: {"POST": STAFF}


# Routes anonymous visitors may use (login, health, static, public applicant pages).
PUBLIC_FOR_ANONYMOUS = {
    "/favicon.ico",
    "waitlist:payment_webhook",  # the payment provider's signed webhook
    "waitlist_public:home",
    "waitlist_public:login",
    "waitlist_public:logout",
    "waitlist_public:verify",
    "waitlist_public:resend",
    "waitlist_public:password_reset",
    "waitlist_public:password_reset_done",
    "waitlist_public:password_reset_confirm",
    "waitlist_public:password_reset_complete",
    "healthz",
    "login",
    "logout",
    "set_language",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "POST /api/auth/token/",
    "api:token",  # tenancy's plain obtain_auth_token, shadowed by core.auth_api at the same path
}

# Routes that answer 500 today for reasons outside authorisation, with who owns the fix. The
# matrix still checks their access; it does not fail on their 500 (remove when fixed).
KNOWN_FAILURES = {
    "tenancy:lease_edit": "POST with an empty form: AttributeError cleaned_data (tenancy views)",
    "POST /api/rent-register/comparisons/push-contacts/": "calls the register (HLR) without "
    "handling it being down (rentregister sync)",
}

POLICY: dict[str, Entry] = {
    "DELETE /api/cpr/owner-use/{pk}/": Entry(CPR_AND_ADMIN, obj="owner_use"),
    "GET /api/cpr/dwellings-evidence/": Entry(STAFF),
    "GET /api/cpr/dwellings-evidence/eligibility/": Entry(STAFF),
    "GET /api/cpr/owner-use/": Entry(STAFF),
    "GET /api/leases/{pk}/rent-periods/": Entry(STAFF, obj="lease"),
    "POST /api/cpr/dwellings-evidence/": Entry(STAFF),
    "POST /api/cpr/owner-use/": Entry(STAFF),
    "waitlist_public:resend": Entry(PUBLIC),
    "/favicon.ico": Entry(PUBLIC),
    "DELETE /api/properties/{pk}/": Entry(STAFF, obj="property"),
    "GET /api/buildings/": Entry(STAFF),
    "GET /api/buildings/{pk}/": Entry(STAFF, obj="building"),
    "GET /api/cpr/events/": Entry(STAFF),
    "GET /api/cpr/ledger/": Entry(STAFF),
    "GET /api/cpr/ledger/summary/": Entry(STAFF),
    "GET /api/cpr/ledger/{pk}/": Entry(STAFF, obj="charge"),
    "GET /api/cpr/lookups/": Entry(STAFF),
    "GET /api/cpr/lookups/{pk}/": Entry(STAFF, obj="lookup"),
    "GET /api/cpr/reconciliation/": Entry(STAFF),
    "GET /api/cpr/scans/": Entry(STAFF),
    "GET /api/cpr/scans/{pk}/": Entry(STAFF, obj="scan"),
    "GET /api/departments/": Entry(STAFF),
    "GET /api/departments/{pk}/": Entry(STAFF, obj="department"),
    "GET /api/docs/": Entry(STAFF),
    "GET /api/entrances/": Entry(STAFF),
    "GET /api/entrances/{pk}/": Entry(STAFF, obj="entrance"),
    "GET /api/leases/": Entry(STAFF),
    "GET /api/leases/{pk}/": Entry(STAFF, obj="lease"),
    "GET /api/organisations/": Entry(STAFF),
    "GET /api/organisations/{pk}/": Entry(STAFF, obj="organisation"),
    "GET /api/people/": Entry(STAFF),
    "GET /api/people/{pk}/": Entry(STAFF, obj="person"),
    "GET /api/properties/": Entry(STAFF),
    "GET /api/properties/{pk}/": Entry(STAFF, obj="property"),
    "GET /api/rent-register/comparisons/": Entry(STAFF),
    "GET /api/rent-register/consents/": Entry(STAFF),
    "GET /api/rent-register/differences/": Entry(STAFF),
    # the open differences of a finished comparison only (this one is of none): 404 for all
    "GET /api/rent-register/differences/{pk}/": Entry(MEMBERS_REFUSED, obj="difference"),
    "GET /api/rent-register/filings/": Entry(STAFF),
    "GET /api/rent-register/filings/{pk}/": Entry(STAFF, obj="filing"),
    "GET /api/rent-register/udk-tasks/": Entry(STAFF),
    "GET /api/rent-register/udk-tasks/{pk}/": Entry(STAFF, obj="udk_task"),
    "GET /api/schema/": Entry(STAFF),
    "GET /api/units/": Entry(STAFF),
    "GET /api/units/{pk}/": Entry(STAFF, obj="unit"),
    "GET /api/waitlist/applicants/": Entry(STAFF),
    "GET /api/waitlist/applicants/{pk}/": Entry(STAFF, obj="applicant"),
    "GET /api/waitlist/applicants/{pk}/invoices/": Entry(STAFF, obj="applicant"),
    "GET /api/waitlist/applications/": Entry(STAFF),
    "GET /api/waitlist/applications/{pk}/": Entry(STAFF, obj="application"),
    "GET /api/waitlist/payments/": Entry(STAFF),
    "GET /api/waitlist/payments/{pk}/": Entry(STAFF, obj="payment"),
    "PATCH /api/leases/{pk}/": Entry(STAFF, obj="lease"),
    "PATCH /api/people/{pk}/": Entry(STAFF, obj="person"),
    "PATCH /api/properties/{pk}/": Entry(STAFF, obj="property"),
    "PATCH /api/units/{pk}/": Entry(STAFF, obj="unit"),
    "PATCH /api/waitlist/applicants/{pk}/": Entry(STAFF, obj="applicant"),
    "POST /api/auth/token/": Entry(STAFF_LOGIN),
    "POST /api/buildings/": Entry(STAFF),
    "POST /api/cpr/lookups/": Entry(STAFF),
    "POST /api/cpr/scans/": Entry(CPR_AND_ADMIN),
    "POST /api/cpr/scans/setting/": Entry(STAFF),
    "POST /api/cpr/scans/{pk}/resume/": Entry(CPR_AND_ADMIN, obj="scan"),
    "POST /api/entrances/": Entry(STAFF),
    "POST /api/leases/": Entry(STAFF),
    "POST /api/leases/{pk}/change-rent/": Entry(STAFF, obj="lease"),
    "POST /api/leases/{pk}/correct/": Entry(STAFF, obj="lease"),
    "POST /api/leases/{pk}/end/": Entry(STAFF, obj="lease"),
    "POST /api/leases/{pk}/reinstate/": Entry(STAFF, obj="lease"),
    "POST /api/people/": Entry(STAFF),
    "POST /api/people/search/": Entry(STAFF),
    "POST /api/people/{pk}/reveal-cpr/": Entry(STAFF, obj="person"),
    "POST /api/properties/": Entry(STAFF),
    "POST /api/rent-register/comparisons/push-contacts/": Entry(ADMIN_ONLY),
    "POST /api/rent-register/comparisons/run/": Entry(STAFF),
    "POST /api/rent-register/consents/": Entry(STAFF),
    "POST /api/rent-register/consents/withdraw/": Entry(STAFF),
    "POST /api/rent-register/differences/{pk}/refile/": Entry(MEMBERS_REFUSED, obj="difference"),
    "POST /api/rent-register/filings/{pk}/cancel/": Entry(STAFF, obj="filing"),
    "POST /api/rent-register/filings/{pk}/retry/": Entry(STAFF, obj="filing"),
    "POST /api/rent-register/refunds/": Entry(STAFF),
    "POST /api/rent-register/udk-tasks/{pk}/done/": Entry(STAFF, obj="udk_task"),
    "POST /api/units/": Entry(STAFF),
    "POST /api/waitlist/applicants/": Entry(STAFF),
    "POST /api/waitlist/applicants/{pk}/applications/": Entry(STAFF, obj="applicant"),
    "POST /api/waitlist/applicants/{pk}/channel/": Entry(STAFF, obj="applicant"),
    "POST /api/waitlist/applications/{pk}/leave/": Entry(STAFF, obj="application"),
    "POST /api/waitlist/applications/{pk}/renew/": Entry(STAFF, obj="application"),
    "POST /api/waitlist/applications/{pk}/wishes/": Entry(STAFF, obj="application"),
    "POST /api/waitlist/payments/": Entry(STAFF),
    "api-root": Entry(STAFF),
    "api:api-root": Entry(STAFF),
    "api:token": Entry(STAFF_LOGIN),
    "cprapi:api-root": Entry(STAFF),
    "cprlookup:eligibility": Entry(STAFF),
    "cprlookup:events": Entry(STAFF),
    "cprlookup:evidence_record": Entry(STAFF),
    "cprlookup:index": Entry(STAFF),
    "cprlookup:ledger": Entry(STAFF),
    "cprlookup:log": Entry(STAFF),
    "cprlookup:log_person": Entry(STAFF),
    "cprlookup:lookup_cpr_excel": Entry(CPR_ONLY, obj="lookup"),
    "cprlookup:lookup_detail": Entry(STAFF, obj="lookup"),
    "cprlookup:lookup_excel": Entry(STAFF, obj="lookup"),
    "cprlookup:owner_use_add": Entry(STAFF),
    "cprlookup:owner_use_remove": Entry(STAFF, obj="owner_use", methods={"POST": CPR_ONLY}),
    "cprlookup:reconciliation": Entry(STAFF),
    "cprlookup:scan_detail": Entry(STAFF, obj="scan"),
    "cprlookup:scan_progress": Entry(STAFF, obj="scan"),
    "cprlookup:scan_resume": Entry(STAFF, obj="scan"),
    "cprlookup:scan_setting": Entry(STAFF),
    "cprlookup:scan_start": Entry(STAFF),
    "cprlookup:scans": Entry(STAFF),
    "gdpr:index": Entry(STAFF),
    "healthz": Entry(PUBLIC),
    "login": Entry(PUBLIC),
    "logout": Entry(LOGGED_OUT),
    "password_change": Entry(STAFF),
    "password_change_done": Entry(STAFF),
    "password_reset": Entry(STAFF_LOGIN),
    "password_reset_complete": Entry(STAFF_LOGIN),
    "password_reset_confirm": Entry(STAFF_LOGIN),
    "password_reset_done": Entry(STAFF_LOGIN),
    "rentregister:contact_edit": Entry(ADMIN_ONLY, obj="contact"),
    "rentregister:contacts": Entry(STAFF, methods={"POST": ADMIN_ONLY}),
    "rentregister:filing_cancel": Entry(STAFF, obj="filing"),
    "rentregister:filing_detail": Entry(STAFF, obj="filing"),
    "rentregister:filing_list": Entry(STAFF),
    "rentregister:filing_retry": Entry(STAFF, obj="filing"),
    "rentregister:index": Entry(STAFF),
    "rentregister:person_consent": Entry(STAFF, obj="person"),
    "rentregister:refunds": Entry(STAFF),
    "rentregister:rehousing_create": Entry(STAFF),
    "rentregister:rehousing_end": Entry(STAFF, obj="rehousing"),
    "rentregister:rehousing_list": Entry(STAFF),
    "rentregister:sync": Entry(STAFF),
    "rentregister:sync_compare": Entry(STAFF),
    "rentregister:sync_contacts_push": Entry(STAFF, methods={"POST": ADMIN_ONLY}),
    "rentregister:sync_refile": Entry(STAFF, obj="difference"),
    "rentregister:task_detail": Entry(STAFF, obj="udk_task"),
    "rentregister:task_list": Entry(STAFF),
    "set_language": Entry(PUBLIC),
    "tenancy:dashboard": Entry(STAFF),
    "tenancy:entrance_detail": Entry(STAFF, obj="entrance"),
    "tenancy:entrance_list": Entry(STAFF),
    "tenancy:export": Entry(STAFF),
    "tenancy:export_job": Entry(OWNER_ONLY, obj="export_job"),
    "tenancy:export_job_file": Entry(OWNER_ONLY, obj="export_job"),
    "tenancy:export_job_status": Entry(OWNER_ONLY, obj="export_job"),
    "tenancy:lease_change_rent": Entry(STAFF, obj="lease"),
    "tenancy:lease_correct": Entry(STAFF, obj="lease"),
    "tenancy:lease_create": Entry(STAFF),
    "tenancy:lease_detail": Entry(STAFF, obj="lease"),
    "tenancy:lease_edit": Entry(STAFF, obj="lease"),
    "tenancy:lease_end": Entry(STAFF, obj="lease"),
    "tenancy:lease_list": Entry(STAFF),
    "tenancy:lease_reinstate": Entry(STAFF, obj="lease"),
    "tenancy:organisation_switch": Entry(STAFF, methods={"POST": MEMBERS_REFUSED}),
    "tenancy:person_detail": Entry(STAFF, obj="person"),
    "tenancy:person_edit": Entry(STAFF, obj="person"),
    "tenancy:person_list": Entry(STAFF),
    "tenancy:person_picker": Entry(STAFF),
    "tenancy:person_reveal_cpr": Entry(STAFF, obj="person", methods={"POST": CPR_ONLY}),
    "tenancy:property_detail": Entry(STAFF, obj="property"),
    "tenancy:property_list": Entry(STAFF),
    "tenancy:search": Entry(STAFF),
    "tenancy:unit_detail": Entry(STAFF, obj="unit"),
    "tenancy:unit_list": Entry(STAFF),
    "two_factor_enrol": Entry(ANY_USER),
    "two_factor_qr": Entry(ANY_USER),
    "two_factor_verify": Entry(ANY_USER),
    "waitlist:applicant_channel": Entry(STAFF, obj="applicant"),
    "waitlist:applicant_create": Entry(STAFF),
    "waitlist:applicant_detail": Entry(STAFF, obj="applicant"),
    "waitlist:applicant_edit": Entry(STAFF, obj="applicant"),
    "waitlist:applicant_list": Entry(STAFF),
    "waitlist:application_leave": Entry(STAFF, obj="application"),
    "waitlist:application_open": Entry(STAFF, obj="applicant"),
    "waitlist:application_renew": Entry(STAFF, obj="application"),
    "waitlist:application_wishes": Entry(STAFF, obj="application"),
    "waitlist:bank_transfer": Entry(STAFF, obj="applicant"),
    "waitlist:deletion_list": Entry(STAFF),
    "waitlist:fee_schedules": Entry(STAFF),
    "waitlist:index": Entry(STAFF),
    "waitlist:invoice_list": Entry(STAFF),
    "waitlist:message_list": Entry(STAFF),
    "waitlist:payment_list": Entry(STAFF),
    "waitlist:payment_return": Entry(NOBODY),
    "waitlist:payment_webhook": Entry(PUBLIC),
    "waitlist:print_batch_download": Entry(STAFF, obj="print_batch"),
    "waitlist:print_batch_list": Entry(STAFF, methods={"POST": MEMBERS_REFUSED}),
    "waitlist:reminder_list": Entry(STAFF),
    "waitlist_public:channel": Entry(APPLICANT),
    "waitlist_public:contact": Entry(APPLICANT),
    "waitlist_public:home": Entry(PUBLIC),
    "waitlist_public:leave": Entry(APPLICANT, obj="application"),
    "waitlist_public:login": Entry(PUBLIC),
    "waitlist_public:logout": Entry(PUBLIC),
    "waitlist_public:messages": Entry(LOGGED_OUT),
    "waitlist_public:open_list": Entry(APPLICANT),
    "waitlist_public:overview": Entry(LOGGED_OUT),
    "waitlist_public:password_reset": Entry(PUBLIC),
    "waitlist_public:password_reset_complete": Entry(PUBLIC),
    "waitlist_public:password_reset_confirm": Entry(PUBLIC),
    "waitlist_public:password_reset_done": Entry(PUBLIC),
    "waitlist_public:pay": Entry(APPLICANT, obj="invoice"),
    "waitlist_public:renew": Entry(APPLICANT, obj="application"),
    "waitlist_public:signup": Entry(NOBODY),
    "waitlist_public:verify": Entry(PUBLIC),
    "waitlist_public:wishes": Entry(APPLICANT, obj="application"),
}


def _merge_areas() -> None:
    """Add each area's entries (tests/security/areas/); a route declared twice is an error."""
    import importlib

    from tests.security.areas import AREAS

    for area in AREAS:
        module = importlib.import_module(f"tests.security.areas.{area}")
        twice = set(module.POLICY) & set(POLICY)
        assert not twice, f"declared twice (areas/{area}.py and route_policy.py): {twice}"
        POLICY.update(module.POLICY)
        PUBLIC_FOR_ANONYMOUS.update(module.PUBLIC_FOR_ANONYMOUS)


_merge_areas()
