#!/usr/bin/env bats
# No crash: a pipeline whose reader goes away while workers and the HTTP
# engine are busy (tool | head) ends cleanly, never by a signal.  Before,
# the write error called exit() under live threads, and library
# destructors ran beneath libcurl and OpenSSL: SIGSEGV in about one run
# in ten.

RUNS=${V2K_CRASH_RUNS:-200}

setup_file() {
	load helpers
	env_reset
	# Over TLS: OpenSSL's exit handlers are the ones that crashed.
	tls_setup "$BATS_FILE_TMPDIR/tls"
	start_vault --tls-cert "$BATS_FILE_TMPDIR/tls/server.pem" \
	    --tls-key "$BATS_FILE_TMPDIR/tls/server.key"
	export VAULT_CACERT=$BATS_FILE_TMPDIR/tls/ca.pem
	export TLS_DIR=$BATS_FILE_TMPDIR/tls
	# 3000 secrets in 30 folders, seeded in one request.
	"$PY" -c 'import json
print(json.dumps({"secrets": {"secret/": {"f%02d/s%04d" % (i % 30, i):
    {"data": {"k": "v%d" % i}} for i in range(3000)}}}))' \
	    >"$BATS_FILE_TMPDIR/seed.json"
	admin "$VAULT_URL/_admin/seed" -X POST \
	    --data-binary @"$BATS_FILE_TMPDIR/seed.json" >/dev/null
	vault-ls secret >"$BATS_FILE_TMPDIR/in" 2>/dev/null
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

@test "the input has 3000 records" {
	[ "$(wc -l <"$BATS_FILE_TMPDIR/in")" -eq 3000 ]
}

# no_signal BYTES WANT TOOL [ARGS...]: $RUNS runs of TOOL ARGS (its input
# the 3000 records) | head -c BYTES, each ending in exit WANT and none by
# a signal; every bad run is said on fd 3.  The last run's stderr stays
# in $BATS_TEST_TMPDIR/err.
no_signal() {
	local bytes=$1 want=$2 i rc bad=0
	shift 2
	for i in $(seq 1 "$RUNS"); do
		"$@" <"$BATS_FILE_TMPDIR/in" 2>"$BATS_TEST_TMPDIR/err" |
		    head -c "$bytes" >/dev/null
		rc=${PIPESTATUS[0]}
		if [ "$rc" -ge 128 ] || [ "$rc" -ne "$want" ]; then
			echo "run $i: $1 exited $rc" >&3
			cat "$BATS_TEST_TMPDIR/err" >&3
			bad=$((bad + 1))
		fi
	done
	[ "$bad" -eq 0 ]
}

# A read-only stage whose reader went away ends quietly with the status
# of what it wrote (0 here): see msg_quiet_epipe.
@test "vault-dump -j16 | head -c 2000: never killed by a signal in $RUNS runs" {
	no_signal 2000 0 vault-dump -j16
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "vault-ls -l -j16 | head -c 300: never killed by a signal in $RUNS runs" {
	no_signal 300 0 vault-ls -l -j16 secret
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}
