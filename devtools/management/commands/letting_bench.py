"""`manage.py letting_bench`: letting's performance figures (issue 14), measured in this run.

Against the cooperation made by `waitlist_seed_scale --applicants N` ("Lejehuset (skala)"):

1. `--seed-wishes` first gives the scale cooperation's family applications realistic wishes
   (rooms, area, highest rent, cities, departments; about a third state none) with a few
   bulk UPDATEs, and makes ten departments and one letting unit in the scale organisation.
   Idempotent (the wishes are re-drawn; the portfolio is made once).
2. Ranking: `--vacancies` vacancies (varied rooms, rent, area, city, department; not saved)
   ranked for a round of 3 (`rank_vacancy`), p50/p95/max wall time and CPU per ranking, the
   rows judged per ranking, and the baseline: the bare first-chunk SQL of the same ranking.
   The EXPLAIN of that query (goal: p95 < 200 ms, an index scan on `wl_app_rank`).
3. Letters: `--letters` offer letters rendered to PDF through the product
   (`offer_letter_pdf`: text + waitlist.letters' fpdf2 renderer), letters per second, against
   fpdf2 rendering the same letter text bare in a loop (goal: ratio >= 0.8).
The load average is printed before and after.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from fpdf import FPDF

from tenancy.models import Building, Department, Entrance, Organisation, Property, Unit
from waitlist.letters import _latin1
from waitlist.models import Application, Cooperation, CooperationMember, Offer, Vacancy
from waitlist.services import letting_ranking
from waitlist.services.letting_letters import offer_letter, offer_letter_pdf

NAME = "Lejehuset (skala)"
CITIES = ["Herning", "Ikast", "Aarhus C", "København N", "Odense C"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))]


def _portfolio(org: Organisation) -> tuple[list[Department], Unit]:
    departments = []
    for n in range(10):
        dep, _created = Department.objects.get_or_create(
            organisation=org, number=f"S{n:02d}", defaults={"name": f"Skala afdeling {n}"}
        )
        departments.append(dep)
    unit = Unit.objects.filter(organisation=org, entrance__street_name="Skalavej").first()
    if unit is None:
        prop = Property.objects.create(
            organisation=org, department=departments[0], name="Skalavej", municipality_code="0657"
        )
        building = Building.objects.create(organisation=org, property=prop, number=1)
        entrance = Entrance.objects.create(
            organisation=org,
            building=building,
            street_name="Skalavej",
            house_number="1",
            postcode="7400",
            city="Herning",
            municipality_code="0657",
            road_code="0001",
            search_text="skalavej 1",
        )
        unit = Unit.objects.create(
            organisation=org,
            entrance=entrance,
            floor="2",
            door="th",
            area_m2=Decimal("78.00"),
            rooms=3,
            search_text="skalavej 1 2 th",
        )
    return departments, unit


def _seed_wishes(coop: Cooperation, departments: list[Department]) -> None:
    """Realistic wishes on the family list, drawn in SQL (random() per row)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            UPDATE waitlist_application a SET
              min_rooms = CASE WHEN random() < 0.5 THEN 1 + floor(random() * 3)::int END,
              max_rooms = CASE WHEN random() < 0.4 THEN 3 + floor(random() * 3)::int END,
              min_area = CASE WHEN random() < 0.25 THEN 40 + floor(random() * 50)::int END,
              max_rent = CASE WHEN random() < 0.6 THEN 5000 + floor(random() * 8000) END,
              areas = CASE WHEN random() < 0.3 THEN %s ELSE '' END,
              ground_floor_or_lift = random() < 0.08,
              pets = random() < 0.05,
              balcony_or_garden = random() < 0.1
            FROM waitlist_applicant p
            WHERE p.id = a.applicant_id AND p.cooperation_id = %s AND a.list_type = 'family'
            """,
            [", ".join(CITIES[:2]), coop.pk],
        )
        through = Application.departments.through._meta.db_table
        cur.execute(
            f"DELETE FROM {through} WHERE application_id IN "  # noqa: S608 - table name from the model
            "(SELECT a.id FROM waitlist_application a JOIN waitlist_applicant p "
            "ON p.id = a.applicant_id WHERE p.cooperation_id = %s)",
            [coop.pk],
        )
        dep_ids = [d.pk for d in departments]
        cur.execute(
            f"INSERT INTO {through} (application_id, department_id) "  # noqa: S608
            "SELECT a.id, (%s::int[])[1 + floor(random() * %s)::int] "
            "FROM waitlist_application a JOIN waitlist_applicant p ON p.id = a.applicant_id "
            "WHERE p.cooperation_id = %s AND a.list_type = 'family' AND random() < 0.15",
            [dep_ids, len(dep_ids), coop.pk],
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE waitlist_application")


def _vacancies(coop: Cooperation, org: Organisation, departments, unit, n: int, rng):
    out = []
    for i in range(n):
        rooms = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
        out.append(
            Vacancy(
                pk=None,
                organisation=org,
                cooperation=coop,
                unit=unit,
                department_id=rng.choice(departments).pk,
                list_type="family",
                move_in_date=timezone.localdate() + timedelta(days=30 + i),
                rent=Decimal(3500 + rooms * 1500 + rng.randint(0, 2000)),
                rooms=rooms,
                area_m2=Decimal(30 + rooms * 20 + rng.randint(0, 15)),
                city=rng.choice(CITIES),
                ground_floor_or_lift=rng.random() < 0.3,
                pets_allowed=rng.random() < 0.3,
                balcony_or_garden=rng.random() < 0.5,
            )
        )
    return out


def _first_chunk_sql(vacancy: Vacancy) -> tuple[str, list]:
    qs = (
        letting_ranking._base(vacancy)
        .order_by("seniority_date", "pk")
        .values(*letting_ranking.FIELDS)[: letting_ranking.FIRST_CHUNK]
    )
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _bare_letter(pdf: FPDF, sender: str, lines: list[str], subject: str, body: str) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 5, sender, new_x="LMARGIN", new_y="NEXT", align="R")
    pdf.ln(18)
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(0, 7, subject, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 5.5, body, new_x="LMARGIN", new_y="NEXT")


class Command(BaseCommand):
    help = "Benchmark letting: ranking over the scale list and offer letters to PDF."

    def add_arguments(self, parser):
        parser.add_argument("--seed-wishes", action="store_true")
        parser.add_argument("--vacancies", type=int, default=60)
        parser.add_argument("--letters", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=14)

    def handle(self, *args, seed_wishes: bool, vacancies: int, letters: int, seed: int, **kw):
        coop = Cooperation.objects.filter(name=NAME).first()
        if coop is None:
            raise CommandError("Kør først waitlist_seed_scale.")
        org = CooperationMember.objects.filter(cooperation=coop).first().organisation
        self.stdout.write(f"Belastning (load average) før: {os.getloadavg()}")
        departments, unit = _portfolio(org)
        if seed_wishes:
            started = time.monotonic()
            _seed_wishes(coop, departments)
            self.stdout.write(f"Ønsker trukket på ny: {time.monotonic() - started:.1f} s")
        on_list = Application.objects.filter(
            applicant__cooperation=coop, status__in=letting_ranking.ON_LIST
        ).count()
        self.stdout.write(f"Ansøgninger på listen: {on_list}")
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        if vacancies:
            self._ranking(_vacancies(coop, org, departments, unit, vacancies, rng))
        if letters:
            self._letters(coop, org, unit, letters)
        self.stdout.write(f"Belastning (load average) efter: {os.getloadavg()}")

    def _ranking(self, vacancies: list[Vacancy]) -> None:
        rules = letting_ranking.rules_for(vacancies[0].cooperation_id)
        letting_ranking.rank_vacancy(vacancy=vacancies[0], wanted=3, rules=rules)  # warm-up
        walls, cpus, scanned, bare = [], [], [], []
        for vacancy in vacancies:
            c0, t0 = _cpu(), time.perf_counter()
            ranking = letting_ranking.rank_vacancy(vacancy=vacancy, wanted=3, rules=rules)
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((_cpu() - c0) * 1000)
            scanned.append(ranking.scanned)
            sql, params = _first_chunk_sql(vacancy)
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(sql, params)
                cur.fetchall()
            bare.append((time.perf_counter() - t0) * 1000)
        self.stdout.write(
            f"Rangordning af {len(vacancies)} ledige boliger (runde på 3): "
            f"p50 {_p(walls, 50):.1f} ms, p95 {_p(walls, 95):.1f} ms, maks {max(walls):.1f} ms; "
            f"CPU pr. rangordning {statistics.mean(cpus):.1f} ms; "
            f"bedømte ansøgninger pr. rangordning: median {_p(scanned, 50)}, maks {max(scanned)}"
        )
        self.stdout.write(
            f"Grundlinje (første chunks rå SQL, {letting_ranking.FIRST_CHUNK} rækker): "
            f"p50 {_p(bare, 50):.1f} ms, p95 {_p(bare, 95):.1f} ms"
        )
        sql, params = _first_chunk_sql(vacancies[0])
        with connection.cursor() as cur:
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
        self.stdout.write("EXPLAIN (første chunk):\n" + plan)

    def _letters(self, coop, org, unit, n: int) -> None:
        apps = list(
            Application.objects.filter(applicant__cooperation=coop, status="active")
            .select_related("applicant")
            .order_by("pk")[:n]
        )
        vacancy = Vacancy(
            organisation=org,
            cooperation=coop,
            unit=unit,
            list_type="family",
            move_in_date=date(2027, 1, 1),
            rent=Decimal("7450.00"),
            rooms=unit.rooms,
            area_m2=unit.area_m2,
        )
        deadline = timezone.now() + timedelta(days=5)
        offers = [
            Offer(
                pk=i + 1,
                vacancy=vacancy,
                application=a,
                applicant=a.applicant,
                rank=1 + i % 3,
                channel=a.applicant.channel,
                deadline=deadline,
            )
            for i, a in enumerate(apps)
        ]
        c0, t0 = _cpu(), time.perf_counter()
        size = 0
        for offer in offers:
            size += len(offer_letter_pdf(offer, offered=3))
        ours = time.perf_counter() - t0
        ours_cpu = _cpu() - c0
        texts = []
        for offer in offers:
            text = offer_letter(offer, offered=3)
            a = offer.applicant
            texts.append(
                (
                    [
                        _latin1(a.name),
                        _latin1(f"{a.address}"),
                        _latin1(f"{a.postal_code} {a.city}"),
                    ],
                    _latin1(text.subject),
                    _latin1(text.body),
                )
            )
        sender = _latin1(org.name)
        c0, t0 = _cpu(), time.perf_counter()
        for lines, subject, body in texts:
            pdf = FPDF(format="A4")
            _bare_letter(pdf, sender, lines, subject, body)
            bytes(pdf.output())
        bare = time.perf_counter() - t0
        bare_cpu = _cpu() - c0
        count = len(offers)
        # On a shared machine the wall clock includes waiting for other processes; the CPU
        # time of this process is the steadier comparison, so both ratios are printed.
        self.stdout.write(
            f"Tilbudsbreve: {count} PDF'er på {ours:.2f} s = {count / ours:.0f} breve/s "
            f"(CPU {ours_cpu / count * 1000:.1f} ms pr. brev = {count / ours_cpu:.0f} breve/CPU-s, "
            f"i alt {size / 1024:.0f} KiB); fpdf2 alene samme brev: {count / bare:.0f} breve/s "
            f"(CPU {bare_cpu / count * 1000:.1f} ms pr. brev); forhold, væg-tid "
            f"{bare / ours:.2f}, CPU-tid {bare_cpu / ours_cpu:.2f} (mål >= 0,8)"
        )
