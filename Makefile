# Everything runs from .venv, which the targets create and fill themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?=
OUTPUT ?= build
CONFIG_FLAG := $(if $(CONFIG),--config $(CONFIG),)

.PHONY: template artifacts terraform diagram iam test lint lint-examples scan bench snapshots generated clean

# Installs are recorded in stamp files so that repeated runs skip pip until setup.cfg changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## template: render build/template.json (to deploy) and build/template.yaml (to read); CONFIG=path.toml for a settings file
template: $(VENV)/.installed
	$(BIN)/ecs-bluegreen template $(CONFIG_FLAG) --output $(OUTPUT)

## test: install the test dependencies and run the whole suite, on every core
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto

## diagram: write build/diagram.mmd and build/diagram.dot, the picture of the system drawn from the template
diagram: $(VENV)/.installed
	$(BIN)/ecs-bluegreen diagram $(CONFIG_FLAG) --output $(OUTPUT)

## lint-examples: render the default and every example under build/lint/ and run cfn-lint on them
lint-examples: $(VENV)/.installed-test
	@rm -rf $(OUTPUT)/lint; \
	$(BIN)/ecs-bluegreen template --output $(OUTPUT)/lint/default >/dev/null 2>/dev/null || exit 2; \
	for f in examples/*.toml; do \
	  $(BIN)/ecs-bluegreen template --config $$f --output $(OUTPUT)/lint/$$(basename $$f .toml) >/dev/null 2>/dev/null || \
	    { $(BIN)/ecs-bluegreen check $$f; exit 2; }; \
	done; \
	$(BIN)/cfn-lint -- $$(find $(OUTPUT)/lint -name template.yaml | sort) && echo "cfn-lint: clean: the default and every example"

## lint: cfn-lint every template under build/
lint: $(VENV)/.installed-test
	@files=$$(find $(OUTPUT) -name 'template.json' -o -name 'template.yaml' 2>/dev/null | sort); \
	if [ -z "$$files" ]; then echo "no templates under $(OUTPUT)/: run 'make template' first" >&2; exit 1; fi; \
	$(BIN)/cfn-lint -- $$files && echo "cfn-lint: clean: $$files"

# The scanners, each in its own environment: checkov pins an old boto3 and its own hcl2, and
# cfripper pins pydantic 2 models of its own; cfn-guard and the Control Tower rules come from npm
# (tests/scanners/cfn-guard/package-lock.json). Exact versions, so that a release with new
# checks cannot fail CI unannounced: raise them on purpose, with the waivers they need.
SCANNERS := .scanners
CHECKOV_SPEC ?= checkov==3.3.30
CFRIPPER_SPEC ?= cfripper==1.22.1 pycfmodel==2.1.3
GUARD_PACKAGE := $(SCANNERS)/cfn-guard/node_modules/@cdklabs/cdk-validator-cfnguard

$(SCANNERS)/checkov/.installed: Makefile
	$(PYTHON) -m venv $(SCANNERS)/checkov
	$(SCANNERS)/checkov/bin/python -m pip install --quiet $(CHECKOV_SPEC)
	touch $@

$(SCANNERS)/cfripper/.installed: Makefile
	$(PYTHON) -m venv $(SCANNERS)/cfripper
	$(SCANNERS)/cfripper/bin/python -m pip install --quiet $(CFRIPPER_SPEC)
	touch $@

$(SCANNERS)/cfn-guard/.installed: tests/scanners/cfn-guard/package.json tests/scanners/cfn-guard/package-lock.json
	mkdir -p $(SCANNERS)/cfn-guard
	cp tests/scanners/cfn-guard/package.json tests/scanners/cfn-guard/package-lock.json $(SCANNERS)/cfn-guard/
	cd $(SCANNERS)/cfn-guard && npm ci --no-audit --no-fund --silent --legacy-peer-deps
	touch $@

## scan: checkov, cfripper and cfn-guard (Control Tower rules) over the default and every example; fails on any finding not waived
scan: $(VENV)/.installed $(SCANNERS)/checkov/.installed $(SCANNERS)/cfripper/.installed $(SCANNERS)/cfn-guard/.installed
	$(BIN)/python tests/scan.py --checkov $(SCANNERS)/checkov/bin/checkov \
	  --cfripper $(SCANNERS)/cfripper/bin/cfripper \
	  --cfn-guard $(GUARD_PACKAGE)/bin/ubuntu/$$(uname -m)/cfn-guard \
	  --guard-rules $(GUARD_PACKAGE)/rules/control-tower --output $(OUTPUT)/scan

## bench: the size of every variant against the direct-upload limit, and the command's speed
bench: $(VENV)/.installed
	$(BIN)/python tests/bench.py

## snapshots: regenerate the two stored renderings on purpose, then review `git diff tests/snapshots`
snapshots: $(VENV)/.installed-test
	UPDATE_SNAPSHOTS=1 $(BIN)/python -m pytest tests/test_snapshots.py tests/test_terraform.py -k snapshot

## generated: rewrite what is generated from a source: the README's settings, regions, * list, waivers, timeline and picture, and the minified handlers
generated: $(VENV)/.installed-test
	$(BIN)/python tests/generated.py

## artifacts: write the pipeline's buildspec.yml, taskdef.json and appspec.json to build/artifacts
artifacts: $(VENV)/.installed
	$(BIN)/ecs-bluegreen artifacts $(CONFIG_FLAG) --output $(OUTPUT)/artifacts

## iam: every role's permissions with the reason each is needed; fails if any is missing or extra
iam: $(VENV)/.installed
	$(BIN)/ecs-bluegreen iam $(CONFIG_FLAG) --check

## terraform: write the same system as Terraform JSON to build/terraform/ (CONFIG=path.toml)
terraform: $(VENV)/.installed
	$(BIN)/ecs-bluegreen terraform $(CONFIG_FLAG) --output $(OUTPUT)

clean:
	rm -rf $(VENV) $(SCANNERS) $(OUTPUT) .pytest_cache *.egg-info tests/snapshots/*.actual
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
