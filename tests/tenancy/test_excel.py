"""The Excel writer: formats, the formula-injection guard and streaming."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from core.excel import FORMATS, Column, write_xlsx, xlsx_filename, xlsx_response


def _write(columns, rows, **kwargs):
    buffer = BytesIO()
    count = write_xlsx(buffer, title="Test", columns=columns, rows=rows, **kwargs)
    buffer.seek(0)
    return count, load_workbook(buffer).active


def test_headers_dates_money_and_numbers_keep_their_types():
    columns = [
        Column("Navn", lambda r: r[0]),
        Column("Startdato", lambda r: r[1], kind="date"),
        Column("Husleje", lambda r: r[2], kind="money"),
        Column("Værelser", lambda r: r[3], kind="int"),
        Column("Areal m²", lambda r: r[4], kind="decimal"),
    ]
    rows = [
        ("Åse Ørum", date(2021, 3, 1), Decimal("6543.21"), 3, Decimal("72.50")),
        ("Bo", None, Decimal("0.00"), 1, Decimal("30")),
    ]

    count, sheet = _write(columns, rows)

    assert count == 2
    assert [c.value for c in sheet[1]] == ["Navn", "Startdato", "Husleje", "Værelser", "Areal m²"]
    assert sheet["A1"].font.bold
    name, start, rent, rooms, area = sheet[2]
    assert name.value == "Åse Ørum"
    assert start.is_date
    assert start.value.date() == date(2021, 3, 1)
    assert start.number_format == FORMATS["date"]
    assert rent.data_type == "n"
    assert rent.value == 6543.21
    assert rent.number_format == FORMATS["money"]
    assert rooms.value == 3
    assert rooms.number_format == FORMATS["int"]
    assert area.value == 72.5
    assert area.number_format == FORMATS["decimal"]
    assert sheet["B3"].value is None  # empty date stays empty
    assert sheet["C3"].value == 0
    assert sheet["C3"].number_format == FORMATS["money"]
    assert sheet.freeze_panes == "A2"


def test_formula_like_text_is_written_as_text():
    dangerous = ['=HYPERLINK("http://x")', "+4512345678", "-2+3", "@SUM(A1)", "=1+1"]
    columns = [Column("Tekst", lambda r: r)]

    _, sheet = _write(columns, dangerous)

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == dangerous
    assert all(c.data_type == "s" for c in cells)


def test_formula_guard_holds_in_every_text_column_and_row():
    # Reused cells must not carry the guard (or a formula) from one row to the next.
    rows = [("=A1", "ok"), ("ok", "=B1"), ("=C1", "=D1"), ("plain", "text")]
    columns = [Column("A", lambda r: r[0]), Column("B", lambda r: r[1])]

    _, sheet = _write(columns, rows)

    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s"
    assert [[c.value for c in r] for r in sheet.iter_rows(min_row=2)] == [list(r) for r in rows]


def test_booleans_uuids_datetimes_and_illegal_characters():
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    aware = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)  # 12:00 in Copenhagen (summer time)
    columns = [
        Column("Ja/nej", lambda r: r[0]),
        Column("Id", lambda r: r[1]),
        Column("Tid", lambda r: r[2], kind="datetime"),
        Column("Tekst", lambda r: r[3]),
    ]

    _, sheet = _write(columns, [(True, ident, aware, "a\x00b\x07c")])

    flag, ident_cell, when, text = sheet[2]
    assert flag.value == "Ja"
    assert ident_cell.value == str(ident)
    assert when.value.tzinfo is None  # Excel has no time zones
    assert when.value.isoformat() == "2024-06-01T12:00:00"
    assert when.number_format == FORMATS["datetime"]
    assert text.value == "abc"


def test_rows_are_streamed_with_progress():
    seen = []
    columns = [Column("Nr", lambda r: r, kind="int")]

    count, sheet = _write(columns, iter(range(12)), progress=seen.append, progress_every=5)

    assert count == 12
    assert seen == [5, 10, 12]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == list(range(12))


def test_response_is_an_attachment_with_the_dated_filename():
    name = xlsx_filename("enheder")
    response = xlsx_response(
        filename=name, title="Enheder", columns=[Column("A", lambda r: r)], rows=["x"]
    )

    assert name.startswith("enheder-")
    assert name.endswith(".xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert load_workbook(BytesIO(response.content)).active["A2"].value == "x"


MIXED_COLUMNS = [
    Column("Tekst", lambda r: r[0]),
    Column("Dato", lambda r: r[1], kind="date"),
    Column("Beløb", lambda r: r[2], kind="money"),
    Column("Tal", lambda r: r[3], kind="int"),
    Column("Tid", lambda r: r[4], kind="datetime"),
    Column("Andet", lambda r: r[5]),
]
MIXED_ROWS = [
    ("<b>&\"'</b>", date(2020, 2, 29), Decimal("7250.50"), 3, None, True),
    ("  indrykket", None, 12.25, 0, datetime(2024, 1, 1, 8, 30, tzinfo=UTC), uuid.UUID(int=7)),
    ("slut  ", date(1900, 3, 1), Decimal("-0.01"), -4, None, date(2024, 5, 1)),
    ("Århus Ø — 100 %", date(2099, 12, 31), float("nan"), 10**12, None, "=cmd|' /C calc'!A0"),
    ("", None, None, None, None, False),
    ("   ", None, Decimal("0"), None, None, 1.5),
]


def _cells(sheet):
    return [
        [(c.value, c.data_type, c.number_format if c.value is not None else None) for c in row]
        for row in sheet.iter_rows()
    ]


def test_text_numbers_and_dates_round_trip_exactly():
    _, sheet = _write(MIXED_COLUMNS, MIXED_ROWS)

    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "<b>&\"'</b>"
    assert rows[1][0] == "  indrykket"
    assert rows[2][0] == "slut  "
    assert rows[3][0] == "Århus Ø — 100 %"
    assert rows[0][1].date() == date(2020, 2, 29)
    assert rows[2][1].date() == date(1900, 3, 1)
    assert rows[0][2] == 7250.5
    assert rows[2][2] == -0.01
    assert rows[3][2] is None  # NaN cannot be stored: left empty
    assert rows[3][3] == 10**12
    assert rows[1][4].isoformat() == "2024-01-01T09:30:00"  # Copenhagen time, no zone
    assert [r[5] for r in rows] == [
        "Ja",
        str(uuid.UUID(int=7)),
        rows[2][5],
        "=cmd|' /C calc'!A0",
        "Nej",
        1.5,
    ]
    assert rows[2][5].date() == date(2024, 5, 1)
    assert sheet["F5"].data_type == "s"  # the formula-like value is text
    assert sheet["F4"].is_date  # a date in a text column still shows as a date
    assert rows[4][:5] == (None, None, None, None, None)


def test_fallback_through_openpyxl_cells_writes_the_same_workbook(monkeypatch):
    """Without et_xmlfile's text stream (e.g. openpyxl on lxml) rows go through
    openpyxl's cell writer; the result must be the same."""
    _, fast = _write(MIXED_COLUMNS, MIXED_ROWS)
    monkeypatch.setattr("core.excel._raw_stream", lambda xf: None)
    _, fallback = _write(MIXED_COLUMNS, MIXED_ROWS)

    def comparable(sheet):
        # NaN: the fallback writes an empty <v/>, the fast path no cell; both read as None.
        return [[(v, t, f) for v, t, f in row if v is not None] for row in _cells(sheet)]

    assert comparable(fast) == comparable(fallback)
