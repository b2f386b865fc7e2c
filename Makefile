# Plateforme Petite Enfance — the two commands of the README, and a few helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8000
PGBOUNCER_PORT ?= 6432
MANAGE := $(BIN)/python manage.py

.PHONY: run prod test install setup lint bench wrk browsers graphviz pgbouncer clean-db

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP) graphviz

## Set up the database, the template and the demo territory, then serve the platform and run the worker.
run: install
	@echo "Serveur web sur http://localhost:$(PORT)/ et worker huey (redémarré s'il s'arrête) — Ctrl-C pour arrêter."
	@PPE_URL_PORT=$(PORT) exec $(MANAGE) run_setup --port $(PORT) --serve 0.0.0.0:$(PORT)

## The production topology on this machine: PgBouncer (transaction pooling) in front of the database, gunicorn
## (2 workers) and 2 huey consumers through it, production settings, static files by whitenoise. Plain HTTP on
## localhost: behind TLS, set SECURE_SSL_REDIRECT, PPE_URL_SCHEME and the cookies' defaults back (README).
PROD_ENV := DJANGO_SETTINGS_MODULE=core.settings.production SECRET_KEY="$$(cat var/prod/secret-key)" \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-.localhost,localhost,127.0.0.1}" SECURE_SSL_REDIRECT=false \
	PPE_SECURE_COOKIES=false PPE_URL_SCHEME=http PPE_URL_PORT=$(PORT)
prod: install pgbouncer
	@mkdir -p var/prod && test -s var/prod/secret-key || (umask 077 && \
	  $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(64))" > var/prod/secret-key)
	@$(PROD_ENV) $(MANAGE) run_prod --port $(PORT) --pgbouncer-port $(PGBOUNCER_PORT)

## Debian's PgBouncer, the connection pooler of `make prod`.
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { \
	  echo "Installation de PgBouncer (Debian) pour make prod…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null) \
	  || { echo "PgBouncer n'a pas pu être installé."; exit 1; }; }

setup: install
	$(MANAGE) run_setup --port $(PORT)

## Lint, layer contracts and the whole test suite (browser tests included).
test: install browsers
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

## Debian's Graphviz (`dot`) draws the workflow diagrams (without it the pages show the diagram as text).
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installation de Graphviz (Debian) pour les diagrammes de workflow…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	  || echo "Graphviz n'a pas pu être installé : les diagrammes seront donnés en texte."; }

## Debian's Chromium for the browser tests (Playwright's own download does not work here), and poppler's
## pdftotext, with which they read the PDF documents they download.
browsers:
	@{ command -v chromium && command -v pdftotext; } >/dev/null 2>&1 || { \
	  echo "Installation de Chromium et pdftotext (Debian) pour les tests navigateur…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) \
	  || echo "Chromium n'a pas pu être installé : les tests navigateur seront ignorés."; }

## Every benchmark on its own database (never the one of make run); BENCH="api scale" for some of them.
bench: install wrk pgbouncer
	$(BIN)/python bench/run.py $(BENCH)

## Debian's wrk, the HTTP load generator of bench/pages.py and bench/api.py.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installation de wrk (Debian) pour les bancs d'essai HTTP…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || { echo "wrk n'a pas pu être installé."; exit 1; }; }

clean-db:
	rm -rf var/pgdata
