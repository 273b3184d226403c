#!/usr/bin/env bats
# Deadlines: SIGINT and SIGTERM end every tool within 2 s, requests in
# flight included; a server that accepts and never answers fails a request
# (VAULT_CLIENT_TIMEOUT, KV_CLIENT_TIMEOUT), the start-up check within 10
# s, and a record with a message that says what was waited for.

SUB=0c8e2f4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b
VID=/subscriptions/$SUB/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-x

setup_file() {
	load helpers
	env_reset
	local dir=$BATS_FILE_TMPDIR
	tls_setup "$dir/tls"
	# Servers that accept and never answer, over HTTP and HTTPS.
	_start HANG flaky.py --default hang --hang 3600
	_start HANGS flaky.py --default hang --hang 3600 \
	    --tls-cert "$dir/tls/server.pem" --tls-key "$dir/tls/server.key"
	start_vault
	export HANG_URL HANGS_URL TLS_DIR=$dir/tls
	admin "$VAULT_URL/_admin/seed" -X POST -d '{"secrets": {"secret/": {
	    "ok/a": {"data": {"k": "va"}}, "ok/b": {"data": {"k": "vb"}},
	    "slow/c": {"data": {"k": "vc"}}}}}' >/dev/null
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"hang_paths": [], "loop_lists": []}' >/dev/null
}

# azure_hang: the kv-* tools' services all at the HTTPS server that hangs.
azure_hang() {
	export KEY_VAULT_NAME=$HANGS_URL AZURE_AUTHORITY_HOST=$HANGS_URL
	export AZURE_RESOURCE_MANAGER_URL=$HANGS_URL
	export AZURE_TENANT_ID=test-tenant AZURE_CLIENT_ID=test-client
	export AZURE_CLIENT_SECRET=test-secret-Zq8
	export SSL_CERT_FILE=$TLS_DIR/ca.pem CURL_CA_BUNDLE=$TLS_DIR/ca.pem
	export REQUESTS_CA_BUNDLE=$TLS_DIR/ca.pem
}

# signal_run SIG INPUT TOOL ARGS...: start the tool with INPUT on stdin,
# send SIG after a second, and give it 2 s to end: sets status, ms (from
# the signal to the end), out and err.
signal_run() {
	local sig=$1 input=$2 pid t0
	shift 2
	printf '%s\n' "$input" >"$BATS_TEST_TMPDIR/in"
	"$@" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	signal_send "$sig" "$pid"
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" || true
		echo "$1 still runs 2 s after SIG$sig" >&2
		cat "$BATS_TEST_TMPDIR/err" >&2
		return 1
	fi
	signal_reap "$pid"
}

# signal_send SIG PID: after a second, send SIG and wait up to 2 s for PID
# to end; sets t0, when it was sent.
signal_send() {
	local i
	sleep 1
	t0=$(date +%s%N)
	kill -s "$1" "$2"
	for i in $(seq 1 40); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
}

# signal_reap PID: status, ms (since t0), out and err of the ended run.
signal_reap() {
	status=0
	wait "$1" || status=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	out=$(cat "$BATS_TEST_TMPDIR/out")
	err=$(cat "$BATS_TEST_TMPDIR/err")
}

# interrupted: the last run ended on the signal, said so, leaked nothing.
interrupted() {
	echo "status=$status ms=$ms err=$err" >&3
	[ "$status" -eq 2 ]
	[ "$ms" -lt 2000 ]
	[[ $err == *interrupted* ]]
	[[ $out$err != *root* ]]
	[[ $out$err != *test-secret-Zq8* ]]
	[[ $out$err != *va* || true ]]
}

REC='{"mount":"secret","path":"ok/a","kv":2,"name":"ok-a","data":{"k":"v"}}'

# One function per case, run for SIGTERM and SIGINT below.
sig_vault_ls() {
	VAULT_ADDR=$HANG_URL signal_run "$1" '' vault-ls
	interrupted
}

sig_vault_dump() {
	VAULT_ADDR=$HANG_URL signal_run "$1" "$REC" vault-dump
	interrupted
}

sig_vault_dump_inflight() {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"hang_paths": ["secret/"]}' >/dev/null
	signal_run "$1" "$REC" vault-dump
	interrupted
}

sig_vault_ls_inflight() {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"hang_paths": ["secret/"]}' >/dev/null
	signal_run "$1" '' vault-ls -l secret
	interrupted
}

sig_kv_put() {
	azure_hang
	signal_run "$1" "$REC" kv-put
	interrupted
}

sig_kv_check() {
	azure_hang
	signal_run "$1" "$REC" kv-check
	interrupted
}

sig_kv_grant() {
	azure_hang
	signal_run "$1" '{"principal":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","role":"Key Vault Secrets User"}' \
	    kv-grant --scope "$VID"
	interrupted
}

sig_kv_name() {
	local pid t0
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 5<>"$BATS_TEST_TMPDIR/fifo"
	kv-name <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	signal_send "$1" "$pid"
	exec 5>&-
	signal_reap "$pid"
	interrupted
}

@test "SIGTERM ends vault-ls waiting for Vault's answer within 2 s" {
	sig_vault_ls TERM
}

@test "SIGTERM ends vault-dump waiting for Vault's answer within 2 s" {
	sig_vault_dump TERM
}

@test "SIGTERM ends vault-dump with records in flight within 2 s" {
	sig_vault_dump_inflight TERM
}

@test "SIGTERM ends vault-ls -l with requests in flight within 2 s" {
	sig_vault_ls_inflight TERM
}

@test "SIGTERM ends kv-put waiting for Azure's answer within 2 s" {
	sig_kv_put TERM
}

@test "SIGTERM ends kv-check waiting for Azure's answer within 2 s" {
	sig_kv_check TERM
}

@test "SIGTERM ends kv-grant waiting for Azure's answer within 2 s" {
	sig_kv_grant TERM
}

@test "SIGTERM ends kv-name waiting for input within 2 s" {
	sig_kv_name TERM
}

@test "SIGINT ends vault-ls waiting for Vault's answer within 2 s" {
	sig_vault_ls INT
}

@test "SIGINT ends vault-dump waiting for Vault's answer within 2 s" {
	sig_vault_dump INT
}

@test "SIGINT ends vault-dump with records in flight within 2 s" {
	sig_vault_dump_inflight INT
}

@test "SIGINT ends vault-ls -l with requests in flight within 2 s" {
	sig_vault_ls_inflight INT
}

@test "SIGINT ends kv-put waiting for Azure's answer within 2 s" {
	sig_kv_put INT
}

@test "SIGINT ends kv-check waiting for Azure's answer within 2 s" {
	sig_kv_check INT
}

@test "SIGINT ends kv-grant waiting for Azure's answer within 2 s" {
	sig_kv_grant INT
}

@test "SIGINT ends kv-name waiting for input within 2 s" {
	sig_kv_name INT
}

# A stopped run reads no further: the records after the signal are
# neither granted nor passed on as if they had been looked at.
@test "SIGINT stops kv-grant reading its input" {
	local i in=
	azure_hang
	for i in $(seq 1 3000); do
		in+='{"principal":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","role":"Key Vault Secrets User","name":"s'$i'"}'$'\n'
	done
	signal_run INT "${in%$'\n'}" kv-grant -j 1 --scope "$VID"
	interrupted
	echo "records out: $(grep -c . <<<"$out")" >&3
	[ "$(grep -c '"name":"s3000"' <<<"$out")" -eq 0 ]
	[ "$(grep -c . <<<"$out")" -lt 100 ]
}

# twice TOOL ARGS...: the tool waiting on the hanging server gets SIGINT
# and SIGTERM together (stopped meanwhile, so that both are pending when
# it runs again; the same signal twice would be pending once): the first
# it handles asks it to stop, the second ends it at once, by that signal
# (130 or 143: which runs last is the kernel's choice), without its
# summary.
twice() {
	local pid t0
	printf '%s\n' "$REC" >"$BATS_TEST_TMPDIR/in"
	"$@" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1
	t0=$(date +%s%N)
	kill -STOP "$pid"
	kill -INT "$pid"
	kill -TERM "$pid"
	kill -CONT "$pid"
	signal_reap "$pid"
	echo "status=$status ms=$ms" >&3
	[[ $status == 130 || $status == 143 ]]
	[ "$ms" -lt 1000 ]
	run cat "$BATS_TEST_TMPDIR/err"
	refute_output --partial interrupted
}

@test "a second signal ends kv-put at once, by the signal" {
	azure_hang
	twice kv-put
}

@test "a second signal ends vault-dump at once, by the signal" {
	VAULT_ADDR=$HANG_URL twice vault-dump
}

@test "the start-up check gives up within 10 s on a Vault that never answers" {
	local t0=$SECONDS
	VAULT_ADDR=$HANG_URL run -2 --separate-stderr vault-dump secret/a
	[ $((SECONDS - t0)) -le 11 ]
	[ "$output" = "" ]
	[[ $stderr == *"Vault did not answer GET auth/token/lookup-self within 10 s"* ]]
}

@test "VAULT_CLIENT_TIMEOUT: a record Vault does not answer fails, the others go on" {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"hang_paths": ["secret/data/slow/", "secret/metadata/slow/"]}' >/dev/null
	local t0=$SECONDS
	VAULT_CLIENT_TIMEOUT=1s run -1 --separate-stderr vault-dump <<-EOF
		{"mount":"secret","path":"ok/a","kv":2}
		{"mount":"secret","path":"slow/c","kv":2}
		{"mount":"secret","path":"ok/b","kv":2}
	EOF
	echo "$output" >&3
	echo "$stderr" >&3
	[ $((SECONDS - t0)) -le 8 ]
	[ "$(jq -r '.data.k // .error.message' <<<"$output" | head -1)" = va ]
	[ "$(jq -r '.data.k // .error.message' <<<"$output" | tail -1)" = vb ]
	[[ $(sed -n 2p <<<"$output" | jq -r .error.message) == "Vault did not answer GET secret/"*"/slow/c within 4 s (3 attempts)" ]]
}

@test "VAULT_CLIENT_TIMEOUT: a record's requests together end within 5 timeouts" {
	admin "$VAULT_URL/_admin/seed" -X POST -d '{"secrets": {"secret/": {
	    "multi/m": {"versions": [{"data": {"k": 1}}, {"data": {"k": 2}},
	    {"data": {"k": 3}}, {"data": {"k": 4}}]}}}}' >/dev/null
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"hang_paths": ["secret/data/multi/"]}' >/dev/null
	local t0=$SECONDS
	# Four version reads that hang: 4 x 4 s without the record's limit.
	VAULT_CLIENT_TIMEOUT=1 run -1 --separate-stderr vault-dump -a \
	    secret/multi/m
	echo "$output" >&3
	[ $((SECONDS - t0)) -le 7 ]
	[ "$(jq -s length <<<"$output")" -eq 4 ]
	[ "$(jq -r .error.message <<<"$output" | head -1)" = \
	    "Vault did not answer GET secret/data/multi/m within 4 s (3 attempts)" ]
	[ "$(jq -r .error.message <<<"$output" | tail -1)" = \
	    "Vault did not answer GET secret/data/multi/m in time: the record's limit of 5 s is spent" ]
}

@test "VAULT_CLIENT_TIMEOUT is read as the Vault CLI reads it" {
	local v
	for v in 2 2s 1m 1.5s 1m30s 2d; do
		VAULT_ADDR=$VAULT_URL VAULT_CLIENT_TIMEOUT=$v run -0 \
		    --separate-stderr vault-dump secret/ok/a
	done
	for v in x 1e300 -1 0 0s 1y 99999999999999999999h 30sec ""s; do
		VAULT_CLIENT_TIMEOUT=$v run -2 --separate-stderr vault-dump secret/ok/a
		[[ $stderr == "vault-dump: VAULT_CLIENT_TIMEOUT: \"$v\" is not"* ]]
	done
}

@test "KV_CLIENT_TIMEOUT: kv-put gives up on a Key Vault that does not answer and says so" {
	azure_hang
	local t0=$SECONDS
	KV_CLIENT_TIMEOUT=1 run -2 --separate-stderr kv-put <<<"$REC"
	echo "$stderr" >&3
	[ $((SECONDS - t0)) -le 8 ]
	[[ $stderr == *"127.0.0.1 did not answer GET /secrets within "[3-6]" s (3 attempts)" ]]
	[[ $stderr != *test-secret-Zq8* ]]
}

@test "vault-ls: a folder that lists itself is an error record, the walk goes on" {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"loop_lists": ["secret/metadata/ok/"]}' >/dev/null
	run -1 --separate-stderr timeout 60 vault-ls secret
	echo "$stderr" | cut -c1-200 >&3
	[ "$(jq -r 'select(.folder) | .error.message' <<<"$output")" = \
	    "folders nested deeper than 64 levels: not listed (does a folder list itself?)" ]
	[ "$(jq -r 'select(.folder) | .path' <<<"$output")" = \
	    "ok$(printf '/loop%.0s' $(seq 1 64))" ]
	# The walk went on past the loop: the secret beside it is listed.
	jq -r 'select(.folder | not) | .path' <<<"$output" | grep -qx slow/c
}

@test "vault-ls: 70 nested folders: the ones past 64 are an error record" {
	local p=deep i
	for i in $(seq 1 70); do p=$p/d; done
	admin "$VAULT_URL/_admin/seed" -X POST \
	    -d "{\"secrets\": {\"secret/\": {\"$p/x\": {\"data\": {\"k\": 1}}, \"deep/y\": {\"data\": {\"k\": 2}}}}}" >/dev/null
	run -1 --separate-stderr vault-ls secret/deep
	[ "$(jq -r 'select(.folder | not) | .path' <<<"$output")" = "deep/y" ]
	[ "$(jq -r 'select(.folder) | .error.message' <<<"$output")" = \
	    "folders nested deeper than 64 levels: not listed (does a folder list itself?)" ]
}
