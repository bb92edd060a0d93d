"""Paginators for the caseworker lists (one pager for every app's list screens)."""

import json
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 50


def _slice(queryset: Any, start: int, stop: int) -> list:
    """Rows [start:stop] of an ordered queryset. Far from the start, the primary keys are
    read first (OFFSET over the ordering's index only, no table rows) and then just those
    rows with the queryset's select_related/prefetch_related: one more query, constant."""
    query = queryset.query
    if start < DEFERRED_FROM or query.distinct or query.combinator or not queryset.ordered:
        return list(queryset[start:stop])
    pks = list(queryset.values_list("pk", flat=True)[start:stop])
    by_pk = {row.pk: row for row in queryset.order_by().filter(pk__in=pks)}
    return [by_pk[pk] for pk in pks if pk in by_pk]


DEFERRED_FROM = 1000


class TwoEndedPaginator(Paginator):
    """A paginator that reads pages in the second half from the other end (reversed order,
    small OFFSET), so the last page of 600,000 units costs as little as the first; deep
    pages read their primary keys first (`_slice`)."""

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset: Any = self.object_list  # a QuerySet when it is ordered
        if not getattr(queryset, "ordered", False):
            return super().page(number)
        if bottom > self.count // 2:
            rows = _slice(queryset.reverse(), self.count - top, self.count - bottom)
            rows.reverse()
        else:
            rows = _slice(queryset, bottom, top)
        # _get_page is Django's documented hook for building a page from rows.
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


def _ordering(queryset: Any) -> list[tuple[str, bool]] | None:
    """The queryset's ordering as (field, descending) pairs, or None when it is not plain
    field names (expressions, random order): keyset paging then falls back to OFFSET."""
    fields = list(queryset.query.order_by or queryset.model._meta.ordering or [])
    result = []
    for item in fields:
        if not isinstance(item, str) or item.startswith("?"):
            return None
        result.append((item.lstrip("-"), item.startswith("-")))
    if not result or result[-1][0] not in ("pk", queryset.model._meta.pk.name):
        return None  # the ordering must end on the primary key to be a total order
    return result


def _beyond(ordering: list[tuple[str, bool]], values: dict, *, forward: bool) -> Q | None:
    """Rows after (forward) or before the row with the ordering `values`:
    f1 > v1 OR (f1 = v1 AND f2 > v2) ..., with f1 >= v1 in front so the index range is used."""
    if any(values[name] is None for name, _desc in ordering):
        return None
    alternatives = Q()
    equal: dict[str, Any] = {}
    for name, descending in ordering:
        op = "gt" if descending != forward else "lt"
        alternatives |= Q(**equal, **{f"{name}__{op}": values[name]})
        equal[name] = values[name]
    first, descending = ordering[0]
    bound = "gte" if descending != forward else "lte"
    return Q(**{f"{first}__{bound}": values[first]}) & alternatives


def _planner_estimate(queryset: QuerySet) -> int:
    """PostgreSQL's own estimate of how many rows the query returns (from table statistics;
    no rows are read)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class ListPaginator(TwoEndedPaginator):
    """Exact result counts up to EXACT_LIMIT rows. Above that, on PostgreSQL, the planner's
    estimate (shown as "ca."): counting 600,000 rows exactly costs ~100 ms on every page
    view, and nobody needs the exact size of a list that long. The last page is still the
    true last rows, because pages in the second half are read from the other end."""

    EXACT_LIMIT = 10_000
    _exact = True

    @cached_property
    def count(self) -> int:
        all_rows: Any = self.object_list
        queryset = all_rows.order_by()
        capped = queryset[: self.EXACT_LIMIT + 1].count()
        if capped <= self.EXACT_LIMIT:
            return capped
        if connection.vendor != "postgresql":
            return queryset.count()
        self._exact = False
        return max(_planner_estimate(queryset), capped)

    @property
    def count_is_exact(self) -> bool:
        self.count  # noqa: B018 - computing the count decides exactness
        return self._exact

    def page_from_request(self, request: HttpRequest) -> Page:
        """?page=N as get_page reads it; with ?after=<pk> (the Next link) or ?before=<pk>
        (the Previous link) the page is read from that row on (keyset): no OFFSET however
        deep, the same queries on page 5,000 as on page 2. A cursor that no longer fits
        (the row left the list) falls back to the page number."""
        number = request.GET.get("page")
        for param, forward in (("after", True), ("before", False)):
            cursor = request.GET.get(param, "")
            if cursor.isdigit():
                page = self._keyset_page(number, int(cursor), forward=forward)
                if page is not None:
                    return page
        return self.get_page(number)

    def _keyset_page(self, number: Any, cursor: int, *, forward: bool) -> Page | None:
        queryset: Any = self.object_list
        ordering = _ordering(queryset) if getattr(queryset, "ordered", False) else None
        if ordering is None:
            return None
        try:
            number = self.validate_number(number)
        except (PageNotAnInteger, EmptyPage):
            return None
        values = queryset.filter(pk=cursor).values(*[name for name, _d in ordering]).first()
        condition = _beyond(ordering, values, forward=forward) if values else None
        if condition is None:
            return None
        if forward:
            rows = list(queryset.filter(condition)[: self.per_page])
        else:
            rows = list(queryset.reverse().filter(condition)[: self.per_page])[::-1]
            if len(rows) < self.per_page:  # back at the start (rows were removed meanwhile)
                return self.page(1)
        if not rows:
            return None
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


def page_of(
    request: HttpRequest, queryset: Any, per_page: int = PAGE_SIZE, *, count: int | None = None
) -> Page:
    """The requested page (?page=) of a queryset; pages in the second half are read from
    the other end, and a page number out of range gives the last page. `count`, when the
    caller has already counted the rows, saves the COUNT query."""
    paginator = TwoEndedPaginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))


class ApiPagination(PageNumberPagination):
    """The REST API's pages: 50 rows unless the client asks `?page_size=` (at most 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500
