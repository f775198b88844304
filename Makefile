# Boardpack. `make run` starts the whole system locally; `make test` runs
# every test. The module list comes from go.work, never a hand-kept list.
SHELL := /bin/bash
MODULE_DIRS := $(shell go list -m -f '{{.Dir}}')
SERVICES := $(notdir $(wildcard services/*-collector services/aggregator services/alerter services/scheduler services/mailer services/reportctl))
GO_TEST_FLAGS ?= -count=1 -timeout 20m
# build_info and `reportctl version` (package buildinfo); empty falls back
# to the VCS revision Go records.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILDINFO := github.com/boardpack/boardpack/services/internal/platform/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION)

.PHONY: build test test-short lint fuzz mutation bench chaos run up down fmt

build: ## Build every service into ./bin (one go build: packages compile in parallel)
	@mkdir -p bin
	@echo "go build -o bin/ $(SERVICES) ($(VERSION))"
	@go build -ldflags "$(LDFLAGS)" -o bin/ $(addprefix github.com/boardpack/boardpack/services/,$(SERVICES))

# Every module is built, vetted and tested on its own (GOWORK=off), exactly as
# its Dockerfile builds it, so a module that only compiles inside the
# workspace fails here rather than in an image build.
test: ## Unit and integration tests (moto started by the harness); every module on its own (GOWORK=off), failures listed at the end
	@failed=""; for d in $(MODULE_DIRS); do (cd $$d && echo "== $$d" && GOWORK=off go build ./... && GOWORK=off go vet ./... && GOWORK=off go test $(GO_TEST_FLAGS) ./...) || failed="$$failed $$d"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

test-short: ## Unit tests only
	@for d in $(MODULE_DIRS); do (cd $$d && GOWORK=off go test -short -count=1 ./...) || exit 1; done

FUZZTIME ?= 10s
fuzz: ## Every fuzz target (webhook, CSV import, tenants file) for FUZZTIME each
	@FUZZTIME=$(FUZZTIME) deploy/local/fuzz.sh

mutation: ## Mutation testing (gremlins v0.6.0) of stripemap, readmodel, report and importer; MUTATION_PKGS for a subset
	@deploy/local/mutation.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l $(MODULE_DIRS)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for d in $(MODULE_DIRS); do (cd $$d && GOWORK=off go vet ./...) || exit 1; done
	@for d in $(MODULE_DIRS); do (cd $$d && GOWORK=off go mod tidy -diff >/dev/null) || { echo "go.mod/go.sum not tidy in $$d (GOWORK=off go mod tidy)"; exit 1; }; done

fmt:
	@gofmt -w $(MODULE_DIRS)

run: build ## Everything locally in the foreground (moto if no AWS_ENDPOINT_URL); Ctrl-C stops all
	@deploy/local/boardpack-local.sh run

up: build ## The same in the background; returns once every service is healthy
	@deploy/local/boardpack-local.sh up

down: ## Stop what `make up` started
	@deploy/local/boardpack-local.sh down

bench: ## Every benchmark against one local moto; writes BENCHMARKS.md
	@deploy/local/bench.sh

chaos: ## 1,000 signed events x3 with SIGKILLs and a 10 s AWS outage; ledger comparison
	@cd services/e2e && BOARDPACK_CHAOS_EVENTS=$${BOARDPACK_CHAOS_EVENTS:-1000} go test -count=1 -run 'TestChaos$$' -v -timeout 60m . | grep -E 'chaos|PASS|FAIL|ok|---'
