#!/usr/bin/env bats
# clouds.bats: the Azure clouds (common/azcloud.c) and the rest of the
# credential chain (PKCS#12 certificates, x5c), driven through kv-put and
# kv-grant against the Key Vault stand-in playing a cloud that is not the
# public one: another Resource Manager audience and Key Vault scope.

SUB=5d2a7c1e-3b4f-4a6d-9e8c-1f2a3b4c5d6e
SUB0=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
RG=rg-clouds
P1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
# An Azure Stack Hub style audience, and Azure China's (cloud.py).
STACK_AUD=https://management.stack.localhost/2c1e7a9d-4b3f-4e6a-8d5c-0b1a2c3d4e5f
CHINA_AUD=https://management.chinacloudapi.cn
KV_AUD=https://vault.localhost
PFX_PASS='pfx-Pa55-w0rd'

setup_file() {
	load helpers
	env_reset
	local d=$BATS_FILE_TMPDIR
	# Vaults below vault.localhost, as kv.vault.azure.cn is below
	# vault.azure.cn (curl resolves every .localhost name to the loopback).
	tls_setup "$d/tls" 'IP:127.0.0.1,DNS:localhost,DNS:*.vault.localhost'
	# The application's certificate, issued by a CA of its own: a chain of
	# two for x5c, in PEM and in PKCS#12 with and without a password.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=v2k-issuer \
	    -keyout "$d/issuer.key" -out "$d/issuer.crt" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj /CN=test-client \
	    -keyout "$d/client.key" -out "$d/client.csr" >/dev/null 2>&1
	openssl x509 -req -in "$d/client.csr" -CA "$d/issuer.crt" \
	    -CAkey "$d/issuer.key" -CAcreateserial -days 2 \
	    -out "$d/client.crt" >/dev/null 2>&1
	cat "$d/client.crt" "$d/issuer.crt" "$d/client.key" >"$d/client.pem"
	openssl pkcs12 -export -in "$d/client.crt" -inkey "$d/client.key" \
	    -certfile "$d/issuer.crt" -passout "pass:$PFX_PASS" \
	    -out "$d/client.pfx"
	openssl pkcs12 -export -in "$d/client.crt" -inkey "$d/client.key" \
	    -certfile "$d/issuer.crt" -passout pass: -out "$d/nopass.p12"
	# A PKCS#12 file is told by its content, not by its name.
	cp "$d/client.pfx" "$d/client-cert"
	start_keyvault --client-cert "$d/client.crt" --subscription "$SUB" \
	    --resource-group "$RG" --vault-name kv-one \
	    --extra-subscription "$SUB0" --challenge-resource "$KV_AUD"
	export VURL=https://kv-one.vault.localhost:${KV_URL##*:}
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset "{\"arm_audience\":null,\"require_x5c\":false,
	    \"challenge_resource\":\"$KV_AUD\"}"
	# Only the environment's credential: no managed identity probe, no az.
	export AZURE_TOKEN_CREDENTIALS=EnvironmentCredential
	export AZURE_CONFIG_DIR=$BATS_TEST_TMPDIR/azure
	mkdir -p "$AZURE_CONFIG_DIR"
	export KEY_VAULT_NAME=$VURL AZURE_SUBSCRIPTION_ID=$SUB
	unset AZURE_CLOUD
	D=$BATS_FILE_TMPDIR
	REC='{"mount":"secret","path":"app/db","name":"app-db","data":{"password":"pw-Kq3"}}'
	GRANT="{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"name\":\"app-db\"}"
}

# audiences_were ARM KV: every token the stand-in saw went to an endpoint
# of its own audience (ARM to ARM, the vault's to the vault), and each kind
# of endpoint got at least one.
audiences_were() {
	run -0 kv_requests "select(.aud != null) |
	    select((.kind == \"arm\" and .aud != \"$1\") or
	    (.kind == \"data\" and .aud != \"$2\") or
	    (.kind != \"arm\" and .kind != \"data\")) | {kind, path, aud}"
	assert_output ''
	run -0 kv_requests "select(.kind == \"arm\" and .aud == \"$1\") | .path"
	[ "${#lines[@]}" -gt 0 ]
	run -0 kv_requests "select(.kind == \"data\" and .aud == \"$2\") | .path"
	[ "${#lines[@]}" -gt 0 ]
}

# arm_audience AUD: the only token audience Resource Manager accepts.
arm_audience() {
	kvadmin POST /_admin/config "{\"arm_audience\":\"$1\"}" >/dev/null
}

# scopes_were ARM: the tokens asked for, in order: Key Vault's, then ARM's.
scopes_were() {
	run -0 kv_requests 'select(.kind == "token") | .body.scope'
	assert_output "$KV_AUD/.default
$1/.default"
}

# put_and_grant: kv-put creates $REC and kv-grant grants $GRANT on it.
put_and_grant() {
	run -0 --separate-stderr kv-put <<<"$REC"
	assert_output --partial '"status":"created"'
	run -0 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output --partial '"status":"created"'
	run -0 bash -c "curl -sS --cacert '$D/tls/ca.pem' '$KV_URL/_admin/state' |
	    jq -r '.secrets[].name, (.roleAssignments | length)'"
	assert_output "app-db
1"
}

# cert_client FILE: sign in with the certificate FILE and nothing else.
cert_client() {
	unset AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PASSWORD
	export AZURE_CLIENT_CERTIFICATE_PATH=$1 AZURE_CLOUD=AzureCloud
}

@test "a custom cloud through AZURE_RESOURCE_MANAGER_URL: its metadata names the login endpoint and the audience, and everything is created" {
	arm_audience "$STACK_AUD"
	# The login endpoint comes from the metadata document.
	unset AZURE_AUTHORITY_HOST
	put_and_grant
	audiences_were "$STACK_AUD" "$KV_AUD"
	# Read by each tool once, without a token.
	run -0 kv_requests 'select(.kind == "meta") | "\(.method) \(.path) \(.query."api-version") \(.headers.authorization)"'
	assert_output "GET /metadata/endpoints 2022-09-01 null
GET /metadata/endpoints 2022-09-01 null"
	scopes_were "$STACK_AUD"
}

@test "a known cloud through AZURE_CLOUD with endpoint overrides: its own audience, no metadata read, everything is created" {
	arm_audience "$CHINA_AUD"
	export AZURE_CLOUD=AzureChinaCloud
	put_and_grant
	audiences_were "$CHINA_AUD" "$KV_AUD"
	run -0 kv_requests 'select(.kind == "meta")'
	assert_output ''
	scopes_were "$CHINA_AUD"
}

@test "a token of another cloud's audience is refused by Resource Manager with InvalidAuthenticationTokenAudience, and kv-grant says so" {
	arm_audience "$STACK_AUD"
	export AZURE_CLOUD=AzureCloud
	run -2 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output ''
	[[ $stderr == *"Resource Manager rejected the token: The access token has been obtained for wrong audience or resource 'https://management.azure.com'"* ]]
	# Refused, then once more with a fresh token (a 401 refreshes once).
	run -0 kv_requests 'select(.kind == "arm") | "\(.status) \(.aud)"'
	assert_output "401 https://management.azure.com
401 https://management.azure.com"
}

@test "the metadata document that cannot be read is a clear fatal error" {
	export AZURE_RESOURCE_MANAGER_URL=$KV_URL/nowhere
	run -2 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output ''
	assert_equal "$stderr" "kv-grant: vault kv-one: cannot look it up in subscription $SUB: the custom cloud of AZURE_RESOURCE_MANAGER_URL: $KV_URL/nowhere/metadata/endpoints answered HTTP 401"
	run -0 kv_requests 'select(.aud != null)'
	assert_output ''
}

@test "a short vault name becomes the cloud's Key Vault host" {
	export AZURE_CLOUD=AzureChinaCloud
	run -2 --separate-stderr kv-put --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.azure.cn: "* ]]
	export AZURE_CLOUD=AzureUSGovernment
	run -2 --separate-stderr kv-put --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.usgovcloudapi.net: "* ]]
	export AZURE_CLOUD=azurecloud
	run -2 --separate-stderr kv-put --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.azure.net: "* ]]
	# A custom cloud's suffix is its metadata's suffixes.keyVaultDns.
	# Nothing listens on kv-one.vault.localhost:443: a refused connection
	# is retried within the request's budget, 4 timeouts (140 s of
	# backoff at the default), so a short one.
	unset AZURE_CLOUD
	KV_CLIENT_TIMEOUT=1s run -2 --separate-stderr kv-put --vault kv-one \
	    </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.localhost: "* ]]
}

@test "az's active cloud is read from AZURE_CONFIG_DIR; AZURE_CLOUD_NAME and AZURE_CLOUD override it" {
	unset AZURE_RESOURCE_MANAGER_URL
	printf '[core]\nfirst_run = no\n\n[cloud]\nname = AzureChinaCloud\n' \
	    >"$AZURE_CONFIG_DIR/config"
	run -2 --separate-stderr kv-put --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.azure.cn: "* ]]
	AZURE_CLOUD_NAME=AzureUSGovernment run -2 --separate-stderr kv-put \
	    --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.usgovcloudapi.net: "* ]]
	AZURE_CLOUD=AzureCloud run -2 --separate-stderr kv-put \
	    --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.azure.net: "* ]]
	# The default directory is ~/.azure.
	unset AZURE_CONFIG_DIR
	mkdir -p "$HOME/.azure"
	printf '[cloud]\nname=AzureUSGovernment\n' >"$HOME/.azure/config"
	run -2 --separate-stderr kv-put --vault kv-one </dev/null
	[[ $stderr == "kv-put: https://kv-one.vault.usgovcloudapi.net: "* ]]
}

@test "an unknown cloud is a clear fatal error that lists the known ones" {
	unset AZURE_RESOURCE_MANAGER_URL
	AZURE_CLOUD=AzureGermanCloud run -2 --separate-stderr kv-put </dev/null
	assert_output ''
	assert_equal "$stderr" "kv-put: AZURE_CLOUD: unknown cloud 'AzureGermanCloud' (known: AzureCloud, AzureChinaCloud, AzureUSGovernment; another cloud needs AZURE_RESOURCE_MANAGER_URL, its Resource Manager)"
	printf '[cloud]\nname = MyStack\n' >"$AZURE_CONFIG_DIR/config"
	run -2 --separate-stderr kv-grant --vault kv-one </dev/null
	assert_equal "$stderr" "kv-grant: $AZURE_CONFIG_DIR/config: unknown cloud 'MyStack' (known: AzureCloud, AzureChinaCloud, AzureUSGovernment; another cloud needs AZURE_RESOURCE_MANAGER_URL, its Resource Manager)"
	run -0 kv_requests
	assert_output ''
}

@test "az's registered cloud with AZURE_RESOURCE_MANAGER_URL is read from its metadata" {
	arm_audience "$STACK_AUD"
	printf '[cloud]\nname = MyStack\n' >"$AZURE_CONFIG_DIR/config"
	run -0 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output --partial '"status":"created"'
	run -0 kv_requests 'select(.kind == "arm") | .aud'
	assert_equal "$(sort -u <<<"$output")" "$STACK_AUD"
}

@test "kv-grant without a subscription takes az's default subscription of the cloud from azureProfile.json" {
	arm_audience "$CHINA_AUD"
	export AZURE_CLOUD=AzureChinaCloud
	unset AZURE_SUBSCRIPTION_ID
	# As az writes it: a UTF-8 byte order mark first; the default of
	# another cloud is not this cloud's.
	printf '\xef\xbb\xbf{"installationId":"x","subscriptions":[{"id":"%s","name":"public","state":"Enabled","isDefault":true,"tenantId":"test-tenant","environmentName":"AzureCloud"},{"id":"%s","name":"china","state":"Enabled","isDefault":true,"tenantId":"test-tenant","environmentName":"AzureChinaCloud"}]}' \
	    "$SUB0" "$SUB" >"$AZURE_CONFIG_DIR/azureProfile.json"
	run -0 --separate-stderr kv-grant -v --vault kv-one <<<"$GRANT"
	assert_output --partial "\"assignment\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/kv-one/secrets/app-db/providers/Microsoft.Authorization/roleAssignments/"
	assert_output --partial '"status":"created"'
	[[ $stderr == *"kv-grant: subscription $SUB: az's default"* ]]
	run -0 kv_requests 'select(.kind == "arm") | "\(.method) \(.path)"'
	refute_line 'GET /subscriptions'
	refute_output --partial "$SUB0"
}

@test "kv-grant without a subscription or az's default finds the vault among the subscriptions the identity sees" {
	export AZURE_CLOUD=AzureCloud
	unset AZURE_SUBSCRIPTION_ID
	run -0 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output --partial "\"assignment\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/kv-one/"
	assert_output --partial '"status":"created"'
	run -0 kv_requests 'select(.kind == "arm" and .method == "GET") | .path'
	assert_line -n 0 /subscriptions
	assert_line -n 1 "/subscriptions/$SUB0/resources"
	assert_line -n 2 "/subscriptions/$SUB/resources"
	# Nowhere to be found: fatal, saying where it looked.
	run -2 --separate-stderr kv-grant --vault kv-two <<<"$GRANT"
	assert_output ''
	assert_equal "$stderr" "kv-grant: vault kv-two: not found in any of the 2 subscriptions the identity can see (give --subscription)"
	# An azureProfile.json without this cloud's default changes nothing.
	printf '{"subscriptions":[{"id":"%s","isDefault":true,"environmentName":"AzureChinaCloud"}]}' \
	    "$SUB0" >"$AZURE_CONFIG_DIR/azureProfile.json"
	kvadmin DELETE /_admin/requests >/dev/null
	run -0 --separate-stderr kv-grant --vault kv-one <<<"$GRANT"
	assert_output --partial '"status":"exists"'
	run -0 kv_requests 'select(.kind == "arm" and .method == "GET") | .path'
	assert_line -n 0 /subscriptions
}

@test "a PKCS#12 client certificate with its password signs in, told by its content" {
	for f in client.pfx client-cert; do
		kvadmin POST /_admin/reset >/dev/null
		cert_client "$D/$f"
		export AZURE_CLIENT_CERTIFICATE_PASSWORD=$PFX_PASS
		run -0 --separate-stderr kv-put -v <<<"$REC"
		assert_output --partial '"status":"created"'
		[[ $stderr == *"signed in with EnvironmentCredential"* ]]
		run -0 kv_requests 'select(.kind == "token") | .body | [has("client_assertion"), has("client_secret"), .assertion_header.alg]'
		assert_output '[true,false,"RS256"]'
	done
}

@test "a PKCS#12 client certificate without a password signs in" {
	cert_client "$D/nopass.p12"
	run -0 --separate-stderr kv-put <<<"$REC"
	assert_output --partial '"status":"created"'
}

@test "a wrong or missing PKCS#12 password is a clear error naming the variable, never the password" {
	cert_client "$D/client.pfx"
	export AZURE_CLIENT_CERTIFICATE_PASSWORD=not-the-Pa55
	run -2 --separate-stderr kv-put <<<"$REC"
	assert_output ''
	[[ $stderr == *"EnvironmentCredential: $D/client.pfx: AZURE_CLIENT_CERTIFICATE_PASSWORD does not open this PKCS#12 file (wrong password)"* ]]
	[[ $stderr != *not-the-Pa55* && $stderr != *"$PFX_PASS"* ]]
	unset AZURE_CLIENT_CERTIFICATE_PASSWORD
	run -2 --separate-stderr kv-put <<<"$REC"
	[[ $stderr == *"EnvironmentCredential: $D/client.pfx: the PKCS#12 file has a password: set AZURE_CLIENT_CERTIFICATE_PASSWORD"* ]]
	run -0 kv_requests 'select(.kind == "token")'
	assert_output ''
}

@test "x5c is sent only when AZURE_CLIENT_SEND_CERTIFICATE_CHAIN asks, with the whole chain" {
	kvadmin POST /_admin/config '{"require_x5c":true}' >/dev/null
	for f in client.pem client.pfx; do
		kvadmin POST /_admin/reset >/dev/null
		cert_client "$D/$f"
		export AZURE_CLIENT_CERTIFICATE_PASSWORD=$PFX_PASS
		for v in "" false 0 yes; do
			AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=$v run -2 \
			    --separate-stderr kv-put <<<"$REC"
			[[ $stderr == *"AADSTS700027"*"x5c"* ]]
		done
		run -0 kv_requests 'select(.kind == "token") | .body.assertion_header | has("x5c_count")'
		assert_output "false
false
false
false"
		for v in true TRUE 1; do
			AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=$v run -0 \
			    --separate-stderr kv-put <<<"$REC"
			assert_output --regexp '"status":"(created|unchanged)"'
		done
		run -0 kv_requests 'select(.kind == "token" and .status == 200) | .body.assertion_header.x5c_count'
		assert_output "2
2
2"
	done
}

