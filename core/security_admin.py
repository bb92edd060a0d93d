"""Admin for the security log (core.models.SecurityEvent): read-only, filterable, and
downloadable as Excel by admins (the filtered list, as the changelist shows it); and the
admin's changelist search without CPR numbers in URLs (admin_search_redirect)."""

import re

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin import ReadOnlyAdmin
from .crypto import search_hash
from .excel import Column, xlsx_filename, xlsx_response
from .models import SecurityEvent

EXCEL_MAX_ROWS = 100_000


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "user", "channel", "path", "object_type", "object_id"]
    list_filter = ["kind", "channel", "at"]
    search_fields = ["user__username", "object_id"]
    list_select_related = ["user"]
    date_hierarchy = "at"
    readonly_fields = ["at", "kind", "user", "channel", "path", "object_type", "object_id"]
    actions = ["export_excel"]
    change_list_template = "core/admin/security_event_changelist.html"

    def get_urls(self):
        urls = [
            path(
                "excel/",
                self.admin_site.admin_view(self.excel_view),
                name="core_securityevent_excel",
            )
        ]
        return urls + super().get_urls()

    def excel_view(self, request):
        """The changelist's filtered rows (same GET filters) as an Excel file."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request)[:EXCEL_MAX_ROWS]
        return self._excel(rows)

    @admin.action(description=gettext_lazy("Hent valgte som Excel"))
    def export_excel(self, request, queryset):
        return self._excel(queryset.select_related("user")[:EXCEL_MAX_ROWS])

    @staticmethod
    def _excel(rows):
        columns = [
            Column(_("Tidspunkt"), lambda e: e.at, "datetime"),
            Column(_("Hændelse"), lambda e: e.get_kind_display(), width=30),
            Column(_("Bruger"), lambda e: e.user.username if e.user else ""),
            Column(_("Bruger-id"), lambda e: e.user_id, "int"),
            Column(_("Kanal"), lambda e: e.channel),
            Column(_("Adresse"), lambda e: e.path, width=40),
            Column(_("Objekttype"), lambda e: e.object_type),
            Column(_("Objekt-id"), lambda e: e.object_id),
        ]
        return xlsx_response(
            filename=xlsx_filename("sikkerhedslog"),
            title=_("Sikkerhedslog"),
            columns=columns,
            rows=rows,
        )


# --- the admin's search without CPR numbers in URLs (issue 17, item 5) ----------------------

CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
_CHANGELIST = re.compile(r"^/admin/(?P<app>[a-z0-9_]+)/(?P<model>[a-z0-9_]+)/$")
_NOT_PARAMS = {"csrfmiddlewaretoken", "_search", SEARCH_VAR}


def _changelist_model(path: str):
    match = _CHANGELIST.match(path)
    if match is None:
        return None
    try:
        return apps.get_model(match["app"], match["model"])
    except LookupError:
        return None


def _search_params(model, term: str, request) -> dict:
    """The changelist's query for a search term: a CPR number only as its keyed hash (for
    models with a `cpr_hash` field; elsewhere it is dropped with a message)."""
    match = CPR_IN_TEXT.search(term)
    if match is None:
        return {SEARCH_VAR: term} if term else {}
    has_hash = any(f.name == "cpr_hash" for f in model._meta.get_fields())
    if has_hash:
        return {"cpr_hash": search_hash(match[1] + match[2])}
    messages.warning(request, _("CPR-numre kan kun søges blandt personer og ansøgere."))
    return {}


def admin_search_redirect(request: HttpRequest) -> HttpResponse | None:
    """The admin changelist search, posted by templates/admin/search_form.html, as a
    redirect to the changelist with the term in the URL only if it holds no CPR number. A
    GET with a CPR number in ?q= (an old bookmark) is redirected the same way."""
    if not request.path.startswith("/admin/"):
        return None
    if request.method == "POST" and "_search" in request.POST:
        source, term = request.POST, request.POST.get(SEARCH_VAR, "").strip()
    elif request.method == "GET" and CPR_IN_TEXT.search(request.GET.get(SEARCH_VAR, "")):
        source, term = request.GET, request.GET[SEARCH_VAR].strip()
    else:
        return None
    model = _changelist_model(request.path)
    if model is None:
        return None
    params: dict[str, str] = {
        k: str(v) for k, v in source.items() if k not in _NOT_PARAMS and k != "cpr_hash"
    }
    params.update(_search_params(model, term, request))
    return HttpResponseRedirect(f"{request.path}?{urlencode(params)}" if params else request.path)
