# edgeflix — the project's front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
STACK   ?= dev
# The load-generator stack (loadgen/Pulumi.<LOADGEN_STACK>.yaml) and, offline only, the
# CDN URL its replay aims at (CloudFront's documentation example domain).
LOADGEN_STACK      ?= sample
LOADGEN_REPLAY_URL ?= https://d111111abcdef8.cloudfront.net
STAMP   := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
# Debian packages the local twin, the sample library and the browser test need.
APT_PACKAGES := varnish gcc haproxy nginx libnginx-mod-http-js ffmpeg fonts-dejavu-core chromium

.PHONY: help setup system-deps venv player demo down chaos test lint plan preview up destroy \
        library publish loadtest verify bench-api bench-dynamodb capacity \
        loadgen-plan loadgen-cost loadgen-up loadgen-results loadgen-destroy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: system-deps venv player ## install everything: Debian packages, the venv, the player's npm packages

system-deps: ## apt-get install the Debian packages that are missing (needs root)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(STAMP) ## the Python venv with the pinned dependencies

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	$(VENV)/bin/pip check
	rm -f $(VENV)/.installed-* && touch $@

player: player/node_modules/.package-lock.json ## the player page's npm packages (hls.js)

player/node_modules/.package-lock.json: player/package.json player/package-lock.json
	cd player && npm ci --no-audit --no-fund --loglevel=error

demo: setup ## start the local twin, publish the sample library, print the URL, run a short load test
	$(PY) -m twin up --stack $(STACK)
	$(PY) -m loadtest --users 20 --spawn-rate 10 --duration 30s

down: ## stop everything `make demo` started
	$(PY) -m twin down

chaos: venv ## on the running twin: SERVICE=accounts|plans|catalog|recommendations|moto|alb|cache|edge|api-N ACTION=kill|stop|slow, or ACTION=heal
	@test -n "$(ACTION)" || { echo "make chaos: ACTION=kill|stop|slow|heal is required" >&2; exit 2; }
	$(PY) -m twin chaos --action $(ACTION) $(if $(SERVICE),--service $(SERVICE))

test: setup ## install what is missing, lint, and run every offline test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: venv ## ruff
	$(VENV)/bin/ruff check .

plan: venv ## offline `pulumi preview`: the real program replayed into moto
	$(PY) -m replay --stack $(STACK) $(ARGS)

preview: venv ## pulumi preview with the policy pack (needs the pulumi CLI and AWS credentials)
	pulumi preview --stack $(STACK) --policy-pack infra/policy --diff

up: venv ## pulumi up (needs the pulumi CLI and AWS credentials)
	pulumi up --stack $(STACK) --policy-pack infra/policy

destroy: venv ## pulumi destroy
	pulumi destroy --stack $(STACK)

.PHONY: rotate-signing-key
rotate-signing-key: venv ## rotate the CloudFront signing key: STEP=switch, then STEP=retire after the longest grant [APPLY=1]
	@test -n "$(STEP)" || { echo "make rotate-signing-key: STEP=switch|retire is required" >&2; exit 2; }
	$(PY) -m infra.rotation $(STEP) --stack $(STACK) $(if $(APPLY),--apply)

library: venv ## generate (or reuse from .cache/media) the sample HLS library
	$(PY) -m media generate $(ARGS)

publish: venv ## sample library into BUCKET (else the selected stack's outputs) [CDN_URL=... DISTRIBUTION_ID=... PRUNE=1]
	$(PY) -m media publish $(if $(BUCKET),--bucket $(BUCKET)) $(if $(CDN_URL),--cdn-url $(CDN_URL)) \
	  $(if $(DISTRIBUTION_ID),--distribution-id $(DISTRIBUTION_ID)) $(if $(PRUNE),--prune) $(ARGS)

loadtest: venv ## Locust viewer load test [URL=...] (default: the local twin)
	$(PY) -m loadtest $(if $(URL),--url $(URL)) $(ARGS)

verify: venv ## post-deploy smoke checks [URL=...] (default: the local twin)
	$(PY) -m loadtest.verify $(if $(URL),--url $(URL)) $(ARGS)

bench-api: venv ## API throughput vs a bare WSGI app; ratios on the last line
	$(PY) bench/bench_api.py $(ARGS)

bench-dynamodb: venv ## DynamoDB calls per play by operation, read caches off vs on; ratio last
	$(PY) -m bench.dynamodb_calls $(ARGS)

capacity: venv ## capacity and monthly cost on paper: VIEWERS=... [BITRATE=Mbps] [HIT_RATIO=0..1]
	@test -n "$(VIEWERS)" || { echo "make capacity: VIEWERS=<concurrent viewers> is required" >&2; exit 2; }
	$(PY) -m capacity --viewers $(VIEWERS) --stack $(STACK) $(if $(BITRATE),--bitrate $(BITRATE)) \
	  $(if $(HIT_RATIO),--hit-ratio $(HIT_RATIO)) $(ARGS)

loadgen-cost: venv ## the load-generator stack's EC2 cost, at most [LOADGEN_STACK=sample]
	$(PY) -m loadgen.cost --stack $(LOADGEN_STACK)

loadgen-plan: venv ## offline plan of the load-generator stack: cost, then the replay into moto
	$(PY) -m loadgen.cost --stack $(LOADGEN_STACK)
	$(PY) -m replay --root loadgen --stack $(LOADGEN_STACK) \
	  --config targetStack= --config targetUrl=$(LOADGEN_REPLAY_URL) $(ARGS)

loadgen-up: venv ## cost, then pulumi up of the load-generator stack (needs the CLI and AWS credentials)
	$(PY) -m loadgen.cost --stack $(LOADGEN_STACK)
	cd loadgen && pulumi up --stack $(LOADGEN_STACK)

loadgen-results: venv ## fetch a run's results from S3 into reports/loadgen/<runId>/
	$(PY) -m loadgen.results --stack $(LOADGEN_STACK) $(ARGS)

loadgen-destroy: venv ## pulumi destroy of the load-generator stack (fetch the results first)
	cd loadgen && pulumi destroy --stack $(LOADGEN_STACK)
