#!/usr/bin/env bash
# Local PostgreSQL + Redis for development, tests and CI.
#
#   services.sh start    install missing OS packages, start PostgreSQL and Redis,
#                        write .run/env (safe to run any number of times)
#   services.sh stop     stop both (safe when nothing is running)
#   services.sh env      print .run/env
#   services.sh status   say what is running (exit 0 if both are up, 3 otherwise)
#   services.sh test-tools
#                        install what `make test` needs and is missing: for
#                        the browser tests Chromium and a Chinese font
#                        (fonts-wqy-microhei), for the telephony tests sipp
#                        (sip-tester), baresip, espeak-ng and sox, and
#                        staticcheck (pinned, in .run/tools)
#
# Everything lives in <repo>/.run/ (git-ignored): a private PostgreSQL cluster,
# a private Redis, and the env file the Makefile sources. The system-wide
# PostgreSQL/Redis services (if any) are never touched.
#
# Ports can be overridden with HOTLINE_PG_PORT (default 55432) and
# HOTLINE_REDIS_PORT (default 56379).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
RUN_DIR="$REPO_ROOT/.run"
PG_DIR="$RUN_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK_DIR="$PG_DIR/sock"
PG_LOG_DIR="$PG_DIR/log"
PG_LOG="$PG_LOG_DIR/postgresql.log"
PG_PASSWORD_FILE="$PG_DIR/password"
REDIS_DIR="$RUN_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
APP_DATA_DIR="$RUN_DIR/data"
ENV_FILE="$RUN_DIR/env"
TOOLS_DIR="$RUN_DIR/tools"

# honnef.co/go/tools, whose staticcheck `make test` runs. To move on:
# `go list -m -versions honnef.co/go/tools`, change this, run make test.
STATICCHECK_VERSION=v0.8.2

PG_PORT="${HOTLINE_PG_PORT:-55432}"
REDIS_PORT="${HOTLINE_REDIS_PORT:-56379}"
READY_TIMEOUT=30     # seconds to wait for a service to answer
PG_OS_USER=postgres  # owner of the cluster when this script runs as root
PG_BIN=""            # set by select_pg_bin, e.g. /usr/lib/postgresql/15/bin

# ---------------------------------------------------------------- helpers

log() { echo "services: $*" >&2; }
die() {
	echo "services: ERROR: $*" >&2
	exit 1
}
is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Paths are written single-quoted into postgresql.conf and .run/env; refusing
# these two characters up front keeps that quoting trivially correct.
case "$REPO_ROOT" in
*"'"* | *$'\n'*) die "the repository path must not contain a single quote or newline: $REPO_ROOT" ;;
esac

# Run a command as the OS user that owns the cluster. PostgreSQL refuses to run
# as root, so root delegates to the "postgres" system user. We cd into the pg
# directory first so the command does not start in a directory that user
# cannot read (e.g. /root), which makes psql/pg_ctl print warnings.
as_pg() {
	if is_root; then
		(cd "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$@")
	else
		"$@"
	fi
}

# wait_until <what> <logfile> <command...>: retry the command for READY_TIMEOUT seconds.
wait_until() {
	local what="$1" logfile="$2"
	shift 2
	local deadline=$((SECONDS + READY_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			die "$what did not answer within ${READY_TIMEOUT}s; see $logfile"
		fi
		sleep 0.5
	done
}

# ---------------------------------------------------------------- packages

# True if <dir> has every PostgreSQL program we use.
has_pg_tools() {
	local dir="$1" tool
	for tool in initdb pg_ctl postgres pgbench pg_isready psql; do
		if [[ ! -x "$dir/$tool" ]]; then
			return 1
		fi
	done
	# pg_trgm ships with the server package on Debian (contrib is merged in).
	local major
	major="$(basename "$(dirname "$dir")")"
	[[ -f "/usr/share/postgresql/$major/extension/pg_trgm.control" ]]
}

# Debian installs each major version in /usr/lib/postgresql/<major>/bin.
# Use the highest one, unless our cluster already exists: then use the version
# that created it (a newer server cannot open an older cluster without pg_upgrade).
select_pg_bin() {
	local dir
	PG_BIN=""
	while IFS= read -r dir; do
		if has_pg_tools "$dir"; then
			PG_BIN="$dir"
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V) # an unmatched glob stays literal and fails has_pg_tools

	if [[ -f "$PG_DATA/PG_VERSION" ]]; then
		local cluster_major
		cluster_major="$(<"$PG_DATA/PG_VERSION")"
		if has_pg_tools "/usr/lib/postgresql/$cluster_major/bin"; then
			PG_BIN="/usr/lib/postgresql/$cluster_major/bin"
		elif [[ -n "$PG_BIN" ]]; then
			die "$PG_DATA was created by PostgreSQL $cluster_major, which is not installed." \
				"Install postgresql-$cluster_major, or delete $PG_DIR to start over (this deletes the local database)."
		fi
	fi
	[[ -n "$PG_BIN" ]]
}

redis_installed() {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null
}

# apt_install PACKAGE... installs missing Debian packages, as root, or tells
# a non-root user the command to run. Noninteractive and stdin from /dev/null
# so it works in CI without a tty; the lock timeout waits for another
# apt/dpkg run (e.g. unattended upgrades) instead of failing at once.
apt_install() {
	if ! is_root; then
		{
			echo "services: ERROR: missing OS packages: $*. Install them with:"
			echo
			echo "    sudo apt-get install -y --no-install-recommends $*"
			echo
			echo "then run this again."
		} >&2
		exit 1
	fi
	command -v apt-get >/dev/null || die "missing $* and apt-get is not available; install them by hand."
	log "installing $* (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 update </dev/null >&2
	apt-get -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 install -y --no-install-recommends "$@" </dev/null >&2
}

# Install PostgreSQL and/or Redis from Debian packages if they are missing.
# On Debian the packages' postinst may create a system cluster/service; we
# ignore those and run our own under .run/.
ensure_packages() {
	local missing=()
	if ! select_pg_bin; then
		missing+=(postgresql)
	fi
	if ! redis_installed; then
		missing+=(redis-server)
	fi
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	apt_install "${missing[@]}"
	select_pg_bin || die "PostgreSQL tools (initdb, pg_ctl, postgres, pgbench, pg_trgm) still not found under /usr/lib/postgresql/*/bin"
	redis_installed || die "redis-server/redis-cli still not found after installing redis-server"
}

# Install the browser tests' tools (headless Chromium and a CJK font, without
# which Chinese renders as boxes in the screenshots) and the telephony tests'
# tools (sipp with its DTMF pcaps, baresip as a softphone, espeak-ng and sox
# for the prompts) if they are missing.
ensure_test_tools() {
	local missing=() pkg cmd
	if ! command -v chromium >/dev/null; then
		missing+=(chromium)
	fi
	if ! dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null | grep 'ok installed' >/dev/null; then
		missing+=(fonts-wqy-microhei)
	fi
	# package:command pairs; sip-tester provides sipp.
	for pkg in sip-tester:sipp baresip:baresip espeak-ng:espeak-ng sox:sox; do
		if ! command -v "${pkg#*:}" >/dev/null; then
			missing+=("${pkg%%:*}")
		fi
	done
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	apt_install "${missing[@]}"
	for cmd in chromium sipp baresip espeak-ng sox; do
		command -v "$cmd" >/dev/null || die "$cmd still not found after installing it"
	done
}

# Install the pinned Go tools into .run/tools unless they are there at the
# pinned version. Needs go on PATH and the Go module proxy.
ensure_go_tools() {
	local want="(${STATICCHECK_VERSION#v})"
	# No grep -q: with pipefail an early grep exit could fail the pipeline.
	if [[ -x "$TOOLS_DIR/staticcheck" ]] &&
		"$TOOLS_DIR/staticcheck" -version 2>/dev/null | grep -F "$want" >/dev/null; then
		return 0
	fi
	command -v go >/dev/null || die "go is not on PATH; it is needed to install staticcheck"
	log "installing staticcheck $STATICCHECK_VERSION into $TOOLS_DIR"
	mkdir -p "$TOOLS_DIR"
	GOBIN="$TOOLS_DIR" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" </dev/null ||
		die "could not install staticcheck $STATICCHECK_VERSION (go install needs the Go module proxy)"
}

# ---------------------------------------------------------------- directories

ensure_pg_os_user() {
	if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
		log "creating system user $PG_OS_USER"
		useradd --system --home /var/lib/postgresql --shell /bin/bash "$PG_OS_USER"
	fi
}

# When root, the postgres user must be able to reach .run/pg through every
# parent directory. A repo under /root (mode 700) is the usual problem. Where a
# directory is not traversable we add o+x: "search" only, so others can pass
# through to paths they already know but still cannot list or read anything.
# That is the smallest change that lets the server open its data directory;
# it is only applied outside the repo when it is actually needed.
ensure_parents_traversable() {
	local path="" part parts
	IFS=/ read -ra parts <<<"${RUN_DIR#/}"
	for part in "${parts[@]}"; do
		path="$path/$part"
		if ! runuser -u "$PG_OS_USER" -- test -x "$path"; then
			log "note: chmod o+x $path so the $PG_OS_USER user can reach $PG_DIR"
			chmod o+x "$path"
		fi
	done
}

generate_password() {
	if command -v openssl >/dev/null; then
		openssl rand -hex 16
	else
		head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n'
		echo
	fi
}

prepare_dirs() {
	mkdir -p "$RUN_DIR" "$PG_DIR" "$PG_SOCK_DIR" "$PG_LOG_DIR" "$REDIS_DIR" "$APP_DATA_DIR"
	# The socket directory is private to the cluster owner: local (socket)
	# connections use "trust", so whoever can reach the socket is superuser.
	chmod 700 "$PG_DIR" "$PG_SOCK_DIR" "$PG_LOG_DIR" "$REDIS_DIR" "$APP_DATA_DIR"

	if [[ ! -s "$PG_PASSWORD_FILE" ]]; then
		log "generating PostgreSQL password in $PG_PASSWORD_FILE"
		(
			umask 077
			generate_password >"$PG_PASSWORD_FILE"
		)
	fi
	chmod 600 "$PG_PASSWORD_FILE"

	if is_root; then
		# 711: the postgres user may pass through .run but not list it.
		chmod 711 "$RUN_DIR"
		# initdb reads the password file as the postgres user.
		chown "$PG_OS_USER:" "$PG_DIR" "$PG_SOCK_DIR" "$PG_LOG_DIR" "$PG_PASSWORD_FILE"
		ensure_parents_traversable
	else
		chmod 700 "$RUN_DIR"
	fi
}

# ---------------------------------------------------------------- PostgreSQL

has_c_utf8_locale() {
	# No grep -q: with pipefail an early grep exit could fail the pipeline.
	locale -a 2>/dev/null | grep -iE '^c\.utf-?8$' >/dev/null
}

# initdb on the first start only (PG_VERSION exists once a cluster is complete).
init_cluster() {
	if [[ -f "$PG_DATA/PG_VERSION" ]]; then
		return 0
	fi
	if [[ -e "$PG_DATA" ]]; then
		# Left over from an interrupted initdb; it cannot hold any data yet.
		log "removing incomplete data directory $PG_DATA"
		rm -rf "$PG_DATA"
	fi

	# C.UTF-8 gives byte-order (fast, stable) sorting but Unicode character
	# classes, which pg_trgm needs to index Chinese text. Plain C would make
	# pg_trgm ignore every non-ASCII character.
	local locale_args=(--locale=C.UTF-8)
	if ! has_c_utf8_locale; then
		log "warning: C.UTF-8 locale not available; using --no-locale (pg_trgm will ignore non-ASCII text)"
		locale_args=(--no-locale)
	fi

	log "initialising PostgreSQL cluster in $PG_DATA ($PG_BIN)"
	if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" --username=postgres --pwfile="$PG_PASSWORD_FILE" \
		--encoding=UTF8 "${locale_args[@]}" \
		--auth-local=trust --auth-host=scram-sha-256 >"$PG_LOG_DIR/initdb.log" 2>&1; then
		die "initdb failed; see $PG_LOG_DIR/initdb.log"
	fi

	# Our settings live in a separate file that is rewritten on every start
	# (see write_pg_conf); postgresql.conf just includes it.
	echo "include 'hotline.conf'" >>"$PG_DATA/postgresql.conf"
}

# Rewritten before every server start so port changes take effect.
write_pg_conf() {
	local conf="$PG_DATA/hotline.conf"
	cat >"$conf" <<EOF
# Written by deploy/local/services.sh before every start; edit the script instead.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK_DIR'
max_connections = 200
shared_buffers = 256MB
# Server logs go to stderr, which "pg_ctl -l" appends to $PG_LOG.
logging_collector = off
EOF
	if is_root; then
		chown "$PG_OS_USER:" "$conf"
	fi
}

pg_running() {
	as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Line 1 of postmaster.pid is the pid, line 4 the port.
pg_pid() { sed -n 1p "$PG_DATA/postmaster.pid" 2>/dev/null; }
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null; }

pg_ready() {
	"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

# psql as the superuser over the private unix socket (trust auth, no password).
# stdin carries the SQL, so the password never shows up in `ps`.
psql_super() {
	as_pg env PGOPTIONS='-c client_min_messages=warning' \
		"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK_DIR" -p "$PG_PORT" -U postgres "$@" >/dev/null
}

# The app role and database. Idempotent; run on every start. It also resets the
# role's password from .run/pg/password so the two never drift apart.
setup_app_database() {
	local password
	password="$(<"$PG_PASSWORD_FILE")"
	psql_super -d postgres <<EOF || die "could not create role/database hotline; see $PG_LOG"
\set pw '$password'
SELECT 'CREATE ROLE hotline' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hotline') \gexec
ALTER ROLE hotline LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE hotline OWNER hotline' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'hotline') \gexec
\c hotline
-- pg_trgm is created by the superuser so it exists before migrations run.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
EOF
}

# pg_trgm in template1, so every database created later (test databases
# included) has it. Only done right after this script started the server:
# while anyone is connected to template1, "CREATE DATABASE ... TEMPLATE
# template1" fails, so we stay away from it while tests may be running.
setup_template1() {
	psql_super -d template1 -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' ||
		die "could not create pg_trgm in template1; see $PG_LOG"
}

start_postgres() {
	if pg_running; then
		local port
		port="$(pg_running_port)"
		if [[ "$port" != "$PG_PORT" ]]; then
			die "PostgreSQL is already running on port $port, not $PG_PORT; run '$0 stop' first"
		fi
		log "PostgreSQL already running (pid $(pg_pid), port $PG_PORT)"
		wait_until "PostgreSQL on 127.0.0.1:$PG_PORT" "$PG_LOG" pg_ready
		setup_app_database
		return 0
	fi

	write_pg_conf
	log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
	if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" -s; then
		die "PostgreSQL did not start; see $PG_LOG"
	fi
	wait_until "PostgreSQL on 127.0.0.1:$PG_PORT" "$PG_LOG" pg_ready
	setup_template1
	setup_app_database
}

stop_postgres() {
	if ! select_pg_bin || [[ ! -f "$PG_DATA/PG_VERSION" ]] || ! pg_running; then
		log "PostgreSQL not running"
		return 0
	fi
	log "stopping PostgreSQL"
	as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$READY_TIMEOUT" -s ||
		die "PostgreSQL did not stop; see $PG_LOG"
}

# ---------------------------------------------------------------- Redis

redis_ping() {
	[[ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

# Print the pid from our pidfile if that process is still a redis-server
# (pids get reused after a reboot or container restart).
redis_pid() {
	local pid
	[[ -s "$REDIS_PIDFILE" ]] || return 1
	pid="$(<"$REDIS_PIDFILE")"
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
	echo "$pid"
}

start_redis() {
	if redis_ping; then
		log "Redis already running (port $REDIS_PORT)"
		return 0
	fi
	log "starting Redis on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
	# A cache/queue for local use: no persistence, so nothing to clean up.
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
		--dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
		--save '' --appendonly no ||
		die "redis-server failed to start; see $REDIS_LOG"
	wait_until "Redis on 127.0.0.1:$REDIS_PORT" "$REDIS_LOG" redis_ping
}

# wait_for_exit <pid>: true once the process is gone, false after 10 seconds.
wait_for_exit() {
	local deadline=$((SECONDS + 10))
	while kill -0 "$1" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.2
	done
}

stop_redis() {
	local pid=""
	pid="$(redis_pid)" || true
	if [[ -n "$pid" ]]; then
		log "stopping Redis (pid $pid)"
		# SIGTERM is a clean shutdown; persistence is off, so nothing is saved.
		kill "$pid" 2>/dev/null || true
		wait_for_exit "$pid" || die "Redis (pid $pid) did not stop within 10s; see $REDIS_LOG"
	elif redis_ping; then
		# Something answers on our port but our pidfile is gone: ask it to exit.
		log "stopping Redis on port $REDIS_PORT (no pidfile)"
		timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
		sleep 0.5
		if redis_ping; then
			die "Redis on port $REDIS_PORT is still answering"
		fi
	else
		log "Redis not running"
	fi
}

# ---------------------------------------------------------------- env file

write_env_file() {
	local password tmp="$ENV_FILE.tmp"
	password="$(<"$PG_PASSWORD_FILE")"
	(
		umask 077
		cat >"$tmp" <<EOF
export HOTLINE_DATABASE_URL='postgres://hotline:$password@127.0.0.1:$PG_PORT/hotline?sslmode=disable'
export HOTLINE_TEST_DATABASE_URL='postgres://hotline:$password@127.0.0.1:$PG_PORT/postgres?sslmode=disable'
export HOTLINE_REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'
export HOTLINE_PG_BIN='$PG_BIN'
export HOTLINE_DATA_DIR='$APP_DATA_DIR'
EOF
	)
	chmod 600 "$tmp"
	mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- commands

cmd_start() {
	ensure_packages
	if is_root; then
		ensure_pg_os_user
	fi
	prepare_dirs
	init_cluster
	start_postgres
	start_redis
	write_env_file
	log "ready: postgres://hotline:***@127.0.0.1:$PG_PORT/hotline redis://127.0.0.1:$REDIS_PORT/0 (env: $ENV_FILE)"
}

cmd_stop() {
	stop_postgres
	stop_redis
}

cmd_env() {
	[[ -f "$ENV_FILE" ]] || die "$ENV_FILE does not exist; run 'bash deploy/local/services.sh start' first"
	cat "$ENV_FILE"
}

cmd_status() {
	local all_up=true
	if ! select_pg_bin; then
		echo "postgres: not installed"
		all_up=false
	elif [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
		echo "postgres: not initialised ($PG_DATA)"
		all_up=false
	elif pg_running; then
		echo "postgres: running (pid $(pg_pid), 127.0.0.1:$(pg_running_port), $PG_BIN, data $PG_DATA)"
	else
		echo "postgres: stopped (data $PG_DATA)"
		all_up=false
	fi

	local pid=""
	if ! redis_installed; then
		echo "redis: not installed"
		all_up=false
	elif redis_ping; then
		pid="$(redis_pid)" || pid="unknown, no pidfile in $REDIS_DIR"
		echo "redis: running (pid $pid, 127.0.0.1:$REDIS_PORT)"
	else
		echo "redis: stopped"
		all_up=false
	fi

	if [[ "$all_up" == true ]]; then
		return 0
	fi
	return 3
}

usage() {
	echo "usage: $0 start|stop|env|status|test-tools" >&2
	exit 2
}

main() {
	[[ $# -eq 1 ]] || usage
	case "$1" in
	start) cmd_start ;;
	stop) cmd_stop ;;
	env) cmd_env ;;
	status) cmd_status ;;
	test-tools)
		ensure_test_tools
		ensure_go_tools
		;;
	*) usage ;;
	esac
}

main "$@"
