# newsbeam: two commands, both idempotent.
#   make demo   set up .venv, run the pipeline on samples/ with the DirectRunner, show the output
#   make test   set up .venv and run the test suite
#   make bench  run the benchmarks in bench/ (results in README)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: demo test bench venv lock clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(BIN)/newsbeam run --input 'samples/**' --output $(DEMO_OUT)
	$(BIN)/newsbeam stats $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

bench: $(STAMP)
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.incremental
	$(BIN)/python -m bench.memory --sizes 5000 10000 20000 50000 200000
	$(BIN)/python -m bench.jsonl_export
	$(BIN)/python -m bench.extraction_quality
	$(BIN)/python -m bench.fetch_throughput
	$(BIN)/python -m bench.sitemaps
	$(BIN)/python -m bench.near_dup_quality
	$(BIN)/python -m bench.tagging

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -i -E '^(pytest|iniconfig|pluggy|pygments)==' > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info
