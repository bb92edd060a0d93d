""" "Why not me?" and "how long will I wait?" (issue 14; docs/letting.md).

`why_not` answers for one application and one vacancy from what was stored when the rounds
ran (the ranking as it was), and only when the application was never looked at, from the
application as it is now. `wait_estimate` places an application among the applicants who
could have had the homes that fit its wishes and estimates the wait from the cooperation's
own lettings in the last two years, saying plainly how uncertain that is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import formatting

from ..models import Application
from ..models_letting import Offer, RankingEntry, Reason, Vacancy
from .letting_ranking import ON_LIST, rank_vacancy, rules_for, vacancy_matches

# Plain Danish for the applicant (the staff see Reason's label and the detail).
PLAIN = {
    Reason.UNPAID: gettext_lazy("Dit ajourføringsgebyr var ikke betalt, da boligen blev tilbudt."),
    Reason.ON_HOLD: gettext_lazy(
        "Du var sat på pause for tilbud, fordi du ikke havde svaret på flere tilbud."
    ),
    Reason.RESTRICTED: gettext_lazy(
        "Behandlingen af dine oplysninger var begrænset efter dit ønske."
    ),
    Reason.ROOMS_WISH: gettext_lazy("Boligen havde ikke det antal værelser, du har ønsket."),
    Reason.AREA_WISH: gettext_lazy("Boligen var mindre end det areal, du har ønsket."),
    Reason.RENT_WISH: gettext_lazy("Huslejen var højere end den højeste husleje, du har ønsket."),
    Reason.PLACE_WISH: gettext_lazy(
        "Boligen lå ikke i en af de afdelinger eller byer, du har ønsket."
    ),
    Reason.FEATURE_WISH: gettext_lazy(
        "Boligen manglede noget, du har ønsket (stueetage/elevator, husdyr eller altan/have)."
    ),
    Reason.MOVE_IN_WISH: gettext_lazy("Indflytningen var før den dato, du tidligst kan flytte."),
    Reason.HOUSEHOLD: gettext_lazy(
        "Jeres husstand passer ikke til boligens størrelse efter udlejningsreglerne."
    ),
    Reason.PRIORITY: gettext_lazy(
        "Nuværende lejere går forud for eksterne ansøgere ved denne bolig."
    ),
    Reason.OFFERED_BEFORE: gettext_lazy("Du havde allerede fået tilbuddet i en tidligere runde."),
}

ESTIMATE_CAP = 1000  # eligible applicants counted ahead at most (keeps the page fast)
YEARS = 2


@dataclass(frozen=True)
class Explanation:
    staff: str
    plain: str


def _offer_explanation(offer: Offer) -> Explanation:
    status = offer.get_status_display().lower()
    if offer.outcome == Offer.Outcome.WON:
        text = _("Fik boligen (nr. %s i runde %s).") % (offer.rank, offer.round.number)
        return Explanation(text, _("Du fik boligen."))
    if offer.outcome == Offer.Outcome.NOT_CHOSEN:
        return Explanation(
            _("Sagde ja, men nr. %s, som også sagde ja, var bedre placeret.")
            % offer.vacancy.assigned_offer.rank,
            _("Du sagde ja, men en ansøger med bedre placering sagde også ja og fik boligen."),
        )
    staff = _("Fik tilbuddet i runde %(n)s som nr. %(rank)s: %(status)s.") % {
        "n": offer.round.number,
        "rank": offer.rank,
        "status": status,
    }
    plain = {
        Offer.Status.DECLINED: _("Du fik tilbuddet og sagde nej."),
        Offer.Status.LAPSED: _("Du fik tilbuddet, men svarede ikke inden fristen."),
        Offer.Status.CANCELLED: _("Du fik tilbuddet, men det bortfaldt: %s") % offer.note,
    }.get(offer.status, _("Du har fået tilbuddet. Svar inden fristen."))
    return Explanation(staff, plain)


def _stored_explanation(entry: RankingEntry) -> Explanation:
    label = Reason(entry.reason).label
    staff = _("Runde %(n)s, placering %(pos)s: %(label)s%(detail)s.") % {
        "n": entry.round.number,
        "pos": entry.position,
        "label": label,
        "detail": f" ({entry.detail})" if entry.detail else "",
    }
    return Explanation(staff, str(PLAIN.get(Reason(entry.reason), label)))


def _not_reached(vacancy: Vacancy, application: Application) -> Explanation:
    last = (
        RankingEntry.objects.filter(round__vacancy=vacancy, rank__isnull=False)
        .order_by("-round__number", "-position")
        .values_list("seniority_date", flat=True)
        .first()
    )
    offered = vacancy.offers.count()
    staff = _(
        "Ikke nået: %(n)s ansøgere med bedre placering fik tilbuddet (sidste tilbudte "
        "anciennitet %(last)s; ansøgerens %(own)s)."
    ) % {
        "n": offered,
        "last": formatting.day(last),
        "own": formatting.day(application.seniority_date),
    }
    plain = _(
        "Boligen blev tilbudt %(n)s ansøgere, der stod før dig på listen, og en af dem fik "
        "den. Din plads blev ikke nået."
    ) % {"n": offered}
    return Explanation(staff, plain)


def why_not(*, application: Application, vacancy: Vacancy) -> Explanation:
    """Why this application did (not) get this home, from the stored rounds first."""
    offer = vacancy.offers.filter(application=application).select_related("round").first()
    if offer:
        return _offer_explanation(offer)
    if application.list_type != vacancy.list_type:
        text = _("Boligen udlejes fra en anden liste (%s).") % (
            vacancy.get_list_type_display().lower()
        )
        return Explanation(text, text)
    entry = (
        RankingEntry.objects.filter(round__vacancy=vacancy, application=application)
        .exclude(reason="")
        .select_related("round")
        .order_by("round__number")
        .first()
    )
    if entry:
        return _stored_explanation(entry)
    if not vacancy.rounds.exists():
        text = _("Der er endnu ikke startet en tilbudsrunde for boligen.")
        return Explanation(text, text)
    if application.status not in ON_LIST or application.seniority_date is None:
        return Explanation(
            _("Ikke på listen (%s), da runderne kørte.") % application.get_status_display(),
            _("Du stod ikke på ventelisten, da boligen blev tilbudt."),
        )
    if not vacancy_matches(application, vacancy, rules_for(vacancy.cooperation_id)):
        return Explanation(
            _("Boligen passer ikke til ønskerne eller husstanden (vurderet nu)."),
            _("Boligen passer ikke til dine ønsker eller jeres husstand."),
        )
    return _not_reached(vacancy, application)


# --- expected waiting time -------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    position: int  # on the list type, counting everyone on the list before
    eligible_ahead: int | None  # before, and fitting the latest matching home (None: unknown)
    capped: bool
    lettings: int  # matching homes let from the list in the last two years
    years_low: float | None
    years_high: float | None
    staff: str
    plain: str


def _position(application: Application) -> int:
    ahead = Application.objects.filter(
        applicant__cooperation_id=application.applicant.cooperation_id,
        list_type=application.list_type,
        status__in=ON_LIST,
        seniority_date__isnull=False,
    ).filter(
        Q(seniority_date__lt=application.seniority_date)
        | Q(seniority_date=application.seniority_date, pk__lt=application.pk)
    )
    return ahead.count() + 1


def _matching_lettings(application: Application, department_id: int | None) -> list[Vacancy]:
    since = timezone.now() - timedelta(days=365 * YEARS)
    rules = rules_for(application.applicant.cooperation_id)
    lettings = Vacancy.objects.filter(
        cooperation_id=application.applicant.cooperation_id,
        list_type=application.list_type,
        status=Vacancy.Status.ASSIGNED,
        assigned_at__gte=since,
    )
    if department_id is not None:
        lettings = lettings.filter(department_id=department_id)
    return [
        v for v in lettings.order_by("-assigned_at")[:500] if vacancy_matches(application, v, rules)
    ]


def _years(n: float) -> str:
    if n < 1:
        return _("%s måneder") % max(1, round(n * 12))
    return _("%s år") % formatting.number(n, 1)


def wait_estimates(*, application: Application) -> list[tuple[str, Estimate | None]]:
    """One estimate per wish: per department wished when there are several, else one for
    the application's wishes as a whole."""
    departments = list(application.departments.order_by("number"))
    if len(departments) < 2:
        return [(_("Dine boligønsker"), wait_estimate(application=application))]
    return [
        (str(d), wait_estimate(application=application, department_id=d.pk)) for d in departments
    ]


def wait_estimate(*, application: Application, department_id: int | None = None) -> Estimate | None:
    """Where the application stands and a plain estimate of the wait (None off the list);
    `department_id`: only homes in that department count."""
    if application.status not in ON_LIST or application.seniority_date is None:
        return None
    position = _position(application)
    matching = _matching_lettings(application, department_id)
    if not matching:
        text = _(
            "Der er ikke udlejet boliger, der passer til dine ønsker, fra listen de seneste "
            "to år. Vi kan derfor ikke give et skøn. Flere ønsker (fx flere afdelinger eller "
            "en højere husleje) giver flere muligheder."
        )
        return Estimate(position, None, False, 0, None, None, text, text)
    ranking = rank_vacancy(vacancy=matching[0], wanted=ESTIMATE_CAP, stop_at=application.pk)
    ahead = sum(1 for j in ranking.eligible if j.application_id != application.pk)
    capped = len(ranking.eligible) >= ESTIMATE_CAP
    per_year = len(matching) / YEARS
    spread = math.sqrt(len(matching))
    low = (ahead + 1) / ((len(matching) + spread) / YEARS)
    high = (ahead + 1) / max((len(matching) - spread) / YEARS, 0.5)
    staff = _(
        "Nr. %(pos)s på listen; %(ahead)s%(capped)s foran, som også kunne få en bolig som "
        "den seneste, der passede. %(n)s passende udlejninger på to år (%(rate)s pr. år) → "
        "skøn %(low)s–%(high)s."
    ) % {
        "pos": formatting.number(position),
        "ahead": formatting.number(ahead),
        "capped": "+" if capped else "",
        "n": len(matching),
        "rate": formatting.number(per_year, 1),
        "low": _years(low),
        "high": _years(high),
    }
    plain = _(
        "Der står %(ahead)s%(capped)s ansøgere foran dig, som også ønsker boliger som dem, "
        "du ønsker. De seneste to år er der udlejet %(n)s sådanne boliger fra listen. Hvis "
        "det fortsætter, venter du nok mellem %(low)s og %(high)s. Det er et skøn: udlejes "
        "der færre boliger, eller ændrer andre deres ønsker, kan det gå både hurtigere og "
        "langsommere.%(few)s"
    ) % {
        "ahead": formatting.number(ahead),
        "capped": _(" eller flere") if capped else "",
        "n": len(matching),
        "low": _years(low),
        "high": _years(high),
        "few": _(" Skønnet bygger på meget få udlejninger og er derfor ekstra usikkert.")
        if len(matching) < 5
        else "",
    }
    return Estimate(position, ahead, capped, len(matching), low, high, staff, plain)
