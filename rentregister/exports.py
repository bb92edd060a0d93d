"""Excel downloads for the rent register: the refund statement (a payout list, so CPR
numbers end in 0000) and the filing queue. Both use tenancy.excel."""

from django.utils.translation import gettext as _

from tenancy.excel import Column

from .payload import message_da


def refund_columns() -> list[Column]:
    return [
        Column(_("Lejemål"), lambda r: r.lease_number),
        Column(_("Adresse"), lambda r: r.address, width=40),
        Column(_("Lejer(e)"), lambda r: r.tenant_names, width=30),
        Column(_("CPR-nummer"), lambda r: r.cpr_numbers, width=14),
        Column(_("Måned"), lambda r: f"{r.month:%m-%Y}", width=10),
        Column(_("Beløb til tilbagebetaling"), lambda r: r.amount, kind="money"),
    ]


def filing_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda f: f.pk, kind="int", width=8),
        Column(_("Lejemål"), lambda f: f.lease.number),
        Column(_("Adresse"), lambda f: f.lease.unit.address, width=40),
        Column(_("Ændring"), lambda f: f.get_kind_display(), width=24),
        Column(_("Status"), lambda f: f.get_state_display(), width=24),
        Column(_("Gælder fra"), lambda f: f.effective_date, kind="date"),
        Column(_("Oprettet"), lambda f: f.created_at, kind="datetime"),
        Column(_("Forsøg"), lambda f: f.attempts, kind="int", width=8),
        Column(
            _("Meddelelser"),
            lambda f: "; ".join(message_da(e) for e in (f.errors or [])) or f.last_error,
            width=60,
        ),
    ]
