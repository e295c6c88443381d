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

.PHONY: build services run test bench stop fmt clean

build:
	go build -o bin/hotline ./cmd/hotline

services:
	$(SERVICES) start

run: services build
	. .run/env && bin/hotline migrate && bin/hotline seed --demo && exec bin/hotline serve

test: services
	$(SERVICES) test-tools
	. .run/env && go vet ./... && go test -race -count=1 -timeout 20m ./...
	@# The search-quality figures, printed where CI logs show them.
	@go test -count=1 -run '^TestQuality$$' -v ./knowledge/bleve/ | grep -E 'search quality|miss:'

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

clean:
	rm -rf bin/
