"""The public contact form (anonymous visitors), its receipt and withdrawal page, and the
caseworkers' list of enquiries (issue 15)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import formatting
from core.errors import DomainError
from core.excel import Column, xlsx_filename, xlsx_response
from core.pagination import page_of
from tenancy.models import Organisation
from tenancy.scope import current_organisation

from .. import selectors
from . import contact
from .forms import ContactForm


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "POST"])
def contact_form(request):
    """The public form; ?udlejer=<id> chooses the landlord in advance (a link from its
    website)."""
    initial = {}
    chosen = request.GET.get("udlejer", "")
    if chosen.isdigit():
        initial["organisation"] = Organisation.objects.filter(pk=int(chosen)).first()
    form = ContactForm(request.POST or None, initial=initial)
    organisation = initial.get("organisation")
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:  # the honeypot: a robot; say nothing about it
            return redirect("gdpr:contact_thanks")
        if contact.rate_limited(_client_address(request)):
            form.add_error(None, _("Der er sendt mange henvendelser herfra. Prøv igen senere."))
        else:
            data = {k: form.cleaned_data[k] for k in ("name", "email", "phone", "home", "message")}
            try:
                contact.enquiry_submit(
                    organisation=form.cleaned_data["organisation"],
                    withdraw_url_base=request.build_absolute_uri("/")[:-1],
                    **data,
                )
            except DomainError as exc:
                form.add_error(None, exc.messages[0])
            else:
                return redirect("gdpr:contact_thanks")
    return render(
        request, "gdpr/subject/contact_form.html", {"form": form, "organisation": organisation}
    )


def contact_thanks(request):
    return render(request, "gdpr/subject/contact_thanks.html")


@require_http_methods(["GET", "POST"])
def contact_withdraw(request, token):
    """Confirm (GET) and delete (POST) the enquiry the signed link names."""
    if contact.enquiry_from_token(token) is None:
        return render(request, "gdpr/subject/contact_withdraw.html", {"invalid": True}, status=400)
    if request.method == "POST":
        contact.enquiry_withdraw(token=token)
        return render(request, "gdpr/subject/contact_withdraw.html", {"done": True})
    return render(request, "gdpr/subject/contact_withdraw.html", {})


def _columns() -> list[Column]:
    return [
        Column(_("Modtaget"), lambda e: e.created_at, "datetime"),
        Column(_("Navn"), lambda e: e.name),
        Column(_("E-mail"), lambda e: e.email),
        Column(_("Telefon"), lambda e: e.phone),
        Column(_("Bolig"), lambda e: e.home),
        Column(_("Besked"), lambda e: e.message),
        Column(_("Behandlet"), lambda e: e.handled_at, "datetime"),
        Column(_("Behandlet af"), lambda e: formatting.user_name(e.handled_by)),
    ]


@login_required
def enquiry_list(request):
    organisation = current_organisation(request)
    enquiries = selectors.enquiry_list(organisation=organisation)
    if request.GET.get("status") == "open":
        enquiries = enquiries.filter(handled_at__isnull=True)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=xlsx_filename("henvendelser"),
            title=_("Henvendelser fra kontaktformularen"),
            columns=_columns(),
            rows=enquiries.iterator(chunk_size=2000),
        )
    return render(
        request,
        "gdpr/subject/enquiry_list.html",
        {
            "page": page_of(request, enquiries),
            "organisation": organisation,
            "status": request.GET.get("status", ""),
        },
    )


@login_required
@require_POST
def enquiry_handled(request, pk):
    enquiry = get_object_or_404(
        selectors.enquiry_list(organisation=current_organisation(request)), pk=pk
    )
    try:
        contact.enquiry_mark_handled(enquiry=enquiry, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Henvendelsen er markeret som behandlet."))
    return redirect("gdpr:enquiry_list")
