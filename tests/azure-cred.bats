#!/usr/bin/env bats
# azure-cred.bats: the Azure credential chain (common/azure.c) and the Key
# Vault challenge, driven through kv-put against the Key Vault stand-in.

setup_file() {
	load helpers
	env_reset
	local d=$BATS_FILE_TMPDIR
	# The server certificate also names *.vault.localhost (curl resolves
	# every .localhost name to the loopback): a vault below a parent
	# domain, as kv-one.vault.azure.net is below vault.azure.net.
	tls_setup "$d/tls" 'IP:127.0.0.1,DNS:localhost,DNS:*.vault.localhost'
	self_signed "$d" client test-client
	self_signed "$d" other stranger
	start_keyvault_identities "$d/client.crt"
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset '{"fail_rate":0,"write_limit":300,"all_limit":4000,
	    "window":10,"token_lifetime":3600,
	    "challenge_resource":"https://127.0.0.1","challenge_scope":null,
	    "challenge_tenant":null,"empty_pages":false}'
	# Nothing answers here: the managed identity probe fails at once.
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
	REC='{"mount":"secret","path":"app/db","name":"app-db","data":{"password":"pw-Kq3"}}'
	REC2='{"mount":"secret","path":"app/api","name":"app-api","data":{"key":"pw-Lm4"}}'
}

# requests [JQ-FILTER]: the stand-in's request log, one compact line each
requests() {
	kvadmin GET /_admin/requests | jq -c ".requests[] | ${1:-.}"
}

# signed_in CREDENTIAL: kv-put -v creates $REC, signed in with CREDENTIAL
# (its run's output and stderr stay for the test to look at).
signed_in() {
	run -0 --separate-stderr kv-put -v <<<"$REC"
	assert_output --partial '"status":"created"'
	[[ $stderr == *"signed in with $1"* ]]
}

# no_token: the stand-in was asked for no token.
no_token() {
	run -0 requests 'select(.kind == "token")'
	assert_output ''
}

# value NAME: the current value the stand-in holds for NAME
value() {
	kvadmin GET /_admin/state |
	    jq -r --arg n "$1" '.secrets[] | select(.name == $n) |
	    .versions[-1].value'
}

# fake_az: an az on PATH that logs its arguments and gets a real token
# from the stand-in with a secret it keeps in a file of its own.
fake_az() {
	local b=$BATS_TEST_TMPDIR/bin
	mkdir -p "$b"
	printf 'grant_type=client_credentials&client_id=test-client&client_secret=test-secret-Zq8' \
	    >"$BATS_TEST_TMPDIR/az.form"
	cat >"$b/az" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$@" >"$BATS_TEST_TMPDIR/az.args"
		scope=
		while [ \$# -gt 0 ]; do
			[ "\$1" = --scope ] && scope=\$2
			shift
		done
		r=\$(curl -sS --cacert "$TLS_DIR/ca.pem" -d @"$BATS_TEST_TMPDIR/az.form" \
		    --data-urlencode "scope=\$scope" \
		    "$KV_URL/test-tenant/oauth2/v2.0/token") || exit 1
		exp=\$(date -d '+50 minutes' '+%Y-%m-%d %H:%M:%S.000000')
		printf '%s' "\$r" | jq --arg e "\$exp" \
		    '{accessToken: .access_token, expiresOn: \$e,
		      subscription: "sub", tenant: "test-tenant",
		      tokenType: "Bearer"}'
	EOF
	chmod +x "$b/az"
	export PATH=$b:$PATH
}

@test "a client secret from the environment signs in" {
	run -0 --separate-stderr kv-put -v <<<"$REC"
	assert_output --partial '"status":"created"'
	assert_line --index 0 --partial '"name":"app-db"'
	[[ $stderr == *"signed in with EnvironmentCredential"* ]]
	run -0 requests 'select(.kind == "token") | .body.client_secret'
	assert_output '"<redacted>"'
	run -0 value app-db
	assert_output pw-Kq3
}

@test "a client certificate signs an RS256 assertion the tenant accepts" {
	unset AZURE_CLIENT_SECRET
	export AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/client.pem
	signed_in EnvironmentCredential
	run -0 requests 'select(.kind == "token") | [.status, .body.client_assertion_type, .body.client_secret]'
	assert_output '[200,"urn:ietf:params:oauth:client-assertion-type:jwt-bearer",null]'
}

@test "a certificate the application does not know fails with the service's reason" {
	unset AZURE_CLIENT_SECRET
	export AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/other.pem
	export AZURE_TOKEN_CREDENTIALS=EnvironmentCredential
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_output ''
	[[ $stderr == *"EnvironmentCredential: "*"answered HTTP 401 invalid_client: AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application"* ]]
}

@test "a certificate file without its private key is named" {
	unset AZURE_CLIENT_SECRET
	export AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/client.crt
	export AZURE_TOKEN_CREDENTIALS=EnvironmentCredential
	run -2 --separate-stderr kv-put <<<"$REC"
	[[ $stderr == *"EnvironmentCredential: $BATS_FILE_TMPDIR/client.crt: a PEM file with the certificate and its private key (or a PKCS#12 file) is needed"* ]]
	no_token
}

@test "workload identity sends the federated token file as the assertion" {
	unset AZURE_CLIENT_SECRET
	printf '%s\n' "$FEDERATED_TOKEN" >"$BATS_TEST_TMPDIR/fed"
	export AZURE_FEDERATED_TOKEN_FILE=$BATS_TEST_TMPDIR/fed
	signed_in WorkloadIdentityCredential
	run -0 requests 'select(.kind == "token") | .body.client_assertion_type'
	assert_output '"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"'
}

@test "workload identity reads the token file on every request" {
	unset AZURE_CLIENT_SECRET
	export AZURE_FEDERATED_TOKEN_FILE=$BATS_TEST_TMPDIR/fed
	printf '%s' "$FEDERATED_TOKEN" >"$AZURE_FEDERATED_TOKEN_FILE"
	kvadmin POST /_admin/config '{"token_lifetime":2}' >/dev/null
	# The token expires between the records and the file changed: the
	# new request must send what the file holds now.
	run -1 --separate-stderr kv-put < <(echo "$REC"; sleep 3
	    printf 'not-the-token' >"$AZURE_FEDERATED_TOKEN_FILE"; echo "$REC2")
	assert_line --index 0 --partial '"status":"created"'
	assert_line --index 1 --partial '"error":{"tool":"kv-put"'
	[[ $stderr == *"WorkloadIdentityCredential: $KV_URL answered HTTP 401 invalid_client: AADSTS50027: JWT token is invalid or malformed"* ]]
	run -0 requests 'select(.kind == "token") | .status'
	assert_output "200
401"
}

@test "managed identity through IDENTITY_ENDPOINT and IDENTITY_HEADER" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	export IDENTITY_ENDPOINT=$KV_URL/msi/token
	export IDENTITY_HEADER=$IDENTITY_HEADER_VALUE
	signed_in ManagedIdentityCredential
	run -0 requests 'select(.kind == "msi") | [.path, .query["api-version"], .query.resource, .headers["x-identity-header"]]'
	assert_output '["/msi/token","2019-08-01","https://127.0.0.1","<redacted>"]'
	[[ $stderr != *"$IDENTITY_HEADER_VALUE"* ]]
}

@test "managed identity through the instance metadata endpoint" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=$KV_URL
	signed_in ManagedIdentityCredential
	run -0 requests 'select(.kind == "msi") | [.path, .query["api-version"], .query.resource, .query.client_id, .headers.metadata]'
	assert_output '["/metadata/identity/oauth2/token","2018-02-01","https://127.0.0.1","test-client","true"]'
}

@test "the Azure CLI gets the token and sees nothing but the scope and tenant" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	fake_az
	signed_in AzureCliCredential
	run -0 cat "$BATS_TEST_TMPDIR/az.args"
	# The tenant comes from the vault's challenge.
	assert_output "account
get-access-token
--output
json
--scope
https://127.0.0.1/.default
--tenant
test-tenant"
}

@test "a failing chain names every credential and why, in one line" {
	unset AZURE_CLIENT_SECRET
	fake_az
	printf '#!/bin/sh\necho "ERROR: Please run '"'az login'"' to setup account." >&2\nexit 1\n' \
	    >"$BATS_TEST_TMPDIR/bin/az"
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_output ''
	[ "${#lines[@]}" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kv-put: $KV_URL: listing secrets: no Azure credential could get a token for https://127.0.0.1/.default: EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH not all set; WorkloadIdentityCredential: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID not all set; ManagedIdentityCredential: no instance metadata endpoint at http://127.0.0.1:9 ("*"Couldn't connect to server); AzureCliCredential: az exited 1: ERROR: Please run 'az login' to setup account." ]]
}

@test "without az on PATH the chain says so" {
	unset AZURE_CLIENT_SECRET
	export PATH=$TOP/kv-put:/usr/bin:/bin
	[ ! -x /usr/bin/az ] || skip "a real az is installed"
	run -2 --separate-stderr kv-put <<<"$REC"
	[[ $stderr == *"; AzureCliCredential: az not found on PATH" ]]
}

@test "a wrong client secret fails with the service's reason, never the secret" {
	export AZURE_CLIENT_SECRET=wrong-secret-Xy7
	export AZURE_TOKEN_CREDENTIALS=EnvironmentCredential
	run -2 --separate-stderr kv-put -vv <<<"$REC"
	[[ $stderr == *"EnvironmentCredential: $KV_URL answered HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided"* ]]
	[[ $stderr != *wrong-secret-Xy7* ]]
}

@test "AZURE_TOKEN_CREDENTIALS picks one credential" {
	export AZURE_TOKEN_CREDENTIALS=managedidentitycredential
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=$KV_URL
	run -0 --separate-stderr kv-put -v <<<"$REC"
	[[ $stderr == *"signed in with ManagedIdentityCredential"* ]]
	no_token
}

@test "AZURE_TOKEN_CREDENTIALS=prod leaves the Azure CLI out" {
	unset AZURE_CLIENT_SECRET
	export AZURE_TOKEN_CREDENTIALS=prod
	fake_az
	run -2 --separate-stderr kv-put <<<"$REC"
	[[ $stderr == *"ManagedIdentityCredential: no instance metadata endpoint"* ]]
	[[ $stderr != *AzureCliCredential* ]]
	[ ! -e "$BATS_TEST_TMPDIR/az.args" ]
}

@test "an unknown AZURE_TOKEN_CREDENTIALS is a fatal error" {
	export AZURE_TOKEN_CREDENTIALS=KeyringCredential
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_equal "$stderr" "kv-put: AZURE_TOKEN_CREDENTIALS: 'KeyringCredential' is not dev, prod, EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential or AzureCliCredential"
}

@test "a challenge for another domain's resource gets no token" {
	kv_admin_challenge https://vault.attacker.example
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_output ''
	assert_equal "$stderr" "kv-put: $KV_URL: listing secrets: 127.0.0.1 asks for a token for https://vault.attacker.example, which is not of its own domain: no token sent (check the vault URL)"
	run -0 requests 'select(.kind == "token" or .kind == "msi")'
	assert_output ''
	run -0 requests 'select(.headers.authorization != null)'
	assert_output ''
}

# put_challenged RESOURCE STATUS HOST [PATH]: kv-put to https://HOST on the
# stand-in's port, which challenges for RESOURCE; it must exit STATUS.
put_challenged() {
	kv_admin_challenge "$1"
	run "-$2" --separate-stderr kv-put --vault "https://$3:${KV_URL##*:}$4" <<<"$REC"
}

@test "a challenge for a parent domain of the vault's host is accepted" {
	put_challenged https://vault.localhost 0 KV-One.Vault.localhost /
	assert_output --partial '"status":"created"'
	run -0 requests 'select(.kind == "token") | .body.scope'
	assert_output '"https://vault.localhost/.default"'
}

@test "a challenge for a domain that only ends like the vault's is refused" {
	put_challenged https://ault.localhost 2 kv-one.vault.localhost
	[[ $stderr == *"kv-one.vault.localhost asks for a token for https://ault.localhost, which is not of its own domain: no token sent"* ]]
	no_token
}

@test "the first request carries neither a token nor a body" {
	run -0 --separate-stderr kv-put <<<"$REC"
	run -0 bash -c "$(declare -f kvadmin requests admin)
	    requests 'select(.kind == \"data\") | [.status, .headers.authorization, .body]' | head -n 1"
	assert_output '[401,null,null]'
}

@test "a token expired mid-run is refreshed once and the run goes on" {
	run -0 --separate-stderr kv-put < <(echo "$REC"; sleep 1
	    kvadmin POST /_admin/tokens/expire >/dev/null; echo "$REC2")
	assert_line --index 0 --partial '"status":"created"'
	assert_line --index 1 --partial '"status":"created"'
	run -0 requests 'select(.kind == "token") | .status'
	assert_output "200
200"
	# The challenge, then the request the expired token was refused for.
	run -0 bash -c "$(declare -f kvadmin requests admin); requests 'select(.kind == \"data\" and .status == 401)' | wc -l"
	assert_output 2
	run -0 value app-api
	assert_output pw-Lm4
}

@test "tokens near their end are renewed before the vault refuses them" {
	kvadmin POST /_admin/config '{"token_lifetime":4}' >/dev/null
	run -0 --separate-stderr kv-put < <(echo "$REC"; sleep 3; echo "$REC2")
	assert_line --index 0 --partial '"status":"created"'
	assert_line --index 1 --partial '"status":"created"'
	run -0 requests 'select(.kind == "token") | .status'
	assert_output "200
200"
	# Only the challenge was refused.
	run -0 requests 'select(.kind == "data" and .status == 401) | .status'
	assert_output 401
}

@test "a challenge refused: a scope beside the resource is foreign" {
	kvadmin POST /_admin/config '{"challenge_scope":"https://127.0.0.1/.default https://management.azure.com/.default"}' >/dev/null
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_output ''
	assert_equal "$stderr" "kv-put: $KV_URL: listing secrets: 127.0.0.1 asks for a token for https://management.azure.com/.default, which is not of its own domain: no token sent (check the vault URL)"
	run -0 requests 'select(.kind == "token" or .headers.authorization != null)'
	assert_output ''
}

@test "a challenge refused: the resource is foreign though the scope is not" {
	kvadmin POST /_admin/config '{"challenge_resource":"https://vault.attacker.example","challenge_scope":"https://127.0.0.1/.default"}' >/dev/null
	run -2 --separate-stderr kv-put <<<"$REC"
	[[ $stderr == *"127.0.0.1 asks for a token for https://vault.attacker.example, which is not of its own domain: no token sent"* ]]
	run -0 requests 'select(.kind == "token" or .headers.authorization != null)'
	assert_output ''
}

@test "a challenge refused: for a vault at an address, another address" {
	for r in https://0.0.1 https://0.1 https://127.0.0.2; do
		kvadmin POST /_admin/config "{\"challenge_resource\":\"$r\"}" >/dev/null
		run -2 --separate-stderr kv-put <<<"$REC"
		[[ $stderr == *"127.0.0.1 asks for a token for $r, which is not of its own domain: no token sent"* ]]
	done
	run -0 requests 'select(.kind == "token" or .headers.authorization != null)'
	assert_output ''
}

@test "a challenge refused: a bare top-level name, or a name that only ends like the vault's" {
	local port=${KV_URL##*:}
	for r in https://localhost https://one.vault.localhost https://evilvault.localhost; do
		kvadmin POST /_admin/config "{\"challenge_resource\":\"$r\"}" >/dev/null
		run -2 --separate-stderr kv-put --vault "https://kv-one.vault.localhost:$port" <<<"$REC"
		[[ $stderr == *"kv-one.vault.localhost asks for a token for $r, which is not of its own domain: no token sent"* ]]
	done
	run -0 requests 'select(.kind == "token" or .headers.authorization != null)'
	assert_output ''
}

@test "a challenge's tenant that az would misread never reaches az" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	fake_az
	for t in -x "a b" "a;b" --help .x; do
		rm -f "$BATS_TEST_TMPDIR/az.args"
		kvadmin POST /_admin/config "{\"challenge_tenant\":\"$t\"}" >/dev/null
		run -2 --separate-stderr kv-put <<<"$REC"
		[[ $stderr == *"AzureCliCredential: the tenant \"$t\" is not a tenant id (letters, digits, '.' and '-'): az not run" ]]
		[ ! -e "$BATS_TEST_TMPDIR/az.args" ]
	done
}

@test "az inherits no descriptor but 0, 1 and 2" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	fake_az
	# Before anything else opens one: every descriptor from 3 up.
	cat >"$BATS_TEST_TMPDIR/bin/az" <<-EOF
		#!$PY
		import os, sys
		fds = []
		for fd in range(3, 4096):
		    try:
		        os.fstat(fd)
		        fds.append(fd)
		    except OSError:
		        pass
		with open("$BATS_TEST_TMPDIR/az.fds", "w") as f:
		    f.write(" ".join(map(str, fds)))
		sys.exit(1)
	EOF
	run -2 --separate-stderr kv-put -j 4 <<<"$REC"
	run -0 cat "$BATS_TEST_TMPDIR/az.fds"
	assert_output ''
}

# az_gone: the fake az and the grandchild it started (their pids in
# az.pid and grandchild.pid) have both ended, or do within 2 s.
az_gone() {
	local f p
	for f in az.pid grandchild.pid; do
		p=$(cat "$BATS_TEST_TMPDIR/$f")
		[ -n "$p" ]
		for _ in $(seq 1 20); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		! kill -0 "$p" 2>/dev/null
	done
}

@test "az is killed at the deadline with everything it started" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	fake_az
	# It ignores SIGTERM and leaves a grandchild behind: SIGKILL to the
	# group must take both.
	cat >"$BATS_TEST_TMPDIR/bin/az" <<-EOF
		#!/bin/sh
		trap '' TERM
		echo \$\$ >"$BATS_TEST_TMPDIR/az.pid"
		sleep 300 &
		echo \$! >"$BATS_TEST_TMPDIR/grandchild.pid"
		sleep 300
	EOF
	export VAULT2KV_AZ_TIMEOUT=1
	SECONDS=0
	run -2 --separate-stderr kv-put <<<"$REC"
	[ "$SECONDS" -lt 15 ]
	[[ $stderr == *"AzureCliCredential: az did not answer within 1 seconds" ]]
	az_gone
}

@test "an interrupt while az runs ends az and its group at once" {
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	fake_az
	cat >"$BATS_TEST_TMPDIR/bin/az" <<-EOF
		#!/bin/sh
		echo \$\$ >"$BATS_TEST_TMPDIR/az.pid"
		sleep 300 &
		echo \$! >"$BATS_TEST_TMPDIR/grandchild.pid"
		sleep 300
	EOF
	kv-put <<<"$REC" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/grandchild.pid" ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	SECONDS=0
	wait "$pid" || true
	[ "$SECONDS" -lt 10 ]
	az_gone
}
