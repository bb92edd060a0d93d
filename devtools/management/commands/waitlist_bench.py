"""`manage.py waitlist_bench`: the waiting list's performance figures, measured in this run.

Against data made by `waitlist_seed_scale --applicants N` (cooperation "Lejehuset (skala)",
caseworker `bench`):

1. Applicant list, search and filters: server time of the full Django request
   (`django.test.Client`, logged in as `bench`) over `--requests` requests each, p50/p95/max,
   the bench process's CPU per request (Django and rendering; the database server's CPU is
   not in it), the SQL queries of one request (goal: p95 < 150 ms, queries constant) and
   the ratio of p50 to a baseline request measured in the same run (`/healthz`, the bare
   Django stack without login, template or query).
   "page 5000 (Næste)" is the middle page reached the way the screen does it, through the
   Next link's keyset cursor (`?page=5000&after=<pk>`); "page 5000" is a typed-in number.
2. The nightly run for `--date` (default today) over the whole cooperation, then the same
   date again: the second run must do nothing (goal: < 120 s, nothing twice), with its CPU
   time in this process and per row handled. `--skip-nightly` leaves the data untouched.

The load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import json
import os
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
from waitlist.selectors import applicant_list
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
        # The cursor the Next link of page 4,999 carries: the last applicant on that page.
        middle = applicant_list(user=user).values_list("pk", flat=True)[4999 * 50 - 1]
        self.stdout.write(f"load average {os.getloadavg()}")
        cases = {
            "baseline /healthz": "healthz",
            "list, page 1": {},
            "list, page 5000": {"page": "5000"},
            "list, page 5000 (Næste)": {"page": "5000", "after": str(middle)},
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
        baseline = 0.0
        for label, params in cases.items():
            target = url
            if params is None:
                target = reverse("waitlist:applicant_detail", args=[sample.pk])
            elif params == "healthz":
                target, params = reverse("healthz"), {}
            client.get(target, params or {})  # warm
            times = []
            cpu0 = time.process_time()
            for _i in range(requests):
                t0 = time.perf_counter()
                response = client.get(target, params or {})
                times.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{label}: HTTP {response.status_code}")
            cpu = (time.process_time() - cpu0) * 1000 / requests
            with CaptureQueriesContext(connection) as ctx:
                client.get(target, params or {})
            p50 = statistics.median(times)
            baseline = baseline or p50
            row = {
                "p50": round(p50, 1),
                "p95": round(_p(times, 95), 1),
                "max": round(max(times), 1),
                "cpu_ms": round(cpu, 1),
                "queries": len(ctx.captured_queries),
                "ratio": round(p50 / baseline, 1),
            }
            results["lists"][label] = row
            self.stdout.write(
                f"{label:28} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  "
                f"max {row['max']:7.1f} ms  CPU {row['cpu_ms']:5.1f} ms  "
                f"queries {row['queries']:2}  x{row['ratio']} baseline"
            )
        reset_queries()
        if not skip_nightly:
            day = date.fromisoformat(options["date"]) if options.get("date") else None
            for run in ("first", "second"):
                t0, cpu0 = time.perf_counter(), time.process_time()
                result = nightly_run(today=day, cooperation=coop)
                seconds = time.perf_counter() - t0
                cpu = time.process_time() - cpu0
                rows = sum(result.as_dict().values())
                results[f"nightly_{run}"] = {
                    "seconds": round(seconds, 1),
                    "cpu_seconds": round(cpu, 1),
                    **result.as_dict(),
                    "errors": len(result.errors),
                }
                per_row = f", {seconds * 1000 / rows:.2f} ms per row" if rows else ""
                self.stdout.write(
                    f"nightly ({run} run): {seconds:.1f} s, CPU {cpu:.1f} s{per_row} "
                    f"{result.as_dict()} errors {len(result.errors)}"
                )
        self.stdout.write(f"load average {os.getloadavg()}")
        if options["json"]:
            self.stdout.write(json.dumps(results))
