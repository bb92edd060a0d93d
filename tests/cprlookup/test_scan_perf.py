"""Scans record set-based: the number of SQL statements to record a batch does not grow with
the number of stairwells or residents in it (no per-row INSERT/UPDATE, no N+1)."""

from concurrent.futures import Future

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cprlookup import services, sql
from cprlookup.models import CprCharge, CprLookupResident, ScanItemStatus
from cprlookup.services import pool, scan_recording, scan_work
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register

pytestmark = pytest.mark.django_db


def _people(p, per_unit):
    units = [*p.units, p.unit2, *p.other_units]
    return [
        (f"01{10 + j:02d}{80 + i % 19:02d}{1000 + i:04d}", f"Beboer {i}-{j}", [(u, SINCE, None)])
        for i, u in enumerate(units)
        for j in range(per_unit)
    ]


def _recording_cursor(original, statements: list):
    """A raw_cursor replacement that records every statement it sends."""

    class RecordingCursor:
        def __init__(self):
            self.cursor = original()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.cursor.close()

        def execute(self, query, params=None, **kw):
            statements.append(query)
            return self.cursor.execute(query, params, **kw)

        def copy(self, statement, *args, **kw):
            statements.append(statement)
            return self.cursor.copy(statement, *args, **kw)

        def fetchall(self):
            return self.cursor.fetchall()

        def fetchone(self):
            return self.cursor.fetchone()

        def close(self):
            self.cursor.close()

    return RecordingCursor


def _record_statements(entrances, per_unit, gctp_settings, monkeypatch):
    p = make_portfolio(entrances=entrances, units_per_entrance=3)
    gctp_settings.load(register(p.organisation, people=_people(p, per_unit)))
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    (chunk,) = services.scan_pending_chunks(job=job)
    # Count every statement, also those sent past Django's cursor on PostgreSQL.
    raw = []
    monkeypatch.setattr(sql, "raw_cursor", _recording_cursor(sql.raw_cursor, raw))
    with CaptureQueriesContext(connection) as ctx:
        recorded = services.scan_chunk_process(
            job_id=job.pk, item_ids=chunk, record_every=len(chunk)
        )
    assert recorded == len(chunk)
    assert not job.items.exclude(status=ScanItemStatus.DONE).exists()
    assert CprCharge.objects.filter(lookup__scan_job=job).count() == len(chunk)
    assert CprLookupResident.objects.filter(lookup__scan_job=job).count() > 0
    writes = [
        q
        for q in [c["sql"] for c in ctx.captured_queries] + [str(r) for r in raw]
        if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]
    return len(ctx.captured_queries) + len(raw), len(writes)


def test_recording_a_batch_takes_the_same_statements_whatever_its_size(
    db, gctp_settings, monkeypatch, settings
):
    settings.GCTP_MAX_ATTEMPTS = 1
    small_total, small_writes = _record_statements(2, 1, gctp_settings, monkeypatch)
    big_total, big_writes = _record_statements(12, 3, gctp_settings, monkeypatch)
    # 13 stairwells x 3 units x 3 residents cost no more statements than 3 x 3 x 1 (on
    # SQLite the inserts are executemany: one call each as well).
    assert big_writes == small_writes
    assert big_total <= small_total + 2  # leases are read only when needed


def test_chunks_cover_every_item_once_and_end_small(settings, monkeypatch):
    """Big chunks, tapering at the end: no chunk takes more than half of what is left (down
    to 2 x SCAN_THREADS), so the workers finish together."""
    settings.CPR_SCAN_CHUNK_SIZE = 2000
    settings.CPR_SCAN_THREADS = 8
    ids = list(range(1, 8178))
    chunks = services.chunked(ids)
    assert [i for chunk in chunks for i in chunk] == ids
    assert [len(c) for c in chunks] == [
        2000, 2000, 2000, 1000, 500, 250, 125, 125, 62, 31, 31, 16, 16, 16, 5
    ]  # fmt: skip
    left = len(ids)
    for chunk in chunks:
        assert len(chunk) <= max(16, left // 2) or len(chunk) == 2000
        left -= len(chunk)
    assert services.chunked(ids[:7]) == [ids[:7]]
    assert services.chunked([]) == []


def test_a_chunk_is_claimed_a_slice_at_a_time_and_finished_whole(
    db, gctp_settings, monkeypatch, settings
):
    """The chunk is claimed a few stairwells at a time (4 x threads); however fast the
    answers come back, the task goes on until its whole chunk is done."""
    settings.CPR_SCAN_THREADS = 2
    claims = []
    original = scan_work._claim

    def counting_claim(ids):
        claims.append(len(ids))
        return original(ids)

    monkeypatch.setattr(scan_work, "_claim", counting_claim)

    class InlinePool:
        """Every search has finished by the time it is handed over: the worst case for a
        loop that must not stop while part of its chunk is still unclaimed."""

        def submit(self, fn, *args):
            future = Future()
            future.set_result(fn(*args))
            return future

    client = pool.scan_resources()[0]
    monkeypatch.setattr(pool, "scan_resources", lambda: (client, InlinePool()))
    p = make_portfolio(entrances=30, units_per_entrance=1)
    gctp_settings.load(register(p.organisation, people=_people(p, 1)))
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    chunk = [pk for part in services.scan_pending_chunks(job=job) for pk in part]
    assert len(chunk) > 8
    assert services.scan_chunk_process(job_id=job.pk, item_ids=chunk) == len(chunk)
    assert not job.items.exclude(status=ScanItemStatus.DONE).exists()
    assert max(claims) == 8
    assert sum(claims) == len(chunk)
    job.refresh_from_db()
    assert job.is_finished
    assert job.done == len(chunk)


def test_first_scan_refreshes_planner_statistics_once(db, gctp_settings, monkeypatch):
    """PostgreSQL: when a scan fills lookup tables last analysed (nearly) empty, the worker
    runs ANALYZE once, so cached plans stop scanning the growing tables sequentially."""
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    monkeypatch.setattr(scan_recording, "_stats_checked", set())
    statements = []
    monkeypatch.setattr(sql, "raw_cursor", _recording_cursor(sql.raw_cursor, statements))
    p = make_portfolio(entrances=4, units_per_entrance=1)
    gctp_settings.load(register(p.organisation, people=_people(p, 1)))
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    chunk = [pk for part in services.scan_pending_chunks(job=job) for pk in part]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(greatest(reltuples, 0)) FROM pg_class WHERE relname = ANY(%s)",
            [["cprlookup_cprlookup", "cprlookup_cprlookupresident"]],
        )
        analysed = int(cursor.fetchone()[0] or 0)
    if analysed + 2 > job.total:
        pytest.skip("the tables were analysed with more rows than this scan has (--reuse-db)")
    monkeypatch.setattr(scan_recording, "_YOUNG_ROWS", analysed + 2)
    services.scan_chunk_process(job_id=job.pk, item_ids=chunk, record_every=2)
    analyses = [str(q) for q in statements if str(q).startswith("ANALYZE")]
    assert len(analyses) == 1
    assert "cprlookup_cprlookup" in analyses[0]
    services.statistics_grown(job)
    assert len([q for q in statements if str(q).startswith("ANALYZE")]) == 1
