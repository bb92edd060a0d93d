"""Excel columns for the waiting-list lists (core.excel). CPR numbers only masked."""

from django.utils.translation import gettext as _

from core.excel import Column


def _apps(applicant) -> str:
    return ", ".join(
        f"{a.get_list_type_display()}: {a.get_status_display()}"
        for a in applicant.applications.all()
    )


def applicant_columns() -> list[Column]:
    return [
        Column(_("Ansøgernr."), lambda a: a.pk, "int", 10),
        Column(_("Navn"), lambda a: a.name, width=28),
        Column(_("CPR-nummer"), lambda a: a.cpr_masked, width=13),
        Column(_("Adresse"), lambda a: a.address, width=28),
        Column(_("Postnr."), lambda a: a.postal_code, width=8),
        Column(_("By"), lambda a: a.city),
        Column(_("E-mail"), lambda a: a.email, width=28),
        Column(_("Telefon"), lambda a: a.phone),
        Column(_("Tilbudsform"), lambda a: a.get_channel_display()),
        Column(_("Ventelister"), _apps, width=40),
        Column(_("Udestående"), lambda a: a.debt, "money"),
        Column(_("Oprettet"), lambda a: a.created_at, "datetime"),
    ]


def application_columns() -> list[Column]:
    return [
        Column(_("Ansøgernr."), lambda a: a.applicant_id, "int", 10),
        Column(_("Navn"), lambda a: a.applicant.name, width=28),
        Column(_("Liste"), lambda a: a.get_list_type_display()),
        Column(_("Status"), lambda a: a.get_status_display()),
        Column(_("Anciennitet"), lambda a: a.seniority_date, "date"),
        Column(_("Betalt/fornyet til"), lambda a: a.paid_until, "date"),
        Column(_("Rykkerfrist"), lambda a: a.reminder_deadline, "date"),
        Column(_("Afsluttet"), lambda a: a.ended_at, "datetime"),
    ]


def invoice_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda i: i.pk, "int", 10),
        Column(_("Ansøger"), lambda i: i.applicant.name, width=28),
        Column(_("Type"), lambda i: i.get_kind_display(), width=20),
        Column(_("Periode fra"), lambda i: i.period_start, "date"),
        Column(_("Periode til"), lambda i: i.period_end, "date"),
        Column(_("Beløb"), lambda i: i.amount, "money"),
        Column(_("Forfald"), lambda i: i.due_date, "date"),
        Column(_("Status"), lambda i: i.get_status_display()),
        Column(_("Rykkerfrist"), lambda i: i.reminder_deadline, "date"),
        Column(_("Betalt"), lambda i: i.paid_at, "datetime"),
    ]


def payment_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda p: p.pk, "int", 10),
        Column(_("Ansøger"), lambda p: p.applicant.name, width=28),
        Column(_("Betalingsdato"), lambda p: p.paid_on, "date"),
        Column(_("Beløb"), lambda p: p.amount, "money"),
        Column(_("Betalingsmåde"), lambda p: p.get_method_display()),
        Column(_("Opkrævning"), lambda p: p.invoice_id, "int"),
        Column(_("Udbyder-id"), lambda p: p.provider_payment_id or "", width=24),
        Column(_("Note"), lambda p: p.note, width=30),
    ]


def message_columns() -> list[Column]:
    return [
        Column(_("Oprettet"), lambda m: m.created_at, "datetime"),
        Column(_("Ansøger"), lambda m: m.applicant.name, width=28),
        Column(_("Kanal"), lambda m: m.get_channel_display()),
        Column(_("Type"), lambda m: m.kind),
        Column(_("Emne"), lambda m: m.subject, width=30),
        Column(_("Status"), lambda m: m.get_status_display()),
        Column(_("Sendt"), lambda m: m.sent_at, "datetime"),
    ]
