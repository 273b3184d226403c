#!/usr/bin/env bats
# Fidelity of the Vault stand-in (tests/servers/vault.py): the official
# client hvac drives every operation the tools use
# (tests/servers/fidelity_vault.py, one scenario per test), plus raw curl
# checks of exact statuses and bodies. Where hvac and the stand-in disagree,
# the stand-in is wrong.

setup_file() { load helpers; env_reset; start_vault; }
teardown_file() { load helpers; stop_servers; }
setup() { load helpers; }

fidelity() { run "$PY" "$SERVERS/fidelity_vault.py" "$1"; }

# v METHOD PATH [CURL-ARGS...]: raw call with the root token; prints the
# body then the status on its own line.
v() {
	local m=$1 p=$2
	shift 2
	curl -sS -X "$m" -H "X-Vault-Token: ${VT-root}" -w '\n%{http_code}\n' \
	    "$@" "$VAULT_ADDR$p"
}

@test "first stdout line is the base URL and nothing else is printed" {
	local out=${BATS_FILE_TMPDIR}/VAULT.out
	run -0 cat "$out"
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	[ "$VAULT_URL" = "$VAULT_ADDR" ]
}

@test "--help documents every flag" {
	run -0 "$PY" "$SERVERS/vault.py" --help
	for f in --port --root-token --tls-cert --tls-key --client-ca --seed --log --latency \
	    --fail-rate --fail-seed --fail-kinds --rate-limit; do
		assert_output --partial -- "$f"
	done
}

@test "hvac: mounts (list, enable, read, internal/ui/mounts)" {
	fidelity mounts
	assert_success
	assert_line "ok mounts"
}

@test "hvac: KV v2 write, cas, read latest and versions, metadata, patch" {
	fidelity kv2_basic
	assert_success
	assert_line "ok kv2_basic"
}

@test "hvac: KV v2 list with app and app/ side by side, LIST and ?list=true" {
	fidelity kv2_list
	assert_success
	assert_line "ok kv2_list"
}

@test "hvac: KV v2 delete, undelete, destroy; deleted latest raises InvalidPath" {
	fidelity kv2_delete
	assert_success
	assert_line "ok kv2_delete"
}

@test "hvac: KV v2 metadata, custom_metadata, max_versions, delete_version_after" {
	fidelity kv2_metadata
	assert_success
	assert_line "ok kv2_metadata"
}

@test "hvac: KV v1 read, write, list, delete" {
	fidelity kv1
	assert_success
	assert_line "ok kv1"
}

@test "hvac: policies, token create, limited token 403 and allowed subtree, capabilities-self" {
	fidelity policies
	assert_success
	assert_line "ok policies"
}

@test "hvac: lookup-self, invalid, absent, expired and revoked tokens" {
	fidelity tokens
	assert_success
	assert_line "ok tokens"
}

@test "hvac: auth/token/renew-self renews a renewable token, refuses another" {
	fidelity renew
	assert_success
	assert_line "ok renew"
}

@test "hvac: --client-ca demands a client certificate of that CA (mutual TLS)" {
	local d=$BATS_FILE_TMPDIR/mtls
	tls_setup "$d"
	openssl req -newkey rsa:2048 -nodes -subj /CN=fid-client \
	    -keyout "$d/client.key" -out "$d/client.csr" >/dev/null 2>&1
	echo 'extendedKeyUsage=clientAuth' >"$d/client.cnf"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/client.cnf" \
	    -out "$d/client.pem" >/dev/null 2>&1
	_start MTLS vault.py --root-token root --tls-cert "$d/server.pem" \
	    --tls-key "$d/server.key" --client-ca "$d/ca.pem"
	MTLS_ADDR=$MTLS_URL CLIENT_CERT=$d/client.pem CLIENT_KEY=$d/client.key \
	    VAULT_CACERT=$d/ca.pem fidelity mtls
	assert_success
	assert_line "ok mtls"
}

@test "hvac: namespaces by header and path prefix, nested listing, namespace tokens, parent tokens read children" {
	fidelity namespaces
	assert_success
	assert_line "ok namespaces"
}

@test "hvac: ACL policies per namespace, azure auth methods and their roles" {
	fidelity azure_roles
	assert_success
	assert_line "ok azure_roles"
}

@test "hvac: rate limit gives 429 RateLimitExceeded with Retry-After" {
	fidelity ratelimit
	assert_success
	assert_line "ok ratelimit"
}

@test "hvac: injected faults 500, 503, 429, drop; seeded; latency" {
	fidelity faults
	assert_success
	assert_line "ok faults"
}

@test "hvac: admin seed, state and redacted request log" {
	fidelity admin
	assert_success
	assert_line "ok admin"
}

@test "curl: LIST of an empty or missing folder is 404 {\"errors\":[]}" {
	run -0 v LIST /v1/secret/metadata/curl-none/
	assert_line --index 0 '{"errors":[]}'
	assert_line --index 1 404
	run -0 v GET '/v1/secret/metadata/curl-none?list=true'
	assert_line --index 0 '{"errors":[]}'
	assert_line --index 1 404
	run -0 v GET '/v1/secret/metadata/?list=maybe'
	assert_line --index 1 400
}

@test "curl: ?list=true lists like LIST" {
	v POST /v1/secret/data/curl/app -d '{"data":{"a":"1"}}' >/dev/null
	v POST /v1/secret/data/curl/app/x -d '{"data":{"a":"1"}}' >/dev/null
	run -0 v GET '/v1/secret/metadata/curl?list=true'
	assert_line --index 0 --partial '"data":{"keys":["app","app/"]}'
	assert_line --index 1 200
	run -0 v LIST /v1/secret/metadata/curl
	assert_line --index 0 --partial '"data":{"keys":["app","app/"]}'
}

@test "curl: missing secret 404 {\"errors\":[]}; deleted one 404 with the full body" {
	run -0 v GET /v1/secret/data/curl/missing
	assert_line --index 0 '{"errors":[]}'
	assert_line --index 1 404
	v POST /v1/secret/data/curl/gone -d '{"data":{"a":"1"}}' >/dev/null
	run -0 v DELETE /v1/secret/data/curl/gone
	assert_line 204
	run -0 v GET /v1/secret/data/curl/gone
	assert_line --index 0 --regexp '"data":\{"data":null,"metadata":\{"created_time":"[^"]+Z","custom_metadata":null,"deletion_time":"[0-9T:.-]+Z","destroyed":false,"version":1\}\}'
	assert_line --index 0 --partial '"lease_id":""'
	assert_line --index 1 404
}

@test "curl: 403 texts, unknown mount, Authorization: Bearer" {
	VT= run -0 v GET /v1/secret/data/curl/app
	assert_line --index 0 '{"errors":["1 error occurred:\n\t* permission denied\n\n"]}'
	assert_line --index 1 403
	VT=nope run -0 v GET /v1/secret/data/curl/app
	assert_line --index 0 '{"errors":["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]}'
	run -0 v GET /v1/nomount/data/x/y
	assert_line --index 0 '{"errors":["no handler for route \"nomount/data/x/y\". route entry not found."]}'
	assert_line --index 1 404
	run -0 curl -sS -w '\n%{http_code}\n' -H 'Authorization: Bearer root' \
	    "$VAULT_ADDR/v1/secret/data/curl/app"
	assert_line --index 1 200
}

@test "curl: request log has one redacted JSON line per request" {
	v POST /v1/secret/data/curl/logme -d '{"data":{"pw":"s3cr3t-v"}}' >/dev/null
	local log=$BATS_FILE_TMPDIR/vault.log
	run -0 grep -c '"path": "/v1/secret/data/curl/logme"' "$log"
	run grep -c 's3cr3t-v' "$log"
	assert_output 0
	run grep -c '"X-Vault-Token": "root"' "$log"
	assert_output 0
	run -0 "$PY" -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$log"
}

@test "--seed, TLS and SIGTERM: a second server from a fixture" {
	local d=$BATS_TEST_TMPDIR
	tls_setup "$d/tls"
	cat >"$d/fx.json" <<-'EOF'
	{"mounts": {"legacy/": 1},
	 "secrets": {"secret/app/db": {"versions": [{"data": {"p": "1"}},
	                                           {"data": {"p": "2"}, "deleted": true}]},
	             "legacy/old": {"data": {"k": "v"}}},
	 "policies": {"r": "path \"secret/data/*\" { capabilities = [\"read\"] }"},
	 "tokens": {"t-r": {"policies": ["r"]}, "t-ns": {"policies": [], "namespace": "ns1/"}},
	 "namespaces": {"ns1": {"mounts": {"kv/": 2}, "secrets": {"kv/": {"x": {"data": {"n": 1}}}}}}}
	EOF
	_start V2 vault.py --root-token r00t --seed "$d/fx.json" \
	    --tls-cert "$d/tls/server.pem" --tls-key "$d/tls/server.key"
	[[ $V2_URL == https://127.0.0.1:* ]]
	c() { curl -sS --cacert "$d/tls/ca.pem" -w '\n%{http_code}\n' "$@"; }
	run -0 c -H 'X-Vault-Token: t-r' "$V2_URL/v1/secret/data/app/db?version=1"
	assert_line --index 0 --partial '"data":{"p":"1"}'
	run -0 c -H 'X-Vault-Token: t-r' "$V2_URL/v1/secret/data/app/db"
	assert_line --index 1 404
	run -0 c -H 'X-Vault-Token: r00t' "$V2_URL/v1/legacy/old"
	assert_line --index 0 --partial '"lease_duration":2764800'
	run -0 c -H 'X-Vault-Token: r00t' -H 'X-Vault-Namespace: ns1' "$V2_URL/v1/kv/data/x"
	assert_line --index 0 --partial '"data":{"n":1}'
	run -0 c -H 'X-Vault-Token: t-ns' "$V2_URL/v1/ns1/auth/token/lookup-self"
	assert_line --index 1 200
	kill -TERM "$V2_PID"
	wait "$V2_PID"   # exit status 0 on SIGTERM
}

@test "a 20,000-secret fixture loads in seconds and lists" {
	local d=$BATS_TEST_TMPDIR
	"$PY" - "$d/big.json" <<-'EOF'
	import json, sys
	s = {"app%02d/svc%03d/key%d" % (i % 20, i % 500, i): {"data": {"v": str(i)}}
	     for i in range(20000)}
	json.dump({"secrets": {"secret/": s}}, open(sys.argv[1], "w"))
	EOF
	local t0=$SECONDS
	_start BIG vault.py --root-token root --seed "$d/big.json"
	(( SECONDS - t0 < 10 ))
	run -0 curl -sS -H 'X-Vault-Token: root' -X LIST "$BIG_URL/v1/secret/metadata/"
	run -0 "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))' <<<"$output"
	assert_output 20
	run -0 curl -sS -H 'X-Vault-Token: root' "$BIG_URL/v1/secret/data/app07/svc007/key7"
	assert_output --partial '"data":{"v":"7"}'
}

@test "curl: mount and namespace errors, KV v2 PATCH" {
	run -0 v POST /v1/sys/mounts/secret/sub -d '{"type":"kv"}'
	assert_line --index 0 '{"errors":["path is already in use at secret/"]}'
	assert_line --index 1 400
	run -0 v POST /v1/sys/mounts/sys -d '{"type":"kv"}'
	assert_line --index 1 400
	run -0 v POST /v1/sys/namespaces/sys
	assert_line --index 1 400
	v POST /v1/secret/data/curl/patch -d '{"data":{"a":"1","b":"2"}}' >/dev/null
	run -0 v PATCH /v1/secret/data/curl/patch -d '{"data":{"b":null,"c":"3"}}'
	assert_line --index 1 415
	run -0 v PATCH /v1/secret/data/curl/patch -H 'Content-Type: application/merge-patch+json' \
	    -d '{"data":{"b":null,"c":"3"}}'
	assert_line --index 0 --partial '"version":2'
	run -0 v GET /v1/secret/data/curl/patch
	assert_line --index 0 --partial '"data":{"data":{"a":"1","c":"3"}'
}
