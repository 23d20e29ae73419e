# spikevision: `make demo` and `make test` work on a fresh clone; each creates and owns .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test,gui,usb,dist,learn
STAMP := $(VENV)/.installed-$(shell printf '%s' "$(EXTRAS)" | tr ',' '-')

.PHONY: demo test test-all fuzz bench bench-quick docs clean venv

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "spikevision needs Python >= 3.10"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(PY) apps/demo.py --out demo_out

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

test-all: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not hardware"

# every reader against damaged and hostile files: FUZZ_CASES per target, exits 1 on any bad outcome
FUZZ_CASES ?= 10000
FUZZ_SEED ?= 0
FUZZ_TARGET ?= *
fuzz: $(STAMP)
	$(PY) -m tests.fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --target '$(FUZZ_TARGET)'

bench: $(STAMP)
	$(PY) benchmarks/run.py

bench-quick: $(STAMP)
	$(PY) benchmarks/run.py --quick

# the docs site (docs/*.md + the API reference rendered from the docstrings) into site/
docs:
	$(MAKE) venv EXTRAS="$(if $(findstring docs,$(EXTRAS)),$(EXTRAS),$(EXTRAS),docs)"
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) demo_out build site *.egg-info .pytest_cache .hypothesis
