#!/usr/bin/env bash
# .ci/postgres.sh starts a throwaway PostgreSQL server for the store tests.
#
# Usage:
#   eval "$(.ci/postgres.sh)"            # or: .ci/postgres.sh FILE; . FILE
#   .ci/postgres.sh stop DIR             # stop the server and delete DIR
#
# It installs PostgreSQL from Debian's packages when no server binaries are
# present, creates a new cluster in a private directory under /tmp (so an
# existing cluster such as 15/main is never touched), listens only on
# 127.0.0.1 on a free port, creates a role and a database with a random
# password, waits until the server accepts connections, and prints:
#
#   export SECURESHARE_TEST_POSTGRES=postgres://secureshare:...@127.0.0.1:PORT/secureshare?sslmode=disable
#   export SECURESHARE_TEST_POSTGRES_DIR=/tmp/secureshare-pg.XXXXXX
#
# Everything else goes to stderr. As root the server runs as the postgres
# user; as anyone else it runs as the caller (PostgreSQL must then already
# be installed).
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# as_owner runs a command as the user that owns the cluster.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# find_bin prints the newest PostgreSQL server bin directory, if any.
find_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		printf '%s\n' "$d"
	fi
}

# port_in_use reports whether something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port prints a port on 127.0.0.1 that nothing listens on.
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM % 40000)))
		if ! port_in_use "$p"; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

stop_cluster() {
	local dir=${1:-}
	[ -n "$dir" ] || die "stop: missing directory"
	[ -f "$dir/data/PG_VERSION" ] || die "stop: $dir is not a cluster made by this script"
	local bin
	bin=$(find_bin)
	[ -n "$bin" ] || die "stop: no PostgreSQL binaries found"
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
	rm -rf -- "$dir"
	log "stopped and removed $dir"
}

if [ "${1:-}" = "stop" ]; then
	stop_cluster "${2:-}"
	exit 0
fi
out_file=${1:-}
case $out_file in
"" | /*) ;;
*) out_file=$PWD/$out_file ;;
esac
# The postgres user may not be able to enter the caller's directory.
cd /

# 1. Install the server when it is missing (or, with
# SECURESHARE_PG_INSTALL=1, always, to exercise this step).
bin=$(find_bin)
if [ -z "$bin" ] || [ -n "${SECURESHARE_PG_INSTALL:-}" ]; then
	[ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and we are not root to install it"
	log "installing postgresql from Debian"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql >&2
	bin=$(find_bin)
	[ -n "$bin" ] || die "postgresql installed but no server binaries under /usr/lib/postgresql"
fi
log "using $bin"
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# 2. Create a private cluster directory. Local (socket) connections are
# trusted: the socket lives in this 0700 directory. TCP needs a password.
dir=$(mktemp -d /tmp/secureshare-pg.XXXXXX)
chmod 0700 "$dir"
[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
# 18 random bytes are 24 base64 characters; + and / would need escaping in
# the URL, so they become x and y.
password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
# The superuser gets a random password nobody keeps: it signs in over the
# socket only.
as_owner sh -c "umask 077 && head -c 24 /dev/urandom | base64 > '$dir/pwfile'"
# C.UTF-8 is built into Debian 12's glibc; plain C is the fallback.
init_cluster() {
	rm -rf "$dir/data"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale="$1" \
		>"$dir/initdb.log" 2>&1
}
init_cluster C.UTF-8 || init_cluster C || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
rm -f "$dir/pwfile"

# 3. Start it on a free loopback port; retry if another process takes the
# port between our check and the server's bind.
started=
for attempt in 1 2 3 4 5; do
	port=$(free_port) || die "no free port found"
	if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on" \
		start >/dev/null; then
		started=1
		break
	fi
	log "start on port $port failed (attempt $attempt); server log follows"
	tail -n 20 "$dir/server.log" >&2 || true
done
[ -n "$started" ] || die "could not start PostgreSQL; see $dir/server.log"

# 4. Wait until it accepts TCP connections.
ready=
for i in $(seq 1 60); do
	if as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres; then
		ready=1
		break
	fi
	sleep 0.5
done
[ -n "$ready" ] || die "PostgreSQL on port $port did not become ready; see $dir/server.log"

# 5. Create the role and database the tests use, then prove that the role
# can sign in over TCP with its password.
psql=$bin/psql
[ -x "$psql" ] || psql=psql
as_owner "$psql" -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
	-v pw="$password" >&2 <<'SQL'
CREATE ROLE secureshare LOGIN PASSWORD :'pw';
CREATE DATABASE secureshare OWNER secureshare;
SQL
PGPASSWORD=$password "$psql" -q -h 127.0.0.1 -p "$port" -U secureshare -d secureshare \
	-c 'SELECT 1' >/dev/null || die "role secureshare cannot sign in over TCP"

dsn="postgres://secureshare:${password}@127.0.0.1:${port}/secureshare?sslmode=disable"
lines="export SECURESHARE_TEST_POSTGRES='$dsn'
export SECURESHARE_TEST_POSTGRES_DIR='$dir'"
if [ -n "$out_file" ]; then
	(umask 077 && printf '%s\n' "$lines" > "$out_file")
	log "wrote $out_file"
fi
printf '%s\n' "$lines"
log "PostgreSQL is up on 127.0.0.1:$port; stop it with: $0 stop $dir"
