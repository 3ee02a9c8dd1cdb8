#!/usr/bin/env bash
# Runs Moonstone's whole test suite. The differential tests compare replies
# with a real redis-server, so install Debian's redis-server and redis-tools
# first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
	echo "installing redis-server and redis-tools (the tests' reference server)..."
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
fi

gofmt_out=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$gofmt_out" ]; then
	echo "gofmt would change:"
	echo "$gofmt_out"
	exit 1
fi
go vet ./...
go test -race -timeout 60m "$@" ./...
# The benchmark harness's smoke test: both servers, every workload, tiny
# loads. It checks that the harness works, not speed, and writes no files.
go run ./bench -short >/dev/null
echo "bench -short: ok"
