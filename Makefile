# Helpline: `make run` serves a demo on http://127.0.0.1:$(PORT); `make test` runs the suite.
# Only python3 and make are assumed; everything else is installed from the lock files.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run install install-dev messages test test-browser check lint format typecheck migrations-check \
        messages-check lock system-deps-browser system-deps-sms clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

# Compiled catalogues are build output (not committed): made from locale/*/LC_MESSAGES/*.po.
messages: install
	HELPLINE_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

run: install messages
	@export HELPLINE_DEBUG=1 HELPLINE_DEMO=1 HELPLINE_HTTPS=0; \
	$(BIN)/python manage.py migrate --noinput -v 0 && \
	$(BIN)/python manage.py seed_demo && \
	exec $(BIN)/python manage.py serve --port $(PORT)

test: install-dev messages
	$(BIN)/pytest -m "not browser and not kannel" $(PYTEST_ARGS)

# Browser tests need Debian's chromium (installed by `make system-deps-browser`, as root).
test-browser: install-dev messages
	$(BIN)/pytest -m browser -p no:xdist $(PYTEST_ARGS)

check: install-dev messages-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HELPLINE_DEBUG=1 $(BIN)/mypy
	HELPLINE_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

messages-check: install
	@for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check-format --check-header -o /dev/null $$po || exit 1; done
	HELPLINE_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# Regenerate the lock files after editing requirements/*.in.
lock: install-dev
	$(BIN)/pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o base.txt base.in
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o dev.txt dev.in

# Update the message catalogues from the source (then translate the new Khmer entries).
makemessages: install
	HELPLINE_DEBUG=1 $(BIN)/python manage.py makemessages -l km -l en --ignore=.venv --ignore=var --no-obsolete

system-deps-browser:
	@command -v chromium >/dev/null && fc-list | grep -qi khmer || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-khmeros >/dev/null)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
