"""Template helpers for the caseworker screens: navigation state and sortable headers."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import formatting

register = template.Library()

# url_name prefix (tenancy) or namespace (other apps) -> navigation section
_SECTIONS = ("property", "entrance", "unit", "person", "lease")


def _section(match) -> str:
    if match is None:
        return ""
    if match.namespace and match.namespace != "tenancy":
        return match.namespace.split(":")[0]
    name = match.url_name or ""
    for section in _SECTIONS:
        if name.startswith(section + "_"):
            return section
    if name.startswith("lease"):
        return "lease"
    return name


@register.simple_tag(takes_context=True)
def nav_current(context, section: str) -> str:
    """` aria-current="page"` on the navigation link of the section being shown."""
    request = context.get("request")
    if request is not None and _section(getattr(request, "resolver_match", None)) == section:
        return mark_safe(' aria-current="page"')
    return ""


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str) -> str:
    """A column header link that sorts by `key` (toggling direction) and keeps the filters.
    The view whitelists keys; anything else is ignored there."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == key:
        new, indicator, state = f"-{key}", "▲", "ascending"
    elif current == f"-{key}":
        new, indicator, state = key, "▼", "descending"
    else:
        new, indicator, state = key, "", "none"
    params["sort"] = new
    hint = _("Sortér efter %s") % label
    if indicator:
        return format_html(
            '<a href="?{}" aria-label="{}" data-sort="{}">{} <span class="sort-indicator" aria-hidden="true">{}</span></a>',
            params.urlencode(),
            hint,
            state,
            label,
            indicator,
        )
    return format_html(
        '<a href="?{}" aria-label="{}" data-sort="{}">{}</a>',
        params.urlencode(),
        hint,
        state,
        label,
    )


@register.simple_tag(takes_context=True)
def aria_sort(context, key: str) -> str:
    """The aria-sort attribute for a <th>."""
    current = context.get("sort", "")
    if current == key:
        return mark_safe(' aria-sort="ascending"')
    if current == f"-{key}":
        return mark_safe(' aria-sort="descending"')
    return ""


@register.filter
def kr(value) -> str:
    """An amount in Danish form: 6.500,00 kr."""
    return formatting.money(value)


@register.filter
def m2(value) -> str:
    """An area: 68 m² or 72,5 m²."""
    return formatting.area(value)


@register.filter
def num(value, decimals: int = 0) -> str:
    """A count or number with Danish grouping: 12.345."""
    return formatting.number(value, int(decimals))


@register.filter
def day(value) -> str:
    """A date: 01.12.2026."""
    return formatting.day(value)


@register.filter
def moment(value) -> str:
    """A point in time in local time: 01.12.2026 14:05."""
    return formatting.moment(value)


@register.filter
def username(user, system: str = "") -> str:
    """A user: full name, else username (`system` when there is none)."""
    return formatting.user_name(user, system=system)


@register.filter
def choice(value, field) -> str:
    """The display name of a choice value: `{{ value|choice:"app.Model.field" }}`."""
    from django.apps import apps

    try:
        app_model, name = str(field).rsplit(".", 1)
        model = apps.get_model(app_model)
        flat = dict(model._meta.get_field(name).flatchoices)
    except (LookupError, ValueError):
        return "" if value is None else str(value)
    return str(flat.get(value, value))
