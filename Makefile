# artie-mcp: `make generate` builds the server package, `make test` runs the tests.
# Both set up .venv themselves on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := specs/artie-openapi.lock.json
SPEC := specs/artie-openapi.json
GEN := $(BIN)/artie-mcp-gen
GEN_FLAGS ?= --strict --prompts specs/prompts
NPM_DIR := tests/tools

.PHONY: install spec spec-update generate check test lint npm clean help drift bundle golden

help:
	@echo "make generate     fetch the pinned spec (ARTIE_SPEC_SOURCE overrides) and regenerate generated/"
	@echo "make check        fail with a diff when generated/ is stale"
	@echo "make test         run the test suite"
	@echo "make spec         fetch the pinned spec into $(SPEC) (sha256 checked)"
	@echo "make spec-update VERSION=v1.0.77 [ARTIE_SPEC_SOURCE=...]   re-pin the spec"
	@echo "make install      create .venv with the generator, dev tools and the generated package"
	@echo "make bundle       pack generated/ as the Claude Desktop bundle dist/artie-mcp.mcpb (uv.lock via PyPI)"

install: $(STAMP)

$(STAMP): pyproject.toml generated/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q -e './generated[postgres]'
	touch $(STAMP)

# The spec is refetched when the lock changes, or on `make spec`.
$(SPEC): $(LOCK) | $(STAMP)
	$(GEN) spec fetch --lock $(LOCK) --out $(SPEC)

spec: $(STAMP)
	$(GEN) spec fetch --lock $(LOCK) --out $(SPEC)

spec-update: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make spec-update VERSION=v1.0.77" >&2; exit 2; }
	$(GEN) spec pin --lock $(LOCK) --version $(VERSION)
	$(GEN) spec fetch --lock $(LOCK) --out $(SPEC)

generate: $(SPEC) | $(STAMP)
	$(GEN) generate --spec $(SPEC) --out generated $(GEN_FLAGS)

check: $(SPEC) | $(STAMP)
	$(GEN) check --spec $(SPEC) --out generated $(GEN_FLAGS) -q

# The committed package as an MCP Bundle for Claude Desktop (manifest 0.4, server.type uv);
# `uv lock` pins its dependencies for every platform, so it needs PyPI.
bundle: $(STAMP)
	$(GEN) bundle --package-dir generated --out dist

# What the newest upstream release (or ARTIE_SPEC_SOURCE, or DRIFT_HEAD) does to each tool,
# compared with the pinned spec: Markdown on stdout, JSON in $(DRIFT_JSON). Exits 0 unless
# DRIFT_FAIL_ON=breaking|warning|any is given.
DRIFT_HEAD ?= $(or $(ARTIE_SPEC_SOURCE),https://github.com/artie-labs/artie-api-spec/releases/latest/download/openapi.yaml)
DRIFT_JSON ?= drift.json
DRIFT_FAIL_ON ?= never

drift: $(SPEC) | $(STAMP)
	$(BIN)/python -m generator.drift --base $(SPEC) --head $(DRIFT_HEAD) --prompts specs/prompts --format json --out $(DRIFT_JSON) --fail-on never
	$(BIN)/python -m generator.drift --base $(SPEC) --head $(DRIFT_HEAD) --prompts specs/prompts --format md --fail-on $(DRIFT_FAIL_ON)

NPM_STAMP := $(NPM_DIR)/node_modules/.installed

npm: $(NPM_STAMP)

$(NPM_STAMP): $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# Test files run in parallel (pytest-xdist), each file in one worker so that its fixtures are
# built once; most tests wait on servers and subprocesses, so more workers than cores pays.
# Files are handed out longest first (tests/conftest.py LONG_FILES), not by test count.
TEST_WORKERS ?= 4

# rewrite the golden records (tests/golden/<case>/messages.txt, expected/) after a meant change
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py -p no:randomly
	git status --short tests/golden

# The npm test tools (tests/tools) are installed by the run itself, beside its first tests.
test: $(STAMP) $(SPEC)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check generator tests templates/runtime
	$(BIN)/black --check -q generator templates/runtime
	$(BIN)/mypy --ignore-missing-imports generator generated/artie_mcp/runtime

clean:
	rm -rf $(VENV) $(SPEC) .pytest_cache

# Benchmarks (bench/, BENCHMARKS.md): the generator, its scaling, and the generated server beside
# a minimal SDK server and fastmcp's from_openapi. fastmcp lives in .venv-bench (never a project
# dependency), which bench/run.py creates when it is missing. Targets are reported, not enforced.
.PHONY: bench bench-smoke bench-drift

bench: $(STAMP) $(SPEC)
	$(BIN)/python bench/run.py --gen-flags "$(GEN_FLAGS)" $(BENCH_ARGS)
	$(BIN)/python bench/drift.py

# Drift on the Stripe pair beside Redocly's `diff` (bench/redocly pins @redocly/cli; npm ci on first use).
bench-drift: $(STAMP)
	$(BIN)/python bench/drift.py

bench-smoke: $(STAMP) $(SPEC)
	$(BIN)/python bench/run.py --smoke --gen-flags "$(GEN_FLAGS)" --out $(or $(TMPDIR),/tmp)/artie-mcp-bench-smoke.json
