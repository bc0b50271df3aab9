# Two commands set up everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# .venv holds exactly what uv.lock pins (uv itself included), whatever the machine had before.
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml uv.lock | md5sum | cut -c1-12)
ENV ?= dev
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: run test test-fast test-unit test-integration test-e2e test-infra lint format synth bench openapi \
	clean deploy diff destroy bootstrap

# --locked: a pyproject.toml changed without `.venv/bin/uv lock` stops here instead of installing
# something the lock does not record.
$(STAMP): pyproject.toml uv.lock
	test -x $(UV) || { $(PYTHON) -m venv $(VENV) && \
		$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	$(UV) sync --quiet --locked --all-groups
	rm -f $(VENV)/.installed-* && touch $@

## The whole system locally, in the foreground, until Ctrl-C (ports: see README).
run: $(STAMP)
	$(PY) -m infra.local

PYTEST := $(PY) -m pytest -n 2 --dist loadgroup

## Lint, then every test: unit, integration (moto server), e2e (local stack), infra (cdk synth).
test: lint
	$(PYTEST)

test-fast: $(STAMP)
	$(PYTEST) -m "not e2e and not infra"

## One kind of test at a time, without the lint: make test-unit|test-integration|test-e2e|test-infra
test-unit test-integration test-e2e test-infra: test-%: $(STAMP)
	$(PYTEST) tests/$*

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo
	$(PY) -m tixpilot.api.openapi --check docs/openapi.json

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Regenerate the committed OpenAPI document from the code.
openapi: $(STAMP)
	$(PY) -m tixpilot.api.openapi --write docs/openapi.json

## CloudFormation for one environment into cdk.out, no AWS needed (the package index only when
## the dependency layer must be built anew): make synth ENV=dev|staging|prod
synth: $(STAMP)
	TIXPILOT_SYNTH_ENV=$(ENV) $(PY) -m infra.app

CDK := node_modules/.bin/cdk
$(CDK): package.json
	npm install --no-audit --no-fund --silent
	touch $@

## Deploy one environment to the AWS account of your credentials: make deploy ENV=dev
bootstrap: $(STAMP) $(CDK)
	$(CDK) bootstrap -c env=$(ENV)

deploy: $(STAMP) $(CDK)
	$(CDK) deploy --all -c env=$(ENV) --require-approval broadening

diff: $(STAMP) $(CDK)
	$(CDK) diff --all -c env=$(ENV)

destroy: $(STAMP) $(CDK)
	$(CDK) destroy --all -c env=$(ENV)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf cdk.out .build .pytest_cache .mypy_cache .ruff_cache
