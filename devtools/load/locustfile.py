# ruff: noqa: S311 - load-test choices, not cryptography
"""Locust scenario for `manage.py load_bench`: caseworkers on the seed_scale portfolio.

Each simulated caseworker logs in once (its own user, load01..loadNN, password "demo") and
then mixes what a caseworker does all day: list pages (filtered and paged), detail pages,
the search box (POST, as the header search sends it) and small Excel downloads (one
postcode's units). Ids and search terms come from LOAD_FIXTURE (a JSON file the command
writes from the database). Run only through the command (it starts gunicorn first)."""

import json
import os
import random
import re
from itertools import count

import requests
from locust import HttpUser, between, task

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"]).read())  # noqa: SIM115 - read once
_numbers = count(1)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Caseworker(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        number = next(_numbers)
        username = f"load{(number - 1) % FIXTURE['users'] + 1:02d}"
        # Logged in outside locust's statistics: password hashing is slow by design, and
        # the measure is the caseworker's day, not the morning log-in.
        session = requests.Session()
        page = session.get(self.host + "/accounts/login/", timeout=300)
        token = _CSRF.search(page.text).group(1)
        session.post(
            self.host + "/accounts/login/",
            {"username": username, "password": "demo", "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            timeout=300,
        )
        self.client.cookies.update(session.cookies)
        self.csrf = session.cookies.get("csrftoken", "")

    @task(6)
    def lists(self) -> None:
        path = random.choice(["/enheder/", "/personer/", "/lejemaal/", "/opgange/", "/ejendomme/"])
        params = random.choice(
            [{}, {"page": random.randint(2, 50)}, {"postcode": random.choice(FIXTURE["postcodes"])}]
        )
        self.client.get(path, params=params, name=path)

    @task(6)
    def details(self) -> None:
        kind, path = random.choice(
            [("units", "/enheder/{}/"), ("people", "/personer/{}/"), ("leases", "/lejemaal/{}/")]
        )
        self.client.get(path.format(random.choice(FIXTURE[kind])), name=path)

    @task(4)
    def search(self) -> None:
        self.client.post(
            "/soeg/",
            {"q": random.choice(FIXTURE["terms"])},
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
            name="/soeg/ (htmx)",
        )

    @task(1)
    def excel(self) -> None:
        entrance = random.choice(FIXTURE["entrances"])
        self.client.get("/eksport/units/", params={"entrance": entrance}, name="/eksport/units/")
