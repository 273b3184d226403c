#!/usr/bin/env bats
# transport.bats: how vault-ls and vault-dump reach Vault, as the vault CLI
# reads its environment (hashicorp/vault api/client.go): mutual TLS
# (VAULT_CLIENT_CERT, VAULT_CLIENT_KEY), VAULT_TLS_SERVER_NAME,
# VAULT_CACERT_BYTES, VAULT_MAX_RETRIES, VAULT_RATE_LIMIT,
# VAULT_AGENT_ADDR; OpenBao's BAO_* names read first; and long runs: the
# token's TTL, its renewal, its expiry in the middle of a run.

setup_file() {
	load helpers
	env_reset
	local d=$BATS_FILE_TMPDIR/tls i
	tls_setup "$d"
	# A client certificate of the same CA, a key that is not its own,
	# and a server certificate for a name other than the address.
	openssl req -newkey rsa:2048 -nodes -subj /CN=v2k-client \
	    -keyout "$d/client.key" -out "$d/client.csr" >/dev/null 2>&1
	printf '%s\n' 'basicConstraints=CA:FALSE' \
	    'extendedKeyUsage=clientAuth' >"$d/client.cnf"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/client.cnf" \
	    -out "$d/client.pem" >/dev/null 2>&1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$d/other.key" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj /CN=vault.internal.test \
	    -keyout "$d/named.key" -out "$d/named.csr" >/dev/null 2>&1
	printf '%s\n' 'subjectAltName=DNS:vault.internal.test' \
	    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$d/named.cnf"
	openssl x509 -req -in "$d/named.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/named.cnf" \
	    -out "$d/named.pem" >/dev/null 2>&1
	{
		printf '{"mounts": {"legacy/": {"type": "kv", "version": "1"}},\n'
		printf ' "policies": {"reader": "path \\"*\\" { capabilities = [\\"read\\", \\"list\\"] }"},\n'
		printf ' "secrets": {"secret/": {\n'
		for i in $(seq 1 24); do
			printf '  "many/s%02d": {"data": {"v": "value-%02d"}},\n' "$i" "$i"
		done
		printf '  "app/db": {"data": {"user": "app", "password": "pw-1"}}},\n'
		printf ' "legacy/": {"old/thing": {"data": {"k": "v1"}}}}}\n'
	} >"$BATS_FILE_TMPDIR/tree.json"
	start_vault --seed "$BATS_FILE_TMPDIR/tree.json"
	_start MTLS vault.py --root-token root --seed "$BATS_FILE_TMPDIR/tree.json" \
	    --tls-cert "$d/server.pem" --tls-key "$d/server.key" \
	    --client-ca "$d/ca.pem" --log "$BATS_FILE_TMPDIR/mtls.log"
	_start NAMED vault.py --root-token root --seed "$BATS_FILE_TMPDIR/tree.json" \
	    --tls-cert "$d/named.pem" --tls-key "$d/named.key"
	_start FLAKY flaky.py --default 503
	start_keyvault
	export MTLS_URL NAMED_URL FLAKY_URL TLSD=$d
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	W=$BATS_TEST_TMPDIR
	kv_reset
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":0,"fail_rate":0,"rate_limit":0,"fail_paths":[]}' >/dev/null
}

N=26

# mtls: the variables that reach the mutual-TLS stand-in.
mtls() {
	export VAULT_ADDR=$MTLS_URL VAULT_TOKEN=root
	export VAULT_CLIENT_CERT=$TLSD/client.pem VAULT_CLIENT_KEY=$TLSD/client.key
}

@test "mutual TLS: the whole pipeline against a Vault that demands a client certificate" {
	mtls
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(wc -l <"$W/dump")" "$N"
	assert_equal "$(jq -s '[.[] | select(.error)] | length' "$W/check")" 0
	assert_equal "$(admin "$KV_URL/_admin/state" | jq '.secrets | length')" "$N"
	run -0 grep -c '"path": *"/v1/secret/' "$BATS_FILE_TMPDIR/mtls.log"
}

@test "mutual TLS: without the client certificate the run fails at the start, naming TLS and the client certificate" {
	export VAULT_ADDR=$MTLS_URL VAULT_TOKEN=root
	run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$output" ""
	assert_regex "$stderr" "cannot reach Vault at $MTLS_URL: .*certificate.*VAULT_CLIENT_CERT and VAULT_CLIENT_KEY"
	run -2 --separate-stderr vault-ls secret
	assert_regex "$stderr" "client certificate"
}

@test "mutual TLS: a key that does not match the certificate is fatal and names VAULT_CLIENT_KEY" {
	mtls
	export VAULT_CLIENT_KEY=$TLSD/other.key
	run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_CLIENT_KEY: the key does not match the certificate of VAULT_CLIENT_CERT"
	refute_regex "$stderr" "$TLSD"
}

@test "mutual TLS: one of the pair alone, a missing file, a file that is no PEM are fatal, naming the variable" {
	mtls
	run -2 --separate-stderr env -u VAULT_CLIENT_KEY vault-ls secret
	assert_equal "$stderr" "vault-ls: VAULT_CLIENT_CERT is set without VAULT_CLIENT_KEY: mutual TLS needs both"
	run -2 --separate-stderr env VAULT_CLIENT_CERT="$W/nope.pem" vault-ls secret
	assert_equal "$stderr" "vault-ls: VAULT_CLIENT_CERT: No such file or directory"
	echo 'not a key' >"$W/bad.key"
	run -2 --separate-stderr env VAULT_CLIENT_KEY="$W/bad.key" vault-dump secret/app/db
	assert_regex "$stderr" "^vault-dump: VAULT_CLIENT_KEY: no PEM private key in the file"
	# The key given as the certificate.
	run -2 --separate-stderr env VAULT_CLIENT_CERT="$TLSD/client.key" vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_CLIENT_CERT: no PEM certificate in the file"
}

@test "VAULT_TLS_SERVER_NAME: a certificate for another name fails without it and works with it, Host stays the address's" {
	export VAULT_ADDR=$NAMED_URL VAULT_TOKEN=root
	run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "cannot reach Vault at $NAMED_URL: .*(certificate|subject|name)"
	refute_regex "$stderr" "client certificate"
	export VAULT_TLS_SERVER_NAME=vault.internal.test
	run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$(jq -c .data <<<"$output")" '{"password":"pw-1","user":"app"}'
	run -0 admin "$NAMED_URL/_admin/requests" -k
	assert_equal "$(jq -r '[.requests[].headers | to_entries[] | select(.key | ascii_downcase == "host") | .value] | unique | join(" ")' <<<"$output")" \
	    "${NAMED_URL#https://}"
	# Not a host name: fatal, named.
	run -2 --separate-stderr env VAULT_TLS_SERVER_NAME='a:b' vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_TLS_SERVER_NAME: not a host name"
}

@test "VAULT_CACERT_BYTES: the CA as PEM text is trusted instead of the defaults; bad PEM is fatal without its value" {
	export VAULT_ADDR=$NAMED_URL VAULT_TOKEN=root VAULT_TLS_SERVER_NAME=vault.internal.test
	export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
	run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "cannot reach Vault"
	VAULT_CACERT_BYTES=$(cat "$TLSD/ca.pem") run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$(jq -r .data.user <<<"$output")" app
	VAULT_CACERT_BYTES='secret-looking-junk' run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_CACERT_BYTES: not PEM certificates (-----BEGIN CERTIFICATE----- ...)"
}

@test "VAULT_MAX_RETRIES: 0 makes one attempt, 2 makes three; not a number is fatal" {
	export VAULT_ADDR=$FLAKY_URL VAULT_TOKEN=root
	curl -sS "$FLAKY_URL/_reset" >/dev/null
	VAULT_MAX_RETRIES=0 run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$(curl -sS "$FLAKY_URL/_stats" | jq .requests)" 1
	curl -sS "$FLAKY_URL/_reset" >/dev/null
	run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$(curl -sS "$FLAKY_URL/_stats" | jq .requests)" 3
	# A read that fails: VAULT_MAX_RETRIES=2 is three attempts.
	export VAULT_ADDR=$VAULT_URL
	admin "$VAULT_URL/_admin/config" -X POST -d '{"fail_paths":["secret/data/app/db"],"fail_kinds":["503"]}' >/dev/null
	VAULT_MAX_RETRIES=2 run -1 --separate-stderr vault-dump secret/app/db
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq '[.requests[] | select(.path == "/v1/secret/data/app/db")] | length' <<<"$output")" 3
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	VAULT_MAX_RETRIES=0 run -1 --separate-stderr vault-dump secret/app/db
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq '[.requests[] | select(.path == "/v1/secret/data/app/db")] | length' <<<"$output")" 1
	VAULT_MAX_RETRIES=-1 run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_MAX_RETRIES: not a number of retries (0 or more)"
	VAULT_MAX_RETRIES=two run -2 --separate-stderr vault-ls
	assert_equal "$stderr" "vault-ls: VAULT_MAX_RETRIES: not a number of retries (0 or more)"
}

@test "VAULT_RATE_LIMIT paces requests under a server's rate limit: no 429; a bad rate is fatal" {
	admin "$VAULT_URL/_admin/config" -X POST -d '{"rate_limit":6}' >/dev/null
	# Unpaced, 8 reads at once overrun 6 a second.
	run -0 --separate-stderr bash -c 'vault-ls -q secret/many | head -n 12 | vault-dump -q -j 8 >/dev/null'
	run -0 admin "$VAULT_URL/_admin/requests"
	assert [ "$(jq '[.requests[] | select(.status == 429)] | length' <<<"$output")" -gt 0 ]
	# Paced: vault-dump alone (two paced tools at once would add up), at
	# 3/s with a burst of 1, so that its unpaced start-up requests and
	# the bucket together stay within any one-second window of 6.
	vault-ls -q secret/many | head -n 12 >"$BATS_TEST_TMPDIR/ls"
	sleep 1.1
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	VAULT_RATE_LIMIT=3:1 run -0 --separate-stderr bash -c 'vault-dump -q -j 8 <"$BATS_TEST_TMPDIR/ls" >/dev/null'
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq '[.requests[] | select(.status == 429)] | length' <<<"$output")" 0
	assert [ "$(jq '.requests | length' <<<"$output")" -gt 12 ]
	for bad in 0 -1 x 5:0 5:x 'NaN' '1e999'; do
		VAULT_RATE_LIMIT=$bad run -2 --separate-stderr vault-dump secret/app/db
		assert_regex "$stderr" '^vault-dump: VAULT_RATE_LIMIT: not a rate'
	done
}

@test "OpenBao: the whole pipeline with only BAO_* variables set, mutual TLS included" {
	export BAO_ADDR=$MTLS_URL BAO_TOKEN=root BAO_CACERT=$TLSD/ca.pem
	export BAO_CLIENT_CERT=$TLSD/client.pem BAO_CLIENT_KEY=$TLSD/client.key
	unset VAULT_ADDR VAULT_TOKEN
	# VAULT_URL and VAULT_PID are the suite's, not the tools'.
	assert_equal "$(compgen -e | grep '^VAULT_' | grep -v -e '^VAULT_URL$' -e '^VAULT_PID$' || true)" ""
	pipeline
	assert_equal "$PS" "0 0 0 0 0 0 0 0 0"
	assert_equal "$(wc -l <"$W/dump")" "$N"
	# migrated-from is BAO_ADDR.
	assert_equal "$(admin "$KV_URL/_admin/state" | jq -r '[.secrets[].versions[-1].tags["migrated-from"]] | unique | join(" ")')" \
	    "$(tr A-Z a-z <<<"$MTLS_URL")"
}

@test "OpenBao: BAO_* wins over VAULT_*, even set empty; errors name the BAO_ variable" {
	export VAULT_ADDR=http://127.0.0.1:1 VAULT_TOKEN=wrong BAO_ADDR=$VAULT_URL BAO_TOKEN=root
	run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$(jq -r .data.user <<<"$output")" app
	BAO_MAX_RETRIES=x run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: BAO_MAX_RETRIES: not a number of retries (0 or more)"
	BAO_CLIENT_TIMEOUT=zero run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "^vault-dump: BAO_CLIENT_TIMEOUT: "
	# Set but empty: BAO_ADDR wins, as in OpenBao's api/env.go.
	BAO_ADDR= VAULT_ADDR=$VAULT_URL run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "BAO_ADDR is not set"
	# BAO_TOKEN_PATH names the token file.
	echo root >"$W/tok"
	env -u BAO_TOKEN -u VAULT_TOKEN BAO_TOKEN_PATH="$W/tok" vault-dump -q secret/app/db >/dev/null
}

@test "VAULT_AGENT_ADDR wins over VAULT_ADDR" {
	export VAULT_ADDR=http://127.0.0.1:1 VAULT_AGENT_ADDR=$VAULT_URL VAULT_TOKEN=root
	run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$(jq -r .data.user <<<"$output")" app
	VAULT_AGENT_ADDR=ftp://x run -2 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: VAULT_AGENT_ADDR: not an http:// or https:// URL: ftp://x"
}

@test "OpenBao's in-memory client pair and SRV lookups are refused, not ignored" {
	export VAULT_ADDR=$VAULT_URL VAULT_TOKEN=root
	BAO_CLIENT_CERT_BYTES=x run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "^vault-dump: BAO_CLIENT_CERT_BYTES is not supported"
	refute_regex "$stderr" "=x"
	VAULT_SRV_LOOKUP=true run -2 --separate-stderr vault-dump secret/app/db
	assert_regex "$stderr" "^vault-dump: VAULT_SRV_LOOKUP is not supported"
	VAULT_SRV_LOOKUP=false run -0 --separate-stderr vault-dump secret/app/db
}

# token NAME SPEC: seed a token now (its TTL starts now).
token() {
	admin "$VAULT_URL/_admin/seed" -X POST -d "{\"tokens\": {\"$1\": $2}}" >/dev/null
}

@test "long runs: a short-TTL renewable token is renewed (POST renew-self) and the run succeeds" {
	token renew-me '{"policies": ["reader"], "ttl": "5s", "renewable": true, "explicit_max_ttl": "1h"}'
	export VAULT_TOKEN=renew-me
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":150}' >/dev/null
	run -0 --separate-stderr bash -c 'vault-ls -q secret | vault-dump -v -j 1'
	assert_equal "$(wc -l <<<"$output")" 25
	assert_equal "$(jq -s '[.[] | select(.error)] | length' <<<"$output")" 0
	assert_regex "$stderr" "renewed the Vault token"
	run -0 admin "$VAULT_URL/_admin/requests"
	assert [ "$(jq '[.requests[] | select(.method == "POST" and .path == "/v1/auth/token/renew-self")] | length' <<<"$output")" -ge 1 ]
	# The renewal is the only request that is not GET or LIST.
	assert_equal "$(jq -r '[.requests[] | select(.method != "GET" and .method != "LIST") | .path] | unique | join(" ")' <<<"$output")" \
	    "/v1/auth/token/renew-self"
}

@test "long runs: a renewable token with time to spare is not renewed: only GET and LIST reach Vault" {
	token long-life '{"policies": ["reader"], "ttl": "2h", "renewable": true}'
	export VAULT_TOKEN=long-life
	run -0 --separate-stderr bash -c 'vault-ls -q | vault-dump -q >/dev/null'
	assert_equal "$stderr" ""
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq -r '[.requests[].method] | unique | join(" ")' <<<"$output")" "GET LIST"
}

@test "long runs: a token that expires mid-run fails the rest with error records that say so; a re-run reads them" {
	token short-life '{"policies": ["reader"], "ttl": "3s", "renewable": false}'
	export VAULT_TOKEN=short-life
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":150}' >/dev/null
	run -1 --separate-stderr bash -c 'vault-ls -q secret/many >"$0"; vault-dump -j 1 <"$0"' "$W/ls"
	# One warning at the start, before any record.
	assert_regex "$(head -n 1 <<<"$stderr")" "^vault-dump: the Vault token expires in [0-9]+ s \(at [0-9T:Z-]+\) and cannot be renewed"
	failed=$(jq -s '[.[] | select(.error)] | length' <<<"$output")
	assert [ "$failed" -gt 0 ]
	assert [ "$failed" -lt 24 ]
	assert_equal "$(wc -l <<<"$output")" 24
	assert_equal "$(jq -r 'select(.error) | .error.message' <<<"$output" | sed 's/at [0-9T:Z-]*/at T/' | sort -u)" \
	    "the Vault token expired at T (permission denied; invalid token); re-run with a fresh token"
	# The re-run, with a fresh token, reads every record.
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":0}' >/dev/null
	VAULT_TOKEN=root run -0 --separate-stderr vault-dump -q <"$W/ls"
	assert_equal "$(jq -s '[.[] | select(.error)] | length' <<<"$output")" 0
	assert_equal "$(wc -l <<<"$output")" 24
}

@test "long runs: no warning for a token that lasts, or that can be renewed" {
	token lasts '{"policies": ["reader"], "ttl": "3h", "renewable": false}'
	VAULT_TOKEN=lasts run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: 1 record, 1 secret exported, 0 failed"
	token renewable '{"policies": ["reader"], "ttl": "10m", "renewable": true}'
	VAULT_TOKEN=renewable run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "$stderr" "vault-dump: 1 record, 1 secret exported, 0 failed"
}
