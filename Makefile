# Developer entry points. PostgreSQL and Redis run privately under .run/
# (see deploy/local/services.sh); every target that needs them sources .run/env.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# The Go toolchain is installed in /usr/local/go on our machines and CI, which
# is not always on PATH in non-login shells.
ifneq ($(wildcard /usr/local/go/bin/go),)
export PATH := /usr/local/go/bin:$(PATH)
endif

SERVICES := bash deploy/local/services.sh

.PHONY: build services run test bench stop fmt clean prompts

build:
	go build -o bin/hotline ./cmd/hotline

services:
	$(SERVICES) start

run: services build
	. .run/env && bin/hotline migrate && bin/hotline seed --demo && HOTLINE_SIP_OPEN=$${HOTLINE_SIP_OPEN:-true} exec bin/hotline serve

# Tools `make test` runs, installed (pinned) by `services.sh test-tools`.
TOOLS := .run/tools

# go vet and staticcheck, then every test. testsum (internal/testsum) prints
# a line per package, the whole output of each failure, the search-quality
# figures TestQuality logs, and a closing summary line: tests run, passed,
# failed, skipped. The recipe fails if any test fails (testsum's and go
# test's exit status, through pipefail).
test: services
	$(SERVICES) test-tools
	. .run/env && go vet ./... && $(TOOLS)/staticcheck ./...
	go build -o $(TOOLS)/testsum ./internal/testsum
	. .run/env && go test -json -race -count=1 -timeout 20m ./... 2>&1 | \
		$(TOOLS)/testsum -show 'quality_test\.go:[0-9]+: (search quality|miss:)'

bench: services build
	. .run/env && bash deploy/bench/run.sh

stop:
	$(SERVICES) stop

# Lists unformatted files and fails if there are any. Hidden directories
# (.git, .run with its database files) and vendor/ are skipped.
fmt:
	@unformatted="$$(find . \( -path './.*' -o -path ./vendor \) -prune -o -name '*.go' -print | xargs -r gofmt -l)"; \
	if [[ -n "$$unformatted" ]]; then \
		echo "gofmt needed (run: gofmt -w <file>):"; echo "$$unformatted"; exit 1; \
	fi

# Regenerates the built-in IVR prompts into telephony/prompts/wav/, which is
# committed and embedded. Needs espeak-ng and sox (`services.sh test-tools`).
prompts:
	bash deploy/prompts/generate.sh

clean:
	rm -rf bin/
