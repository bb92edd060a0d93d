"""How fast the Excel writers are on the lease export, with and without lxml.

    .venv/bin/python devtools/excel_bench.py [--rows 65000] [--rounds 3] [--previous REV]

Every candidate writes the same rows (the lease export's columns, values made up once per
process before the clock starts, so no database) in its own child process; rounds are
interleaved and the best round is kept. openpyxl picks its XML backend when it is
imported: `OPENPYXL_LXML=False` (openpyxl's own switch) is "without lxml"; lxml must be
installed for the "with lxml" runs (it is in the dev extras).

Candidates: bare openpyxl write-only (plain tuples, no formats: the baseline), our
`core.excel.write_xlsx` (also at openpyxl's deflate level 6, to show what the smaller
file costs), XlsxWriter's constant-memory mode with the same formats and guards, and with
`--previous REV` the `core/excel.py` of that git revision (e.g. 89e85ef, the fast path on
et_xmlfile's private writer). Figures: docs/benchmarks.md ("Excel writer").
"""

import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import types
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    # name: (label, OPENPYXL_LXML)
    "bare": ("bare openpyxl write-only, no lxml", "False"),
    "bare-lxml": ("bare openpyxl write-only, lxml", "True"),
    "previous": ("previous core.excel, no lxml", "False"),
    "previous-lxml": ("previous core.excel, lxml", "True"),
    "xlsxwriter": ("XlsxWriter constant_memory", "False"),
    "ours": ("core.excel, no lxml", "False"),
    "ours-lxml": ("core.excel, lxml", "True"),
    "ours-level6": ("core.excel, deflate level 6, no lxml", "False"),
}
ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _lease_rows(n: int):
    """The lease export's sheet columns and `n` rows of their cell values."""
    from django.utils import translation

    from tenancy import exports
    from tenancy.choices import HeatingForm, HolderType, LeaseStatus, UtilityPayment

    translation.activate("da")
    spec = exports.export_spec("leases")
    rnd = random.Random(7)  # noqa: S311 - made-up data
    streets = ["Ågade", "Nørrebrogade", "Vesterbrogade", "Søndre Fasanvej", "Æblevej"]
    utility = [c.value for c in UtilityPayment]
    makers = {
        "number": lambda i: f"{1000 + i // 50}-{i % 50:04d}",
        "unit__entrance__street_name": lambda i: rnd.choice(streets),
        "unit__entrance__house_number": lambda i: str(rnd.randint(1, 120)),
        "unit__floor": lambda i: rnd.choice(["st", "1", "2", "3", ""]),
        "unit__door": lambda i: rnd.choice(["th", "tv", "mf", ""]),
        "unit__entrance__postcode": lambda i: rnd.choice(["2200", "8000", "5000"]),
        "unit__entrance__city": lambda i: rnd.choice(["København N", "Aarhus C", "Odense C"]),
        "holder_type": lambda i: rnd.choice([c.value for c in HolderType]),
        "status": lambda i: rnd.choice([c.value for c in LeaseStatus]),
        "start_date": lambda i: date(1990, 1, 1) + timedelta(days=rnd.randint(0, 12000)),
        "end_date": lambda i: None if rnd.random() < 0.8 else date(2025, 6, 30),
        "rent": lambda i: Decimal(rnd.randint(300000, 1500000)) / 100,
        "special_payments": lambda i: Decimal("0.00"),
        "heating_aconto": lambda i: Decimal(rnd.randint(20000, 90000)) / 100,
        "water_aconto": lambda i: Decimal(rnd.randint(10000, 40000)) / 100,
        "electricity": lambda i: rnd.choice(utility),
        "water": lambda i: rnd.choice(utility),
        "drainage": lambda i: rnd.choice(utility),
        "heating": lambda i: rnd.choice(utility),
        "heating_form": lambda i: rnd.choice([c.value for c in HeatingForm]),
    }
    parties = ["Anne Andersen", "Bo Beskyttet (beskyttet)", "Åse Ørum, Jens Hansen"]
    raw = [
        (*(makers.get(f, lambda i: rnd.random() < 0.3)(i) for f in spec.fields), parties[i % 3])
        for i in range(n)
    ]
    getters = [c.value for c in spec.columns]
    values = [tuple(g(r) for g in getters) for r in raw]
    return spec.title, spec.columns, values


def _bare(path, title, columns, values) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title)
    ws.append([c.header for c in columns])
    for row in values:
        ws.append(row)
    wb.save(path)


def _core_excel(module, **options):
    def write(path, title, columns, values):
        from dataclasses import replace

        cols = [replace(c, value=itemgetter(i)) for i, c in enumerate(columns)]
        if module.__name__ != "core.excel":
            cols = [module.Column(c.header, c.value, c.kind, c.width) for c in cols]
        with open(path, "wb") as fileobj:
            module.write_xlsx(fileobj, title=title, columns=cols, rows=values, **options)

    return write


def _previous(rev: str):
    source = subprocess.run(  # noqa: S603
        ["git", "show", f"{rev}:core/excel.py"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("excel_previous")
    exec(compile(source, f"{rev}:core/excel.py", "exec"), module.__dict__)  # noqa: S102
    return module


def _xlsxwriter(path, title, columns, values) -> None:
    """XlsxWriter with our formats and guards: text is always a string (never a formula
    or a link), dates and amounts get their formats, characters XML cannot hold go."""
    from datetime import datetime

    import xlsxwriter

    from core.excel import FORMATS

    wb = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    ws = wb.add_worksheet(title[:31])
    formats = {kind: wb.add_format({"num_format": code}) for kind, code in FORMATS.items()}
    bold = wb.add_format({"bold": True})
    col_formats = [formats[c.kind] if c.kind != "text" else None for c in columns]
    for i, c in enumerate(columns):
        ws.set_column(i, i, c.width)
        ws.write_string(0, i, c.header, bold)
    ws.freeze_panes(1, 0)
    write_string, write_number = ws.write_string, ws.write_number
    write_datetime = ws.write_datetime
    date_fmt, datetime_fmt = formats["date"], formats["datetime"]
    for r, row in enumerate(values, 1):
        for c, (fmt, value) in enumerate(zip(col_formats, row, strict=True)):
            cls = value.__class__
            if cls is str:
                if value:
                    if ILLEGAL.search(value):
                        value = ILLEGAL.sub("", value)
                    write_string(r, c, value)
            elif value is None:
                continue
            elif cls is Decimal or cls is int or cls is float:
                if value.is_finite() if cls is Decimal else value == value:
                    write_number(r, c, value, fmt)
            elif cls is date or cls is datetime:
                write_datetime(r, c, value, datetime_fmt if cls is datetime else date_fmt)
            else:
                write_string(r, c, str(value))
    wb.close()


def _child(name: str, rows: int, previous: str | None) -> None:
    _setup_django()
    from openpyxl.xml import LXML

    title, columns, values = _lease_rows(rows)
    if name.startswith("bare"):
        write = _bare
    elif name.startswith("previous"):
        write = _core_excel(_previous(previous))
    elif name == "xlsxwriter":
        write = _xlsxwriter
    else:
        import core.excel

        # Level 6 is openpyxl's and XlsxWriter's: what our smaller files would cost.
        write = _core_excel(core.excel, compresslevel=6 if name == "ours-level6" else 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        wall, cpu = time.perf_counter(), time.process_time()
        write(str(path), title, columns, values)
        result = {
            "seconds": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "bytes": path.stat().st_size,
            "lxml": LXML,
        }
    print(json.dumps(result))


def _run(name: str, rows: int, previous: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--rows", str(rows)]
    if previous:
        cmd += ["--previous", previous]
    env = {**os.environ, "OPENPYXL_LXML": CANDIDATES[name][1]}
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=65000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--previous", help="also time core/excel.py of this git revision")
    parser.add_argument("--only", nargs="*", help="candidates to run (default: all)")
    parser.add_argument("--child", choices=CANDIDATES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rows, args.previous)
        return

    names = [n for n in args.only or CANDIDATES if args.previous or "previous" not in n]
    if importlib.util.find_spec("lxml") is None:
        print("lxml is not installed: the lxml runs are skipped")
        names = [n for n in names if not n.endswith("-lxml")]
    if "bare" not in names:
        names.insert(0, "bare")
    load_before = os.getloadavg()
    print(
        f"Excel writers: {args.rows:,} lease rows x 21 columns, best of {args.rounds} "
        f"interleaved rounds, one child process each; load average {_load(load_before)}"
    )
    results: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            results[name].append(_run(name, args.rows, args.previous))
    best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in results.items()}
    base = best["bare"]
    print(
        f"  {'candidate':<36} {'wall s':>7} {'cpu s':>7} {'cpu s/1k rows':>13} "
        f"{'x bare wall':>11} {'x bare cpu':>10} {'MB':>6}  lxml"
    )
    for name, r in best.items():
        print(
            f"  {CANDIDATES[name][0]:<36} {r['seconds']:7.2f} {r['cpu']:7.2f} "
            f"{r['cpu'] / args.rows * 1000:13.4f} {base['seconds'] / r['seconds']:11.2f} "
            f"{base['cpu'] / r['cpu']:10.2f} {r['bytes'] / 1e6:6.1f}  {r['lxml']}"
        )
    print(f"  load average after: {_load(os.getloadavg())}")


def _load(avg) -> str:
    return " ".join(f"{x:.2f}" for x in avg)


if __name__ == "__main__":
    main()
