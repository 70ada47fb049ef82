# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck unit lint-workflows bench mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench .github/actions
	$(BIN)/ruff format --check reconciler tests bench .github/actions
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy --strict reconciler
	$(BIN)/mypy --strict .github/actions/reconcile/entry.py

lint-workflows: $(STAMP)
	$(BIN)/zizmor --offline --persona pedantic --no-progress .github
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck lint-workflows unit

demo: $(STAMP)
	$(BIN)/python -m reconciler.sandbox.demo

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Mutation testing of the planner, executor, saved plans, rollout, lifecycle and
# validation (setup.cfg [mutmut]: the modules and the bounded set of in-process tests
# run against each mutant). Slow (hours on two cores), so not part of `make test`;
# re-running resumes where the last run stopped. mutmut is installed here, not in .[dev].
MUTMUT_VERSION ?= 3.8.1
MUTATION_JOBS ?= 2
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut==$(MUTMUT_VERSION)'
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	$(BIN)/mutmut export-cicd-stats
	@cat mutants/mutmut-cicd-stats.json; echo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
