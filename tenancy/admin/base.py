"""What the tenancy admin pages share: forms that save through a tenancy service, and the
read-only change history on every change page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import apply_domain_error

from ..history import history_entries


def _shown(value) -> str:
    """An empty snapshot value as a dash, not "None"."""
    return "–" if value is None or value == "" else str(value)


def _history_table(obj) -> str:
    """The record's change history as a small read-only table (newest first), with the
    same Danish labels and values as the caseworker pages (issue 11: no raw codes, field
    names or None in the admin either)."""
    if obj is None or obj.pk is None:
        return "–"
    entries = history_entries(obj, limit=50)
    if not entries:
        return gettext("Ingen ændringer registreret.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                f"{entry.at:%d.%m.%Y %H:%M}",
                entry.action_label,
                entry.actor_name or gettext("Systemet"),
                "; ".join(
                    f"{c.label}: {_shown(c.before_text)} → {_shown(c.after_text)}"
                    for c in entry.readable_changes
                )
                or "–",
            )
            for entry in entries
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        gettext("Tidspunkt"),
        gettext("Handling"),
        gettext("Udført af"),
        gettext("Ændringer"),
        rows,
    )


class HistoryMixin:
    """Adds a read-only "Ændringshistorik" field to the change page."""

    @admin.display(description=_("Ændringshistorik"))
    def change_history(self, obj):
        return _history_table(obj)


class ServiceForm(forms.ModelForm):
    """A model form whose save is a tenancy service call made during validation.

    When the fields are valid, `_post_clean` calls `run_service()` inside a savepoint. A DomainError from the service becomes errors on
    the form (on the field when the form has it, otherwise on the form), so the admin shows
    it like any validation error and nothing is saved.
    """

    request = None  # set per request by ServiceAdmin.get_form

    def run_service(self):  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    @property
    def actor(self):
        return getattr(self.request, "user", None)

    def fresh_instance(self):
        """The stored record, so the service records history from the stored values."""
        return type(self.instance)._default_manager.get(pk=self.instance.pk)

    def changed_values(self, allowed) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in allowed and name in self.cleaned_data
        }

    def _post_clean(self):
        # Deliberately not ModelForm._post_clean: the service validates the model itself
        # (full_clean) and explains a broken rule on the right field, where the model's
        # constraint check would only name the constraint.
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.run_service()
        except ValidationError as exc:
            apply_domain_error(self, exc)


class ServiceAdmin(HistoryMixin, admin.ModelAdmin):
    """A ModelAdmin whose add/change forms save through a tenancy service (ServiceForm)."""

    add_form: type[ServiceForm]
    change_form: type[ServiceForm]
    save_as = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self.change_form if obj is not None else self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        """Nothing to do: the service saved the record while the form validated."""

    def save_related(self, request, form, formsets, change):
        """Relations (lease parties) were set by the service; only inlines are saved."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
