# Two commands set up everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
ENV ?= dev
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: run test test-fast lint format synth bench openapi clean deploy diff destroy bootstrap

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e . --group dev --group infra
	rm -f $(VENV)/.installed-* && touch $@

## The whole system locally, in the foreground, until Ctrl-C (ports: see README).
run: $(STAMP)
	$(PY) -m infra.local

## Lint, then every test: unit, integration (moto server), e2e (local stack), infra (cdk synth).
test: lint
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e and not infra" -n 2

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

## CloudFormation for one environment into cdk.out, offline: make synth ENV=dev|staging|prod
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
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
