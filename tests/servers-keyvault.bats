#!/usr/bin/env bats
# servers-keyvault.bats: fidelity of the Key Vault / Entra / managed identity
# / ARM stand-in (tests/servers/keyvault.py).  The official clients
# (Debian's python3-azure: azure-keyvault-secrets, azure-identity, MSAL,
# azure-mgmt-authorization, azure-mgmt-keyvault) are driven through
# tests/servers/fidelity_keyvault.py; raw curl checks pin exact status codes,
# headers and bodies.  Where an official client and the stand-in disagree,
# the stand-in is wrong.

setup_file() {
	load helpers
	env_reset
	local d=$BATS_FILE_TMPDIR
	# a certificate registered for the application (CertificateCredential)
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-client \
	    -keyout "$d/client.key" -out "$d/client.crt" >/dev/null 2>&1
	cat "$d/client.key" "$d/client.crt" >"$d/client.pem"
	export CLIENT_CERT_PEM=$d/client.pem CLIENT_KEY=$d/client.key
	export CLIENT_CRT=$d/client.crt
	export KV_SUBSCRIPTION=00000000-0000-0000-0000-000000000000
	export KV_RG=rg-test KV_VAULT_NAME=kv-test
	start_keyvault_identities "$CLIENT_CERT_PEM"
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	# every test starts from the default knobs
	kvadmin POST /_admin/config '{"latency_ms":0,"fail_rate":0,
	    "fail_kinds":"500,503,429,drop","fail_tokens":false,
	    "write_limit":300,"all_limit":4000,"window":10,
	    "throttle_mode":"bucket",
	    "token_lifetime":3600,"challenge_resource":"https://127.0.0.1",
	    "empty_pages":false,"delete_delay":0.5,"recover_delay":0.5,
	    "tag_length":512,"purge_protection":false}' >/dev/null
}

# jget PATH: read JSON on stdin, print the value at a dotted path
jget() {
	"$PY" -c 'import json, sys
d = json.load(sys.stdin)
for k in (sys.argv[1].split(".") if sys.argv[1] else []):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d if isinstance(d, str) else json.dumps(d))' "${1:-}"
}

kvcurl() { curl -sS --cacert "$TLS_DIR/ca.pem" "$@"; }

# token RESOURCE: an access token from the client-secret flow
token() {
	kvcurl -d grant_type=client_credentials -d client_id=test-client \
	    --data-urlencode client_secret=test-secret-Zq8 \
	    --data-urlencode "scope=$1/.default" \
	    "$KV_URL/test-tenant/oauth2/v2.0/token" | jget access_token
}

# kv METHOD PATH [JSON]: data-plane call with a vault token; prints
# "STATUS BODY"
kv() {
	local tok=${KVTOK:-$(token https://127.0.0.1)} args=()
	[ -n "${3:-}" ] && args=(-H 'Content-Type: application/json' -d "$3")
	kvcurl -X "$1" -H "Authorization: Bearer $tok" "${args[@]}" \
	    -w '\n%{http_code}' "$KV_URL$2" | "$PY" -c 'import sys
lines = sys.stdin.read().rsplit("\n", 1)
print(lines[1], lines[0])'
}

fidelity() {
	run "$PY" "$SERVERS/fidelity_keyvault.py" "$1"
	[ "$status" -eq 0 ] || echo "$output" | tail -40 >&2
	assert_success
	assert_line --partial "ok $1"
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# assertion ALG AUD EXP [KEYFILE]: a client assertion JWT signed with openssl
assertion() {
	local alg=$1 aud=$2 exp=$3 key=${4:-$CLIENT_KEY} now hdr pl input sig
	local -a opts=()
	now=$(date +%s)
	if [ "$alg" = PS256 ]; then
		hdr=$(printf '{"alg":"PS256","typ":"JWT","x5t#S256":"%s"}' \
		    "$(openssl x509 -in "$CLIENT_CRT" -outform DER |
		    openssl dgst -sha256 -binary | b64url)")
		opts=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32)
	else
		hdr=$(printf '{"alg":"RS256","typ":"JWT","x5t":"%s"}' \
		    "$(openssl x509 -in "$CLIENT_CRT" -outform DER |
		    openssl dgst -sha1 -binary | b64url)")
	fi
	pl=$(printf '{"aud":"%s","iss":"test-client","sub":"test-client","jti":"%s","nbf":%d,"exp":%d}' \
	    "$aud" "$RANDOM$RANDOM" "$now" "$exp")
	input="$(printf %s "$hdr" | b64url).$(printf %s "$pl" | b64url)"
	sig=$(printf %s "$input" | openssl dgst -sha256 -sign "$key" "${opts[@]}" \
	    -binary | b64url)
	printf '%s.%s' "$input" "$sig"
}

token_with_assertion() {
	kvcurl -w '\n%{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d "scope=https://127.0.0.1/.default" \
	    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
	    -d "client_assertion=$1" "$KV_URL/test-tenant/oauth2/v2.0/token"
}

# ------------------------------------------------------------ official SDK

@test "sdk: ClientSecretCredential through MSAL, challenge, set/get" {
	fidelity secret-credential
}

@test "sdk: CertificateCredential (RS256 assertion, x5t) and an unregistered cert" {
	fidelity certificate
}

@test "sdk: ClientAssertionCredential with the federated token" {
	fidelity assertion
}

@test "sdk: workload identity (AZURE_FEDERATED_TOKEN_FILE token exchange)" {
	fidelity workload-identity
}

@test "sdk: ManagedIdentityCredential, App Service 2019-08-01" {
	fidelity app-service
}

@test "sdk: ManagedIdentityCredential, IMDS" {
	fidelity imds
}

@test "sdk: versions, properties, disabled secret, names, 404" {
	fidelity crud
}

@test "sdk: paging with small pages, with and without empty pages" {
	fidelity paging
}

@test "sdk: delete/recover pollers, 409 codes, purge" {
	fidelity soft-delete
}

@test "sdk: 429 Throttled with Retry-After, the SDK retries" {
	kvadmin POST /_admin/reset >/dev/null
	fidelity throttle
}

@test "sdk: server-side token expiry surfaces as 401 [TokenExpired]" {
	fidelity expired-token
}

@test "sdk: azure-mgmt-authorization role assignments, azure-mgmt-keyvault vault" {
	fidelity arm
}

@test "sdk: enforced RBAC refuses Secrets User a set with ForbiddenByRbac; permissions API agrees" {
	fidelity rbac
}

# ------------------------------------------------------ raw protocol: auth

@test "401 challenge: exact status, WWW-Authenticate and body" {
	run kvcurl -si "$KV_URL/secrets/x?api-version=7.5"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1.1 401 Unauthorized'
	assert_output --partial "WWW-Authenticate: Bearer authorization=\"$KV_URL/test-tenant\", resource=\"https://127.0.0.1\""
	assert_output --partial 'Content-Type: application/json; charset=utf-8'
	assert_output --regexp 'x-ms-request-id: [0-9a-f-]{36}'
	assert_output --partial 'x-ms-keyvault-service-version: '
	assert_line --index 15 '{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}'
	# an unknown token is no better
	run kvcurl -H 'Authorization: Bearer nope' "$KV_URL/secrets?api-version=7.5"
	assert_output '{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}'
	# --challenge-resource at run time
	kv_admin_challenge https://vault.azure.net
	run kvcurl -si "$KV_URL/secrets?api-version=7.5"
	assert_output --partial 'resource="https://vault.azure.net"'
}

@test "audience: a management token is refused by the vault and vice versa" {
	arm=$(token https://management.azure.com)
	run kvcurl -H "Authorization: Bearer $arm" "$KV_URL/secrets?api-version=7.5"
	assert_output '{"error":{"code":"Unauthorized","message":"AKV10022: Invalid audience. Expected https://127.0.0.1, found: https://management.azure.com."}}'
	vt=$(token https://127.0.0.1)
	run kvcurl -H "Authorization: Bearer $vt" \
	    "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
	assert_output --partial '"code":"InvalidAuthenticationTokenAudience"'
	run kvcurl "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
	assert_output --partial '"code":"AuthenticationFailed"'
}

@test "token lifetime and expiry: 401 [TokenExpired]" {
	kvadmin POST /_admin/config '{"token_lifetime":1}' >/dev/null
	run kvcurl -d grant_type=client_credentials -d client_id=test-client \
	    -d client_secret=test-secret-Zq8 -d scope=https://127.0.0.1/.default \
	    "$KV_URL/test-tenant/oauth2/v2.0/token"
	[ "$(echo "$output" | jget expires_in)" = 1 ]
	tok=$(echo "$output" | jget access_token)
	sleep 1.2
	run kvcurl -i -H "Authorization: Bearer $tok" "$KV_URL/secrets?api-version=7.5"
	assert_output --partial 'HTTP/1.1 401'
	assert_output --partial 'WWW-Authenticate: Bearer'
	assert_output --partial '{"error":{"code":"Unauthorized","message":"[TokenExpired] Error validating token: '"'"'S2S12086'"'"'."}}'
	# /_admin/tokens/expire ends every issued token
	kvadmin POST /_admin/config '{"token_lifetime":3600}' >/dev/null
	tok=$(token https://127.0.0.1)
	kvadmin POST /_admin/tokens/expire >/dev/null
	run kvcurl -H "Authorization: Bearer $tok" "$KV_URL/secrets?api-version=7.5"
	assert_output --partial 'TokenExpired'
}

@test "token endpoint: success shape and the real AADSTS errors" {
	u=$KV_URL/test-tenant/oauth2/v2.0/token
	run kvcurl -d grant_type=client_credentials -d client_id=test-client \
	    -d client_secret=test-secret-Zq8 -d scope=https://127.0.0.1/.default "$u"
	assert_output --regexp '^\{"token_type":"Bearer","expires_in":3600,"ext_expires_in":3600,"access_token":"[^"]+"\}$'
	# HTTP Basic client authentication
	run kvcurl -u test-client:test-secret-Zq8 -d grant_type=client_credentials \
	    -d scope=https://127.0.0.1/.default "$u"
	assert_output --partial '"token_type":"Bearer"'
	# wrong secret: 401 invalid_client AADSTS7000215
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d client_secret=nope \
	    -d scope=https://127.0.0.1/.default "$u"
	assert_output --regexp '^\{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided\. .*"error_codes":\[7000215\],"timestamp":"[^"]+","trace_id":"[^"]+","correlation_id":"[^"]+","error_uri":"https://login.microsoftonline.com/error\?code=7000215"\} 401$'
	# no credential at all
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d scope=https://127.0.0.1/.default "$u"
	assert_output --regexp 'AADSTS7000218: .* 401$'
	# unknown tenant
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d client_secret=test-secret-Zq8 \
	    -d scope=https://127.0.0.1/.default "$KV_URL/other/oauth2/v2.0/token"
	assert_output --regexp '"error":"invalid_request","error_description":"AADSTS90002: Tenant .other. not found.* 400$'
	# unknown application
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=who -d client_secret=test-secret-Zq8 \
	    -d scope=https://127.0.0.1/.default "$u"
	assert_output --regexp '"error":"unauthorized_client".*AADSTS700016.* 400$'
	# a scope without /.default
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d client_secret=test-secret-Zq8 \
	    -d scope=https://127.0.0.1 "$u"
	assert_output --regexp '"error":"invalid_scope".*AADSTS1002012.* 400$'
	# an unknown resource
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials \
	    -d client_id=test-client -d client_secret=test-secret-Zq8 \
	    -d scope=https://example.invalid/.default "$u"
	assert_output --regexp '"error":"invalid_resource".*AADSTS500011.* 400$'
}

@test "OpenID configuration points at the stand-in" {
	run kvcurl "$KV_URL/test-tenant/v2.0/.well-known/openid-configuration"
	assert_success
	[ "$(echo "$output" | jget token_endpoint)" = "$KV_URL/test-tenant/oauth2/v2.0/token" ]
	[ "$(echo "$output" | jget issuer)" = "$KV_URL/test-tenant/v2.0" ]
	[ "$(echo "$output" | jget authorization_endpoint)" = "$KV_URL/test-tenant/oauth2/v2.0/authorize" ]
	run kvcurl -w ' %{http_code}' "$KV_URL/nobody/v2.0/.well-known/openid-configuration"
	assert_output --regexp '"error":"invalid_tenant".*AADSTS90002.* 400$'
}

@test "certificate assertions: PS256 + x5t#S256 and RS256 + x5t accepted; bad ones refused" {
	aud=$KV_URL/test-tenant/oauth2/v2.0/token
	exp=$(($(date +%s) + 600))
	run token_with_assertion "$(assertion PS256 "$aud" "$exp")"
	assert_line --index 1 200
	run token_with_assertion "$(assertion RS256 "$aud" "$exp")"
	assert_line --index 1 200
	# signed by another key
	openssl genrsa -out "$BATS_TEST_TMPDIR/other.key" 2048 2>/dev/null
	run token_with_assertion "$(assertion RS256 "$aud" "$exp" "$BATS_TEST_TMPDIR/other.key")"
	assert_output --regexp 'AADSTS700027: Client assertion contains an invalid signature'
	assert_line --index 1 401
	# expired
	run token_with_assertion "$(assertion PS256 "$aud" $(($(date +%s) - 10)))"
	assert_output --partial 'AADSTS700024: Client assertion is not within its valid time range.'
	# aud is not the token endpoint
	run token_with_assertion "$(assertion PS256 https://login.microsoftonline.com/x "$exp")"
	assert_output --partial '"error":"invalid_client"'
	assert_line --index 1 401
	# the federated token is accepted verbatim
	run token_with_assertion "$FEDERATED_TOKEN"
	assert_line --index 1 200
}

@test "managed identity: App Service 2019-08-01 and IMDS shapes and errors" {
	run kvcurl -w ' %{http_code}' -H "X-IDENTITY-HEADER: $IDENTITY_HEADER_VALUE" \
	    "$KV_URL/msi/token?api-version=2019-08-01&resource=https://127.0.0.1"
	assert_output --regexp '^\{"access_token":"[^"]+","expires_on":"[0-9]+","resource":"https://127.0.0.1","token_type":"Bearer","client_id":"test-client"\} 200$'
	run kvcurl -w ' %{http_code}' -H "X-IDENTITY-HEADER: wrong" \
	    "$KV_URL/msi/token?api-version=2019-08-01&resource=https://127.0.0.1"
	assert_output --regexp ' 401$'
	# IMDS: strings for every number; 400 bad_request_102 without Metadata
	run kvcurl -w ' %{http_code}' -H 'Metadata: true' \
	    "$KV_URL/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"
	assert_output --regexp '"expires_in":"3600","expires_on":"[0-9]+","ext_expires_in":"3600","not_before":"[0-9]+","resource":"https://management.azure.com/","token_type":"Bearer"\} 200$'
	tok=$(echo "${output% *}" | jget access_token)
	run kvcurl -H "Authorization: Bearer $tok" \
	    "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
	assert_output --partial '"vaultUri"'
	run kvcurl -w ' %{http_code}' \
	    "$KV_URL/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://127.0.0.1"
	assert_output '{"error":"bad_request_102","error_description":"Required metadata header not specified"} 400'
}

# ---------------------------------------------------- raw protocol: secrets

@test "api-version: 7.4, 7.5, 7.6 served; missing or unknown is 400 BadParameter" {
	export KVTOK=$(token https://127.0.0.1)
	for v in 7.4 7.5 7.6 7.3; do
		run kv GET "/secrets?api-version=$v"
		assert_output --regexp '^200 '
	done
	run kv GET /secrets
	assert_output '400 {"error":{"code":"BadParameter","message":"The specified version () is not recognized. Consider using the latest supported version (7.6)."}}'
	run kv GET "/secrets?api-version=7.9"
	assert_output '400 {"error":{"code":"BadParameter","message":"The specified version (7.9) is not recognized. Consider using the latest supported version (7.6)."}}'
}

@test "set/get: new 32-hex version each PUT, trailing slash, by version, 404 texts" {
	export KVTOK=$(token https://127.0.0.1)
	run kv PUT "/secrets/rawA?api-version=7.5" '{"value":"one","contentType":"text/plain","tags":{"t":"1"},"attributes":{"enabled":true,"exp":1900000000}}'
	assert_output --regexp '^200 \{"value":"one","contentType":"text/plain","id":"https://127\.0\.0\.1:[0-9]+/secrets/rawA/[0-9a-f]{32}","attributes":\{"enabled":true,"exp":1900000000,"created":[0-9]+,"updated":[0-9]+,"recoverableDays":90,"recoveryLevel":"Recoverable\+Purgeable"\},"tags":\{"t":"1"\}\}$'
	v1=$(echo "${output#200 }" | jget id)
	v1=${v1##*/}
	run kv PUT "/secrets/rawA?api-version=7.5" '{"value":"two"}'
	v2=$(echo "${output#200 }" | jget id)
	v2=${v2##*/}
	[ "$v1" != "$v2" ]
	run kv GET "/secrets/rawA/?api-version=7.5"
	assert_output --regexp "^200 \{\"value\":\"two\",\"id\":\"[^\"]*/secrets/rawA/$v2\""
	run kv GET "/secrets/rawA?api-version=7.5"
	assert_output --regexp "^200 \{\"value\":\"two\""
	run kv GET "/secrets/rawA/$v1?api-version=7.5"
	assert_output --regexp '^200 \{"value":"one","contentType":"text/plain"'
	run kv GET "/secrets/rawA/0123456789abcdef0123456789abcdef?api-version=7.5"
	assert_output '404 {"error":{"code":"SecretNotFound","message":"A secret with (name/id) rawA/0123456789abcdef0123456789abcdef was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}}'
	run kv GET "/secrets/nothere?api-version=7.5"
	assert_output --regexp '^404 \{"error":\{"code":"SecretNotFound","message":"A secret with \(name/id\) nothere was not found'
	# names are case-insensitive; the case of the first creation is kept
	run kv PUT "/secrets/RAWA?api-version=7.5" '{"value":"three"}'
	assert_output --regexp '"id":"[^"]*/secrets/rawA/'
	run kv GET "//secrets/rawa?api-version=7.5"
	assert_output --regexp '^200 \{"value":"three"'
	# versions list: versioned ids, no values
	run kv GET "/secrets/rawA/versions?api-version=7.5"
	assert_output --regexp '^200 '
	refute_output --partial '"value":"'
	[ "$(echo "${output#200 }" | jget value | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ]
}

@test "names and limits: the service's codes and messages" {
	export KVTOK=$(token https://127.0.0.1)
	run kv PUT "/secrets/bad_name?api-version=7.5" '{"value":"x"}'
	assert_output '400 {"error":{"code":"BadParameter","message":"The request URI contains an invalid name: bad_name"}}'
	run kv GET "/secrets/a.b?api-version=7.5"
	assert_output --regexp '^400 .*invalid name: a\.b'
	long=$(printf 'n%.0s' $(seq 1 128))
	run kv PUT "/secrets/$long?api-version=7.5" '{"value":"x"}'
	assert_output --regexp '^400 '
	run kv PUT "/secrets/${long:1}?api-version=7.5" '{"value":"x"}'
	assert_output --regexp '^200 '
	v=$(head -c 25600 /dev/zero | tr '\0' a)
	run kv PUT "/secrets/big?api-version=7.5" "{\"value\":\"$v\"}"
	assert_output --regexp '^200 '
	run kv PUT "/secrets/big?api-version=7.5" "{\"value\":\"${v}a\"}"
	assert_output --regexp '^400 \{"error":\{"code":"BadParameter"'
	ct=$(printf 'c%.0s' $(seq 1 256))
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"contentType\":\"${ct:1}\"}"
	assert_output --regexp '^200 '
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"contentType\":\"$ct\"}"
	assert_output --regexp '^400 \{"error":\{"code":"BadParameter"'
	tags=$(for i in $(seq 1 16); do printf '"t%d":"v",' "$i"; done)
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{${tags%,}}}"
	assert_output --regexp '^400 \{"error":\{"code":"BadParameter"'
	tags=$(for i in $(seq 1 15); do printf '"t%d":"v",' "$i"; done)
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{${tags%,}}}"
	assert_output --regexp '^200 '
	t512=$(printf 'v%.0s' $(seq 1 512))
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{\"k\":\"$t512\"}}"
	assert_output --regexp '^200 '
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{\"k\":\"${t512}v\"}}"
	assert_output --regexp '^400 '
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{\"${t512}k\":\"v\"}}"
	assert_output --regexp '^400 '
	kvadmin POST /_admin/config '{"tag_length":256}' >/dev/null
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{\"k\":\"${t512:256}\"}}"
	assert_output --regexp '^200 '
	run kv PUT "/secrets/lim?api-version=7.5" "{\"value\":\"x\",\"tags\":{\"k\":\"${t512:255}\"}}"
	assert_output --regexp '^400 '
}

@test "PATCH: no value in the answer, unspecified attributes kept; disabled gives 403" {
	export KVTOK=$(token https://127.0.0.1)
	kv PUT "/secrets/pat?api-version=7.5" '{"value":"pv","contentType":"a","tags":{"x":"1"},"attributes":{"exp":1900000000}}' >/dev/null
	run kv PATCH "/secrets/pat/?api-version=7.5" '{"tags":{"y":"2"}}'
	assert_output --regexp '^200 \{"contentType":"a","id":"[^"]+","attributes":\{"enabled":true,"exp":1900000000,'
	assert_output --partial '"tags":{"y":"2"}'
	refute_output --partial '"value"'
	run kv PATCH "/secrets/pat?api-version=7.5" '{"attributes":{"enabled":false}}'
	assert_output --partial '"enabled":false,"exp":1900000000'
	run kv GET "/secrets/pat?api-version=7.5"
	assert_output '403 {"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}'
	# still listed, with its attributes
	run kv GET "/secrets?api-version=7.5"
	assert_output --regexp '"id":"[^"]+/secrets/pat","attributes":\{"enabled":false'
}

@test "list paging: maxresults bounds, absolute nextLink, null on the last page, empty pages" {
	export KVTOK=$(token https://127.0.0.1)
	kvadmin POST /_admin/reset >/dev/null
	for i in 1 2 3 4 5; do kv PUT "/secrets/pg$i?api-version=7.5" '{"value":"v"}' >/dev/null; done
	run kv GET "/secrets?api-version=7.5&maxresults=26"
	assert_output --regexp '^400 \{"error":\{"code":"BadParameter"'
	run kv GET "/secrets?api-version=7.5&maxresults=0"
	assert_output --regexp '^400 '
	run kv GET "/secrets?api-version=7.5&maxresults=2"
	assert_output --regexp "^200 .*\"nextLink\":\"$KV_URL/secrets\\?api-version=7\\.5&\\\$skiptoken=[A-Za-z0-9_-]+&maxresults=2\"\\}$"
	names=""
	next="$KV_URL/secrets?api-version=7.5&maxresults=2"
	pages=0
	while [ "$next" != null ]; do
		out=$(kvcurl -H "Authorization: Bearer $KVTOK" "$next")
		names+=$(echo "$out" | "$PY" -c 'import json,sys; print(" ".join(i["id"].rsplit("/",1)[1] for i in json.load(sys.stdin)["value"]))')" "
		next=$(echo "$out" | jget nextLink)
		pages=$((pages + 1))
	done
	[ "$pages" = 3 ]
	[ "$(echo $names)" = "pg1 pg2 pg3 pg4 pg5" ]
	# the real service may answer an empty page that still has a nextLink
	kvadmin POST /_admin/config '{"empty_pages":true}' >/dev/null
	run kv GET "/secrets?api-version=7.5&maxresults=25"
	assert_output --regexp '^200 \{"value":\[\],"nextLink":"https://'
	# deleted list uses the same paging
	kvadmin POST /_admin/config '{"empty_pages":false,"delete_delay":0}' >/dev/null
	kv DELETE "/secrets/pg1?api-version=7.5" >/dev/null
	run kv GET "/deletedsecrets?api-version=7.5"
	assert_output --regexp '^200 \{"value":\[\{"id":"[^"]+/secrets/pg1","attributes":.*"recoveryId":"[^"]+/deletedsecrets/pg1","deletedDate":[0-9]+,"scheduledPurgeDate":[0-9]+\}\],"nextLink":null\}$'
}

@test "soft delete lifecycle: async delete and recover, 409 codes, purge 204" {
	export KVTOK=$(token https://127.0.0.1)
	kvadmin POST /_admin/config '{"delete_delay":2,"recover_delay":2}' >/dev/null
	kv PUT "/secrets/sd1?api-version=7.5" '{"value":"keep"}' >/dev/null
	run kv DELETE "/secrets/sd1?api-version=7.5"
	assert_output --regexp '^200 \{"id":"[^"]+/secrets/sd1/[0-9a-f]{32}",.*"recoveryId":"[^"]+/deletedsecrets/sd1","deletedDate":[0-9]+,"scheduledPurgeDate":[0-9]+\}$'
	run kv GET "/deletedsecrets/sd1?api-version=7.5"
	assert_output '404 {"error":{"code":"SecretNotFound","message":"Deleted Secret not found: sd1"}}'
	run kv PUT "/secrets/sd1?api-version=7.5" '{"value":"new"}'
	assert_output --regexp '^409 \{"error":\{"code":"Conflict","message":"[^"]+","innererror":\{"code":"ObjectIsBeingDeleted"\}\}\}$'
	run kv GET "/secrets/sd1/?api-version=7.5"
	assert_output --regexp '^404 .*SecretNotFound'
	sleep 2.1
	run kv GET "/deletedsecrets/sd1?api-version=7.5"
	assert_output --regexp '^200 '
	refute_output --partial '"value"'
	run kv PUT "/secrets/sd1?api-version=7.5" '{"value":"new"}'
	assert_output '409 {"error":{"code":"Conflict","message":"Secret sd1 is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.","innererror":{"code":"ObjectIsDeletedButRecoverable"}}}'
	run kv POST "/deletedsecrets/sd1/recover?api-version=7.5"
	assert_output --regexp '^200 \{"id":"[^"]+/secrets/sd1/[0-9a-f]{32}"'
	refute_output --partial '"value"'
	run kv PUT "/secrets/sd1?api-version=7.5" '{"value":"new"}'
	assert_output '409 {"error":{"code":"Conflict","message":"Secret sd1 is currently being recovered and cannot be re-created; retry later.","innererror":{"code":"ObjectIsBeingRecovered"}}}'
	sleep 2.1
	run kv GET "/secrets/sd1?api-version=7.5"
	assert_output --regexp '^200 \{"value":"keep"'
	run kv POST "/deletedsecrets/sd1/recover?api-version=7.5"
	assert_output --regexp '^404 .*SecretNotFound'
	kvadmin POST /_admin/config '{"delete_delay":0}' >/dev/null
	kv DELETE "/secrets/sd1?api-version=7.5" >/dev/null
	run kvcurl -si -X DELETE -H "Authorization: Bearer $KVTOK" "$KV_URL/deletedsecrets/sd1?api-version=7.5"
	assert_line --index 0 --regexp '^HTTP/1.1 204 No Content'
	refute_output --partial '{'
	run kv DELETE "/deletedsecrets/sd1?api-version=7.5"
	assert_output '404 {"error":{"code":"SecretNotFound","message":"Deleted Secret not found: sd1"}}'
	run kv PUT "/secrets/sd1?api-version=7.5" '{"value":"fresh"}'
	assert_output --regexp '^200 '
}

@test "throttling: separate SetSecret and all-transaction budgets, Retry-After, 429s not counted" {
	export KVTOK=$(token https://127.0.0.1)
	kvadmin POST /_admin/reset >/dev/null
	kvadmin POST /_admin/config '{"write_limit":2,"all_limit":3,"window":3,
	    "throttle_mode":"sliding"}' >/dev/null
	kv PUT "/secrets/th1?api-version=7.5" '{"value":"v"}' >/dev/null
	kv PUT "/secrets/th2?api-version=7.5" '{"value":"v"}' >/dev/null
	run kvcurl -si -X PUT -H "Authorization: Bearer $KVTOK" -H 'Content-Type: application/json' \
	    -d '{"value":"v"}' "$KV_URL/secrets/th3?api-version=7.5"
	assert_line --index 0 --regexp '^HTTP/1.1 429 Too Many Requests'
	assert_output --regexp 'Retry-After: [1-3]'
	assert_output --partial '{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}}'
	# reads have their own budget
	for i in 1 2 3; do
		run kv GET "/secrets/th1?api-version=7.5"
		assert_output --regexp '^200 '
	done
	for i in 1 2 3 4; do
		run kv GET "/secrets/th1?api-version=7.5"
		assert_output --regexp '^429 '
		sleep 0.2
	done
	# the 429s above did not count: once the three reads leave the window
	# the budget is back (had the 429s counted, it would still be spent)
	state=$(kvadmin GET /_admin/state)
	[[ $state != *'"name":"th3"'* ]]
	# a whole window after the last counted read, whatever the load
	sleep 3
	run kv GET "/secrets/th1?api-version=7.5"
	assert_output --regexp '^200 '
	run kv PUT "/secrets/th3?api-version=7.5" '{"value":"v"}'
	assert_output --regexp '^200 '
	# token and admin endpoints are never throttled
	for i in 1 2 3 4 5; do token https://127.0.0.1 >/dev/null; done
	run token https://127.0.0.1
	assert_output --regexp '^[A-Za-z0-9_-]{20,}$'
}

@test "failure injection: drop, 500, 503, 429; token endpoints spared unless --fail-tokens" {
	export KVTOK=$(token https://127.0.0.1)
	kvadmin POST /_admin/config '{"fail_rate":1,"fail_kinds":"drop"}' >/dev/null
	run curl -s --cacert "$TLS_DIR/ca.pem" -H "Authorization: Bearer $KVTOK" "$KV_URL/secrets?api-version=7.5"
	[ "$status" -eq 52 ]      # empty reply from server
	run token https://127.0.0.1
	assert_success
	kvadmin POST /_admin/config '{"fail_kinds":"503"}' >/dev/null
	run kv GET "/secrets?api-version=7.5"
	assert_output --regexp '^503 \{"error":\{"code":"ServiceUnavailable"'
	kvadmin POST /_admin/config '{"fail_kinds":"500"}' >/dev/null
	run kv GET "/secrets?api-version=7.5"
	assert_output --regexp '^500 \{"error":\{"code":"InternalServerError"'
	kvadmin POST /_admin/config '{"fail_kinds":"429","fail_tokens":true}' >/dev/null
	run kv GET "/secrets?api-version=7.5"
	assert_output --regexp '^429 \{"error":\{"code":"Throttled"'
	run kvcurl -w ' %{http_code}' -d grant_type=client_credentials "$KV_URL/test-tenant/oauth2/v2.0/token"
	assert_output --regexp ' 429$'
	# the admin API is never failed; a rate of 0.5 with a fixed seed is repeatable
	kvadmin POST /_admin/config '{"fail_rate":0.5,"fail_seed":7,"fail_kinds":"500","fail_tokens":false}' >/dev/null
	a=$(for i in 1 2 3 4 5 6 7 8; do kv GET "/secrets?api-version=7.5" | cut -c1-3; done | tr '\n' ' ')
	kvadmin POST /_admin/config '{"fail_seed":7}' >/dev/null
	b=$(for i in 1 2 3 4 5 6 7 8; do kv GET "/secrets?api-version=7.5" | cut -c1-3; done | tr '\n' ' ')
	[ "$a" = "$b" ]
	[[ $a == *500* && $a == *200* ]]
	run kvadmin GET /_admin/state
	assert_success
	# latency
	kvadmin POST /_admin/config '{"fail_rate":0,"latency_ms":300}' >/dev/null
	s=$(date +%s%N)
	kv GET "/secrets?api-version=7.5" >/dev/null
	[ $(( ($(date +%s%N) - s) / 1000000 )) -ge 300 ]
}

@test "request log: one JSON line per request with secrets redacted" {
	export KVTOK=$(token https://127.0.0.1)
	kv PUT "/secrets/logged?api-version=7.5" '{"value":"TopSecretValue-91","contentType":"text/x","tags":{"owner":"ops"}}' >/dev/null
	log=$BATS_FILE_TMPDIR/keyvault.log
	run grep -c . "$log"
	[ "$output" -gt 5 ]
	run grep -e TopSecretValue-91 -e test-secret-Zq8 -e "$KVTOK" -e "$FEDERATED_TOKEN" "$log"
	assert_failure
	line=$(grep '"/secrets/logged"' "$log" | tail -1)
	[ "$(echo "$line" | jget body.contentType)" = text/x ]
	[ "$(echo "$line" | jget body.tags.owner)" = ops ]
	[ "$(echo "$line" | jget body.value)" = "<redacted>" ]
	[ "$(echo "$line" | jget headers.authorization)" = "Bearer <redacted>" ]
	[ "$(echo "$line" | jget status)" = 200 ]
	# the same records through the admin API
	run kvadmin GET /_admin/requests
	assert_output --partial '"path":"/secrets/logged"'
	refute_output --partial TopSecretValue-91
}

@test "admin API: state with values and versions, seed, config" {
	kvadmin POST /_admin/seed '{"secrets":[{"name":"Seeded","versions":[{"value":"s1","tags":{"a":"b"}},{"value":"s2","contentType":"text/plain","enabled":false}]},{"name":"gone","value":"g","deleted":true}],"roleAssignments":[{"scope":"/subscriptions/'$KV_SUBSCRIPTION'","name":"11111111-2222-3333-4444-555555555555","roleDefinitionId":"/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6","principalId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","principalType":"Group"}]}'
	run kvadmin GET /_admin/state
	assert_output --partial '"name":"Seeded","state":"active","versions":[{"version":"'
	assert_output --partial '"value":"s1","contentType":null,"tags":{"a":"b"}'
	assert_output --partial '"value":"s2","contentType":"text/plain"'
	assert_output --partial '"name":"gone","state":"deleted"'
	assert_output --partial '"name":"11111111-2222-3333-4444-555555555555"'
	export KVTOK=$(token https://127.0.0.1)
	run kv GET "/secrets/seeded?api-version=7.5"
	assert_output --regexp '^403 .*SecretDisabled'
	run kv PUT "/secrets/gone?api-version=7.5" '{"value":"x"}'
	assert_output --regexp '^409 .*ObjectIsDeletedButRecoverable'
	run kvadmin POST /_admin/config '{"bogus":1}'
	assert_output --partial 'unknown config key'
	run kvadmin GET /_admin/config
	assert_output --partial '"write_limit":300'
}

# ---------------------------------------------------------- raw protocol: ARM

@test "ARM role assignments: 201/200/409/400 codes, filters, DELETE 200 then 204" {
	at=$(token https://management.azure.com)
	scope=/subscriptions/$KV_SUBSCRIPTION/resourceGroups/$KV_RG/providers/Microsoft.KeyVault/vaults/$KV_VAULT_NAME
	ra=$KV_URL$scope/providers/Microsoft.Authorization/roleAssignments
	pid=$("$PY" -c 'import uuid; print(uuid.uuid4())')
	n1=$("$PY" -c 'import uuid; print(uuid.uuid4())')
	n2=$("$PY" -c 'import uuid; print(uuid.uuid4())')
	body='{"properties":{"roleDefinitionId":"/subscriptions/'$KV_SUBSCRIPTION'/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6","principalId":"'$pid'","principalType":"ServicePrincipal"}}'
	put() { kvcurl -w ' %{http_code}' -X PUT -H "Authorization: Bearer $at" -H 'Content-Type: application/json' -d "$2" "$ra/$1?api-version=2022-04-01"; }
	run put "$n1" "$body"
	assert_output --regexp "^\\{\"properties\":\\{\"roleDefinitionId\":\"[^\"]+/4633458b-17de-408a-b874-0445c86b69e6\",\"principalId\":\"$pid\",\"principalType\":\"ServicePrincipal\",\"scope\":\"$scope\",.*\"id\":\"$scope/providers/Microsoft.Authorization/roleAssignments/$n1\",\"type\":\"Microsoft.Authorization/roleAssignments\",\"name\":\"$n1\"\\} 201$"
	run put "$n1" "$body"
	assert_output --regexp ' 200$'
	run put "$n2" "$body"
	assert_output "{\"error\":{\"code\":\"RoleAssignmentExists\",\"message\":\"The role assignment already exists. The ID of the existing role assignment is ${n1//-/}.\"}} 409"
	run put not-a-guid "$body"
	assert_output '{"error":{"code":"InvalidRoleAssignmentId","message":"The role assignment ID '"'"'not-a-guid'"'"' is not valid. The role assignment ID must be a GUID."}} 400'
	run put "$n2" "${body/4633458b/4633458c}"
	assert_output --regexp '^\{"error":\{"code":"RoleDefinitionDoesNotExist","message":"The specified role definition with ID .4633458c-17de-408a-b874-0445c86b69e6. does not exist."\}\} 400$'
	run put "$n2" "${body/ServicePrincipal/MSI}"
	assert_output --regexp 'The PrincipalType property .MSI. is not valid.* 400$'
	run put "$n2" "${body/$pid/not-a-guid}"
	assert_output --regexp 'InvalidPrincipalId.* 400$'
	for t in User Group ForeignGroup; do
		run put "$("$PY" -c 'import uuid; print(uuid.uuid4())')" "${body/ServicePrincipal\"/$t\"}"
		assert_output --regexp ' (201|409)$'
	done
	run kvcurl -H "Authorization: Bearer $at" --get --data-urlencode "\$filter=principalId eq '$pid'" \
	    --data-urlencode api-version=2022-04-01 "$ra"
	[ "$(echo "$output" | jget value.0.name)" = "$n1" ]
	# listed from the subscription too (below the scope), and atScope() from below
	run kvcurl -H "Authorization: Bearer $at" --get --data-urlencode "\$filter=principalId eq '$pid'" \
	    --data-urlencode api-version=2022-04-01 "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.Authorization/roleAssignments"
	assert_output --partial "\"name\":\"$n1\""
	run kvcurl -H "Authorization: Bearer $at" --get --data-urlencode "\$filter=atScope() and principalId eq '$pid'" \
	    --data-urlencode api-version=2022-04-01 "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.Authorization/roleAssignments"
	assert_output '{"value":[]}'
	run kvcurl -w ' %{http_code}' -X DELETE -H "Authorization: Bearer $at" "$ra/$n1?api-version=2022-04-01"
	assert_output --regexp "\"name\":\"$n1\"\\} 200$"
	run kvcurl -w '%{http_code}' -X DELETE -H "Authorization: Bearer $at" "$ra/$n1?api-version=2022-04-01"
	assert_output 204
	run kvcurl -w ' %{http_code}' -H "Authorization: Bearer $at" "$ra/$n1?api-version=2022-04-01"
	assert_output --regexp ' 404$'
	run kvcurl -H "Authorization: Bearer $at" "$ra/$n1"
	assert_output '{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}'
}

@test "ARM vault resource: GET, list, resources filter, 404s, api-versions" {
	at=$(token https://management.azure.com)
	g() { kvcurl -w ' %{http_code}' -H "Authorization: Bearer $at" "$@"; }
	id=/subscriptions/$KV_SUBSCRIPTION/resourceGroups/$KV_RG/providers/Microsoft.KeyVault/vaults/$KV_VAULT_NAME
	run g "$KV_URL$id?api-version=2023-07-01"
	assert_output --regexp "^\\{\"id\":\"$id\",\"name\":\"$KV_VAULT_NAME\",\"type\":\"Microsoft.KeyVault/vaults\",\"location\":\"westus\",.*\"vaultUri\":\"$KV_URL/\",.*\\} 200$"
	run g "$KV_URL/subscriptions/$KV_SUBSCRIPTION/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
	assert_output --regexp "^\\{\"value\":\\[\\{\"id\":\"$id\".*\\} 200$"
	run g --get --data-urlencode "\$filter=resourceType eq 'Microsoft.KeyVault/vaults' and name eq '$KV_VAULT_NAME'" \
	    --data-urlencode api-version=2021-04-01 "$KV_URL/subscriptions/$KV_SUBSCRIPTION/resources"
	assert_output "{\"value\":[{\"id\":\"$id\",\"name\":\"$KV_VAULT_NAME\",\"type\":\"Microsoft.KeyVault/vaults\",\"location\":\"westus\",\"tags\":{}}]} 200"
	run g --get --data-urlencode "\$filter=resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'other'" \
	    --data-urlencode api-version=2021-04-01 "$KV_URL/subscriptions/$KV_SUBSCRIPTION/resources"
	assert_output '{"value":[]} 200'
	run g "$KV_URL${id%/*}/nope?api-version=2023-07-01"
	assert_output --regexp '"code":"ResourceNotFound","message":"The Resource .Microsoft.KeyVault/vaults/nope. under resource group .rg-test. was not found.* 404$'
	run g "$KV_URL/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/$KV_RG/providers/Microsoft.KeyVault/vaults/$KV_VAULT_NAME?api-version=2023-07-01"
	assert_output --regexp '"code":"SubscriptionNotFound".* 404$'
	run g "$KV_URL/subscriptions/$KV_SUBSCRIPTION/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/$KV_VAULT_NAME?api-version=2023-07-01"
	assert_output --regexp '"code":"ResourceGroupNotFound".* 404$'
	run g "$KV_URL$id?api-version=2023-02-01"
	assert_output --regexp '^\{"error":\{"code":"InvalidApiVersionParameter","message":"The api-version .2023-02-01. is invalid. The supported versions are .* 400$'
}

# --------------------------------------------------------------- process

@test "process: --seed at start, first stdout line only, clean exit on SIGTERM" {
	d=$BATS_TEST_TMPDIR
	cat >"$d/fx.json" <<-'EOF'
	{"secrets":[{"name":"fromseed","versions":[{"value":"a"},{"value":"b","tags":{"k":"v"}}]}]}
	EOF
	"$PY" "$SERVERS/keyvault.py" --port 0 --tls-cert "$TLS_DIR/server.pem" \
	    --tls-key "$TLS_DIR/server.key" --client-secret s --seed "$d/fx.json" \
	    >"$d/out" 2>"$d/err" &
	pid=$!
	for _ in $(seq 1 100); do [ -s "$d/out" ] && break; sleep 0.05; done
	url=$(head -n 1 "$d/out")
	[[ $url =~ ^https://127\.0\.0\.1:[0-9]+$ ]]
	run curl -sS --cacert "$TLS_DIR/ca.pem" "$url/_admin/state"
	assert_output --partial '"name":"fromseed","state":"active"'
	assert_output --partial '"value":"b","contentType":null,"tags":{"k":"v"}'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(wc -l <"$d/out")" -eq 1 ]
	[ ! -s "$d/err" ]
}

@test "throughput: hundreds of requests/s over TLS with 16 keep-alive clients" {
	kvadmin POST /_admin/config '{"all_limit":0,"write_limit":0}' >/dev/null
	export KVTOK=$(token https://127.0.0.1)
	kv PUT "/secrets/bench?api-version=7.5" '{"value":"v"}' >/dev/null
	cat >"$BATS_TEST_TMPDIR/bench.py" <<-'EOF'
	import http.client, multiprocessing, os, ssl, sys, threading, time
	from urllib.parse import urlsplit
	u = urlsplit(os.environ["KV_URL"]); tok = os.environ["KVTOK"]
	def proc(q, secs):
	    ctx = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
	    counts = []
	    def worker():
	        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
	        n, end = 0, time.time() + secs
	        while time.time() < end:
	            c.request("GET", "/secrets/bench?api-version=7.5",
	                      headers={"Authorization": "Bearer " + tok})
	            r = c.getresponse(); r.read()
	            assert r.status == 200, r.status
	            n += 1
	        counts.append(n)
	    ts = [threading.Thread(target=worker) for _ in range(4)]
	    [t.start() for t in ts]; [t.join() for t in ts]
	    q.put(sum(counts))
	if __name__ == "__main__":
	    secs = float(sys.argv[1]); q = multiprocessing.Queue()
	    ps = [multiprocessing.Process(target=proc, args=(q, secs)) for _ in range(4)]
	    [p.start() for p in ps]
	    total = sum(q.get() for _ in ps); [p.join() for p in ps]
	    print(int(total / secs))
	EOF
	run "$PY" "$BATS_TEST_TMPDIR/bench.py" 4
	assert_success
	echo "# $output requests/s (16 keep-alive TLS clients, GET a secret)" >&3
	[ "$output" -ge 150 ]
}
