# listhub: the two commands a fresh machine needs are `make run` and `make test`;
# `make check` is the quick loop while editing (see CONTRIBUTING.md).
GO       ?= go
ADDR     ?= 127.0.0.1:5000
FUZZTIME ?= 10s
NODE_DIR := conformance
# make test keeps each step's full output here and prints it only when the step fails.
LOGDIR   ?= $(or $(TMPDIR),/tmp)/listhub-test
SL_DIR   := examples/shoppinglist
SL_WEB   := $(SL_DIR)/web
SL_TEST  := $(SL_DIR)/test

# Every fuzz target, as package:Target. Each runs for FUZZTIME in `make test`.
FUZZ_TARGETS := \
	./protocol:FuzzJSONParse \
	./protocol:FuzzMessagePackParse \
	./protocol:FuzzHandshakeParse \
	./auth:FuzzJWTParse \
	./presence/redisstore:FuzzParseReply \
	./internal/nodemsg:FuzzParse \
	./backplane/redis:FuzzDecodeFrame

# The same for the shopping-list example's own module.
SL_FUZZ_TARGETS := \
	./internal/server:FuzzItemBody

.PHONY: test check run build page run-conformance fmt-check vet go-test fuzz node-deps sys-deps conformance bench \
	shoppinglist-test shoppinglist-go-test shoppinglist-node-test shoppinglist-browser-test

## run: build and start the shopping-list example on http://127.0.0.1:8080
## (pass flags with ARGS, e.g. make run ARGS='-addr 127.0.0.1:9000').
run: build
	./bin/shoppinglist $(ARGS)

## build: bin/shoppinglist with the web page embedded.
build: page
	cd $(SL_DIR) && $(GO) build -o ../../bin/shoppinglist .

# The page: npm packages from the committed lockfile when missing, then the
# esbuild bundle into web/dist (embedded by go build, never committed).
page:
	@if [ -f $(SL_WEB)/package.json ]; then \
		if [ ! -d $(SL_WEB)/node_modules ]; then npm --prefix $(SL_WEB) ci --no-audit --no-fund; fi; \
		npm --prefix $(SL_WEB) run build; \
	else echo "page: $(SL_WEB)/package.json not present yet; building the server without the page"; fi

## run-conformance: start the conformance test server (the reference functional-test app) on $(ADDR).
run-conformance:
	$(GO) run ./conformance/testserver -addr $(ADDR)

## test: formatting, vet, unit and integration tests with -race, short fuzz runs, and the
## checks that drive the official JavaScript clients (npm packages installed when missing).
## Prints one line per step; a failing step's full output (for the conformance suite, its
## failing tests), then stops. Every step is also a target of its own.
TEST_STEPS := fmt-check vet sys-deps node-deps go-test fuzz conformance shoppinglist-test
test:
	@mkdir -p $(LOGDIR); for step in $(TEST_STEPS); do \
		start=$$(date +%s); log=$(LOGDIR)/$$step.log; \
		if $(MAKE) --no-print-directory -s $$step >$$log 2>&1; then \
			printf 'ok    %-10s %4ss  %s\n' $$step $$(( $$(date +%s) - start )) "$$($(call step_summary,$$step,$$log))"; \
		else \
			if [ $$step = conformance ] && grep -q '^ *not ok ' $$log; then $(call tap_failures,$$log); else cat $$log; fi; \
			printf 'FAIL  %-10s %4ss  full output: %s\n' $$step $$(( $$(date +%s) - start )) $$log; exit 1; \
		fi; \
	done

# step_summary prints what a step did, from its log ($(1) step, $(2) log).
step_summary = case $(1) in \
	go-test) echo "$$(grep -c '^ok' $(2)) packages";; \
	fuzz) echo "$$(grep -c '^fuzz ' $(2)) targets for $(FUZZTIME) each";; \
	conformance) grep -E '^\# (tests|pass|fail) ' $(2) | tr '\n' ' ';; \
	shoppinglist-test) echo "$$(grep -c '^ok' $(2)) Go packages;" $$(grep -E '^(\# |ℹ )(pass|fail) ' $(2) | tr '\n' ' ');; \
	esac

# tap_failures prints the failing tests of a TAP log with their diagnostics.
tap_failures = awk '/^ *not ok /{p=1} p{print} p && /^ *\.\.\.$$/{p=0}' $(1)

## check: the quick loop while editing: gofmt, vet and the unit tests with -race and -short
## (cached when nothing changed), without fuzzing and without Node.js.
check: fmt-check vet
	$(GO) test -race -short ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './$(NODE_DIR)/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd $(SL_DIR) && $(GO) vet ./...

# Installs the Debian packages the tests start themselves (redis-server,
# PostgreSQL, Chromium) when one is missing. Needs root, as on CI and the
# developers' machines; tests find the binaries on PATH or in their Debian paths.
SYS_PACKAGES := redis-server:redis-server redis-tools:redis-cli postgresql:/usr/lib/postgresql/*/bin/initdb chromium:chromium
sys-deps:
	@missing=""; for pair in $(SYS_PACKAGES); do \
		pkg=$${pair%%:*}; bin=$${pair#*:}; \
		if ! command -v $$bin >/dev/null 2>&1 && ! ls $$bin >/dev/null 2>&1; then missing="$$missing $$pkg"; fi; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Installs the pinned npm packages from the committed lockfile when they are missing.
node-deps: $(NODE_DIR)/node_modules/.package-lock.json

$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	@touch $@

# LISTHUB_REQUIRE_NODE and LISTHUB_REQUIRE_REDIS turn "node or npm packages
# missing" and "redis-server missing" skips into failures.
go-test:
	LISTHUB_REQUIRE_NODE=1 LISTHUB_REQUIRE_REDIS=1 $(GO) test -race -count=1 ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
	@set -e; for t in $(SL_FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $(SL_DIR) $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -C $(SL_DIR) -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# The conformance suite: the official @microsoft/signalr client (Node) against
# conformance/testserver, which each test file builds and starts on a free port.
# CONFORMANCE narrows it: make conformance CONFORMANCE=conformance/test/hub.test.mjs
CONFORMANCE ?= $(NODE_DIR)/test/*.test.mjs
conformance: node-deps
	node --test --test-timeout=120000 $(CONFORMANCE)

# The shopping-list example: its own module's Go tests (SQLite, and
# PostgreSQL started from Debian's package), its official-client tests
# (Node), and the page's browser tests (headless Chromium) against the
# built binary.
shoppinglist-test: shoppinglist-go-test shoppinglist-node-test shoppinglist-browser-test

shoppinglist-go-test:
	cd $(SL_DIR) && LISTHUB_REQUIRE_NODE=1 SHOPPINGLIST_REQUIRE_POSTGRES=1 $(GO) test -race -count=1 -timeout 20m ./...

shoppinglist-node-test: build
	@if [ -f $(SL_TEST)/package.json ]; then \
		if [ ! -d $(SL_TEST)/node_modules ]; then npm --prefix $(SL_TEST) ci --no-audit --no-fund; fi; \
		SHOPPINGLIST_BIN=$(CURDIR)/bin/shoppinglist node --test --test-timeout=120000 $(SL_TEST)/*.test.mjs; \
	fi

shoppinglist-browser-test: build
	@if [ -f $(SL_WEB)/package.json ]; then \
		SHOPPINGLIST_BIN=$(CURDIR)/bin/shoppinglist npm --prefix $(SL_WEB) run test:browser; \
	else echo "shoppinglist-browser-test: $(SL_WEB)/package.json not present yet"; fi

## bench: micro benchmarks with allocation counts.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
