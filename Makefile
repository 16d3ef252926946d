# Helpline: `make run` serves a demo on http://127.0.0.1:$(PORT); `make test` runs the suite.
# Only python3 and make are assumed; everything else is installed from the lock files.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run install install-dev messages test test-browser check lint format typecheck migrations-check \
        messages-check lock security system-deps-fonts system-deps-browser system-deps-sms system-deps-deploy test-kannel bench-sms bench-cases clean

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

# The demo's settings also go to <data dir>/local.env (mode 600), which manage.py reads when the
# environment sets none of its own: `.venv/bin/python manage.py simulate` then works as the README shows.
run: install messages
	@export HELPLINE_DEBUG=1 HELPLINE_DEMO=1 HELPLINE_HTTPS=0; \
	export HELPLINE_PUBLIC_URL="$${HELPLINE_PUBLIC_URL:-http://127.0.0.1:$(PORT)}"; \
	data="$${HELPLINE_DATA_DIR:-var}"; mkdir -p "$$data" && rm -f "$$data/local.env" && \
	(umask 077 && printf '# Written by make run: the local demo (manage.py reads it). Never on a live helpline.\nHELPLINE_DEBUG=1\nHELPLINE_DEMO=1\nHELPLINE_HTTPS=0\nPORT=%s\nHELPLINE_PUBLIC_URL=%s\n' "$(PORT)" "$$HELPLINE_PUBLIC_URL" > "$$data/local.env") && \
	$(BIN)/python manage.py migrate --noinput -v 0 && \
	$(BIN)/python manage.py seed_demo && \
	exec $(BIN)/python manage.py serve --port $(PORT)

# Two workers (this machine kind has two cores); each gets its own test database.
test: install-dev messages
	$(BIN)/pytest -m "not browser and not kannel" -n 2 --dist loadfile $(PYTEST_ARGS)

# Browser tests need Debian's chromium (installed by `make system-deps-browser`, as root).
test-browser: install-dev messages
	$(BIN)/pytest -m browser -p no:xdist $(PYTEST_ARGS)

# Kannel tests need Debian's kannel and kannel-extras (installed by `make system-deps-sms`, as root).
test-kannel: install-dev messages
	$(BIN)/pytest -m kannel -p no:xdist $(PYTEST_ARGS)

check: install-dev messages-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HELPLINE_DEBUG=1 $(BIN)/mypy
	HELPLINE_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

messages-check: install
	@for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check-format --check-header -o /dev/null $$po || exit 1; done
	HELPLINE_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# Security checks (CI runs them): pip-audit on the lock files, bandit, schemathesis against a live
# server with production settings, check --deploy. Exceptions and their reasons: .ci/bandit.yaml,
# .ci/schemathesis.toml; what each does and when pip-audit is skipped: .ci/security.
security: install-dev messages
	bash .ci/security

# Regenerate the lock files after editing requirements/*.in.
lock: install-dev
	$(BIN)/pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o base.txt base.in
	cd requirements && ../$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o dev.txt dev.in

# Update the message catalogues from the source (then translate the new Khmer entries).
makemessages: install
	HELPLINE_DEBUG=1 $(BIN)/python manage.py makemessages -l km -l en --ignore=.venv --ignore=var --no-obsolete

# The Khmer font and Pango that the printed case summary (WeasyPrint) shapes Khmer with, as root:
# needed wherever the server runs. Debian's fonts-khmeros (Khmer OS fonts, LGPL-2.1+).
system-deps-fonts:
	@fc-list | grep -qi "Khmer OS Content" && ldconfig -p | grep -q libpangoft2 && command -v pdftoppm >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-khmeros libpango-1.0-0 libpangoft2-1.0-0 poppler-utils >/dev/null)

system-deps-browser: system-deps-fonts
	@command -v chromium >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Kannel (bearerbox, smsbox) and its fake SMSC for `make test-kannel`, as root. Debian's package may
# start its own Kannel on install (on the default ports); the tests run their own on free ports, so
# the system service that the install started is stopped and kept from starting at boot.
system-deps-sms:
	@if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/lib/kannel/test/fakesmsc ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel kannel-extras >/dev/null; \
	  if [ -x /etc/init.d/kannel ]; then \
	    /etc/init.d/kannel stop >/dev/null 2>&1 || true; \
	    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
	      systemctl disable --now kannel >/dev/null 2>&1 || true; \
	    else \
	      update-rc.d kannel disable >/dev/null 2>&1 || true; \
	    fi; \
	  fi; \
	fi
	@dpkg-query -W -f='$${Package} $${Version}\n' kannel kannel-extras

# nginx for tests/test_scale_out.py, which runs deploy/nginx/helpline.conf in front of two servers
# (as root). Debian starts nginx on port 80 on install; the test runs its own on free ports, so the
# system service is stopped and kept from starting at boot.
system-deps-deploy:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light openssl >/dev/null; \
	  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
	    systemctl disable --now nginx >/dev/null 2>&1 || true; \
	  else \
	    /etc/init.d/nginx stop >/dev/null 2>&1 || true; update-rc.d nginx disable >/dev/null 2>&1 || true; \
	  fi; \
	fi
	@/usr/sbin/nginx -v

# Mixed load at twice the national peak (30 requests/s of console pages, SMS, API reads plus 700 open
# chats, 5 minutes) on PostgreSQL with Redis, with one and then two server processes.
# Results go to bench/results/mixed-<N>-workers.txt (mixed-1-2-workers.txt for both in one run).
# Run it on an otherwise idle machine (~13 min).
.PHONY: bench-mixed
bench-mixed: install-dev messages
	$(BIN)/python bench/mixed.py $(BENCH_ARGS)

# Faults at full length (the suite runs 3 rounds): kill -9 of the server during 20 concurrent SMS,
# 20 rounds, on SQLite and PostgreSQL; a worker killed while sending. Prints what it counted.
.PHONY: test-faults
test-faults: install-dev messages
	HELPLINE_FAULT_ROUNDS=20 $(BIN)/pytest tests/test_server_killed.py tests/test_worker_killed.py -p no:xdist -s -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Contacts at scale: fills 1,000,000 contacts into its own SQLite file (var/bench/) and PostgreSQL database
# (helpline_bench at 127.0.0.1:5432), then prints p50/p95/p99 of the caller history and the supervisor list.
# Results also go to bench/results/. A quick run: make bench-contacts BENCH_ARGS="--rows 100000".
.PHONY: bench-contacts
bench-contacts: install-dev
	$(BIN)/python bench/contacts.py --engine both $(BENCH_ARGS)

# Cases at scale: 200,000 cases over 2,000,000 contacts, in /tmp/helpline-bench-cases/ (SQLite) and
# helpline_bench_cases at 127.0.0.1:5432, kept between runs (--rebuild fills them again); then p50/p95
# of the case list's first page for a supervisor and for a counsellor and of a case page with 200
# timeline entries, each beside the bare SQL of its queries. Results also go to bench/results/.
# Small: make bench-cases BENCH_ARGS="--cases 2000".
.PHONY: bench-cases
bench-cases: install-dev messages
	$(BIN)/python bench/cases.py --engine both $(BENCH_ARGS)

# Inbound SMS under load: 50 Kannel webhook requests a second for 60 s against a real server (uvicorn
# and the task worker) on a fresh SQLite file and on PostgreSQL (helpline_bench_sms at 127.0.0.1:5432);
# counts lost and duplicated messages in the database and prints p50/p95/p99 acknowledgement times.
# Results also go to bench/results/sms-<engine>.txt. Shorter: make bench-sms BENCH_ARGS="--duration 10".
bench-sms: install messages
	$(BIN)/python bench/sms.py $(BENCH_ARGS)

# Statistics at scale: 1,000,000 contacts over 10 years on SQLite (var/bench/reports-sqlite/) and
# 5,000,000 on PostgreSQL (helpline_bench_reports), kept between runs (--fresh refills), then p50/p95/p99 of the one-year
# summary, the monthly report data and the dashboard reads beside the bare SQL aggregate and a raw scan.
# Results also go to bench/results/reports-<engine>.txt. Small: make bench-reports BENCH_ARGS="--rows 20000".
.PHONY: bench-reports
bench-reports: install-dev
	$(BIN)/python bench/reports.py $(BENCH_ARGS)

# Calls from the PBX at speed: the real AMI connector against an AMI server (tests/ami_server.py) replaying
# 5,000 answered calls (30,000 events), on a fresh SQLite file and on PostgreSQL (helpline_bench_voice at
# 127.0.0.1:5432): AMI events processed per second; then screen-pop latency through a real server
# (uvicorn --lifespan on, connector inside) to a counsellor's websocket, p50/p95/p99 over 250 calls.
# Results also go to bench/results/voice-<engine>.txt. Shorter: make bench-voice BENCH_ARGS="--calls 1000".
.PHONY: bench-voice
bench-voice: install-dev
	$(BIN)/python bench/voice.py --engine both $(BENCH_ARGS)

# Web chats at scale: children's sockets and counsellors' consoles against one server process
# (SQLite) and against two processes sharing Redis (PostgreSQL helpline_bench_chat).
.PHONY: bench-chat
bench-chat: install-dev messages
	$(BIN)/python bench/chat.py --scenario both $(BENCH_ARGS)

# Risk triage on the labelled corpus's held-out part (helpline/routing/corpus/): recall and false
# positives per topic and overall, for keyword signals, the second scorer and both, and the time per
# message. Prints, asserts nothing; also writes bench/results/triage.txt. The training messages
# scored wrongly: make bench-triage BENCH_ARGS="--part train --misses" (held-out ones are never listed).
.PHONY: bench-triage
bench-triage: install-dev
	$(BIN)/python bench/triage.py $(BENCH_ARGS)
