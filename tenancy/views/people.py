"""The person page (with the logged CPR reveal) and the person picker of the lease forms."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.forms import apply_domain_error

from .. import hooks, selectors, services
from ..filters import PersonFilter
from ..forms import CprRevealForm
from ..history import history_entries
from ..scope import scoped


def _person_panels(request, person) -> list[str]:
    return [panel(request, person) for panel in hooks.person_panels]


def _person_context(request, person, **extra):
    leases = scoped(request, selectors.lease_list).filter(parties=person).order_by("-start_date")
    return {
        "object": person,
        "leases": leases,
        "history": history_entries(person),
        "can_reveal": selectors.can_reveal_cpr(
            user=request.user, organisation_id=person.organisation_id
        ),
        "panels": _person_panels(request, person),
        **extra,
    }


@login_required
def person_detail(request, pk):
    person = get_object_or_404(scoped(request, selectors.person_list), pk=pk)
    context = _person_context(request, person, reveal_form=CprRevealForm())
    return render(request, "tenancy/person_detail.html", context)


@login_required
@require_POST
def person_reveal_cpr(request, pk):
    """Show the full CPR number once, for a CPR officer, with a logged purpose."""
    person = get_object_or_404(scoped(request, selectors.person_list), pk=pk)
    if not selectors.can_reveal_cpr(user=request.user, organisation_id=person.organisation_id):
        raise PermissionDenied(_("Kun CPR-ansvarlige kan se CPR-numre."))
    form = CprRevealForm(request.POST)
    revealed = ""
    if form.is_valid():
        try:
            revealed = services.person_cpr_reveal(
                user=request.user, person=person, purpose=form.cleaned_data["purpose"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
    response = render(
        request,
        "tenancy/person_detail.html",
        _person_context(request, person, reveal_form=form, revealed_cpr=revealed),
    )
    # The number is shown once: never cached, never stored in the session.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def person_picker(request):
    """Live person search for the lease forms: checkboxes named `parties`. Posted (from
    htmx) so a CPR number typed in it stays out of URLs; people already chosen are left out."""
    data = request.POST if request.method == "POST" else request.GET
    text = data.get("party_q", "").strip()
    # Only ids the id column can hold (a longer number would overflow the query: a 500).
    chosen = [v for v in data.getlist("parties") if v.isdigit() and len(v) < 19]
    people = []
    if len(text) >= 2:
        queryset = scoped(request, selectors.person_list)
        qs = PersonFilter({"q": text}, queryset=queryset).qs.exclude(pk__in=chosen)
        people = list(qs.order_by("name", "pk")[:20])
    return render(
        request, "tenancy/includes/person_picker_results.html", {"people": people, "query": text}
    )
