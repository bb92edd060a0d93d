"""The applicants' self-service (Danish, public part at /ansoeger/): sign up with e-mail
verification, log in with a login separate from staff's (waitlist.auth), reset the
password, pay, see seniority, paid-until and status, change wishes, contact data and
channel, renew (student), leave, see sent messages.

An applicant only ever reaches their own data: every view reads `request.user.applicant`.
Login throttling: the project's authentication backend (django-axes, per username and
address) guards this login as it guards the staff login."""

from __future__ import annotations

import logging
import smtplib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_domain_error

from .. import selectors
from ..auth import (
    ApplicantAuthenticationForm,
    ApplicantPasswordResetForm,
    is_applicant_user,
    verify_token,
    verify_user,
)
from ..forms import ChannelForm, ContactForm, ListTypeForm, PublicSignupForm, WishesForm
from ..models import Applicant, Application, Cooperation, FeeSchedule, Invoice
from ..services import applicants as svc

logger = logging.getLogger(__name__)


def applicant_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        applicant = selectors.applicant_for_user(request.user)
        if applicant is None:
            return redirect(f"{reverse('waitlist_public:login')}?next={request.path}")
        request.applicant = applicant
        return view(request, *args, **kwargs)

    return wrapper


def _cooperation() -> Cooperation | None:
    return Cooperation.objects.order_by("pk").first()


def _fees(cooperation: Cooperation | None) -> list[FeeSchedule]:
    if cooperation is None:
        return []
    today = timezone.localdate()
    current = {}
    for s in FeeSchedule.objects.filter(cooperation=cooperation, valid_from__lte=today).order_by(
        "valid_from"
    ):
        current[s.channel] = s
    return list(current.values())


def home(request):
    if is_applicant_user(request.user):
        return redirect("waitlist_public:overview")
    cooperation = _cooperation()
    return render(
        request,
        "waitlist/public/home.html",
        {"cooperation": cooperation, "fees": _fees(cooperation)},
    )


def _send_verification(request, user) -> None:
    """Mail the verification link. A mail server that is down must not turn the finished
    sign-up into an error page: it is logged, and the applicant asks for a new link."""
    try:
        _mail_verification(request, user)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("verification mail to user %s not sent: %s", user.pk, exc)


def _mail_verification(request, user) -> None:
    link = request.build_absolute_uri(reverse("waitlist_public:verify", args=[verify_token(user)]))
    send_mail(
        _("Bekræft din e-mail til ventelisten"),
        _(
            "Hej %(name)s\n\nBekræft din e-mailadresse ved at åbne dette link (gyldigt i 3 døgn):\n%(link)s\n\n"
            "Har du ikke tilmeldt dig, kan du se bort fra denne e-mail."
        )
        % {"name": user.first_name, "link": link},
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )


def signup(request):
    cooperation = _cooperation()
    if cooperation is None:
        raise Http404
    form = PublicSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password1")
        for extra in ("password2", "accept_terms"):
            data.pop(extra)
        try:
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    username=data["email"],
                    email=data["email"],
                    password=password,
                    first_name=data["name"][:150],
                    is_active=False,
                )
                svc.applicant_signup(
                    cooperation=cooperation, data=svc.ApplicantData(**data), user=user
                )
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            transaction.on_commit(lambda: _send_verification(request, user))
            return render(request, "waitlist/public/signup_done.html", {"email": user.email})
    return render(
        request,
        "waitlist/public/signup.html",
        {"form": form, "cooperation": cooperation, "fees": _fees(cooperation)},
    )


def verify(request, token: str):
    user = verify_user(token)
    if user is None or not hasattr(user, "applicant"):
        return render(request, "waitlist/public/verify_failed.html", status=400)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    Applicant.objects.filter(user=user, email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Din e-mail er bekræftet. Velkommen."))
    return redirect("waitlist_public:overview")


class ApplicantLoginView(auth_views.LoginView):
    template_name = "waitlist/public/login.html"
    authentication_form = ApplicantAuthenticationForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("waitlist_public:overview")


@require_POST
def logout_view(request):
    logout(request)
    return redirect("waitlist_public:home")


class ApplicantPasswordResetView(auth_views.PasswordResetView):
    form_class = ApplicantPasswordResetForm
    template_name = "waitlist/public/password_reset.html"
    email_template_name = "waitlist/public/password_reset_email.txt"
    subject_template_name = "waitlist/public/password_reset_subject.txt"
    success_url = reverse_lazy("waitlist_public:password_reset_done")


class ApplicantPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "waitlist/public/password_reset_confirm.html"
    success_url = reverse_lazy("waitlist_public:password_reset_complete")


@applicant_required
def overview(request):
    applicant = request.applicant
    payable = applicant.invoices.filter(
        status__in=[Invoice.Status.OPEN, Invoice.Status.REMINDED]
    ).select_related("application")
    return render(
        request,
        "waitlist/public/overview.html",
        {
            "applicant": applicant,
            "applications": applicant.applications.prefetch_related("departments"),
            "payable": payable,
            "paid": applicant.invoices.filter(status=Invoice.Status.PAID).order_by("-paid_at")[:10],
            "list_form": ListTypeForm(),
        },
    )


@require_POST
@applicant_required
def pay(request, pk: int):
    invoice = request.applicant.invoices.filter(pk=pk).first()
    if invoice is None:
        raise Http404
    from ..services.payments import payment_session_start

    try:
        session = payment_session_start(invoice=invoice)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("waitlist_public:overview")
    return redirect(session.checkout_url)


def _own_application(request, pk: int) -> Application:
    app = request.applicant.applications.filter(pk=pk).first()
    if app is None:
        raise Http404
    return app


def _do(request, action, success: str):
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("waitlist_public:overview")


@require_POST
@applicant_required
def renew(request, pk: int):
    app = _own_application(request, pk)
    return _do(
        request,
        lambda: svc.student_renew(application=app, actor=request.user),
        _("Din ansøgning er fornyet."),
    )


@applicant_required
def leave(request, pk: int):
    app = _own_application(request, pk)
    if request.method == "POST":
        return _do(
            request,
            lambda: svc.application_leave(application=app, actor=request.user),
            _("Du er udmeldt af ventelisten."),
        )
    return render(request, "waitlist/public/leave.html", {"application": app})


@require_POST
@applicant_required
def open_list(request):
    form = ListTypeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vælg en venteliste."))
        return redirect("waitlist_public:overview")
    return _do(
        request,
        lambda: svc.application_open(
            applicant=request.applicant,
            list_type=form.cleaned_data["list_type"],
            actor=request.user,
        ),
        _("Du er tilmeldt ventelisten."),
    )


@applicant_required
def contact(request):
    applicant = request.applicant
    initial = {name: getattr(applicant, name) for name in ContactForm.base_fields}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["email"] = applicant.email if not data["email"] else data["email"]
        try:
            svc.applicant_update(applicant=applicant, actor=request.user, **data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dine oplysninger er gemt."))
            return redirect("waitlist_public:overview")
    return render(
        request,
        "waitlist/public/form.html",
        {"form": form, "title": _("Mine oplysninger")},
    )


@applicant_required
def channel(request):
    applicant = request.applicant
    form = ChannelForm(
        request.POST or None,
        initial={"channel": applicant.channel, "sms_opt_in": applicant.sms_opt_in},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.channel_change(applicant=applicant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Din tilbudsform er ændret."))
            return redirect("waitlist_public:overview")
    return render(request, "waitlist/public/form.html", {"form": form, "title": _("Tilbudsform")})


@applicant_required
def wishes(request, pk: int):
    app = _own_application(request, pk)
    initial = {name: getattr(app, name) for name in svc.WISH_FIELDS}
    initial["departments"] = list(app.departments.all())
    form = WishesForm(
        request.POST or None, initial=initial, cooperation=request.applicant.cooperation
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        departments = list(data.pop("departments"))
        try:
            svc.wishes_update(application=app, departments=departments, actor=request.user, **data)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Dine boligønsker er gemt."))
            return redirect("waitlist_public:overview")
    return render(
        request,
        "waitlist/public/form.html",
        {"form": form, "title": _("Boligønsker: %(l)s") % {"l": app.get_list_type_display()}},
    )


@applicant_required
def message_list(request):
    return render(
        request,
        "waitlist/public/messages.html",
        {"messages_sent": request.applicant.messages.order_by("-created_at", "-pk")[:200]},
    )


def resend_verification(request):
    """Send a new verification link (the answer is the same whether the address is known)."""
    sent = False
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()[:254]
        user = (
            get_user_model()
            .objects.filter(username=email, is_active=False, applicant__isnull=False)
            .first()
        )
        if user is not None:
            _send_verification(request, user)
        sent = True
    return render(request, "waitlist/public/resend.html", {"sent": sent})
