# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test coverage lint bench bench-logins clean translations constraints

# Installs exactly the versions in constraints.txt (what the tests were last run with):
# what running needs for `make run`, and the test tools on top for `make test`.
$(RUN_STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

## run: the provider on localhost:5000, the sample portal on localhost:5001 and the sample API
## on localhost:5002 (SQLite, demo data); other ports: make run PORT=8000 PORTAL_PORT=8001 API_PORT=8002
PORT ?= 5000
PORTAL_PORT ?= 5001
API_PORT ?= 5002
run: $(RUN_STAMP)
	$(BIN)/python -m clients.demo --port $(PORT) --portal-port $(PORTAL_PORT) --api-port $(API_PORT)

## test: lint, then every test (unit, protocol on SQLite and PostgreSQL, browser), in one
## process more than the machine has cores, since many tests wait on servers and browsers
## (TEST_WORKERS=1 runs them in one)
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## coverage: the same tests with a line and branch coverage report (tracing costs about 60 % more time)
coverage: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check idp clients tests bench

## bench: every endpoint side by side with node oidc-provider, interleaved, on SQLite and PostgreSQL
## (see bench/README.md; needs node and npm; `make bench BENCH_ARGS=--quick` for a smoke run)
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

## bench-logins: login flows (flat out, and started at 10, 15 and 20 a second), exchanges, userinfo, discovery, JWKS and SMS codes under `idp run` with 1,000 and 100,000 users
bench-logins: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

## translations: re-extract the page and message strings into idp/translations/messages.pot and merge them into each .po (then translate what is new or fuzzy); a method package with a translations/ folder of its own gets its own catalogue the same way
METHOD_CATALOGUES := $(wildcard idp/methods/*/translations)
EXTRACT = $(BIN)/pybabel extract -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
	-c TRANSLATORS: --project grip-idp --version $(shell sed -n 's/^version = //p' setup.cfg) \
	--copyright-holder grip-idp
translations: $(STAMP)
	$(EXTRACT) -F babel.cfg --ignore-dirs ".* ._ $(notdir $(METHOD_CATALOGUES:/translations=))" \
		-o idp/translations/messages.pot .
	$(BIN)/pybabel update -i idp/translations/messages.pot -d idp/translations --ignore-obsolete --previous
	for folder in $(METHOD_CATALOGUES); do \
		$(EXTRACT) -F babel-method.cfg -o $$folder/messages.pot $${folder%/translations} && \
		$(BIN)/pybabel update -i $$folder/messages.pot -d $$folder --ignore-obsolete --previous \
		|| exit 1; done

## constraints: after changing setup.cfg, install the newest allowed versions and record them
constraints:
	$(BIN)/python -m pip install -q --upgrade -e '.[test]'
	( echo "# Versions the test suite was run with: \`make\` installs with \`pip install -c constraints.txt\`."; \
	  echo "# Refresh after changing setup.cfg: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable | sort -f ) > constraints.txt

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .coverage htmlcov
