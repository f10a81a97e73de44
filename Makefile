# berth: see README.md. Every target installs what it needs.
SHELL   := /bin/bash
GO      ?= go
HOSTS   ?= 3
LAB_DIR ?= /tmp/berth-lab
BIN     := bin/berth
export BERTH_LAB_DIR := $(LAB_DIR)

.PHONY: all build test unit e2e chaos fuzz lint lab-up lab-down demo bench image clean image

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/berth

# make test: unit tests, a short fuzz run, then the end-to-end tests on a
# fresh lab, which is torn down again whatever happened.
test: lint unit fuzz
	@set -o pipefail; status=0; \
	$(MAKE) --no-print-directory lab-up HOSTS=$(HOSTS) || status=$$?; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory e2e || status=$$?; fi; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory chaos ROUNDS=$(TEST_CHAOS_ROUNDS) SEED=$(TEST_CHAOS_SEED) || status=$$?; fi; \
	$(MAKE) --no-print-directory lab-down || true; \
	exit $$status

unit:
	$(GO) test -count=1 ./...

# make chaos: rounds of randomized faults fired at step boundaries of real
# applies on a running lab, the invariants checked after each (see
# README.md, "Chaos testing"). ROUNDS=N SEED=S; ONLY=K replays round K of
# the seed alone. BERTH_E2E_HOSTS=h10,h11,h12 picks the lab hosts. The
# report goes to stdout and test/chaos/last-report.md; exit 1 on any
# violation. make test runs the fixed slice TEST_CHAOS_ROUNDS/SEED: each
# fault twice, no long holds, about 2 minutes.
ROUNDS ?= 20
SEED   ?= 1
TEST_CHAOS_ROUNDS ?= 18
TEST_CHAOS_SEED   ?= 182
chaos: build
	BERTH_BIN=$(CURDIR)/$(BIN) $(if $(BERTH_E2E_HOSTS),BERTH_E2E_HOSTS=$(BERTH_E2E_HOSTS)) \
	$(GO) test -count=1 -tags e2e -timeout $$(( $(ROUNDS) * 4 + 10 ))m -v -run '^TestChaos$$' ./test/chaos/ \
		-args -rounds=$(ROUNDS) -seed=$(SEED) $(if $(ONLY),-only=$(ONLY))

# A count, not a duration: Go 1.26's fuzz coordinator can report a bare
# "context deadline exceeded" when a duration ends on a busy machine
# (golang/go#75804, fixed in 1.27). About 20 s here.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 20000x ./lang
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 20000x ./planner

e2e: build
	@set -o pipefail; log=$$(mktemp); \
	BERTH_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -tags e2e -timeout 30m -v ./test/e2e/... >$$log 2>&1; status=$$?; \
	grep -E '^(=== RUN|\s*--- (PASS|FAIL|SKIP)|PASS$$|FAIL|ok )' $$log; \
	if [ $$status -ne 0 ]; then echo "--- e2e output (last 300 lines)"; tail -n 300 $$log; fi; \
	rm -f $$log; exit $$status

# lint: gofmt, go vet, staticcheck (fetched through the Go module proxy),
# and the examples must stay valid and formatted.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: build
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags e2e ./test/...
	$(BIN) --chdir examples validate
	$(BIN) --chdir examples fmt --check
	$(BIN) --chdir examples/shop validate
	$(BIN) --chdir examples/shop fmt --check
	$(BIN) --chdir examples/build validate
	$(BIN) --chdir examples/build fmt --check

lab-up:
	bash test/lab/lab.sh up $(HOSTS)

lab-down:
	bash test/lab/lab.sh down

demo: build
	bash examples/demo.sh

bench: build
	bash test/bench/bench.sh

# make image: berth as a container image (Dockerfile: FROM scratch, the
# static binary, CA certificates), built from a small local context with the
# lab's build daemon when it runs, else the default docker.
IMAGE        ?= berth:latest
IMAGE_DOCKER ?= $(if $(wildcard $(LAB_DIR)/build/docker.sock),-H unix://$(LAB_DIR)/build/docker.sock)

image: build
	@ctx=$$(mktemp -d); trap 'rm -rf "$$ctx"' EXIT; \
	cp $(BIN) Dockerfile /etc/ssl/certs/ca-certificates.crt "$$ctx"/ && \
	DOCKER_BUILDKIT=0 docker $(IMAGE_DOCKER) build -q -t $(IMAGE) "$$ctx" && \
	echo "built $(IMAGE)"

clean:
	rm -rf bin
