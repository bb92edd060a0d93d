"""Paginators for the caseworker lists (one pager for every app's list screens)."""

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 50


class TwoEndedPaginator(Paginator):
    """A paginator that reads pages in the second half from the other end (reversed order,
    small OFFSET), so the last page of 600,000 units costs as little as the first."""

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset: Any = self.object_list  # a QuerySet when it is ordered
        if bottom > self.count // 2 and getattr(queryset, "ordered", False):
            rows = list(queryset.reverse()[self.count - top : self.count - bottom])
            rows.reverse()
            # _get_page is Django's documented hook for building a page from rows.
            return self._get_page(rows, number, self)  # type: ignore[attr-defined]
        return super().page(number)


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
