# Two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The first Python >= 3.12 that really runs: python3.13, python3.12, then pyenv's.
PYTHON ?= $(shell for c in python3.13 python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: run test lint venv migrate demo clean-var

$(STAMP): requirements/base.txt requirements/dev.txt
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer is needed (python3.13 or python3.12 on PATH)."; \
		echo "       Install it, e.g. 'apt-get install python3.12 python3.12-venv', then rerun."; \
		exit 1; fi
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_users

# Web on :8000, qcluster, and a local SMTP sink on :1025 (Maildir in var/mail).
run: demo
	$(VENV)/bin/honcho start -f Procfile.dev

lint: venv
	$(VENV)/bin/ruff check .

# The project's suite, then the notifications framework's own (its settings come
# from notifications/pytest.ini), with the same PYTEST_ARGS. Exit status 5 (every
# test of a suite deselected by -m) is not a failure.
test: venv lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(VENV)/bin/python -m pytest notifications $(PYTEST_ARGS) || [ $$? -eq 5 ]

clean-var:
	rm -rf var
