"""Offer letters and the messages around an offer (issue 14).

The offer letter is one text (`offer_letter`) rendered to PDF by the waiting list's letter
renderer (waitlist.letters, fpdf2): the applicant downloads it in the self-service area, and
a letter-channel applicant gets the same text as a letter in the next print batch. The PDF
is rendered on demand and never stored, so no copy of the applicant's name or address is
kept outside the applicant's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core import formatting

from ..letters import render_letters_pdf
from ..messaging import message_send
from ..models import Applicant, Channel
from ..models_letting import Offer, Vacancy


@dataclass(frozen=True)
class LetterText:
    subject: str
    body: str


@dataclass(frozen=True)
class _Letter:
    """What waitlist.letters.render_letters_pdf reads from a letter."""

    applicant: Applicant
    to_address: str
    subject: str
    body: str
    kind: str
    pk: int


def _address(vacancy: Vacancy) -> str:
    unit = vacancy.unit
    entrance = unit.entrance
    place = " ".join(p for p in (unit.floor and f"{unit.floor}.", unit.door) if p)
    street = f"{entrance.street_name} {entrance.house_number}"
    return f"{street}{', ' + place if place else ''}, {entrance.postcode} {entrance.city}"


def offer_letter(offer: Offer, *, offered: int | None = None) -> LetterText:
    """The offer letter's text: the home, the rent, the move-in date, the deadline and how
    to answer (online or by calling the office for letter-channel applicants). `offered`:
    how many had the offer in the round (counted when not given)."""
    vacancy = offer.vacancy
    if offered is None:
        offered = offer.round.offers.count()
    answer_how = (
        _("Svar på tilbuddet under »Mine boligtilbud« i ventelistens selvbetjening.")
        if offer.channel == Channel.E_OFFER
        else _("Svar ved at ringe eller skrive til udlejningskontoret med tilbudsnummeret.")
    )
    lines = [
        _("Du har anciennitet til at få tilbudt denne bolig:"),
        "",
        _("Adresse: %s") % _address(vacancy),
        _("Værelser: %(rooms)s   Areal: %(area)s")
        % {"rooms": vacancy.rooms, "area": formatting.area(vacancy.area_m2)},
        _("Husleje pr. måned: %s") % formatting.money(vacancy.rent),
        _("Indflytning: %s") % formatting.day(vacancy.move_in_date),
        _("Liste: %s") % vacancy.get_list_type_display(),
        "",
        _(
            "Tilbuddet er sendt til %(n)s ansøgere på én gang. Boligen går til den, der har "
            "den bedste placering blandt dem, der siger ja. Du er nr. %(rank)s."
        )
        % {"n": offered, "rank": offer.rank},
        "",
        _("Svarfrist: %s") % formatting.moment(offer.deadline),
        answer_how,
        _("Svarer du ikke, regnes det som et nej. Siger du ja, beholder du din plads på listen."),
        "",
        _("Tilbudsnummer: %s") % offer.pk,
    ]
    subject = _("Boligtilbud: %s") % _address(vacancy)
    return LetterText(subject=subject, body="\n".join(lines))


def offer_letter_pdf(offer: Offer, *, offered: int | None = None) -> bytes:
    """The offer letter as PDF (the organisation's name as letterhead)."""
    text = offer_letter(offer, offered=offered)
    applicant = offer.applicant
    letter = _Letter(
        applicant=applicant,
        to_address=f"{applicant.address}, {applicant.postal_code} {applicant.city}",
        subject=text.subject,
        body=text.body,
        kind="offer",
        pk=offer.pk,
    )
    return render_letters_pdf([letter], sender=offer.vacancy.organisation.name)  # type: ignore[list-item]


def notify_offer(*, offer: Offer) -> None:
    """E-offer: e-mail (+ SMS when chosen) that an offer is waiting online. Letter: the
    offer letter itself, queued for the next print batch."""
    text = offer_letter(offer)
    if offer.channel == Channel.E_OFFER and offer.applicant.email:
        subject = _("Du har fået et boligtilbud – svar senest %s") % formatting.moment(
            offer.deadline
        )
        body = _(
            "Du har fået tilbudt en bolig fra ventelisten. Log ind i ventelistens "
            "selvbetjening, se tilbudsbrevet under »Mine boligtilbud« og svar senest %s."
        ) % formatting.moment(offer.deadline)
        message_send(
            applicant=offer.applicant,
            kind="offer",
            subject=subject,
            body=body,
            dedup_key=f"offer:{offer.pk}",
        )
        return
    message_send(
        applicant=offer.applicant,
        kind="offer",
        subject=text.subject,
        body=text.body,
        dedup_key=f"offer:{offer.pk}",
    )


def notify_withdrawn(*, offer: Offer) -> None:
    message_send(
        applicant=offer.applicant,
        kind="offer_withdrawn",
        subject=_("Boligtilbud trukket tilbage"),
        body=_(
            "Boligen på %s, som du fik tilbudt, er trukket tilbage. Du beholder din plads "
            "på ventelisten."
        )
        % _address(offer.vacancy),
        dedup_key=f"offer-withdrawn:{offer.pk}",
    )


def notify_result(*, offer: Offer) -> None:
    """Tell an applicant who accepted whether they got the home."""
    won = offer.outcome == Offer.Outcome.WON
    subject = _("Du har fået boligen") if won else _("Boligen gik til en anden ansøger")
    if won:
        body = _(
            "Du har fået boligen på %(address)s med indflytning %(day)s. Du hører fra os om "
            "lejekontrakten. Du står fortsat på ventelisten."
        ) % {"address": _address(offer.vacancy), "day": formatting.day(offer.vacancy.move_in_date)}
    else:
        body = _(
            "Boligen på %s gik til en ansøger med en bedre placering, som også sagde ja. "
            "Du beholder din plads på ventelisten."
        ) % _address(offer.vacancy)
    message_send(
        applicant=offer.applicant,
        kind="offer_result",
        subject=subject,
        body=body,
        dedup_key=f"offer-result:{offer.pk}",
    )
