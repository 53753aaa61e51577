# The front door: make install | demo | test | lint | bench
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
PO := $(wildcard src/zhizhi/locale/*/LC_MESSAGES/django.po src/zhizhi/*/locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

.PHONY: install demo test test-all lint messages bench

install: $(VENV)/.installed node_modules/.installed $(MO)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/zhizhi compile_translations

demo: install
	$(BIN)/zhizhi demo --port $(PORT)

# On SQLite by default; on PostgreSQL when DATABASE_URL is set. ZHIZHI_REQUIRE_ALL=1 turns skips into failures.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/zhizhi
	$(BIN)/python manage.py makemigrations --check --dry-run

# Regenerate the zh_Hans catalogue from the sources (developers only; needs GNU gettext).
messages: install
	cd src/zhizhi && ../../$(BIN)/python ../../manage.py makemessages -l zh_Hans --no-obsolete

# Each benchmark with --quick; exit status 2 means "needs a service that is not configured" (e.g. DATABASE_URL).
bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick; rc=$$?; \
	  if [ $$rc -eq 2 ]; then echo "   (skipped: see the message above)"; elif [ $$rc -ne 0 ]; then exit $$rc; fi; done
