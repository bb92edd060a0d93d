"""Names, streets and identifier helpers for the demo and scale seed commands.

Everything here is pure data or pure functions of a `random.Random`, so both commands are
deterministic for a given seed. Streets, postcodes and municipality codes are real; road
codes, DAR/BBR ids and all people are invented.
"""

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum.dk import cpr as stdnum_cpr
from stdnum.dk import cvr as stdnum_cvr

DEMO_PASSWORD = "demo"  # noqa: S105 - demo users only, printed on start-up

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


# --- identifiers ------------------------------------------------------------------------


def cvr_from_base(base: int) -> str:
    """The first valid CVR number (mod 11) at or after the 7-digit `base`."""
    for stem in range(base, 10_000_000):
        digits = [int(d) for d in f"{stem:07d}"]
        check = -sum(w * d for w, d in zip(CVR_WEIGHTS, digits, strict=False)) % 11
        if check == 10 or digits[0] == 0:
            continue
        number = f"{stem:07d}{check}"
        stdnum_cvr.validate(number)
        return number
    raise ValueError(base)


def cpr_passes_modulus11(cpr: str) -> bool:
    """Informational only: numbers issued since 2007 may fail it and are still valid."""
    return sum(w * int(d) for w, d in zip(CPR_WEIGHTS, cpr, strict=True)) % 11 == 0


def century_digits(birth: date) -> tuple[int, ...]:
    """7th CPR digits that encode the birth year's century (docs/interfaces.md, CPR)."""
    yy = birth.year % 100
    if birth.year < 1900 or birth.year > 2057:
        raise ValueError(birth)
    if birth.year < 2000:
        return (0, 1, 2, 3) + ((4, 9) if yy >= 37 else ())
    return (4, 9, 5, 6, 7, 8) if yy <= 36 else (5, 6, 7, 8)


def make_cpr(rng: random.Random, birth: date, *, male: bool, modulus11: bool = True) -> str:
    """A date-valid CPR number for `birth`; odd last digit for men. With modulus11=False the
    number deliberately fails the old checksum (as many numbers issued since 2007 do)."""
    centuries = century_digits(birth)
    if birth.year >= 2000:
        centuries = centuries[:1]  # keep 2000s births on 4, the common choice
    while True:
        last = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        serial = f"{rng.choice(centuries)}{rng.randrange(100):02d}{last}"
        cpr = f"{birth:%d%m%y}{serial}"
        if cpr_passes_modulus11(cpr) == modulus11:
            stdnum_cpr.validate(cpr)
            return cpr


def seeded_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def month_end_before(d: date) -> date:
    """The last day of the month before `d`'s month."""
    return d.replace(day=1) - timedelta(days=1)


# --- people -----------------------------------------------------------------------------

FEMALE_NAMES = [
    "Anne", "Kirsten", "Hanne", "Mette", "Anna", "Helle", "Susanne", "Lene", "Maria",
    "Marianne", "Inge", "Karen", "Lone", "Bente", "Camilla", "Pia", "Louise", "Charlotte",
    "Jette", "Tina", "Sofie", "Emma", "Ida", "Freja", "Clara", "Laura", "Signe", "Julie",
    "Cecilie", "Nanna", "Maja", "Aya", "Fatima", "Zainab", "Amina", "Leyla", "Agnieszka",
    "Birgitte", "Rikke", "Dorthe",
]  # fmt: skip
MALE_NAMES = [
    "Peter", "Jens", "Lars", "Michael", "Henrik", "Thomas", "Søren", "Jan", "Niels",
    "Christian", "Martin", "Anders", "Morten", "Jesper", "Mads", "Rasmus", "Per", "Hans",
    "Ole", "Kim", "Jørgen", "Frederik", "Mikkel", "Oliver", "William", "Noah", "Lucas",
    "Emil", "Magnus", "Victor", "Ali", "Mohammed", "Omar", "Ahmad", "Mehmet", "Tomasz",
    "Bo", "Torben", "Kasper", "Erik",
]  # fmt: skip
MIDDLE_NAMES = ["Marie", "Louise", "Kristian", "Juul", "Bach", "Lykke", "Møller", "Skov"]
LAST_NAMES = [
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
    "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
    "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen",
    "Jakobsen", "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen", "Lund",
    "Schmidt", "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen",
    "Andreasen", "Iversen", "Jeppesen", "Mogensen", "Kjær", "Dahl", "Østergaard", "Bech",
    "Vestergaard", "Ahmed", "Yilmaz", "Ali", "Hussein", "Nguyen", "Kowalski",
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def random_name(rng: random.Random, *, male: bool, last_name: str | None = None) -> str:
    first = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
    parts = [first]
    if rng.random() < 0.2:
        parts.append(rng.choice(MIDDLE_NAMES))
    parts.append(last_name or rng.choice(LAST_NAMES))
    return " ".join(parts)


def email_for(name: str, n: int, domain: str) -> str:
    """An address on a reserved example domain: the demo must never mail real people."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_ASCII))
    local = ".".join(ascii_name.encode("ascii", "ignore").decode().lower().split())
    return f"{local}{n}@{domain}"


def random_phone(rng: random.Random) -> str:
    digits = f"{rng.choice('2345678')}{rng.randrange(10_000_000):07d}"
    return " ".join(digits[i : i + 2] for i in range(0, 8, 2))


# --- portfolio --------------------------------------------------------------------------

# Floor/door layouts of a stairwell (DAR formats: st, kl, 1-99; tv/th/mf or numbered doors).
LAYOUTS: dict[str, list[tuple[str, str]]] = {
    "4x2": [(f, d) for f in ("st", "1", "2", "3") for d in ("tv", "th")],
    "5x2": [(f, d) for f in ("st", "1", "2", "3", "4") for d in ("tv", "th")],
    "6x2": [(f, d) for f in ("st", "1", "2", "3", "4", "5") for d in ("tv", "th")],
    "3x3": [(f, d) for f in ("st", "1", "2") for d in ("tv", "mf", "th")],
    "4x2kl": [("kl", "")] + [(f, d) for f in ("st", "1", "2", "3") for d in ("tv", "th")],
    "2x2": [(f, d) for f in ("st", "1") for d in ("tv", "th")],
    # Student housing: numbered doors along a corridor.
    "student": [(f, str(n)) for f in ("1", "2", "3") for n in range(1, 5)],
}


@dataclass(frozen=True)
class Street:
    name: str
    road_code: str
    postcode: str
    city: str
    municipality_code: str


@dataclass(frozen=True)
class DemoDepartment:
    number: str
    name: str
    street: Street
    house_numbers: tuple[str, ...]
    layout: str
    student: bool = False
    extra: tuple[tuple[Street, tuple[str, ...], str], ...] = ()


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    cvr: str
    kind: str
    cpr_since: date | None
    departments: tuple[DemoDepartment, ...] = field(default_factory=tuple)


KBH = "0101"
FRB = "0147"
AAR = "0751"
ODE = "0461"

NOERREBROGADE = Street("Nørrebrogade", "5120", "2200", "København N", KBH)
JAGTVEJ = Street("Jagtvej", "3496", "2200", "København N", KBH)
AMAGERBROGADE = Street("Amagerbrogade", "0132", "2300", "København S", KBH)
HOLMBLADSGADE = Street("Holmbladsgade", "3272", "2300", "København S", KBH)
FREDERIKSSUNDSVEJ = Street("Frederikssundsvej", "2336", "2400", "København NV", KBH)
TOMSGAARDSVEJ = Street("Tomsgårdsvej", "7684", "2400", "København NV", KBH)
SYDHAVNSGADE = Street("Sydhavnsgade", "7416", "2450", "København SV", KBH)
VALBY_LANGGADE = Street("Valby Langgade", "8028", "2500", "Valby", KBH)
GUDRUNSVEJ = Street("Gudrunsvej", "2744", "8220", "Brabrand", AAR)
KB_BOULEVARD = Street("Karen Blixens Boulevard", "3815", "8220", "Brabrand", AAR)
TROEJBORGVEJ = Street("Trøjborgvej", "7880", "8200", "Aarhus N", AAR)
JAEGERGAARDSGADE = Street("Jægergårdsgade", "3622", "8000", "Aarhus C", AAR)
VOLLSMOSE_ALLE = Street("Vollsmose Allé", "8512", "5240", "Odense NØ", ODE)
BOEGEPARKEN = Street("Bøgeparken", "1120", "5240", "Odense NØ", ODE)
MUNKERISVEJ = Street("Munkerisvej", "5410", "5230", "Odense M", ODE)
NIELS_BOHRS_ALLE = Street("Niels Bohrs Allé", "5566", "5230", "Odense M", ODE)
GODTHAABSVEJ = Street("Godthåbsvej", "0612", "2000", "Frederiksberg", FRB)


def _numbers(*numbers) -> tuple[str, ...]:
    return tuple(str(n) for n in numbers)


DEMO_ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        key="a",
        name="Boligselskabet Nørrevang",
        cvr=cvr_from_base(3419872),
        kind="almen",
        cpr_since=date(2019, 3, 1),
        departments=(
            DemoDepartment(
                "101",
                "Nørrevang",
                NOERREBROGADE,
                _numbers(160, 162, 164, 166),
                "5x2",
                extra=((JAGTVEJ, _numbers(101, 103), "4x2"),),
            ),
            DemoDepartment(
                "102",
                "Amagerparken",
                AMAGERBROGADE,
                _numbers(201, 203, 205, 207),
                "4x2",
                extra=((HOLMBLADSGADE, _numbers(70, 72), "3x3"),),
            ),
            DemoDepartment(
                "103",
                "Bispebjerg Have",
                FREDERIKSSUNDSVEJ,
                _numbers(150, 152, 154),
                "4x2",
                extra=((TOMSGAARDSVEJ, _numbers(20, "22A", "22B"), "3x3"),),
            ),
            DemoDepartment(
                "104", "Sydhavn Kollegiet", SYDHAVNSGADE, _numbers(12, 14), "student", student=True
            ),
            DemoDepartment("105", "Valby Bakke", VALBY_LANGGADE, _numbers(80, 82, 84), "4x2"),
        ),
    ),
    DemoOrganisation(
        key="b",
        name="Østjysk-Fynsk Almenbolig",
        cvr=cvr_from_base(2674115),
        kind="almen",
        cpr_since=date(2021, 9, 15),
        departments=(
            DemoDepartment(
                "201",
                "Gellerup Øst",
                GUDRUNSVEJ,
                _numbers(10, 12, 14, 16),
                "4x2kl",
                extra=((KB_BOULEVARD, _numbers(20, 22), "5x2"),),
            ),
            DemoDepartment("202", "Trøjborg", TROEJBORGVEJ, _numbers(30, 32, 34), "4x2"),
            DemoDepartment("203", "Frederiksbjerg", JAEGERGAARDSGADE, _numbers(60, 62, 64), "3x3"),
            DemoDepartment(
                "204",
                "Vollsmose Parken",
                VOLLSMOSE_ALLE,
                _numbers(2, 4, 6, 8),
                "4x2",
                extra=((BOEGEPARKEN, _numbers(5, 7), "3x3"),),
            ),
            DemoDepartment("205", "Munkebjerg", MUNKERISVEJ, _numbers(110, 112, 114), "4x2"),
            DemoDepartment(
                "206", "Campus Odense", NIELS_BOHRS_ALLE, _numbers(150), "student", student=True
            ),
        ),
    ),
    DemoOrganisation(
        key="p",
        name="Ejendomsselskabet Holm ApS",
        cvr=cvr_from_base(3890541),
        kind="private",
        cpr_since=None,
        departments=(DemoDepartment("1", "Godthåbsvej", GODTHAABSVEJ, _numbers(40, 42), "2x2"),),
    ),
)

SCALE_ORGANISATION_NAME = "Landsdækkende Boligselskab (skala)"
SCALE_CVR = cvr_from_base(4102938)

# Municipalities for the scale portfolio: (code, postcode, city). Road codes from 9000 up are
# reserved for it, so it never collides with the demo's addresses.
SCALE_MUNICIPALITIES = [
    ("0101", "2400", "København NV"),
    ("0147", "2000", "Frederiksberg"),
    ("0167", "2650", "Hvidovre"),
    ("0169", "2630", "Taastrup"),
    ("0175", "2610", "Rødovre"),
    ("0183", "2620", "Albertslund"),
    ("0187", "2665", "Vallensbæk Strand"),
    ("0265", "4000", "Roskilde"),
    ("0330", "4200", "Slagelse"),
    ("0370", "4700", "Næstved"),
    ("0461", "5220", "Odense SØ"),
    ("0561", "6700", "Esbjerg"),
    ("0607", "7000", "Fredericia"),
    ("0615", "8700", "Horsens"),
    ("0621", "6000", "Kolding"),
    ("0630", "7100", "Vejle"),
    ("0657", "7400", "Herning"),
    ("0730", "8900", "Randers"),
    ("0751", "8210", "Aarhus V"),
    ("0791", "8800", "Viborg"),
    ("0851", "9000", "Aalborg"),
]
SCALE_STREET_STEMS = [
    "Birke", "Bøge", "Ege", "Ahorn", "Elme", "Lind", "Pile", "Gran", "Fyrre", "Hassel",
    "Rose", "Syren", "Tjørne", "Kastanie", "Hyld", "Æble", "Kirsebær", "Valmue", "Kløver",
    "Lærke", "Svane", "Stær", "Ugle", "Måge", "Vibe", "Engs", "Mose", "Skov", "Sø", "Bakke",
]  # fmt: skip
SCALE_STREET_SUFFIXES = ["vej", "parken", "haven", "gade", "allé", "stien", "toften", "vænget"]
