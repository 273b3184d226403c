#!/usr/bin/env bats
# proxy.bats: which requests go through a proxy (common/proxy.c), against
# a recording proxy (tests/servers/proxy.py).  The rule is Go's
# ProxyFromEnvironment: HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy,
# NO_PROXY; localhost and loopback never; VAULT_PROXY_ADDR for Vault;
# never the managed identity endpoint.  Names under .localhost reach the
# loopback (curl and the proxy both resolve them so) without looking like
# it, as a real vault.example.com would not.

setup_file() {
	load helpers
	env_reset
	start_vault --seed "$BATS_TEST_DIRNAME/fixtures/vault/tree.json"
	# The Key Vault stand-in's certificate also names *.vault.localhost
	# (curl takes no wildcard right below a top-level name).
	tls_setup "$BATS_FILE_TMPDIR/tls" \
	    'IP:127.0.0.1,DNS:localhost,DNS:*.vault.localhost'
	export IDENTITY_HEADER_VALUE=idh-$RANDOM$RANDOM
	start_keyvault --identity-header "$IDENTITY_HEADER_VALUE"
	_start PROXY proxy.py --log "$BATS_FILE_TMPDIR/proxy.log"
	export PROXY_URL
	# A token of its own, long enough to be looked for in the log.
	TOK=$(vault_token '{"policies":["root"]}')
	export TOK
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_admin_challenge https://127.0.0.1
	: >"$BATS_FILE_TMPDIR/proxy.log"
	export VAULT_TOKEN=$TOK
	unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY no_proxy NO_PROXY \
	    all_proxy ALL_PROXY REQUEST_METHOD
	VPORT=${VAULT_URL##*:}
	KPORT=${KV_URL##*:}
	REC='{"mount":"secret","path":"app/db","name":"app-db","data":{"password":"pw-Kq3"}}'
}

# proxied: what the proxy saw, one "METHOD TARGET" a line
proxied() {
	jq -r '.method + " " + .target' "$BATS_FILE_TMPDIR/proxy.log"
}

@test "with http_proxy and HTTP_PROXY set, a loopback Vault is reached directly" {
	export http_proxy=$PROXY_URL HTTP_PROXY=$PROXY_URL
	run -0 --separate-stderr vault-ls secret/
	assert_line --partial 'app/db'
	run -0 proxied
	assert_output ''
	run -0 cat "$BATS_FILE_TMPDIR/proxy.log"
	[[ $output != *"$TOK"* ]]
}

@test "localhost is never proxied either" {
	export http_proxy=$PROXY_URL HTTP_PROXY=$PROXY_URL
	VAULT_ADDR=http://localhost:$VPORT run -0 --separate-stderr vault-ls secret/
	assert_line --partial 'app/db'
	run -0 proxied
	assert_output ''
}

@test "HTTP_PROXY in capitals carries a Vault that is not loopback" {
	export HTTP_PROXY=$PROXY_URL
	export VAULT_ADDR=http://vault.localhost:$VPORT
	run -0 --separate-stderr vault-ls secret/
	assert_line --partial 'app/db'
	run -0 proxied
	assert_line "GET http://vault.localhost:$VPORT/v1/auth/token/lookup-self"
}

@test "NO_PROXY exempts a name and the names below it, by label" {
	export HTTP_PROXY=$PROXY_URL VAULT_ADDR=http://vault.localhost:$VPORT
	for np in localhost .localhost vault.localhost "*.localhost" \
	    "a.example, vault.localhost:$VPORT" '*'; do
		: >"$BATS_FILE_TMPDIR/proxy.log"
		NO_PROXY=$np run -0 --separate-stderr vault-ls secret/
		assert_line --partial 'app/db'
		run -0 proxied
		assert_output ''
	done
	# Not a label boundary, another port, another name: proxied.
	for np in ault.localhost "vault.localhost:1" other.localhost \
	    .vault.localhost; do
		: >"$BATS_FILE_TMPDIR/proxy.log"
		no_proxy=$np run -0 --separate-stderr vault-ls secret/
		run -0 proxied
		[ -n "$output" ]
	done
}

@test "VAULT_PROXY_ADDR carries every Vault request, loopback too" {
	export VAULT_PROXY_ADDR=$PROXY_URL NO_PROXY='*'
	run -0 --separate-stderr vault-ls secret/
	assert_line --partial 'app/db'
	run -0 proxied
	assert_line "GET http://127.0.0.1:$VPORT/v1/auth/token/lookup-self"
	unset VAULT_PROXY_ADDR
	: >"$BATS_FILE_TMPDIR/proxy.log"
	VAULT_HTTP_PROXY=${PROXY_URL#http://} run -0 --separate-stderr vault-ls secret/
	run -0 proxied
	assert_line "GET http://127.0.0.1:$VPORT/v1/auth/token/lookup-self"
}

@test "a bad VAULT_PROXY_ADDR is fatal and not repeated" {
	VAULT_PROXY_ADDR='ftp://ops:proxy-pw-Zz1@proxy:21' run -2 --separate-stderr vault-ls secret/
	assert_output ''
	assert_equal "$stderr" "vault-ls: VAULT_PROXY_ADDR: not a proxy URL (http://, https:// or socks5://HOST:PORT)"
}

@test "under CGI (REQUEST_METHOD set) HTTP_PROXY is refused" {
	export HTTP_PROXY=$PROXY_URL REQUEST_METHOD=GET
	VAULT_ADDR=http://vault.localhost:$VPORT run -2 --separate-stderr vault-ls secret/
	[[ $stderr == *"refusing to use HTTP_PROXY in a CGI environment"* ]]
	run -0 proxied
	assert_output ''
}

@test "Key Vault and Entra follow HTTPS_PROXY through a tunnel" {
	kv_admin_challenge https://vault.localhost
	export https_proxy=$PROXY_URL
	export KEY_VAULT_NAME=https://kv.vault.localhost:$KPORT
	export AZURE_AUTHORITY_HOST=https://login.vault.localhost:$KPORT
	run -0 --separate-stderr kv-put <<<"$REC"
	assert_output --partial '"status":"created"'
	run -0 proxied
	assert_line "CONNECT kv.vault.localhost:$KPORT"
	assert_line "CONNECT login.vault.localhost:$KPORT"
	run -0 cat "$BATS_FILE_TMPDIR/proxy.log"
	[[ $output != *authorization* ]]
}

@test "the managed identity endpoint is never proxied" {
	kv_admin_challenge https://vault.localhost
	unset AZURE_CLIENT_SECRET AZURE_TENANT_ID
	export https_proxy=$PROXY_URL HTTPS_PROXY=$PROXY_URL
	export NO_PROXY=kv.vault.localhost
	export KEY_VAULT_NAME=https://kv.vault.localhost:$KPORT
	export IDENTITY_ENDPOINT=https://identity.vault.localhost:$KPORT/msi/token
	export IDENTITY_HEADER=$IDENTITY_HEADER_VALUE
	export AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential
	run -0 --separate-stderr kv-put -v <<<"$REC"
	[[ $stderr == *"signed in with ManagedIdentityCredential"* ]]
	run -0 proxied
	assert_output ''
	unset IDENTITY_ENDPOINT IDENTITY_HEADER
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=https://imds.vault.localhost:$KPORT
	run -0 --separate-stderr kv-put -v <<<"$REC"
	[[ $stderr == *"signed in with ManagedIdentityCredential"* ]]
	run -0 proxied
	assert_output ''
}

@test "a user:password in VAULT_ADDR appears in no message" {
	for a in "http://ops:vault-pw-Qx9@127.0.0.1:9" \
	    "http://ops:vault-pw-Qx9@vault.localhost:$VPORT" \
	    "ftp://ops:vault-pw-Qx9@vault.localhost" \
	    "http://ops:p@vault-pw-Qx9@127.0.0.1:9"; do
		VAULT_ADDR=$a run --separate-stderr vault-ls -v secret/
		[[ $stderr == *vault-ls:* ]]
		[[ $stderr != *vault-pw-Qx9* ]]
		[[ $output != *vault-pw-Qx9* ]]
		VAULT_ADDR=$a run --separate-stderr vault-dump -v secret/app/db
		[[ $stderr == *vault-dump:* ]]
		[[ $stderr != *vault-pw-Qx9* ]]
		[[ $output != *vault-pw-Qx9* ]]
	done
}

@test "one warning for a Vault in clear text that is not loopback" {
	export NO_PROXY='*'
	local w="VAULT_ADDR is http:// to vault.localhost: vault2kv sends the token in clear text over the network"
	VAULT_ADDR=http://ops:vault-pw-Qx9@vault.localhost:$VPORT run -0 --separate-stderr vault-ls secret/
	assert_line --partial 'app/db'
	assert_equal "${stderr_lines[0]}" "vault-ls: $w"
	[ "$(grep -c 'clear text' <<<"$stderr")" -eq 1 ]
	VAULT_ADDR=http://vault.localhost:$VPORT run -0 --separate-stderr vault-dump secret/app/db
	assert_equal "${stderr_lines[0]}" "vault-dump: $w"
	[ "$(grep -c 'clear text' <<<"$stderr")" -eq 1 ]
	for a in "http://127.0.0.1:$VPORT" "http://localhost:$VPORT" \
	    "http://[::1]:9" "https://vault.localhost:9"; do
		VAULT_ADDR=$a run --separate-stderr vault-ls secret/
		[[ $stderr != *"clear text"* ]]
	done
	VAULT_ADDR=http://vault.localhost:$VPORT run -0 --separate-stderr vault-ls -q secret/
	assert_equal "$stderr" ""
}

@test "one warning when VAULT_SKIP_VERIFY is on" {
	for v in 1 t T true TRUE True; do
		VAULT_SKIP_VERIFY=$v run -0 --separate-stderr vault-dump secret/app/db
		assert_equal "${#stderr_lines[@]}" 2
		assert_equal "${stderr_lines[0]}" "vault-dump: VAULT_SKIP_VERIFY is set: the Vault server's certificate is not verified, and the token goes to whoever answers"
	done
	for v in 0 f false FALSE; do
		VAULT_SKIP_VERIFY=$v run -0 --separate-stderr vault-dump secret/app/db
		assert_equal "$stderr" "vault-dump: 1 record, 1 secret exported, 0 failed"
	done
}
