# Boligkontor: `make run` starts everything, `make test` runs the whole suite.
# Both do all set-up on a fresh machine (virtualenv, install, .env, migrate).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
TEST_ENV := CELERY_FS_BROKER_DIR=var/test-broker DEVTOOLS=true
# The development-only commands (benchmarks, seeders, gctp_sim_build: the devtools app).
DEV := DEVTOOLS=true

.PHONY: help setup run test test-fast lint typecheck format migrate demo bench browser-deps clean

help:
	@echo "make run    - set up and start web, worker, beat and simulators (http://127.0.0.1:8000)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff check, ruff format --check, makemigrations --check, mypy"
	@echo "make bench  - print performance figures"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

.env: .env.example | $(STAMP)
	$(BIN)/python scripts/make_env.py

setup: $(STAMP) .env

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo
	@# The GCTP simulator plays the CPR register: its population is derived from the portfolio.
	@if [ ! -f var/gctp-sim.json ]; then $(DEV) $(BIN)/python manage.py gctp_sim_build --out var/gctp-sim.json; fi

# Not in debug unless asked (DEBUG=true make run): WhiteNoise serves the collected static files.
run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python scripts/run_all.py

# Debian's Chromium for the browser tests (test tools cannot download browsers here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
			|| echo "Could not install chromium: browser tests will be skipped"; \
		else echo "No /usr/bin/chromium and no root: browser tests will be skipped"; fi; \
	fi

# The whole suite with coverage; the floor (fail_under in pyproject.toml) fails the run.
test: setup browser-deps
	$(TEST_ENV) $(BIN)/python -m pytest --cov --cov-report=term:skip-covered

test-fast: setup
	$(TEST_ENV) $(BIN)/python -m pytest -m "not browser and not integration"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy

typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: migrate
	$(DEV) $(BIN)/python manage.py bench

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/test-broker staticfiles
