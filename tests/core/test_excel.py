"""The Excel writer: formats, the formula-injection guard and streaming."""

import uuid
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from math import isfinite
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.excel import FORMATS, Column, write_xlsx, xlsx_filename, xlsx_response
from tenancy.choices import Role


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


def _openpyxl_reference(columns, rows):
    """The same sheet written cell by cell through openpyxl (its shared-string writer),
    with the values normalised as the export promises."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Test")
    ws.append([col.header for col in columns])
    for row in rows:
        cells = []
        for col in columns:
            value = col.value(row)
            if isinstance(value, bool):
                value = "Ja" if value else "Nej"
            elif isinstance(value, uuid.UUID):
                value = str(value)
            elif isinstance(value, datetime) and value.tzinfo is not None:
                value = timezone.localtime(value).replace(tzinfo=None)
            elif isinstance(value, float | Decimal) and not isfinite(value):
                value = None
            cell = WriteOnlyCell(ws, value=value if value != "" else None)
            if isinstance(value, date) and col.kind not in ("date", "datetime"):
                cell.number_format = FORMATS["datetime" if isinstance(value, datetime) else "date"]
            elif col.kind != "text":
                cell.number_format = FORMATS[col.kind]
            if cell.data_type == "f":
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    buffer = BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return load_workbook(buffer).active


def test_the_same_workbook_as_openpyxl_writes_cell_by_cell():
    """Our writer formats the sheet XML itself; read back, every cell (value, type,
    number format) is what openpyxl's own cell writer gives for the same values."""
    _, ours = _write(MIXED_COLUMNS, MIXED_ROWS)
    reference = _openpyxl_reference(MIXED_COLUMNS, MIXED_ROWS)

    def comparable(sheet):
        return [[(v, t, f) for v, t, f in row if v is not None] for row in _cells(sheet)]

    assert comparable(ours) == comparable(reference)
    assert [d.width for d in ours.column_dimensions.values()] == [16] * len(MIXED_COLUMNS)


EDGE_COLUMNS = [
    Column("Tekst & <mere>", lambda r: r[0], width=40),
    Column("Dato", lambda r: r[1], kind="date", width=8),
    Column("Tal", lambda r: r[2], kind="decimal"),
    Column("Tid", lambda r: r[3], kind="datetime"),
]
EDGE_ROWS = [
    (
        "\nlinje\n",
        date(1900, 1, 1),
        Decimal("1E+3"),
        datetime.fromisoformat("2024-01-01T23:59:59.999999"),
    ),
    (
        gettext_lazy("Ja"),
        date(1900, 2, 28),
        Decimal("Infinity"),
        datetime.fromisoformat("1900-01-01T12:00"),
    ),
    ("x" * 40000, date(1899, 12, 30), float("inf"), None),
    (
        "a\ud800b\ufffec\x1fd",
        date(1999, 12, 31),
        10**20,
        datetime.fromisoformat("2024-03-31T01:30"),
    ),
    (Role.CASEWORKER, None, -0.0, None),
    (Decimal("2.50"), "", 0.1 + 0.2, None),
]


def _xml_text(value):
    if isinstance(value, Decimal):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)).replace("\ud800", "").replace("\ufffe", "")


def test_edge_values_read_back_as_openpyxl_writes_them():
    _, ours = _write(EDGE_COLUMNS, EDGE_ROWS)
    # What openpyxl is given: plain text without the characters XML cannot hold.
    plain = [(_xml_text(r[0]), *r[1:]) for r in EDGE_ROWS]
    reference = _openpyxl_reference(EDGE_COLUMNS, plain)

    def comparable(sheet):
        return [[(v, t, f) for v, t, f in row if v is not None] for row in _cells(sheet)]

    assert comparable(ours) == comparable(reference)
    rows = list(ours.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "\nlinje\n"  # whitespace at the ends is kept
    assert rows[1][0] == "Ja"
    assert rows[2][0] == "x" * 32767  # Excel's limit for one cell
    assert rows[3][0] == "abcd"  # characters XML cannot hold are dropped
    assert rows[4][0] == "caseworker"
    assert rows[5][0] == 2.5
    assert [d.width for d in ours.column_dimensions.values()] == [40, 8, 16, 16]
    assert ours["A1"].value == "Tekst & <mere>"
    assert all(cell.font.bold for cell in ours[1])
    assert not ours["A2"].font.bold


def test_sheet_title_is_cut_to_excels_rules():
    buffer = BytesIO()
    write_xlsx(
        buffer,
        title="Tilbagebetaling/refusion: [alle] * ? \\ og mere end 31 tegn",
        columns=[Column("A", lambda r: r)],
        rows=["x"],
    )
    buffer.seek(0)

    assert load_workbook(buffer).sheetnames == ["Tilbagebetaling-refusion- -alle"]


def test_every_part_is_well_formed_xml_and_declared():
    buffer = BytesIO()
    write_xlsx(buffer, title="Æ & <Ø>", columns=MIXED_COLUMNS, rows=MIXED_ROWS)

    with zipfile.ZipFile(buffer) as archive:
        assert archive.testzip() is None
        # Our own file, so the plain parser is fine.
        parts = {n: ElementTree.fromstring(archive.read(n)) for n in archive.namelist()}  # noqa: S314
    declared = {
        o.get("PartName").lstrip("/") for o in parts["[Content_Types].xml"] if o.get("PartName")
    }
    assert declared == {name for name in parts if not name.endswith(".rels")} - {
        "[Content_Types].xml"
    }
    assert load_workbook(BytesIO(buffer.getvalue())).sheetnames == ["Æ & <Ø>"]
