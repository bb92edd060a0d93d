"""The one search box: units and entrances by address, postcode or DAR id, people by name
(prefix) or full CPR number (through the keyed hash), leases by number.

Every query goes through the organisation-scoped selectors and the shared FilterSets, so
"vis alle" links into the lists show the same records. Address matching uses the indexed
`search_text` prefix (no substring scans on the big tables).
"""

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.cpr import normalise_cpr

from . import selectors
from .filters import EntranceFilter, LeaseFilter, PersonFilter, UnitFilter
from .models import normalise_search

LIMIT = 10
_POSTCODE = re.compile(r"^\d{4}$")
_LEASE_NUMBER = re.compile(r"^\d[\d-]{2,19}$")


@dataclass
class SearchGroup:
    """Results of one kind: at most LIMIT items, plus a link to the full filtered list."""

    kind: str
    title: str
    items: list = field(default_factory=list)
    more_url: str = ""
    has_more: bool = False


def _more(url_name: str, **params) -> str:
    return f"{reverse(url_name)}?{urlencode(params)}" if params else reverse(url_name)


def _take(qs, limit: int) -> tuple[list, bool]:
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


# Sorts after every other character in PostgreSQL's C and ICU collations (and SQLite's
# binary one), so [prefix, prefix + _TOP) is the range of names starting with prefix.
_TOP = "\U0010ffff"


def _name_prefix(people, text: str):
    """People whose name starts with `text` (as typed or capitalised), as a range on the
    indexed (organisation, name) so it stays fast on 700,000 people. A substring search
    (surname only) is the person list's job (the "vis alle" link)."""
    text = " ".join(text.split())
    variants = {text, text[:1].upper() + text[1:], text.title()}
    match = Q()
    for variant in variants:
        match |= Q(name__gte=variant, name__lt=variant + _TOP)
    return people.filter(match)


MAX_QUERY_LENGTH = 200


def looks_like_cpr(text: str) -> bool:
    digits = normalise_cpr(text)
    return digits.isdigit() and len(digits) == 10


def search(*, user, organisation, query: str, limit: int = LIMIT) -> list[SearchGroup]:
    """Grouped results for what the user typed; empty list for an empty query. Only the
    first MAX_QUERY_LENGTH characters count (an address, a name or a number is far shorter;
    a pasted page would only make the LIKE patterns too big for the database)."""
    text = (query or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return []
    units = selectors.unit_list(user=user, organisation=organisation)
    entrances = selectors.entrance_list(user=user, organisation=organisation)
    people = selectors.person_list(user=user, organisation=organisation)
    leases = selectors.lease_list(user=user, organisation=organisation)
    groups: list[SearchGroup] = []

    def add(kind, title, qs, more_url=""):
        items, has_more = _take(qs, limit)
        if items:
            groups.append(SearchGroup(kind, title, items, more_url, has_more))

    # A DAR id (adresse or husnummer) or BBR unit id.
    try:
        ident = uuid.UUID(text)
    except ValueError:
        ident = None
    if ident is not None:
        add(
            "units",
            _("Enheder"),
            units.filter(Q(dar_id=ident) | Q(bbr_unit_id=ident)),
            _more("tenancy:unit_list", dar_id=str(ident)),
        )
        add(
            "entrances",
            _("Opgange"),
            entrances.filter(dar_id=ident),
            _more("tenancy:entrance_list", dar_id=str(ident)),
        )
        return groups

    # A full CPR number: matched through the keyed hash only; never echoed in a link.
    if looks_like_cpr(text):
        add("people", _("Personer"), PersonFilter({"q": text}, queryset=people).qs)
        return groups

    if _POSTCODE.match(text):
        add(
            "entrances",
            _("Opgange i postnummer %s") % text,
            entrances.filter(postcode=text).order_by("street_name", "house_number", "pk"),
            _more("tenancy:entrance_list", postcode=text),
        )
        add(
            "units",
            _("Enheder i postnummer %s") % text,
            units.filter(entrance__postcode=text).order_by("search_text", "pk"),
            _more("tenancy:unit_list", postcode=text),
        )

    if _LEASE_NUMBER.match(text):
        add(
            "leases",
            pgettext_lazy("flertal", "Lejemål"),
            LeaseFilter({"q": text}, queryset=leases).qs.order_by("number"),
            _more("tenancy:lease_list", q=text),
        )

    if normalise_search(text) and not text.isdigit():
        add(
            "units",
            _("Enheder"),
            UnitFilter({"q": text}, queryset=units).qs.order_by("search_text", "pk"),
            _more("tenancy:unit_list", q=text),
        )
        add(
            "entrances",
            _("Opgange"),
            EntranceFilter({"q": text}, queryset=entrances).qs.order_by("search_text", "pk"),
            _more("tenancy:entrance_list", q=text),
        )
        if not any(ch.isdigit() for ch in text):  # names have no digits; addresses do
            add(
                "people",
                _("Personer"),
                _name_prefix(people, text).order_by("name", "pk"),
                _more("tenancy:person_list", q=text),
            )
    return groups
