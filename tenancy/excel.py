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
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
    if value is None or value == "":
        return None
    if kind == "money" or kind == "decimal":
        return float(value) if isinstance(value, Decimal) else value
    if kind == "datetime" and isinstance(value, datetime):
        # Excel has no time zones: show Danish local time.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if kind == "text" and not isinstance(value, date | int | float):
        return str(value)
    return value


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
    ws.append(header)

    # One reusable cell per column carries the format; write-only rows are serialised as
    # they are appended, so reusing the cell objects is safe and keeps memory flat.
    pool = []
    for col in columns:
        cell = WriteOnlyCell(ws)
        if col.kind != "text":
            cell.number_format = FORMATS[col.kind]
        pool.append(cell)
    getters = [(col.value, col.kind) for col in columns]

    count = 0
    for row in rows:
        values = []
        for cell, (getter, kind) in zip(pool, getters, strict=True):
            value = _clean(getter(row), kind)
            cell.value = value
            if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"  # text, never a formula
            values.append(cell if value is not None else None)
        ws.append(values)
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
