#!/usr/bin/env bats
# perf.bats: the service's limits used whole and never overrun, however the
# vault counts its budget; vault-ls's streaming order.  Correctness only,
# no time asserted (#17): the pacer's schedule is checked on a simulated
# clock by tests/unit/test_pace.c, and measured by make bench.

setup_file() {
	load helpers
	env_reset
	start_keyvault
	# A tree for vault-ls: 40 folders of 3 secrets under 8 folders, a
	# kv v1 mount beside it, keys whose order is not the server's.
	jq -n '{mounts: {"kv1/": 1}, secrets: {
	    "secret/": ([range(120) | {key: "t\(. % 8)/f\(. % 40)/s-\(.)",
		value: {data: {k: "v"}}}] + [{key: "t0", value: {data: {k: 1}}},
		{key: "t0-x", value: {data: {k: 1}}}] | from_entries),
	    "kv1/": {"a/b": {data: {k: "v"}}, "a-b": {data: {k: "v"}},
		"a": {data: {k: "v"}}}}}' \
	    >"$BATS_FILE_TMPDIR/tree.json"
	start_vault --seed "$BATS_FILE_TMPDIR/tree.json"
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	# The budget of secret writes, scaled down (50 a second instead of
	# 300 in 10) so that a run of many windows stays short.
	kv_reset '{"latency_ms":0,"fail_rate":0,"write_limit":50,
	    "all_limit":4000,"window":1,"throttle_mode":"bucket"}'
}

# records N: N records as kv-name makes them, one key each
records() {
	jq -nc --argjson n "$1" 'range($n) | {mount: "secret",
	    path: "p/s\(.)", kv: 2, name: "s\(.)", data: {k: "v\(.)"}}'
}

# throttled: how many requests the stand-in answered 429
throttled() {
	kvadmin GET /_admin/requests |
	    jq '[.requests[] | select(.status == 429)] | length'
}

# put_all MODE N BUDGET: the service counts MODE; kv-put -j 16
# --write-budget BUDGET writes N records, and every one is created.
put_all() {
	kvadmin POST /_admin/config "{\"throttle_mode\":\"$1\"}" >/dev/null
	records "$2" >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr kv-put -j 16 --write-budget "$3" \
	    <"$BATS_TEST_TMPDIR/in"
	[ "$(grep -c '"status":"created"' <<<"$output")" -eq "$2" ]
	refute_output --partial '"error"'
}

# writes_within_budget MODE MAX: 420 writes, more than eight windows'
# worth, go through with no failure and at most MAX 429s (each honoured)
# when the service counts MODE.
writes_within_budget() {
	put_all "$1" 420 50/1
	echo "429s: $(throttled)" >&3
	(( $(throttled) <= $2 ))
	assert_regex "$stderr" " 0 failed.* $(throttled) throttled\$"
	assert_equal "$(kvadmin GET /_admin/state | jq '.secrets | length')" 420
}

@test "stand-in: --throttle-mode is one of bucket, fixed, sliding" {
	run -2 --separate-stderr "$PY" "$TOP/tests/servers/keyvault.py" \
	    --port 0 --tls-cert "$TLS_DIR/server.pem" \
	    --tls-key "$TLS_DIR/server.key" --throttle-mode leaky
	assert_regex "$stderr" "invalid choice: 'leaky'"
	run kvadmin POST /_admin/config '{"throttle_mode":"leaky"}'
	assert_output --partial 'throttle_mode must be one of bucket, fixed, sliding'
}

# The three ways to count, seen from outside: after a full burst, a bucket
# gives a token back within a fraction of the window, fixed windows give
# the whole budget back at the window's end, a sliding window one by one.
@test "stand-in: each throttle mode takes the budget at once, then refuses with Retry-After" {
	local mode tok
	tok=$(curl -sS --cacert "$TLS_DIR/ca.pem" -d grant_type=client_credentials \
	    -d client_id=test-client -d client_secret=test-secret-Zq8 \
	    -d scope=https://127.0.0.1/.default \
	    "$KV_URL/test-tenant/oauth2/v2.0/token" | jq -r .access_token)
	for mode in bucket fixed sliding; do
		kv_reset "{\"throttle_mode\":\"$mode\",\"write_limit\":3,
		    \"window\":30}"
		for i in 1 2 3 4; do
			curl -sS --cacert "$TLS_DIR/ca.pem" -o /dev/null \
			    -D "$BATS_TEST_TMPDIR/h$i" -X PUT \
			    -H "Authorization: Bearer $tok" \
			    -H 'Content-Type: application/json' \
			    -d '{"value":"v"}' \
			    "$KV_URL/secrets/m$i?api-version=7.5"
		done
		for i in 1 2 3; do
			run head -n 1 "$BATS_TEST_TMPDIR/h$i"
			assert_output --regexp "^HTTP/1.1 200"
		done
		run cat "$BATS_TEST_TMPDIR/h4"
		assert_line --index 0 --regexp '^HTTP/1.1 429'
		assert_output --regexp 'Retry-After: [0-9]+'
	done
}

@test "kv-put: a token-bucket vault gets 420 writes with no 429 and no failure" {
	writes_within_budget bucket 0
}

# Fixed and sliding windows refuse what a bucket takes: the pacer trusts
# the bucket until the first 429, then keeps to any window's budget.  The
# 429s are those sent before the first came back: at most -j.
@test "kv-put: a fixed-window vault gets 420 writes, no failure, at most -j 429s" {
	writes_within_budget fixed 16
}

@test "kv-put: a sliding-window vault gets 420 writes, no failure, at most -j 429s" {
	writes_within_budget sliding 16
}

@test "kv-put: past the vault's budget, 429s are honoured and no record fails" {
	# Twice the vault's budget: the vault refuses, Retry-After is waited.
	put_all sliding 150 100/1
	[ "$(throttled)" -gt 0 ]
}

@test "kv-put: --write-budget is checked" {
	run -2 --separate-stderr kv-put --write-budget 0 </dev/null
	assert_regex "$stderr" 'write-budget: 0 is out of range'
	run -2 --separate-stderr kv-put --write-budget 10/x </dev/null
	assert_regex "$stderr" 'write-budget seconds: not a number: x'
	run -2 --separate-stderr kv-put --write-budget 10/ </dev/null
	assert_regex "$stderr" 'write-budget seconds: not a number'
}

# walk ARGS...: the Vault stand-in's LIST requests, counted
lists() {
	admin "$VAULT_URL/_admin/requests" |
	    jq '[.requests[] | select(.method == "LIST")] | length'
}

@test "vault-ls: the same output byte for byte whatever -j, run after run" {
	local j
	vault-ls -j 1 >"$BATS_TEST_TMPDIR/ref" 2>/dev/null
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ref")" -eq 125 ]
	# In path order: what a sort of the whole listing would give.
	assert_equal "$(jq -r '[.mount, .path] | join(" ")' "$BATS_TEST_TMPDIR/ref")" \
	    "$(jq -r '[.mount, .path] | join(" ")' "$BATS_TEST_TMPDIR/ref" | sort)"
	for j in 1 2 3 8 16 64 8 16; do
		vault-ls -j "$j" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
		cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/out"
	done
	vault-ls -l -j 1 >"$BATS_TEST_TMPDIR/ref" 2>/dev/null
	for j in 4 16; do
		vault-ls -l -j "$j" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
		cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/out"
	done
	# Arguments in any order: the same order out.
	vault-ls -j 8 kv1 secret/t3 secret/t1 >"$BATS_TEST_TMPDIR/ref" 2>/dev/null
	vault-ls -j 2 secret/t1 kv1 secret/t3 >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/out"
	assert_equal "$(jq -r '[.mount, .path] | join(" ")' "$BATS_TEST_TMPDIR/ref" | head -4)" \
	    "kv1 a
kv1 a-b
kv1 a/b
secret t1/f1/s-1"
}

@test "vault-ls: records come out while the walk goes on" {
	local first
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":40}' >/dev/null
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	# One folder at a time: the walk makes 49 LISTs.  When the first
	# record is read, most of them have not been made.
	vault-ls -j 1 secret 2>/dev/null | {
		read -r line
		lists >"$BATS_TEST_TMPDIR/at-first"
		cat >/dev/null
	}
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":0}' >/dev/null
	first=$(cat "$BATS_TEST_TMPDIR/at-first")
	[ "$(lists)" -eq 49 ]
	[ "$first" -lt 20 ]
}
