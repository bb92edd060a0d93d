"""Changing a person's details on the caseworker screen. For a lease party a new CPR
number is a correction with a reason (re-filed), never a way to put another person on the
lease; a name change (marriage) is allowed and re-filed (tenancy.services.person_update)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.forms import apply_domain_error

from .. import selectors, services
from ..errors import TenantChangeError
from ..forms import PersonEditForm
from ..models import Lease
from ..scope import scoped

PERSON_FIELDS = ("name", "email", "phone", "protected")


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = get_object_or_404(scoped(request, selectors.person_list), pk=pk)
    initial = {name: getattr(person, name) for name in PERSON_FIELDS}
    form = PersonEditForm(request.POST or None, initial=initial)
    tenant_change = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in PERSON_FIELDS if data[k] != getattr(person, k)}
        try:
            services.person_update(
                person=person,
                actor=request.user,
                cpr=data["cpr"] or None,
                reason=data["reason"],
                cpr_basis=form.cpr_basis_value(),
                **fields,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"birth_date": "cpr"})
            tenant_change = isinstance(exc, TenantChangeError)
            person.refresh_from_db()
        else:
            messages.success(request, _("Personens oplysninger er gemt."))
            return redirect("tenancy:person_detail", pk=person.pk)
    return render(
        request,
        "tenancy/person_edit.html",
        {
            "form": form,
            "object": person,
            "is_party": Lease.objects.filter(parties=person).exists(),
            "tenant_change": tenant_change,
        },
    )
