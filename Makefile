# Two commands do everything: `make book` (environment, data, notebooks, HTML) and `make test`.
# PROFILE picks the parameter tier: smoke | demo (default) | paper.
PROFILE ?= demo
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PORT ?= 8000
# Notebooks run at once, each as soon as the notebooks it reads have finished (lib.run --jobs):
# two, which keeps the demo book within its 30 minutes on 2 cores (JOBS=1: one at a time).
JOBS ?= 2

.PHONY: book test venv vendor data notebooks html serve check-book clean-results profile

book: venv vendor data notebooks html

# The environment: a venv with the pinned requirements and lib/ installed editable.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# Offline copies of MathJax, require.js and the widget manager for the static HTML.
vendor: book/_vendor/static/.installed
book/_vendor/static/.installed: book/_vendor/package.json book/_vendor/package-lock.json | venv
	cd book/_vendor && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m lib.book --vendor
	@touch $@

# A profile for your own labelled audio, sized for this machine: NAME, AUDIO (a folder), LABELS
# (a CSV; empty: class subfolders), MINUTES (budget, default 30), DROP=1 (leave bad files out).
profile: venv
	$(PY) -m lib.userprofile --name "$(NAME)" --audio "$(AUDIO)" --labels "$(LABELS)" \
	    $(if $(MINUTES),--minutes $(MINUTES)) $(if $(DROP),--drop-bad)

# Generate (or download) the profile's datasets, check them, extract log-mel features.
data: venv
	$(PY) -m lib.data --profile $(PROFILE)

# Execute the profile's notebooks with papermill into results/$(PROFILE)/notebooks/.
notebooks: venv
	$(PY) -m lib.run --profile $(PROFILE) --jobs $(JOBS)

# Build the book from the executed notebooks (warnings are errors).
html: venv vendor
	$(PY) -m lib.book --profile $(PROFILE)

# Serve the built book on http://localhost:$(PORT)/ (Ctrl-C stops it).
serve:
	@echo "serving results/$(PROFILE)/_build/html on http://localhost:$(PORT)/book/intro.html"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 -d results/$(PROFILE)/_build/html

# Open the index and every chapter in headless Chromium: math typeset, images and audio load,
# nothing requested from outside the machine; screenshots in results/$(PROFILE)/_build/screenshots.
check-book: venv
	$(PY) -m lib.browser --profile $(PROFILE)

test: venv vendor
	$(PY) -m pytest --durations=12

clean-results:
	rm -rf results/$(PROFILE) book/executed
