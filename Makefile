# Civic: `make run` serves the portal with its demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test lint messages openapi bench bench-scale clean-var verify-trail

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.requirements $@

run: $(VENV)/.requirements
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --if-empty
	@DEBUG=$${DEBUG:-1} $(PY) manage.py portal_banner --host "$(HOST)" --port "$(PORT)"
	DEBUG=$${DEBUG:-1} CIVIC_ADDR="$(HOST):$(PORT)" $(PY) bin/honcho-dev -f Procfile.dev start

# Check every topic's hash chain. DEBUG defaults to 1 as for `make run` (no SECRET_KEY
# needed); a production environment (DEBUG=0, SECRET_KEY, DATABASE_URL) is used as it is.
verify-trail: $(VENV)/.requirements
	DEBUG=$${DEBUG:-1} $(PY) manage.py verify_trail

test: $(VENV)/.requirements-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (rules and formatting in pyproject.toml), import-linter (the layers, pyproject.toml) and
# bandit (medium and high severity; what is safe carries `# nosec BXXX  # reason` where it stands).
lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -c pyproject.toml -r . -ll -q

# Rebuild both translation catalogues after changing user-facing text.
messages: $(VENV)/.requirements-dev
	DEBUG=1 $(PY) manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "var/*" --ignore "staticfiles/*" --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages --ignore ".venv/*"

# Write the API's OpenAPI schema to docs/openapi.json (README: API); commit it with the change.
openapi: $(VENV)/.requirements
	DEBUG=1 $(PY) manage.py openapi

# Load test under gunicorn on PostgreSQL and Redis (README: Benchmarks); needs wrk.
# DATABASE_URL and REDIS_URL default to civic_bench and Redis db 3; BENCH_ARGS adds options.
bench: $(VENV)/.requirements
	$(PY) bench/web.py $(BENCH_ARGS)

# The same with two gunicorn processes (3 workers each) and two Celery workers, then the notice fan-out
# with one worker and with two (README: Running at scale).
bench-scale: $(VENV)/.requirements
	$(PY) bench/web.py --web-processes 2 --gunicorn-workers 3 --celery-workers 2 --fan-out 1,2 $(BENCH_ARGS)

clean-var:
	rm -rf var/
