# Groundswell developer commands. `make run` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
GS := $(VENV)/bin/groundswell
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
SPEED ?= 60
export GROUNDSWELL_DATABASE_URL ?= sqlite:///./groundswell.db
export GROUNDSWELL_BROKER_URL ?= memory://
export HF_HUB_OFFLINE := 1

.PHONY: run test lint typecheck pytest bench bench-digest bench-crmsync bench-webhooks bench-analytics eval-sentiment eval-spikes eval-language install install-dev browser services clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## Start Groundswell on SQLite with the in-process queue and a replay of real posts.
run: $(STAMP)
	$(GS) migrate
	$(GS) demo-setup --speed $(SPEED) --no-history
	GROUNDSWELL_OUTBOUND_ALLOW_HOSTS=$${GROUNDSWELL_OUTBOUND_ALLOW_HOSTS:-127.0.0.1} \
	  $(GS) serve --demo --host $(HOST) --port $(PORT) --speed $(SPEED)

## Debian's chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium' (browser tests will skip)"; fi; }

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

## Tests run on PYTEST_WORKERS processes (pytest-xdist); each has its own databases and streams.
PYTEST_WORKERS ?= 2
## Tests in one xdist group run in one process, one after another: the OpenAPI contract
## run (its case count is checked after its generated tests), and the browser and
## CPU-heavy tests (tests/conftest.py). The slowest tests are listed at the end so a slow
## one is seen when it is added.
pytest: $(DEV_STAMP) browser services
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25

## Lint, type check and every test.
test: lint typecheck pytest

## Benchmarks: pipeline throughput against the raw-insert ceiling, listening costs and latency.
bench: $(DEV_STAMP)
	$(PY) -m bench.throughput
	$(PY) -m bench.throughput --sentiment model --only sqlite --posts 20000
	$(PY) -m bench.model_graph
	$(PY) -m bench.vader_speed
	$(PY) -m bench.remember_stage
	$(PY) -m bench.enrich_child_start
	$(PY) -m bench.spike_cost
	$(PY) -m bench.listening_latency
	$(PY) -m bench.drilldown_latency
	$(PY) -m bench.process_start
	$(PY) -m bench.webhook_latency
	$(PY) -m bench.stream_connector
	$(PY) -m bench.stream_connector_mastodon
	$(PY) -m bench.engagement
	$(PY) -m bench.engagement_pipeline --postgres

## Executive digest generation (web and PDF) for a brand's day of 1,000,000 posts.
bench-digest: $(DEV_STAMP)
	$(PY) -m bench.digest_bench

## CRM sync throughput against the Salesforce and HubSpot stand-ins and their raw ceiling.
bench-crmsync: $(DEV_STAMP)
	$(PY) -m bench.crmsync

## Sentiment and intent quality against the lexicon and TextBlob, on held-out splits.
eval-sentiment: $(DEV_STAMP)
	$(PY) -m bench.eval_sentiment

## Language identification on short posts: English airline tweets and a multilingual sample.
eval-language: $(DEV_STAMP)
	$(PY) -m bench.eval_language

## Spike detector quality on labelled synthetic and airline series (against a z-score baseline)
## and on the NAB development set (NAB scores beside the published detectors).
eval-spikes: $(DEV_STAMP)
	$(PY) -m bench.eval_spikes

clean:
	rm -rf $(VENV) groundswell.db groundswell.db-wal groundswell.db-shm

## Debian's Dovecot IMAP server for the e-mail connector's tests (started by the tests themselves).
services:
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq dovecot-imapd >/dev/null; \
	  else echo "dovecot missing: run 'sudo apt-get install dovecot-imapd' (IMAP tests will skip)"; fi; }
## Customer lifetime value: BG/NBD and Gamma-Gamma on CDNOW against the published fits.
eval-clv: $(DEV_STAMP)
	$(PY) -m bench.eval_clv

## Identity resolution: Splink on FEBRL (dedup and linkage) against an exact-key baseline.
eval-identity: $(DEV_STAMP)
	$(PY) -m bench.eval_identity

## What interaction.stored webhooks cost ingestion: no subscription vs. one that wants them.
bench-webhooks: $(DEV_STAMP)
	$(PY) -m bench.webhook_events

## Engagement dashboard over 1M cases (rollup vs scan) and streamed CSV export vs csv.writer.
bench-analytics: $(DEV_STAMP)
	$(PY) -m bench.analytics_bench

## Customer record benchmarks: contact page latency (10,000 interactions) and identity blocking (1M).
bench-crm: $(DEV_STAMP)
	$(PY) -m bench.contact_page_latency
	$(PY) -m bench.identity_blocking
