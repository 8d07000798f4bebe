# gongzhi — the two set-up commands are `make demo` and `make test`; everything else is a helper for them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GONGZHI_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint typecheck pytest browser-test screenshots bench clean venv messages

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gongzhi migrate --noinput
	$(BIN)/gongzhi load_demo
	$(BIN)/gongzhi demo_banner --host $(HOST) --port $(PORT)
	$(BIN)/gongzhi runserver --insecure --noreload $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy gongzhi tests $(wildcard bench)

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -m "not browser"

test: lint typecheck pytest

browser-test: $(STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -m browser -p no:xdist

screenshots: $(STAMP)
	bash scripts/ensure-chromium.sh
	GONGZHI_SCREENSHOTS=docs/screenshots $(BIN)/pytest -m browser -p no:xdist -k screenshot

# Re-extract every translatable string into the English catalogue and compile it (needs gettext:
# `apt-get install gettext`). Translate the new empty msgstr entries in django.po, run it again, commit .po and .mo.
messages: $(STAMP)
	cd gongzhi && ../$(BIN)/gongzhi makemessages -l en --no-obsolete --add-location=file
	cd gongzhi && ../$(BIN)/gongzhi compilemessages -l en

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
