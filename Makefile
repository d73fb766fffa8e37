# Vigie: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
# Both install what they need first (bin/bootstrap), and a second run only checks.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The tests use the real local Redis (channel layer, cache), database 15, which they flush:
# never a REDIS_URL that holds anything else.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# 1: `make lint` fails when the dependency audit could not reach a vulnerability service.
AUDIT_STRICT ?= 0

# State changes and reads are typed and checked (STYLE.md rule 17).
TYPED = $(wildcard */services.py */services/*.py */queries.py) cameras/ptz.py alerts/steering.py alerts/signing.py common/counters.py common/idempotency.py privacy/retention.py privacy/rights.py accounts/signin.py accounts/sessions.py

.PHONY: run test lint format bootstrap check-deploy bench bench-console bench-alerts

run:
	@bin/bootstrap run
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) manage.py seed_demo
	@printf '\nVigie is starting on http://%s:%s/\n  admin:    http://%s:%s/admin/\n  API docs: http://%s:%s/api/docs/\n  health:   http://%s:%s/healthz\n\n' \
		$(HOST) $(PORT) $(HOST) $(PORT) $(HOST) $(PORT) $(HOST) $(PORT)
	@# The periodic scans beside the server (no celery beat on one machine); stopped with it.
	@$(PY) manage.py run_scans & scans=$$!; trap "kill $$scans 2>/dev/null" EXIT INT TERM; \
		$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test:
	@bin/bootstrap test
	@REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS); \
		status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests"; fi; exit $$status

lint:
	@bin/bootstrap run >/dev/null
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy $(TYPED)
	@# Known vulnerabilities in the installed dependencies fail lint; where no vulnerability
	@# service answers (a closed network) it warns loudly, naming what was not checked, and
	@# passes unless AUDIT_STRICT=1. See bin/audit-dependencies.
	@AUDIT_STRICT=$(AUDIT_STRICT) $(PY) bin/audit-dependencies

format:
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

# What production's `check --deploy` says, with production-like variables.
check-deploy:
	@DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		DJANGO_ALLOWED_HOSTS=vigie.example.org $(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks (not tests): each prints its figures; the README quotes them.
bench:
	@bin/bootstrap run >/dev/null
	@$(PY) bench/cameras.py

bench-console:
	@bin/bootstrap test >/dev/null
	@$(PY) bench/console.py

bench-alerts:
	@bin/bootstrap test >/dev/null
	@$(PY) bench/alerts.py
