#!/usr/bin/env bash
# Runs the benchmarks against the private services of deploy/local and
# prints one table of figures (see cmd/hotline-bench). `make bench` calls
# this with .run/env sourced; extra arguments go to hotline-bench
# (e.g. -duration 30s -tickets 200000).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${HOTLINE_TEST_DATABASE_URL:?source .run/env first (make bench does)}"

# wrk generates the HTTP load: a C client as light as pgbench's, so the two
# rates compare servers rather than load generators. sipp (package
# sip-tester) generates the calls of the SIP benchmark, the same way, and
# answers the outbound benchmark's calls as the citizens' phones behind
# the carrier trunk (its speech: sip-tester's g711a.pcap).
need() { # command package
	command -v "$1" >/dev/null && return
	if [[ $(id -u) -eq 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"
	else
		echo "bench needs $1: sudo apt-get install $2" >&2
		exit 1
	fi
}
need wrk wrk
need sipp sip-tester

go build -o bin/hotline ./cmd/hotline
go build -o bin/hotline-bench ./cmd/hotline-bench
exec bin/hotline-bench -binary bin/hotline "$@"
