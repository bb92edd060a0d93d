"""Excel downloads for every list: a small streaming .xlsx writer with Danish headers.

- Dates are real Excel dates, money real numbers with a kroner format.
- Text is always written as text (an inline string), never as a formula, so text that
  starts with =, +, - or @ cannot run in Excel (formula injection); characters that XML
  cannot hold are dropped.
- Memory stays bounded: rows are streamed from an iterator into the zip as they come.

Why our own writer: the columns are known in advance (kind, format), so each cell is
formatted straight to its XML with `str.join` and compressed with `zipfile`, only the
standard library's public API. That is several times faster than openpyxl's write-only
mode and the same with or without lxml installed (openpyxl changes XML backend when lxml
is present). Speed figures: docs/benchmarks.md ("Excel writer"). The files are checked
by reading them back with openpyxl in the tests.

Use `Column` to describe a sheet and `write_xlsx` / `xlsx_response` to produce it. Other
apps reuse this for their own exports.
"""

import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from math import isfinite
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpResponse
from django.utils import timezone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "text": "@",
    "date": "dd.mm.yyyy",
    "datetime": "dd.mm.yyyy hh:mm",
    "money": '#,##0.00 "kr."',
    "decimal": "#,##0.00",
    "int": "0",
}
MAX_TEXT = 32767  # Excel's limit for one cell

# Cell style ids in styles.xml: 0 plain, 1 bold header, then one per number format.
_STYLE_IDS = {kind: i for i, kind in enumerate(FORMATS, 2)}
# Characters XML 1.0 cannot hold (openpyxl's list, plus the non-characters and surrogates).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL_BYTES = bytes(range(32)).translate(None, b"\t\n\r")  # in UTF-8 only ever alone
_EPOCH = date(1899, 12, 30).toordinal()  # Excel day 0 (1900 date system)
_BATCH_ROWS = 500  # rows formatted, checked and compressed together


@dataclass(frozen=True)
class Column:
    """One column: a Danish header, a function from row to value, and the kind of value
    (text, date, datetime, money, decimal, int) that decides the cell format."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 16


def _clean(value: Any) -> Any:
    """Normalise a value of a type the fast path does not format itself (the slow path)."""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, datetime):
        # Excel has no time zones: show Danish local time.
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return datetime.combine(value.date(), value.time())  # a plain datetime
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return value
    return str(value)  # str subclasses (lazy translations), UUIDs, anything else


def _serial(value: date) -> str:
    """The Excel serial number of a date or naive datetime, as openpyxl computes it."""
    days = value.toordinal() - _EPOCH
    if 0 < days <= 60:
        days -= 1  # Excel counts a 29 February 1900 that never was
    if value.__class__ is datetime:
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr(days + (seconds + value.microsecond / 10**6) / 86400)
    return str(days)


class _Sheet:
    """Formats rows to sheet XML. Each column carries its cell prefix (`<c r="B`) and the
    attributes of its number format, so a cell is one f-string."""

    def __init__(self, columns: list[Column]):
        self.kinds = [col.kind for col in columns]
        self.prefixes = [f'<c r="{_letter(i)}' for i in range(len(columns))]
        self.number_attrs = [
            '">' if col.kind == "text" else f'" s="{_STYLE_IDS[col.kind]}">' for col in columns
        ]

    def row(self, values, r: str) -> str:
        """One `<row>`; the common types are formatted inline, the rest by `_cell`."""
        parts = [f'<row r="{r}">']
        append = parts.append
        for prefix, number_attr, kind, value in zip(
            self.prefixes, self.number_attrs, self.kinds, values, strict=True
        ):
            cls = value.__class__
            if cls is str:
                if value and value[0] > " " and value[-1] > " " and len(value) <= MAX_TEXT:
                    if "&" in value or "<" in value or ">" in value:
                        value = escape(value)
                    append(f'{prefix}{r}" t="inlineStr"><is><t>{value}</t></is></c>')
                elif value:
                    append(_cell(prefix, number_attr, kind, value, r))
            elif value is None:
                continue
            elif cls is Decimal:
                if value.is_finite():
                    append(f"{prefix}{r}{number_attr}<v>{value:.16g}</v></c>")
            elif cls is int:
                append(f"{prefix}{r}{number_attr}<v>{value}</v></c>")
            elif cls is date and kind == "date" and (days := value.toordinal() - _EPOCH) > 60:
                append(f"{prefix}{r}{number_attr}<v>{days}</v></c>")
            else:
                append(_cell(prefix, number_attr, kind, value, r))
        parts.append("</row>")
        return "".join(parts)

    def xml(self, rows: list[list], first: int) -> bytes:
        """Rows numbered from `first`, encoded. Characters XML cannot hold are looked for
        once in the whole batch (a byte-level check, several times faster than a regex);
        only a batch that has some is formatted again without them."""
        row = self.row
        xml = "".join([row(values, str(r)) for r, values in enumerate(rows, first)])
        try:
            data = xml.encode()
        except UnicodeEncodeError:  # a lone surrogate
            data = None
        if (
            data is None
            or len(data.translate(None, _CONTROL_BYTES)) != len(data)
            or "\ufffe" in xml
            or "\uffff" in xml
        ):
            xml = "".join(
                [row([_strip(v) for v in values], str(r)) for r, values in enumerate(rows, first)]
            )
            data = xml.encode()
        return data


def _cell(prefix: str, number_attr: str, kind: str, value: Any, r: str) -> str:
    """One cell of any type, "" for an empty one (the general path of `_Sheet.row`)."""
    cls = value.__class__
    if cls is str:
        if not value:
            return ""
        value = value[:MAX_TEXT]
        text = escape(value)
        if value[0] <= " " or value[-1] <= " ":  # Excel trims unless told not to
            return f'{prefix}{r}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        return f'{prefix}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
    if cls is int:
        return f"{prefix}{r}{number_attr}<v>{value}</v></c>"
    if cls is float:
        return f"{prefix}{r}{number_attr}<v>{value:.16g}</v></c>" if isfinite(value) else ""
    if cls is Decimal:
        return f"{prefix}{r}{number_attr}<v>{value:.16g}</v></c>" if value.is_finite() else ""
    if cls is date or (cls is datetime and value.tzinfo is None):
        if kind != "date" and kind != "datetime":  # a date in another column: still a date
            kind = "datetime" if cls is datetime else "date"
        return f'{prefix}{r}" s="{_STYLE_IDS[kind]}"><v>{_serial(value)}</v></c>'
    if value is None or value == "":
        return ""
    return _cell(prefix, number_attr, kind, _clean(value), r)


def _strip(value: Any) -> Any:
    """The value without characters XML cannot hold (text of any type)."""
    if value is None or value.__class__ in _NUMBERS_AND_DATES:
        return value
    if value.__class__ is not str:
        value = _clean(value)
    return _ILLEGAL.sub("", value) if value.__class__ is str else value


_NUMBERS_AND_DATES = frozenset({int, float, Decimal, date, datetime})


def _letter(index: int) -> str:
    """Column letters from a 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>Boligkontor</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
    "</cp:coreProperties>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView activeTab="0"/></bookViews>'
    '<sheets><sheet name={title} sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _styles() -> str:
    """Fonts (plain, bold) and one cell format per kind, in `_STYLE_IDS` order."""
    num_fmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(code)}/>'
        for i, code in enumerate(FORMATS.values())
    )
    xfs = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    xfs += '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    xfs += "".join(
        f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0"'
        ' applyNumberFormat="1"/>'
        for i in range(len(FORMATS))
    )
    font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="{len(FORMATS)}">{num_fmts}</numFmts>'
        f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(FORMATS) + 2}">{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _sheet_head(columns: list[Column]) -> str:
    """Everything before the data rows: frozen header row, column widths, the header."""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{col.width}" customWidth="1"/>'
        for i, col in enumerate(columns, 1)
    )
    header = "".join(
        f'<c r="{_letter(i)}1" t="inlineStr" s="1"><is><t>{escape(_strip(str(col.header)))}</t></is></c>'
        for i, col in enumerate(columns)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN}">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols>"
        f'<sheetData><row r="1">{header}</row>'
    )


_SHEET_TAIL = (
    '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5"'
    ' footer="0.5"/></worksheet>'
)
_BAD_TITLE = re.compile(r"[\\/*?:\[\]]")


def write_xlsx(
    fileobj,
    *,
    title: str,
    columns: list[Column],
    rows: Iterable[Any],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
    compresslevel: int = 1,
) -> int:
    """Stream `rows` into an .xlsx written to `fileobj`; returns the number of rows.

    `fileobj` needs only `write` (an open file, a BytesIO, an HttpResponse). Deflate level
    1 takes a third of level 6's time for files about 30 % larger (docs/benchmarks.md)."""
    title = _BAD_TITLE.sub("-", _strip(str(title)))[:31] or "Ark1"
    sheet = _Sheet(columns)
    getters = [col.value for col in columns]
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    count = 0
    with zipfile.ZipFile(
        fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("docProps/app.xml", _APP)
        archive.writestr("docProps/core.xml", _CORE.format(now=now))
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(title=quoteattr(title)))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _styles())
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(_sheet_head(columns).encode())
            batch: list[list] = []
            for row in rows:
                batch.append([getter(row) for getter in getters])
                count += 1
                if len(batch) == _BATCH_ROWS:
                    out.write(sheet.xml(batch, count - _BATCH_ROWS + 2))
                    batch.clear()
                if progress and count % progress_every == 0:
                    progress(count)
            out.write(sheet.xml(batch, count - len(batch) + 2))
            out.write(_SHEET_TAIL.encode())
    if progress:
        progress(count)
    return count


def xlsx_filename(stem: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.xlsx"


def xlsx_response(*, filename: str, title: str, columns: list[Column], rows: Iterable[Any]):
    """A download response; the workbook is written straight into it."""
    response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_xlsx(response, title=title, columns=columns, rows=rows)
    return response
