"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server.

Skipped when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (CI), then they fail.
"""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser import CHROMIUM  # the shared browser fixture is in tests/conftest.py

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                if os.environ.get("REQUIRE_BROWSER") == "1":
                    item.add_marker(pytest.mark.usefixtures("_require_browser"))
                else:
                    item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed"))


@pytest.fixture
def _require_browser():
    pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")


@pytest.fixture(autouse=True)
def _http_settings(settings):
    """The live server speaks plain HTTP."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_CODE = "da"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="da-DK",
        viewport={"width": 1280, "height": 860},
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def logged_in(page, live_server, caseworker):
    """A page whose browser holds a logged-in session for the caseworker."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(caseworker)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    return page


@pytest.fixture
def strandvejen(organisation):
    """Strandvejen 12 (three units, one with an active lease) and Havnegade 1 in 8000."""
    from tenancy import services
    from tests.factories import BuildingFactory, make_person

    building = BuildingFactory(property__organisation=organisation, property__name="Strandparken")
    common = {"city": "Hellerup", "municipality_code": "0157"}
    e12 = services.entrance_create(
        building=building,
        street_name="Strandvejen",
        house_number="12",
        postcode="2900",
        road_code="0701",
        **common,
    )
    e1 = services.entrance_create(
        building=building,
        street_name="Havnegade",
        house_number="1",
        postcode="8000",
        road_code="0702",
        city="Aarhus C",
        municipality_code="0751",
    )
    units = {}
    for floor, door in (("st", "tv"), ("2", "tv"), ("2", "th")):
        units[f"{floor} {door}"] = services.unit_create(
            entrance=e12, floor=floor, door=door, area_m2=Decimal("72.5"), rooms=3
        )
    units["havn"] = services.unit_create(
        entrance=e1, floor="1", door="tv", area_m2=Decimal("55"), rooms=2
    )
    tenant = make_person(organisation, name="Karen Jensen", cpr="1705801234")
    newcomer = make_person(organisation, name="Peter Nielsen", cpr="0203901234")
    lease = services.lease_create(
        unit=units["2 tv"], parties=[tenant], start_date=date(2020, 1, 1), rent=Decimal("6500")
    )
    return {"units": units, "lease": lease, "tenant": tenant, "newcomer": newcomer}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
