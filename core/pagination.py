"""Paginators for the caseworker lists (one pager for every app's list screens)."""

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection

PAGE_SIZE = 50


class TwoEndedPaginator(Paginator):
    """A paginator that reads pages in the second half from the other end (reversed order,
    small OFFSET), so the last page of 600,000 units costs as little as the first."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom > self.count // 2 and getattr(self.object_list, "ordered", False):
            rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
            rows.reverse()
            return self._get_page(rows, number, self)
        return super().page(number)


def _planner_estimate(queryset) -> int:
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
    def count(self):
        queryset = self.object_list.order_by()
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


def page_of(request, queryset, per_page: int = PAGE_SIZE, *, count: int | None = None):
    """The requested page (?page=) of a queryset; pages in the second half are read from
    the other end, and a page number out of range gives the last page. `count`, when the
    caller has already counted the rows, saves the COUNT query."""
    paginator = TwoEndedPaginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))
