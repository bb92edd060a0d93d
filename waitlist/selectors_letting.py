"""Reads for letting (issue 14): vacancies, rounds, offers, referrals and holds.

Scoping: a vacancy belongs to the organisation that owns the home (a browser session works
in its current organisation, the API in all the user's organisations); offers and rounds are
reached through the vacancy. An applicant's offers are the cooperation's, so they follow the
applicant scope (waitlist.selectors)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.hooks import AttentionItem
from tenancy.selectors import organisation_ids_for

from .models_letting import LettingHold, MunicipalReferral, Offer, OfferRound, Vacancy
from .selectors import cooperation_ids_for

ANSWERS_DUE_WITHIN = timedelta(days=2)


def _org_ids(user, organisation) -> list[int]:
    ids = organisation_ids_for(user)
    if organisation is not None:
        return [organisation.pk] if organisation.pk in ids else []
    return ids


def vacancy_list(*, user, organisation=None, status: str = "") -> QuerySet[Vacancy]:
    qs = Vacancy.objects.filter(organisation_id__in=_org_ids(user, organisation)).select_related(
        "unit__entrance", "department", "organisation"
    )
    if status == "active":
        qs = qs.filter(status__in=Vacancy.ACTIVE)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("move_in_date", "pk")


def vacancy_get(*, user, pk: int, organisation=None) -> Vacancy:
    """The vacancy, or Vacancy.DoesNotExist outside the user's (current) organisation."""
    return vacancy_list(user=user, organisation=organisation).get(pk=pk)


def offer_list(*, user, organisation=None, status: str = "") -> QuerySet[Offer]:
    qs = Offer.objects.filter(
        vacancy__organisation_id__in=_org_ids(user, organisation)
    ).select_related("vacancy__unit__entrance", "applicant", "application", "round")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("deadline", "vacancy_id", "rank")


def offer_get(*, user, pk: int, organisation=None) -> Offer:
    return offer_list(user=user, organisation=organisation).get(pk=pk)


def answers_due(*, user, organisation=None) -> QuerySet[Offer]:
    """Letter-channel offers still unanswered: a caseworker registers their answers."""
    return offer_list(user=user, organisation=organisation, status=Offer.Status.PENDING).filter(
        channel="letter"
    )


def referral_list(*, user, organisation=None, status: str = "") -> QuerySet[MunicipalReferral]:
    qs = MunicipalReferral.objects.filter(
        organisation_id__in=_org_ids(user, organisation)
    ).select_related("unit__entrance")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("vacant_from", "pk")


def referral_get(*, user, pk: int, organisation=None) -> MunicipalReferral:
    return referral_list(user=user, organisation=organisation).get(pk=pk)


def hold_list(*, user, active: bool = True) -> QuerySet[LettingHold]:
    qs = LettingHold.objects.filter(
        applicant__cooperation_id__in=cooperation_ids_for(user)
    ).select_related("applicant")
    if active:
        qs = qs.filter(lifted_at__isnull=True)
    return qs


def hold_get(*, user, pk: int) -> LettingHold:
    return hold_list(user=user, active=False).get(pk=pk)


def round_get(*, user, pk: int, organisation=None) -> OfferRound:
    return OfferRound.objects.select_related("vacancy").get(
        pk=pk, vacancy__organisation_id__in=_org_ids(user, organisation)
    )


def applicant_offers(*, applicant) -> QuerySet[Offer]:
    """An applicant's own offers (self-service), newest first."""
    return (
        Offer.objects.filter(applicant=applicant)
        .select_related("vacancy__unit__entrance", "round", "vacancy__organisation", "applicant")
        .order_by("-created_at", "-pk")
    )


def attention_items(*, user, organisation) -> list[AttentionItem]:
    """The dashboard's "needs action": homes waiting for a round (or with nobody left on the
    list), letter answers to register soon, municipal referrals awaiting."""
    items: list[AttentionItem] = []
    if organisation is None:
        return items
    url = reverse("waitlist:vacancy_list")
    waiting = vacancy_list(user=user, organisation=organisation).filter(
        status__in=[Vacancy.Status.OPEN, Vacancy.Status.NO_APPLICANTS]
    )
    n = waiting.count()
    if n:
        items.append(
            {
                "title": _("Ledige boliger uden tilbudsrunde"),
                "url": f"{url}?status=active",
                "count": n,
                "level": "warn",
            }
        )
    soon = timezone.now() + ANSWERS_DUE_WITHIN
    due = answers_due(user=user, organisation=organisation).filter(deadline__lte=soon).count()
    if due:
        items.append(
            {
                "title": _("Svar på brevtilbud med frist inden for 2 dage"),
                "url": reverse("waitlist:answers_due"),
                "count": due,
                "level": "danger",
            }
        )
    referrals = referral_list(
        user=user, organisation=organisation, status=MunicipalReferral.Status.AWAITING
    ).count()
    if referrals:
        items.append(
            {
                "title": _("Boliger til kommunal anvisning"),
                "url": reverse("waitlist:referral_list"),
                "count": referrals,
                "level": "warn",
            }
        )
    return items
