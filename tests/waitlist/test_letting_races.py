"""Races on PostgreSQL (issue 14): answers arriving at the same moment on separate
connections never assign the home twice (the vacancy row lock serialises them)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from core.errors import DomainError
from waitlist.models import Offer, Vacancy
from waitlist.services import letting as svc

from .letting_fixtures import RENT, applicant_on_list, list_unit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _at_once(calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except DomainError as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_all_accept_at_once_one_winner(unit, cooperation):
    list_unit(unit)
    for i in range(3):
        applicant_on_list(cooperation, seniority=date(2010, 1, 1) + timedelta(days=i))
    vacancy = svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    rnd = svc.round_start(vacancy=vacancy)
    offers = list(rnd.offers.order_by("rank"))
    results = _at_once([lambda o=o: svc.offer_answer(offer=o, accept=True) for o in offers])
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.ASSIGNED
    assert vacancy.assigned_offer == offers[0]
    assert Offer.objects.filter(vacancy=vacancy, outcome="won").count() == 1
    assert vacancy.new_lease is not None
    # Whoever came after the decision was told clearly.
    refused = [r for r in results if isinstance(r, DomainError)]
    assert all("bortfaldet" in str(r) or "udlejet" in str(r) for r in refused)


def test_two_caseworkers_same_offer(unit, cooperation, caseworker, second_org_caseworker):
    list_unit(unit)
    for i in range(2):
        applicant_on_list(cooperation, seniority=date(2010, 1, 1) + timedelta(days=i))
    vacancy = svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    offer = svc.round_start(vacancy=vacancy).offers.get(rank=2)
    results = _at_once(
        [
            lambda: svc.offer_answer(offer=offer, accept=True, actor=caseworker),
            lambda: svc.offer_answer(offer=offer, accept=False, actor=second_org_caseworker),
        ]
    )
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1
    assert "allerede besvaret" in str(errors[0])
    offer.refresh_from_db()
    assert offer.status in {Offer.Status.ACCEPTED, Offer.Status.DECLINED}
