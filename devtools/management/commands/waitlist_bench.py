"""`manage.py waitlist_bench`: the waiting list's performance figures, measured in this run.

Against data made by `waitlist_seed_scale --applicants N` (cooperation "Lejehuset (skala)",
caseworker `bench`):

1. Applicant list, search and filters: server time of the full Django request
   (`django.test.Client`, logged in as `bench`) over `--requests` requests each, p50/p95/max,
   and the SQL queries of one request (goal: p95 < 150 ms, queries constant).
2. The nightly run for `--date` (default today) over the whole cooperation, then the same
   date again: the second run must do nothing (goal: < 120 s, nothing twice).
   `--skip-nightly` leaves the data untouched.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from waitlist.models import Applicant, Cooperation
from waitlist.services.nightly import nightly_run

NAME = "Lejehuset (skala)"


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


class Command(BaseCommand):
    help = "Benchmark the waiting list's applicant list/search and the nightly run."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--date", help="YYYY-MM-DD for the nightly run (default today)")
        parser.add_argument("--skip-nightly", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, requests: int, skip_nightly: bool, **options):
        coop = Cooperation.objects.filter(name=NAME).first()
        if coop is None:
            raise CommandError("Run waitlist_seed_scale first.")
        user = get_user_model().objects.get(username="bench")
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(user)
        count = Applicant.objects.filter(cooperation=coop).count()
        sample = Applicant.objects.filter(cooperation=coop).order_by("pk")[count // 2]
        surname = sample.name.split()[-1]
        url = reverse("waitlist:applicant_list")
        cases = {
            "list, page 1": {},
            "list, page 5000": {"page": "5000"},
            "list, last page": {"page": "999999"},
            "search name (2 words)": {"q": f"{sample.name.split()[0]} {surname}"},
            "search address": {"q": sample.address},
            "search CPR": {"q": sample.reveal_cpr()},
            "search phone": {"q": sample.phone},
            "filter status=reminded": {"status": "reminded"},
            "filter student": {"list_type": "student"},
            "filter letter + pending": {"channel": "letter", "status": "pending_payment"},
            "detail": None,
        }
        results = {"applicants": count, "lists": {}}
        for label, params in cases.items():
            target = (
                reverse("waitlist:applicant_detail", args=[sample.pk]) if params is None else url
            )
            client.get(target, params or {})  # warm
            times = []
            for _i in range(requests):
                t0 = time.perf_counter()
                response = client.get(target, params or {})
                times.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{label}: HTTP {response.status_code}")
            with CaptureQueriesContext(connection) as ctx:
                client.get(target, params or {})
            row = {
                "p50": round(statistics.median(times), 1),
                "p95": round(_p(times, 95), 1),
                "max": round(max(times), 1),
                "queries": len(ctx.captured_queries),
            }
            results["lists"][label] = row
            self.stdout.write(
                f"{label:28} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  "
                f"max {row['max']:7.1f} ms  queries {row['queries']}"
            )
        reset_queries()
        if not skip_nightly:
            day = date.fromisoformat(options["date"]) if options.get("date") else None
            for run in ("first", "second"):
                t0 = time.perf_counter()
                result = nightly_run(today=day, cooperation=coop)
                seconds = time.perf_counter() - t0
                results[f"nightly_{run}"] = {
                    "seconds": round(seconds, 1),
                    **result.as_dict(),
                    "errors": len(result.errors),
                }
                self.stdout.write(
                    f"nightly ({run} run): {seconds:.1f} s {result.as_dict()} errors {len(result.errors)}"
                )
        if options["json"]:
            self.stdout.write(json.dumps(results))
