"""A plausible operating plan (driftsplan) for housing-benefit payouts.

Housing benefit is paid in advance on the last banking day of the month before the benefit
month; changes must be filed a few working days before that to count. Banking days skip
weekends and Danish public and bank holidays. Used by the data migration and the
`rent_seed_plan` command; the real plan is edited in admin.

Pure functions (no models), so a migration can import them safely.
"""

from datetime import date, timedelta

CUTOFF_WORKING_DAYS_BEFORE_PAYOUT = 5


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays(year: int) -> set[date]:
    """Danish public holidays plus the bank closing days (Constitution Day, Christmas Eve,
    New Year's Eve). Store Bededag was abolished from 2024."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1),
        easter - timedelta(days=3),  # Skærtorsdag
        easter - timedelta(days=2),  # Langfredag
        easter + timedelta(days=1),  # 2. påskedag
        easter + timedelta(days=39),  # Kristi himmelfartsdag
        easter + timedelta(days=40),  # bank holiday after Ascension
        easter + timedelta(days=50),  # 2. pinsedag
        date(year, 6, 5),
        date(year, 12, 24),
        date(year, 12, 25),
        date(year, 12, 26),
        date(year, 12, 31),
    }
    if year < 2024:
        days.add(easter + timedelta(days=26))  # Store bededag
    return days


def is_banking_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def last_banking_day(year: int, month: int) -> date:
    day = (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    while not is_banking_day(day):
        day -= timedelta(days=1)
    return day


def working_days_before(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        if is_banking_day(day):
            n -= 1
    return day


def plan_for_year(year: int) -> list[tuple[date, date, date]]:
    """(benefit_month, cutoff_date, payout_date) for the payouts made in `year`."""
    rows = []
    for month in range(1, 13):
        payout = last_banking_day(year, month)
        benefit_month = date(year + (month == 12), month % 12 + 1, 1)
        cutoff = working_days_before(payout, CUTOFF_WORKING_DAYS_BEFORE_PAYOUT)
        rows.append((benefit_month, cutoff, payout))
    return rows
