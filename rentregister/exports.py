"""Excel downloads for the rent register: the refund statement (a payout list, so CPR
numbers end in 0000), the filing queue, UDK tasks and rehousings. All use core.excel."""

from django.utils.translation import gettext as _

from core.excel import Column

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


def task_columns() -> list[Column]:
    """The task list without the drafted message text (it can name tenants, and a download
    can leave the organisation); the task page shows the text."""
    return [
        Column(_("Nr."), lambda t: t.pk, kind="int", width=8),
        Column(_("Opgave"), lambda t: t.subject, width=50),
        Column(_("Lejemål"), lambda t: t.lease.number),
        Column(_("Type"), lambda t: t.get_kind_display(), width=28),
        Column(_("Modtager"), lambda t: t.recipient, width=30),
        Column(_("Oprettet"), lambda t: t.created_at, kind="datetime"),
        Column(_("Status"), lambda t: t.get_status_display()),
        Column(_("Udført"), lambda t: t.done_at, kind="datetime"),
        Column(_("Udført af"), lambda t: t.done_by.get_username() if t.done_by else ""),
    ]


def rehousing_columns() -> list[Column]:
    return [
        Column(_("Lejemål"), lambda r: r.lease.number),
        Column(_("Adresse"), lambda r: r.lease.unit.address, width=40),
        Column(_("Type"), lambda r: r.get_kind_display()),
        Column(_("Genhusning i"), lambda r: r.get_placement_display(), width=24),
        Column(
            _("Midlertidig bolig"),
            lambda r: r.temporary_unit.address if r.temporary_unit else "",
            width=40,
        ),
        Column(_("Fra"), lambda r: r.start_date, kind="date"),
        Column(_("Til"), lambda r: r.end_date, kind="date"),
        Column(_("Indberettet husleje"), lambda r: r.filed_rent, kind="money"),
        Column(_("Nyt lejemål"), lambda r: r.new_lease.number if r.new_lease else ""),
        Column(_("Status"), lambda r: r.get_status_display()),
    ]
