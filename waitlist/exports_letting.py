"""Excel columns for the letting lists (core.excel). No CPR numbers; names only where the
caseworker's list shows them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.excel import Column


def vacancy_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda v: v.pk, "int", 8),
        Column(_("Bolig"), lambda v: str(v.unit), width=36),
        Column(_("Afdeling"), lambda v: str(v.department or ""), width=24),
        Column(_("Liste"), lambda v: v.get_list_type_display()),
        Column(_("Værelser"), lambda v: v.rooms, "int", 9),
        Column(_("Areal m²"), lambda v: v.area_m2, "decimal", 9),
        Column(_("Husleje"), lambda v: v.rent, "money"),
        Column(_("Indflytning"), lambda v: v.move_in_date, "date"),
        Column(_("Status"), lambda v: v.get_status_display()),
        Column(_("Oprettet"), lambda v: v.created_at, "datetime"),
        Column(_("Udlejet"), lambda v: v.assigned_at, "datetime"),
    ]


def offer_columns() -> list[Column]:
    return [
        Column(_("Tilbudsnr."), lambda o: o.pk, "int", 10),
        Column(_("Bolig"), lambda o: str(o.vacancy.unit), width=36),
        Column(_("Runde"), lambda o: o.round.number, "int", 7),
        Column(_("Rang"), lambda o: o.rank, "int", 6),
        Column(_("Ansøgernr."), lambda o: o.applicant_id, "int", 10),
        Column(_("Ansøger"), lambda o: o.applicant.name, width=28),
        Column(_("Tilbudsform"), lambda o: o.get_channel_display()),
        Column(_("Svarfrist"), lambda o: o.deadline, "datetime"),
        Column(_("Status"), lambda o: o.get_status_display()),
        Column(_("Udfald"), lambda o: o.get_outcome_display() if o.outcome else ""),
        Column(_("Besvaret"), lambda o: o.answered_at, "datetime"),
    ]


def ranking_columns() -> list[Column]:
    return [
        Column(_("Placering"), lambda e: e.position, "int", 9),
        Column(_("Ansøgning"), lambda e: e.application_id, "int", 10),
        Column(_("Anciennitet"), lambda e: e.seniority_date, "date"),
        Column(_("Rang blandt egnede"), lambda e: e.rank, "int", 10),
        Column(_("Årsag"), lambda e: e.get_reason_display() if e.reason else "", width=40),
        Column(_("Detalje"), lambda e: e.detail, width=30),
    ]


def referral_columns() -> list[Column]:
    return [
        Column(_("Nr."), lambda r: r.pk, "int", 8),
        Column(_("Bolig"), lambda r: str(r.unit), width=36),
        Column(_("Ledig fra"), lambda r: r.vacant_from, "date"),
        Column(_("Status"), lambda r: r.get_status_display(), width=28),
        Column(_("Oprettet"), lambda r: r.created_at, "datetime"),
    ]


def hold_columns() -> list[Column]:
    return [
        Column(_("Ansøgernr."), lambda h: h.applicant_id, "int", 10),
        Column(_("Ansøger"), lambda h: h.applicant.name, width=28),
        Column(_("Årsag"), lambda h: h.reason, width=40),
        Column(_("Oprettet"), lambda h: h.created_at, "datetime"),
        Column(_("Ophævet"), lambda h: h.lifted_at, "datetime"),
    ]
