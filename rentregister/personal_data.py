"""What the rent register holds about a person (core.personal_data): the tenants in the
stored filing payloads (name and birth date; the CPR number is never stored, see
payload.tenant_identity), the filing consents, and free text naming them (UDK tasks,
rehousing notes, register differences, filing errors)."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from core.personal_data import (
    SCRUBBED,
    Keep,
    Provider,
    Section,
    Subject,
    mentions,
    rows_update,
    scrub_rows,
    scrub_text,
    scrub_value,
)

from .models import (
    Filing,
    FilingConsent,
    FilingState,
    RegisterDifference,
    Rehousing,
    UdkTask,
)

OPEN_STATES = [FilingState.PENDING, FilingState.SENT, FilingState.NEEDS_ATTENTION]


def _plain(value):
    return value.isoformat() if value is not None else None


def _leases(subject: Subject) -> Q:
    return Q(lease__parties__in=subject.person_ids, organisation_id__in=subject.organisation_ids)


def filings(subject: Subject):
    return Filing.objects.filter(_leases(subject)).distinct()


def _tenant_entries(payload: dict, identifiers) -> list[dict]:
    tenants = (payload.get("lease") or {}).get("tenants") or []
    return [t for t in tenants if isinstance(t, dict) and mentions(str(t.get("name")), identifiers)]


def _scrubbed_payload(payload: dict, identifiers) -> dict:
    """The payload with the subject's tenant entries emptied and any other mention gone."""
    payload = scrub_value(payload, identifiers)
    for tenant in (payload.get("lease") or {}).get("tenants") or []:
        if isinstance(tenant, dict) and tenant.get("name") == SCRUBBED:
            tenant.update(birth_date=None, cpr=None)
    return payload


class RentRegisterPersonalData(Provider):
    app = "rentregister"

    def collect(self, subject: Subject) -> list[Section]:
        rows = []
        for filing in filings(subject).select_related("lease").order_by("created_at", "pk"):
            for tenant in _tenant_entries(filing.payload, subject.identifiers):
                rows.append(
                    {
                        _("Oprettet"): _plain(filing.created_at),
                        _("Lejemål"): filing.lease.number,
                        _("Ændring"): str(filing.get_kind_display()),
                        _("Gælder fra"): _plain(filing.effective_date),
                        _("Status"): str(filing.get_state_display()),
                        _("Indberettet navn"): tenant.get("name"),
                        _("Indberettet fødselsdato"): tenant.get("birth_date"),
                    }
                )
        consents = FilingConsent.objects.filter(
            person_id__in=subject.person_ids, organisation_id__in=subject.organisation_ids
        ).order_by("given_at", "pk")
        return [
            Section(
                self.app, "rentregister.filings", _("Indberetninger til huslejeregistret"), rows
            ),
            Section(
                self.app,
                "rentregister.consents",
                _("Samtykke til indberetning af CPR-nummer"),
                [
                    {
                        _("Givet"): _plain(c.given_at),
                        _("Trukket tilbage"): _plain(c.withdrawn_at),
                        _("Bemærkning"): c.note,
                    }
                    for c in consents
                ],
                provided_by_subject=True,
            ),
        ]

    def must_keep(self, subject: Subject) -> list[Keep]:
        waiting = filings(subject).filter(state__in=OPEN_STATES).count()
        keep = []
        if waiting:
            keep.append(
                Keep(
                    self.app,
                    _("%(count)s indberetning(er) til huslejeregistret er ikke afsluttet.")
                    % {"count": waiting},
                    blocks=True,
                )
            )
        return keep

    def anonymise(self, subject: Subject) -> int:
        ids = subject.identifiers
        if not ids:
            return 0
        changed = []
        for filing in filings(subject).only(
            "pk", "payload", "errors", "warnings", "last_error", "resolution_note"
        ):
            new = (
                _scrubbed_payload(filing.payload, ids),
                scrub_value(filing.errors, ids),
                scrub_value(filing.warnings, ids),
                scrub_text(filing.last_error, ids),
                scrub_text(filing.resolution_note, ids),
            )
            old = (
                filing.payload,
                filing.errors,
                filing.warnings,
                filing.last_error,
                filing.resolution_note,
            )
            if new != old:
                (
                    filing.payload,
                    filing.errors,
                    filing.warnings,
                    filing.last_error,
                    filing.resolution_note,
                ) = new
                changed.append(filing)
        rows_update(changed, ["payload", "errors", "warnings", "last_error", "resolution_note"])
        count = len(changed)
        count += scrub_rows(
            UdkTask.objects.filter(_leases(subject)), ids, "recipient", "subject", "message"
        )
        count += scrub_rows(Rehousing.objects.filter(_leases(subject)), ids, "note")
        count += scrub_rows(
            RegisterDifference.objects.filter(_leases(subject)), ids, "ours", "theirs"
        )
        count += scrub_rows(
            FilingConsent.objects.filter(
                person_id__in=subject.person_ids, organisation_id__in=subject.organisation_ids
            ),
            ids,
            "note",
        )
        return count

    # --- retention: superseded filings ---

    def retention_keys(self) -> list[str]:
        return [FILINGS]

    def retention_count(self, key, *, before, scope) -> int:
        return filings_superseded(before=before, scope=scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        ids = list(
            filings_superseded(before=before, scope=scope)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Filing.objects.filter(pk__in=ids).delete()  # UDK tasks and differences keep SET_NULL
        return len(ids)


FILINGS = "filings"
FINAL_STATES = [FilingState.ACCEPTED, FilingState.REJECTED, FilingState.CANCELLED]


def filings_superseded(*, before: datetime, scope):
    """Finished filings created before `before` that a later accepted filing of the same
    lease has replaced (the latest accepted one is the lease's state in the register and
    stays)."""
    later = Filing.objects.filter(
        lease=OuterRef("lease"), pk__gt=OuterRef("pk"), state=FilingState.ACCEPTED
    )
    rows = Filing.objects.filter(created_at__lt=before, state__in=FINAL_STATES).filter(
        Exists(later)
    )
    return rows if scope is None else rows.filter(organisation_id__in=scope)
