# make run: set everything up on a fresh Debian machine and serve on http://127.0.0.1:8000
# make test: set up the same way and run the whole suite (SQLite and PostgreSQL, browser tests)

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app service
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 3
QUEUE_WORKERS ?= 2
SYSTEM_PACKAGES := libreoffice-writer-nogui python3-uno fonts-noto-cjk fonts-dejavu-core \
	poppler-utils qpdf chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-packages venv catalogs services migrate lint messages clean \
	bench bench-forms bench-documents bench-archive bench-imports bench-legacy bench-reports \
	bench-scans

setup: system-packages venv catalogs

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

catalogs: venv
	$(VENV)/bin/pybabel compile -d locales

migrate: setup
	$(FLASK) db upgrade

run: setup migrate
	@$(FLASK) users hint-first-admin
	@echo "Serving on http://$(HOST):$(PORT)/  (queue workers: $(QUEUE_WORKERS); stop with Ctrl-C)"
	@$(VENV)/bin/huey_consumer service.consumer.huey --workers $(QUEUE_WORKERS) --worker-type thread -q & \
	queue=$$!; trap 'kill $$queue 2>/dev/null; wait $$queue 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn -w $(WEB_WORKERS) -b $(HOST):$(PORT) 'service:create_app()' --access-logfile -

# PostgreSQL and Redis run on the developers' and CI machines; start them when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "Starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { \
	  echo "Starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
	    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; }

# ruff (style, broad excepts, annotations) and mypy (types of service/, cached in .mypy_cache
# so a second run checks only what changed; its errors read file:line:column: message [code]).
lint: venv
	$(VENV)/bin/ruff check service tests bench gunicorn.conf.py
	$(VENV)/bin/mypy

test: setup services lint
	REQUIRE_POSTGRES=1 $(VENV)/bin/pytest -q -p no:cacheprovider

bench: bench-forms bench-documents bench-archive bench-imports bench-legacy bench-reports bench-scans

bench-forms: setup services
	$(PY) bench/forms.py --floor
	$(PY) bench/forms.py --floor --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

bench-documents: setup
	$(PY) bench/documents.py --long 2000

bench-archive: setup
	$(PY) bench/archive.py

bench-imports: setup
	$(PY) bench/imports.py

bench-legacy: setup
	$(PY) bench/legacy.py

bench-scans: setup
	$(PY) bench/scans.py --forms 30 --blank 30

bench-reports: setup services
	$(PY) bench/reports.py
	$(PY) bench/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

# Refresh the catalogs after changing UI strings or an annex declaration.
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -o locales/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
