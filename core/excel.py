"""Excel downloads for every list: openpyxl write-only streaming with Danish headers.

- Dates are real Excel dates, money real numbers with a kroner format.
- Text that starts with =, +, - or @ is written as text, never as a formula (formula
  injection), and characters Excel cannot hold are dropped.
- Memory stays bounded: rows are streamed from an iterator into a write-only workbook.

Use `Column` to describe a sheet and `write_xlsx` / `xlsx_response` to produce it. Other
apps reuse this for their own exports.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from math import isfinite
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from et_xmlfile.xmlfile import _IncrementalFileWriter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@")
FORMATS = {
    "text": "@",
    "date": "dd-mm-yyyy",
    "datetime": "dd-mm-yyyy hh:mm",
    "money": '#,##0.00 "kr."',
    "decimal": "#,##0.00",
    "int": "0",
}


@dataclass(frozen=True)
class Column:
    """One column: a Danish header, a function from row to value, and the kind of value
    (text, date, datetime, money, decimal, int) that decides the cell format."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 16


def _clean(value: Any, kind: str) -> Any:
    """Turn a value openpyxl cannot take as it is into one it can (the slow path: the hot
    loop in `write_xlsx` only calls this for types other than str, int, float, Decimal and
    date)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, datetime):
        # Excel has no time zones: show Danish local time.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, str):  # a str subclass, e.g. a lazy translation already evaluated
        return str(value)
    if isinstance(value, int | float | Decimal | date):
        return value
    return str(value)


# Values of these exact types go into a cell unchanged (checked with one set lookup).
_PLAIN_TYPES = frozenset({str, int, float, Decimal, date})


class _PooledCell(Cell):
    """A write-only cell reused for one column on every row (the fallback path).

    Its style is looked up in the workbook's style table only when its number format
    changes (the only part of the style that setting a value can change), instead of once
    per cell as openpyxl does."""

    __slots__ = ("_style_id", "_style_key")

    def __init__(self, worksheet, column: int):
        super().__init__(worksheet, row=1, column=column)
        self._style_key = None
        self._style_id = 0

    @property
    def style_id(self) -> int:
        style = self._style
        if style is None:
            return super().style_id
        key = style.numFmtId
        if key != self._style_key:
            self._style_key = key
            self._style_id = self.parent.parent._cell_styles.add(style)
        return self._style_id


def _style_attr(ws, number_format: str) -> str:
    """Register a number format in the workbook's style table; the cell attribute for it."""
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return f' s="{cell.style_id}"'


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _SheetRows:
    """Writes our data rows into the sheet XML.

    openpyxl's write-only sheet turns every value into a cell object and every cell into an
    ElementTree element that a generic serialiser writes out; for a 600,000-row export that
    is most of the time. Our columns are known in advance (kind, format), so each cell is
    formatted straight to the same XML openpyxl would write:
    `<c r="B7" t="n" s="1"><v>6500.5</v></c>`, text as an inline string. Text is always
    written as text, never as a formula, so the formula-injection guard holds by
    construction. The header row and everything around the rows stay openpyxl's.

    When openpyxl writes through lxml instead of et_xmlfile (no raw text stream), rows go
    through openpyxl's own cell writer with pooled cells (`_cells`).
    """

    def __init__(self, ws, columns: list[Column]):
        self.ws = ws
        self.columns = columns
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.styles = [
            "" if col.kind == "text" else _style_attr(ws, FORMATS[col.kind]) for col in columns
        ]
        self.date_styles = {
            "date": _style_attr(ws, FORMATS["date"]),
            "datetime": _style_attr(ws, FORMATS["datetime"]),
        }
        self.pool = []
        for i, col in enumerate(columns, 1):
            cell = _PooledCell(ws, column=i)
            if col.kind != "text":
                cell.number_format = FORMATS[col.kind]
            self.pool.append(cell)
        self._openpyxl_write_row = ws._writer.write_row

    def install(self) -> None:
        """Route this sheet's appended rows through `write_row` (this sheet only)."""
        self.ws._values_to_row = lambda values, row_idx: values
        self.ws._writer.write_row = self.write_row

    def write_row(self, xf, values, row_idx: int) -> None:
        raw = _raw_stream(xf)
        if raw is None:
            self._openpyxl_write_row(xf, self._cells(values, row_idx), row_idx)
            return
        r = str(row_idx)
        date_styles = self.date_styles
        parts = [f'<row r="{r}">']
        for letter, style, col, value in zip(
            self.letters, self.styles, self.columns, values, strict=True
        ):
            if value is not None:
                parts.append(_cell_xml(f"{letter}{r}", style, col.kind, value, date_styles))
        parts.append("</row>")
        raw("".join(parts))

    def _cells(self, values, row_idx: int):
        """The fallback: pooled openpyxl cells with the formats and the formula guard."""
        for col_idx, (cell, col, value) in enumerate(
            zip(self.pool, self.columns, values, strict=True), 1
        ):
            if value.__class__ not in _PLAIN_TYPES:
                value = _clean(value, col.kind)
                if value is None:
                    continue
            elif value == "":
                continue
            if isinstance(value, date) and col.kind not in ("date", "datetime"):
                # A date in another column: a one-off cell in the Danish date format, so the
                # column's pooled cell keeps its own format.
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = FORMATS["datetime" if isinstance(value, datetime) else "date"]
                cell.column, cell.row = col_idx, row_idx
                yield cell
                continue
            try:
                cell.value = value
            except IllegalCharacterError:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if cell.data_type == "f":
                cell.data_type = "s"  # text, never a formula (=, and +, -, @ are text anyway)
            cell.row = row_idx
            yield cell


_WHITESPACE = frozenset(" \t\r\n")


def _raw_stream(xf) -> Callable[[str], Any] | None:
    """The text stream under et_xmlfile's incremental writer (openpyxl without lxml), or
    None when rows must go through openpyxl's own cell writer."""
    if isinstance(xf, _IncrementalFileWriter) and xf._element_stack:
        return xf._file
    return None


def _cell_xml(ref: str, style: str, kind: str, value: Any, date_styles: dict) -> str:
    """One cell as openpyxl writes it; "" for an empty cell. Text is always an inline
    string (never a formula)."""
    cls = value.__class__
    if cls is str:
        if not value:
            return ""
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if not value:
                return ""
        value = _escape(value[:32767])
        space = (
            ' xml:space="preserve"'
            if (value[0] in _WHITESPACE or value[-1] in _WHITESPACE) and value.strip()
            else ""
        )
        return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{value}</t></is></c>'
    if cls is int or cls is float or cls is Decimal:
        return f'<c r="{ref}" t="n"{style}><v>{value:.16g}</v></c>' if isfinite(value) else ""
    if cls is date or cls is datetime:
        if value.__class__ is datetime and value.tzinfo is not None:
            return _cell_xml(ref, style, kind, _clean(value, kind), date_styles)
        if kind not in ("date", "datetime"):
            style = date_styles["datetime" if cls is datetime else "date"]
        return f'<c r="{ref}" t="n"{style}><v>{to_excel(value):.16g}</v></c>'
    # bool, UUID, lazy text, subclasses...: normalise once, then format as above.
    cleaned = _clean(value, kind)
    if cleaned is None or cleaned.__class__ not in _PLAIN_TYPES | {datetime}:
        return ""
    return _cell_xml(ref, style, kind, cleaned, date_styles)


def write_xlsx(
    fileobj,
    *,
    title: str,
    columns: list[Column],
    rows: Iterable[Any],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
) -> int:
    """Stream `rows` into an .xlsx written to `fileobj`; returns the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = bold
        header.append(cell)
    ws.append(header)  # through openpyxl; this also starts the sheet's XML writer
    _SheetRows(ws, columns).install()

    getters = [col.value for col in columns]
    append = ws.append
    count = 0
    for row in rows:
        append([getter(row) for getter in getters])
        count += 1
        if progress and count % progress_every == 0:
            progress(count)
    wb.save(fileobj)
    if progress:
        progress(count)
    return count


def xlsx_filename(stem: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.xlsx"


def xlsx_response(*, filename: str, title: str, columns: list[Column], rows: Iterable[Any]):
    """A download response. The workbook is built to a temporary file on disk (write-only
    mode needs a seekable target), then streamed."""
    response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_xlsx(response, title=title, columns=columns, rows=rows)
    return response
