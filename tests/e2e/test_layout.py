"""Every HTML page, as every role, in headless Chromium (issue 11, item 4).

The pages are found by walking the URL resolver (tests.security.test_headers.walk, the
same discovery as the header check), so a page added later is visited too. A route's path
parameters are filled from a small world built here (a lease with its filing and UDK
task, a CPR lookup and a scan, a rehousing, a contact, an export job). Each page fails on:

- a horizontal overflow of the page;
- text overflowing its box (an element whose content is wider than the element and is not
  a scroll container);
- overlapping labels (two text elements drawn over each other);
- an untranslated English word on the Danish page;
- a page without a <title> of its own (the base template's "Forside" on another page);
- a console error or an uncaught exception (a CSP violation is a console error).

A screenshot of every page is kept in var/screenshots/layout/ (not committed; CI keeps it
as an artefact).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import BuildingFactory, MembershipFactory, make_person
from tests.security.test_headers import walk

ROLES = ("caseworker", "cpr_officer", "org_admin")
# Not pages: POST-only actions, downloads, fragments htmx swaps in, logging out, the API.
SKIP_PREFIXES = ("admin:", "api", "rent-", "logout", "set_language", "healthz", "two_factor_qr")
SKIP_NAMES = {
    "password_reset_confirm",
    "tenancy:export",
    "tenancy:export_job_status",
    "tenancy:export_job_file",
    "tenancy:person_picker",
    "tenancy:organisation_switch",
    "cprlookup:scan_progress",
    "cprlookup:lookup_excel",
    "cprlookup:lookup_cpr_excel",
    "waitlist:payment_webhook",
    "waitlist:print_batch_download",
}

# English words that must not reach a Danish page (whole words, case-sensitive).
ENGLISH = re.compile(
    r"\b(None|True|False|Created|Updated|Submit|Save|Delete|Cancel|Search|Download|Loading|"
    r"Error|Select|Unknown|required|This field|Enter a|Page not found|Next|Previous|Yes|"
    r"Username|Password|results?|Filter|Log out|Log in|Home|Settings|Show|Hide|administration)\b"
)

CHECKS_JS = r"""
() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`horizontal overflow: page is ${document.documentElement.scrollWidth}px in ${vw}px`);
  }
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (el.closest('.visually-hidden, [hidden], [aria-hidden="true"], .search-popup')) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = (el) => {
    const text = (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.className ? ' class="' + el.className + '"' : ''}> "${text}"`;
  };
  // Text overflowing its box: block-level boxes whose content is wider than they are and
  // that do not scroll it (a table inside .table-wrap scrolls on purpose).
  const blocks = document.querySelectorAll(
    'main p, main li, main dt, main dd, main td, main th, main h1, main h2, main h3, main label, ' +
    'main .btn, main .badge, main .card, main .stat, .side-nav a, .site-header .user-name'
  );
  for (const el of blocks) {
    if (!visible(el) || el.closest('.table-wrap, svg, pre, textarea')) continue;
    const s = getComputedStyle(el);
    if (s.overflowX === 'auto' || s.overflowX === 'scroll') continue;
    if (el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0) {
      problems.push(`text overflows its box (${el.scrollWidth}px in ${el.clientWidth}px): ${name(el)}`);
    }
  }
  // Overlapping labels: leaf text boxes drawn over each other.
  const leaves = [...document.querySelectorAll(
    'main dt, main dd, main label, main th, main td, main .badge, main .btn, main h1, main h2, main h3, main figcaption'
  )].filter(visible);
  const rects = leaves.map((el) => el.getBoundingClientRect());
  for (let i = 0; i < leaves.length; i++) {
    for (let j = i + 1; j < leaves.length; j++) {
      const a = rects[i], b = rects[j];
      if (leaves[i].contains(leaves[j]) || leaves[j].contains(leaves[i])) continue;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) {
        problems.push(`overlap: ${name(leaves[i])} and ${name(leaves[j])}`);
        if (problems.length > 20) return {problems, text: ''};
      }
    }
  }
  // Chart text too small to read: an SVG chart scaled down below 9 px type.
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.viewBox.baseVal;
    const shown = svg.getBoundingClientRect().width;
    if (box && box.width && shown && (shown / box.width) * 11 < 9) {
      problems.push(`chart text too small (${Math.round(shown)}px for ${box.width}): ${svg.querySelector('title')?.textContent}`);
    }
  }
  // Words broken in the middle ("Huslejeænd ring"): a word drawn on two lines. Breaking after
  // a hyphen or a slash is fine; ids and e-mail addresses (.mono, links to mailto) may break.
  const range = document.createRange();
  let words = 0;
  const textWalker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  for (let node = textWalker.nextNode(); node && words < 4000; node = textWalker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, select, option, textarea, .mono, svg, input') || !visible(parent)) continue;
    const re = /[^\s\-\/]+[\-\/]?/g;
    let m;
    while ((m = re.exec(node.textContent)) && words < 4000) {
      words++;
      if (m[0].length < 4) continue;
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) problems.push(`word broken over two lines: "${m[0]}" in ${name(parent)}`);
    }
  }
  // The visible Danish text (not the language switcher's "English", not form values).
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, select, option, textarea, .mono, svg')) continue;
    const lang = parent.closest('[lang]');
    if (lang && !lang.lang.startsWith('da')) continue;
    if (!visible(parent)) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    parts.push(el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '', el.getAttribute('title') || '');
  }
  return {problems, text: parts.join(' ')};
}
"""


@pytest.fixture
def world(organisation):
    """One of everything a detail page can show, in the organisation all roles work in."""
    from cprlookup.models import CprLookup, ScanJob, ScanStatus
    from rentregister.models import NotificationContact, Rehousing, UdkTask
    from tenancy import services
    from tenancy.models import ExportJob

    users = {
        role: MembershipFactory(
            organisation=organisation,
            role=role,
            user__first_name=first,
            user__last_name="Testesen",
        ).user
        for role, first in zip(ROLES, ("Sara", "Carl", "Anne"), strict=True)
    }
    building = BuildingFactory(property__organisation=organisation, property__name="Strandparken")
    entrance = services.entrance_create(
        building=building,
        street_name="Strandvejen",
        house_number="12",
        postcode="2900",
        road_code="0701",
        city="Hellerup",
        municipality_code="0157",
    )
    unit = services.unit_create(
        entrance=entrance, floor="2", door="tv", area_m2=Decimal("72.5"), rooms=3
    )
    services.unit_create(entrance=entrance, floor="st", door="th", area_m2=Decimal("55"), rooms=2)
    person = make_person(organisation, name="Karen Bygballe-Kristoffersen", cpr="1705801234")
    lease = services.lease_create(
        unit=unit,
        parties=[person],
        start_date=date(2020, 1, 1),
        rent=Decimal("7808"),
        actor=users["caseworker"],
    )
    filing = lease.rent_filings.order_by("pk").first()
    task = UdkTask.objects.create(
        organisation=organisation,
        lease=lease,
        filing=filing,
        kind="correction",
        recipient="Udbetaling Danmark",
        subject=f"Rettelse af fejlindberetning for lejemål {lease.number}",
        message="Husleje før: 7.808,00 kr.\nHusleje efter: 8.000,00 kr.",
    )
    job = ScanJob.objects.create(
        organisation=organisation,
        started_by=users["cpr_officer"],
        scheduled=False,
        status=ScanStatus.DONE,
        total=1,
        done=1,
        finished_at=timezone.now(),
    )
    lookup = CprLookup.objects.create(
        id=uuid.uuid4(),
        organisation=organisation,
        user=users["cpr_officer"],
        source="scan",
        target_kind="entrance",
        target_label=entrance.address,
        entrance=entrance,
        owner_cvr=organisation.cvr,
        purpose="Manuel scanning nr. 1",
        outcome="ok",
        reached_service=True,
        scan_job=job,
    )
    rehousing = Rehousing.objects.create(
        organisation=organisation,
        lease=lease,
        kind="temporary",
        placement="inside",
        start_date=timezone.localdate() - timedelta(days=10),
        created_by=users["caseworker"],
    )
    contact = NotificationContact.objects.create(
        organisation=organisation, name="Hanne Kontakt", email="hanne@example.com"
    )
    export = ExportJob.objects.create(
        user=users["caseworker"], organisation=organisation, kind="units"
    )
    objects = {
        "unit": unit,
        "entrance": entrance,
        "property": building.property,
        "person": person,
        "lease": lease,
        "filing": filing,
        "task": task,
        "lookup": lookup,
        "scan": job,
        "rehousing": rehousing,
        "contact": contact,
        "export": export,
    }
    return users, objects


def _fill(name: str, params: list[str], objects: dict) -> str | None:
    """The path of a route, its parameters from the object its name is about."""
    if "format" in params or name in SKIP_NAMES or name.startswith(SKIP_PREFIXES):
        return None
    short = name.rsplit(":", 1)[-1]
    subject = short.split("_")[0]
    kwargs = {}
    for param in params:
        key = param.removesuffix("_pk").removesuffix("_id")
        obj = objects.get(subject if key == "pk" else key)
        if obj is None:
            return None
        kwargs[param] = obj.pk
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def html_pages(client: Client, objects: dict) -> list[tuple[str, str]]:
    """(route name, path) of every route that answers this user's GET with a whole page."""
    pages = []
    for name, params in walk():
        path = _fill(name, params, objects)
        if path is None:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if b"<html" not in response.content[:400]:
            continue  # an htmx fragment
        pages.append((name, path))
    return pages


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def check_page(page, name: str, path: str, role: str, errors: list[str]) -> list[str]:
    """Visit one page; the problems found on it."""
    errors.clear()
    page.goto(path)
    page.wait_for_load_state("load")
    out = SCREENSHOTS / "layout"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{role}-{name.replace(':', '-')}.png"), full_page=True)
    found = page.evaluate(CHECKS_JS)
    problems = list(found["problems"])
    english = sorted(set(ENGLISH.findall(found["text"])))
    if english:
        problems.append(f"English on the Danish page: {', '.join(english)}")
    title = page.title().strip()
    if not title or (title.startswith("Forside ·") and name != "tenancy:dashboard"):
        problems.append(f"no <title> of its own: {title!r}")
    problems.extend(errors)
    return [f"{role} {path} ({name}): {p}" for p in problems]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_danish_and_unbroken(page, live_server, world, role):
    users, objects = world
    user = users[role]
    client = Client()
    client.force_login(user)
    pages = html_pages(client, objects)
    assert len(pages) >= 25, pages  # the discovery found the product's pages
    _login(page, live_server, user)
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} for {r.url}") if r.status >= 400 else None,
    )
    failures = []
    for name, path in pages:
        failures.extend(check_page(page, name, path, role, errors))
    assert not failures, "\n".join(failures)


def test_the_checks_catch_what_they_are_for(page, live_server, world):
    """The checks fail a page that has each fault (so a green run means something)."""
    users, _objects = world
    _login(page, live_server, users["caseworker"])
    page.goto(reverse("tenancy:dashboard"))
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<div class="card"><dl class="facts"><dt>Label</dt><dd>Value</dd></dl>' +
            '<p class="badge">None</p></div>');
          const dt = main.querySelector('dl.facts dt');
          dt.setAttribute('class', 'overlap-me');
          const sheet = new CSSStyleSheet();
          sheet.replaceSync('.overlap-me { margin-right: -20rem; } main { min-width: 3000px; }');
          document.adoptedStyleSheets = [sheet];
        }"""
    )
    found = page.evaluate(CHECKS_JS)
    joined = "\n".join(found["problems"])
    assert "horizontal overflow" in joined
    assert ENGLISH.search(found["text"])
