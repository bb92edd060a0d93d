"""Small server-rendered SVG charts for the overview pages.

No JavaScript and no style attributes (they work under a strict Content-Security-Policy):
only SVG presentation attributes. Readable without colour: every bar carries its label and
its value as text, bars of a series alternate between a solid fill and a hatch pattern, and
the SVG has a <title> and a <desc> listing the figures for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core import formatting

# Colours meet WCAG AA against white (static/css/app.css uses the same palette).
PRIMARY = "#1d4f8c"
MUTED = "#55606e"
GRID = "#d5dae1"
TEXT = "#1c2430"
TONES = {"ok": "#1d6b36", "warn": "#7a4b00", "danger": "#a32020", "info": PRIMARY, "": PRIMARY}

_ids = count(1)


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and optionally a tone (ok, warn, danger, info) and a
    link (the list the bar counts)."""

    label: str
    value: int | float | Decimal
    tone: str = ""
    href: str = ""


def _fmt(value, money: bool) -> str:
    return formatting.money(value) if money else formatting.number(value)


def _short(value, money: bool) -> str:
    """A column's value label: kroner without decimals from 10 kr. (the unit is in the title)."""
    if money and float(value) < 10:
        return formatting.number(value, 2)
    return formatting.number(value)


def _pattern(pid: str, colour: str) -> str:
    return (
        f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<rect width="3" height="6" fill="{colour}"/></pattern>'
    )


def _frame(*, title: str, desc: str, width: int, height: int, body: str, defs: str) -> SafeString:
    n = next(_ids)
    return mark_safe(  # noqa: S308 - every text below is escaped
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        f'role="img" aria-labelledby="chart-t{n} chart-d{n}" font-size="13" fill="{TEXT}">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>'
        f"<defs>{defs}</defs>{body}</svg>"
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, money: bool = False, width: int = 360
) -> SafeString:
    """Horizontal bars, one per category: the label above its bar, the value after it (long
    Danish labels fit; nothing overlaps)."""
    value_w = 120
    row_h = 44
    height = max(row_h * len(bars), row_h) + 4
    top = max((float(b.value) for b in bars), default=0) or 1
    track = width - value_w
    max_chars = width // 7
    n = next(_ids)
    defs = []
    body = []
    for i, bar in enumerate(bars):
        colour = TONES.get(bar.tone, PRIMARY)
        fill = colour
        if i % 2:  # every other bar hatched: bars differ without colour
            pid = f"hatch{n}-{i}"
            defs.append(_pattern(pid, colour))
            fill = f"url(#{pid})"
        y = 2 + i * row_h
        length = 0 if not bar.value else max(2.0, track * float(bar.value) / top)
        label = bar.label if len(bar.label) <= max_chars else bar.label[: max_chars - 1] + "…"
        text = f'<text x="0" y="{y + 14}">{escape(label)}</text>'
        if bar.href:
            text = f'<a href="{escape(bar.href)}">{text}</a>'
        body.append(
            f"{text}"
            f'<rect x="0" y="{y + 20}" width="{length:.1f}" height="16" '
            f'fill="{fill}" stroke="{colour}" stroke-width="1"/>'
            f'<text x="{length + 6:.1f}" y="{y + 33}" font-weight="600">'
            f"{escape(_fmt(bar.value, money))}</text>"
        )
    desc = "; ".join(f"{b.label}: {_fmt(b.value, money)}" for b in bars) or title
    return _frame(
        title=title, desc=desc, width=width, height=height, body="".join(body), defs="".join(defs)
    )


def column_chart(
    points: Sequence[tuple[str, int | float | Decimal]],
    *,
    title: str,
    money: bool = False,
    width: int = 360,
    height: int = 180,
) -> SafeString:
    """Vertical columns over time (months, days): value above each column, label below."""
    left, bottom, top_pad = 8, 34, 22
    plot_h = height - bottom - top_pad
    top = max((float(v) for _l, v in points), default=0) or 1
    slot = (width - left * 2) / max(len(points), 1)
    col_w = max(4.0, slot * 0.6)
    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - left}" y2="{top_pad + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    for i, (label, value) in enumerate(points):
        x = left + slot * i + (slot - col_w) / 2
        h = 0 if not value else max(2.0, plot_h * float(value) / top)
        y = top_pad + plot_h - h
        cx = x + col_w / 2
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{PRIMARY}"/>'
        )
        if value:  # no "0" over an empty month: the axis says it
            body.append(
                f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" font-size="11">'
                f"{escape(_short(value, money))}</text>"
            )
        body.append(
            f'<text x="{cx:.1f}" y="{height - 12}" text-anchor="middle" font-size="11" '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
    desc = "; ".join(f"{label}: {_fmt(v, money)}" for label, v in points) or title
    return _frame(title=title, desc=desc, width=width, height=height, body="".join(body), defs="")


def last_months(count: int = 12, *, today: date | None = None) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    from django.utils import timezone

    today = today or timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
