# listhub: the two commands a fresh machine needs are `make run` and `make test`.
GO       ?= go
ADDR     ?= 127.0.0.1:5000
FUZZTIME ?= 10s
NODE_DIR := conformance

# Every fuzz target, as package:Target. Each runs for FUZZTIME in `make test`.
FUZZ_TARGETS := \
	./protocol:FuzzJSONParse \
	./protocol:FuzzMessagePackParse \
	./protocol:FuzzHandshakeParse \
	./auth:FuzzJWTParse \
	./internal/nodemsg:FuzzParse \
	./backplane/redis:FuzzDecodeFrame

.PHONY: test run fmt-check vet go-test fuzz node-deps sys-deps conformance bench

## run: start the conformance test server (the reference functional-test app) on $(ADDR).
run:
	$(GO) run ./conformance/testserver -addr $(ADDR)

## test: formatting, vet, unit and integration tests with -race, short fuzz runs, and the
## checks that drive the official JavaScript clients (npm packages installed when missing).
test: fmt-check vet sys-deps node-deps go-test fuzz conformance

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './$(NODE_DIR)/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

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

# The conformance suite: the official @microsoft/signalr client (Node) against
# conformance/testserver, which each test file builds and starts on a free port.
conformance: node-deps
	node --test --test-timeout=120000 conformance/test/*.test.mjs

## bench: micro benchmarks with allocation counts.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
