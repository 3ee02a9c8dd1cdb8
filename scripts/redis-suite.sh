#!/usr/bin/env bash
# Runs units of Redis's own test suite (tag 7.0.15, external-server mode)
# against a freshly started Moonstone each, and prints passes per unit.
#
#   scripts/redis-suite.sh unit/type/hash unit/expire ...
#
# The suite is not part of this repository: point REDIS_GIT at a git
# directory of github.com/redis/redis (default: the workplace mirror), or
# REDIS_SUITE at an already extracted tree. SUITE_TAGS overrides the denied
# tags; the log of each unit is left in $OUT (default /tmp/moonstone-suite).
# TARGET=redis runs the same units against Debian's redis-server, which
# gives the counts to aim for. Both servers start with the DEBUG command
# enabled, so SUITE_TAGS without -needs:debug runs the tests that use it.
# ENCODING=check keeps the suite's OBJECT ENCODING assertions, which are
# skipped by default.
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_GIT=${REDIS_GIT:-/work/.mirror/redis+redis/repo}
OUT=${OUT:-/tmp/moonstone-suite}
mkdir -p "$OUT"
if [ -z "${REDIS_SUITE:-}" ]; then
	REDIS_SUITE="$OUT/redis-7.0.15"
	if [ ! -d "$REDIS_SUITE/tests" ]; then
		mkdir -p "$REDIS_SUITE"
		git --git-dir="$REDIS_GIT" archive 7.0.15 runtest tests | tar -x -C "$REDIS_SUITE"
	fi
fi
encoding=--ignore-encoding
[ "${ENCODING:-}" = check ] && encoding=
TAGS=${SUITE_TAGS:-"-needs:debug -needs:repl -needs:config-maxmemory -needs:pfdebug -needs:latency -needs:local-process"}

go build -o "$OUT/moonstone" ./cmd/moonstone

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for unit in "$@"; do
	port=$(free_port)
	dir=$(mktemp -d)
	if [ "${TARGET:-moonstone}" = redis ]; then
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
			--enable-debug-command yes >"$OUT/server.log" 2>&1 &
	else
		"$OUT/moonstone" --port "$port" --bind 127.0.0.1 --dir "$dir" \
			--enable-debug-command yes >"$OUT/server.log" 2>&1 &
	fi
	pid=$!
	for _ in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	log="$OUT/${TARGET:-moonstone}-$(echo "$unit" | tr / _).log"
	(cd "$REDIS_SUITE" && timeout 900 tclsh tests/test_helper.tcl --host 127.0.0.1 --port "$port" \
		--baseport $((20000 + RANDOM % 20000)) --single "$unit" --durable --timeout 180 \
		--tags "$TAGS" $encoding --ignore-digest) >"$log" 2>&1 || true
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
	# The runner colours its tags; strip the escapes before counting. Every
	# failure is printed twice (as it happens and in the summary).
	plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
	ok=$(grep -c '^\[ok\]' <<<"$plain" || true)
	err=$(grep -c '^\[err\]' <<<"$plain" || true)
	exc=$(grep -c '^\[exception\]' <<<"$plain" || true)
	printf '%-28s ok %4s  err %4s  exception %s   (%s)\n' "$unit" "$ok" "$err" "$exc" "$log"
done
