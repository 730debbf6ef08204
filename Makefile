# bomhost: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BOMHOST := $(VENV)/bin/bomhost
STAMP := $(VENV)/.installed

.PHONY: demo test lint plugins toolchain bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: diff the bundled example SBOMs with one external and one WASM plugin (no Rust needed)
# (`bomhost demo` is that diff; it runs from a plain `pip install` too: the wheel carries the examples)
demo: $(STAMP)
	$(BOMHOST) demo --output terminal

## toolchain: Debian's Rust with the wasm32-wasi standard library, and clang with wasi-libc (offline)
toolchain:
	bash scripts/install-rust-wasi.sh
	bash scripts/install-c-wasi.sh

## plugins: build the Rust and C example plugins to wasm32-wasi
plugins: toolchain
	bash scripts/build-plugins.sh

## lint: ruff and mypy, as CI runs them
lint: $(STAMP)
	$(VENV)/bin/ruff check bomhost tests benchmarks
	$(VENV)/bin/ruff format --check bomhost tests benchmarks
	$(VENV)/bin/mypy

## test: install everything the tests need (incl. the Rust toolchain), lint, run the whole suite
# The tests rebuild the Rust examples themselves (in a temporary copy) and compare the result
# with the committed .wasm files; building in place first would hide a stale commit.
# pytest exits 5 when it collected nothing: that is a failure here, never a silent pass.
test: $(STAMP) toolchain lint
	BOMHOST_REQUIRE_RUST=1 $(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

## fuzz: a long Hypothesis run of every reader, loader and the response decoder (make test runs a short one)
fuzz: $(STAMP)
	BOMHOST_FUZZ_EXAMPLES=$${BOMHOST_FUZZ_EXAMPLES:-5000} $(PY) -m pytest -q tests/sbom/test_fuzz.py tests/test_fuzz_loaders.py tests/test_crash_corpus.py

## bench: the benchmark harness, one table with pass/FAIL per target (figures go to docs/benchmarks.md by hand)
bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
