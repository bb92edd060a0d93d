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
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
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
    """A write-only cell reused for one column on every row.

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


def _pooled_values_to_row(cells, row_idx):
    """Replacement for openpyxl's `WriteOnlyWorksheet._values_to_row` on our own sheets:
    our rows are already cells in the right columns (or None for empty), so we only set the
    row number. openpyxl's version raises and catches an exception for every cell passed in
    and builds a new cell after every styled one."""
    for cell in cells:
        if cell is not None:
            cell.row = row_idx
            yield cell


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
    ws._values_to_row = _pooled_values_to_row  # this sheet only; see the function

    # One reusable cell per column carries the format; write-only rows are serialised as
    # they are appended, so reusing the cell objects is safe and keeps memory flat.
    plan = []
    for i, col in enumerate(columns, 1):
        cell = _PooledCell(ws, column=i)
        if col.kind != "text":
            cell.number_format = FORMATS[col.kind]
        plan.append((cell, col.value, col.kind))

    plain_types = _PLAIN_TYPES
    append = ws.append
    count = 0
    for row in rows:
        out = []
        add = out.append
        for cell, getter, kind in plan:
            value = getter(row)
            if value.__class__ not in plain_types:
                value = _clean(value, kind)
                if value is None:
                    add(None)
                    continue
            elif value == "":
                add(None)
                continue
            try:
                cell.value = value
            except IllegalCharacterError:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if cell.data_type == "f":
                cell.data_type = "s"  # text, never a formula (=, and +, -, @ are text anyway)
            add(cell)
        append(out)
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
