# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

## run: the provider on localhost:5000 and the sample portal on localhost:5001 (SQLite, demo data)
run: $(STAMP)
	$(BIN)/python -m clients.demo

## test: lint, then every test (unit, protocol on SQLite and PostgreSQL, browser) with coverage
test: $(STAMP) lint
	$(BIN)/python -m pytest --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check idp clients tests bench

## bench: login, token, userinfo, discovery and JWKS throughput under gunicorn (see bench/README.md)
bench: $(STAMP)
	$(BIN)/python bench/bench.py

## translations: re-extract the page and message strings into idp/translations/messages.pot and merge them into each .po (then translate what is new or fuzzy)
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
		-c TRANSLATORS: --project grip-idp --version $(shell sed -n 's/^version = //p' setup.cfg) \
		--copyright-holder grip-idp -o idp/translations/messages.pot .
	$(BIN)/pybabel update -i idp/translations/messages.pot -d idp/translations --ignore-obsolete --previous

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .coverage htmlcov
