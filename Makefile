# The two commands of the README. Each installs what it needs first (ops/bootstrap.sh).
VENV ?= .venv
export VENV

.PHONY: test test-faults demo bench install stack-up stack-down

## Install, start the local stack, run every test (unit, integration, e2e) but the fault suite.
## The suite runs on the single broker: a three-broker stack still running is refused, not reused.
test: install
	$(VENV)/bin/officestream stack up --brokers 1
	$(VENV)/bin/python -m pytest

## The fault suite (tests/faults/, marker `faults`): the whole system, one fault per test, counted.
test-faults: install
	$(VENV)/bin/officestream stack up --brokers 1
	$(VENV)/bin/python -m pytest -m faults tests/faults

## Install, then run the whole system on the local stack and the emulator (officestream demo).
demo: install
	$(VENV)/bin/officestream demo $(DEMO_ARGS)

## Install, start the local stack, run every benchmark (~10 min on 2 cores) and draw the charts:
## bench/results/*.json and bench/results/charts/*.png. Exits non-zero if a benchmark failed.
bench: install
	$(VENV)/bin/officestream stack up --brokers 1
	$(VENV)/bin/python bench/run_all.py $(BENCH_ARGS)

install:
	bash ops/bootstrap.sh

stack-up: install
	$(VENV)/bin/officestream stack up

stack-down:
	$(VENV)/bin/officestream stack down
