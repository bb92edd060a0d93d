"""Telling the disclosure log (tenancy.hooks.personal_data_disclosed, filled by gdpr) which
tenants' data the rent register received: one disclosure per filing the register answered
(accepted or rejected: either way it had the payload), written in the transaction that
records the answers. The tenants are the lease's parties; the CPR number is a category only
when the filing carried one (a consenting tenant)."""

from collections import defaultdict

from django.utils.translation import gettext as _

from tenancy import hooks
from tenancy.hooks import DataCategory, RecipientKind
from tenancy.models import Lease

RECIPIENT = "Huslejeregisteret (Landsbyggefonden)"
SOURCE = "rentregister.filing"


def _carried_cpr(row: dict) -> bool:
    """Did the payload as sent carry a CPR number (push._cpr_for adds consenting tenants')?"""
    sent = row.get("send_payload") or row.get("payload") or {}
    tenants = (sent.get("lease") or {}).get("tenants") or []
    return any(isinstance(t, dict) and t.get("cpr") for t in tenants)


def filings_disclosed(rows: list[dict], *, now) -> None:
    """Log the filings in `rows` (claimed rows: pk, lease_id, organisation_id,
    cpr_person_ids) as disclosures to the rent register. No-op when nothing listens."""
    if not rows or not len(hooks.personal_data_disclosed):
        return
    parties: dict[int, list[int]] = defaultdict(list)
    through = Lease.parties.through.objects.filter(lease_id__in={r["lease_id"] for r in rows})
    for lease_id, person_id in through.values_list("lease_id", "person_id"):
        parties[lease_id].append(person_id)
    base = (DataCategory.NAME, DataCategory.BIRTH_DATE, DataCategory.ADDRESS)
    terms = (DataCategory.LEASE, DataCategory.RENT)
    events = []
    for row in rows:
        with_cpr = _carried_cpr(row)
        categories = base + ((DataCategory.CPR,) if with_cpr else ()) + terms
        basis = _("Retlig forpligtelse (GDPR art. 6, stk. 1, litra c): indberetning af lejeforhold")
        if with_cpr:
            basis += _("; CPR-nummer med lejerens samtykke (databeskyttelseslovens § 11)")
        events.append(
            hooks.Disclosure(
                organisation_id=row["organisation_id"],
                recipient=RECIPIENT,
                recipient_kind=RecipientKind.AUTHORITY,
                categories=categories,
                person_ids=tuple(parties.get(row["lease_id"], ())),
                legal_basis=basis,
                purpose=_("Indberetning til Huslejeregisteret"),
                source=SOURCE,
                reference=_("Indberetning %s") % row["pk"],
                at=now,
            )
        )
    hooks.personal_data_disclosed.call(events)
