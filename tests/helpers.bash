# helpers.bash: shared set-up for every bats suite of vault2kv.
#
# In a suite:
#	setup_file() { load helpers; env_reset; start_vault; start_keyvault; }
#	teardown_file() { load helpers; stop_servers; }
#	setup() { load helpers; }
# Servers are started once per file on 127.0.0.1 with a free port; their
# URLs are exported so every test of the file sees them.

bats_require_minimum_version 1.5.0
TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

for _t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
	case ":$PATH:" in *":$TOP/$_t:"*) ;; *) PATH=$TOP/$_t:$PATH ;; esac
done
# make check VALGRIND=1: every tool a suite starts runs under valgrind.
if [ -n "${V2K_VALGRIND:-}" ] && [ -n "${BATS_RUN_TMPDIR:-}" ]; then
	_w=$BATS_RUN_TMPDIR/vg-bin
	if [ ! -d "$_w" ]; then
		mkdir -p "$_w"
		for _t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
			printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$V2K_VALGRIND" \
			    "$TOP/$_t/$_t" >"$_w/$_t"
			chmod +x "$_w/$_t"
		done
	fi
	PATH=$_w:$PATH
fi
export PATH
export LC_ALL=C
if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
	export HOME=$BATS_TEST_TMPDIR/home TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$HOME" "$TMPDIR"
fi

for _l in /usr/lib/bats/bats-support /usr/lib/bats/bats-assert; do
	[ -f "$_l/load.bash" ] && load "$_l/load.bash"
done

# env_reset: forget whatever VAULT_*, BAO_*, AZURE_* and identity variables the
# caller's environment had, so a test never reaches a real service.
env_reset() {
	local v
	for v in $(compgen -e); do
		case $v in
		VAULT_*|BAO_*|AZURE_*|KEY_VAULT_*|KV_CLIENT_TIMEOUT|IDENTITY_*|MSI_*|IMDS_*) unset "$v" ;;
		esac
	done
	export TMPDIR=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}
}

. "$TOP/tests/lib.sh"

# admin URL [CURL-ARGS...]: call a stand-in's admin endpoint.
admin() {
	local url=$1
	shift
	curl -sS --cacert "${TLS_DIR:-/dev/null}/ca.pem" "$@" "$url"
}

# start_keyvault_identities CERT [ARGS...]: start_keyvault that also
# knows the application certificate CERT (PEM), a federated token
# (FEDERATED_TOKEN) and a managed identity header (IDENTITY_HEADER_VALUE),
# both made new here and exported.
start_keyvault_identities() {
	local cert=$1
	shift
	export FEDERATED_TOKEN=fed.$RANDOM$RANDOM.token
	export IDENTITY_HEADER_VALUE=idh-$RANDOM$RANDOM
	start_keyvault --client-cert "$cert" \
	    --federated-token "$FEDERATED_TOKEN" \
	    --identity-header "$IDENTITY_HEADER_VALUE" "$@"
}

# kvadmin METHOD PATH [JSON]: call the Key Vault stand-in's admin endpoint
# PATH, with JSON as the body when given.
kvadmin() {
	if [ -n "${3:-}" ]; then
		admin "$KV_URL$2" -X "$1" -H 'Content-Type: application/json' \
		    -d "$3"
	else
		admin "$KV_URL$2" -X "$1"
	fi
}

# kv_reset [JSON]: the Key Vault stand-in cleared (secrets, role
# assignments, throttle windows, request log; its knobs stay), then JSON,
# when given, set as its knobs.
kv_reset() {
	kvadmin POST /_admin/reset >/dev/null
	[ -z "${1:-}" ] || kvadmin POST /_admin/config "$1" >/dev/null
}

# kv_admin_challenge RESOURCE: the resource the Key Vault stand-in's
# challenge names.
kv_admin_challenge() {
	kvadmin POST /_admin/config "{\"challenge_resource\":\"$1\"}" \
	    >/dev/null
}

# kv_denied DENY TOOL INPUT: the Key Vault stand-in refuses the identity
# (its deny knob: rbac, access-policy, firewall, connection); TOOL run on
# INPUT must end with 2 and print no record.
kv_denied() {
	admin "$KV_URL/_admin/config" -d "{\"deny\":\"$1\"}" >/dev/null
	run -2 --separate-stderr "$2" <<<"$3"
	assert_output ""
}

# vault_policy NAME: the Vault stand-in's policy NAME, its JSON body
# ({"policy": "..."}) read from stdin; as root.
vault_policy() {
	curl -sfS -X PUT -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/sys/policy/$1" --data-binary @- >/dev/null
}

# vault_token JSON: a new token of the Vault stand-in, made by root with
# the request body JSON ({"policies": [...]}); fails when none comes.
vault_token() {
	local t
	t=$(curl -sfS -X POST -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/auth/token/create" -d "$1" |
	    jq -r .auth.client_token)
	[ -n "$t" ] && [ "$t" != null ] || return 1
	printf '%s\n' "$t"
}

# team1_token: a token of the Vault stand-in seeded with
# tests/fixtures/vault/tree.json that reaches secret/team1 only, made the
# way an operator would (a policy, then a token of it).
team1_token() {
	vault_policy team1 <<-'EOF' || return 1
		{"policy": "path \"secret/metadata/\" { capabilities = [\"list\"] }\npath \"secret/metadata/team1/*\" { capabilities = [\"list\", \"read\"] }\npath \"secret/data/team1/*\" { capabilities = [\"read\"] }\n"}
	EOF
	vault_token '{"policies":["team1"]}'
}

# pipeline [VAULT-DUMP-ARGS...]: the whole run, vault-ls | vault-dump |
# kv-name | kv-put | kv-check, each stage's output kept in $W (ls, dump,
# named, put, check) and stderr in $W/*.err; sets PS to the exit statuses
# of the nine commands: vault-ls tee vault-dump tee kv-name tee kv-put tee
# kv-check.
pipeline() {
	# "!": a failing stage must not end the test here (set -e).
	! vault-ls 2>"$W/ls.err" | tee "$W/ls" |
	    vault-dump "$@" 2>"$W/dump.err" | tee "$W/dump" |
	    kv-name 2>"$W/name.err" | tee "$W/named" |
	    kv-put 2>"$W/put.err" | tee "$W/put" |
	    kv-check 2>"$W/check.err" >"$W/check"
	PS="${PIPESTATUS[*]}"
}

# kv_requests [JQ-FILTER]: the Key Vault stand-in's request log, one
# compact line each.
kv_requests() {
	kvadmin GET /_admin/requests | jq -rc ".requests[] | ${1:-.}"
}

# bicep_guid ARGS...: ARM's guid(ARGS...), computed apart from kv-grant
# with Python's uuid module.
bicep_guid() {
	"$PY" -c 'import sys, uuid
print(uuid.uuid5(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830"),
    "-".join(sys.argv[1:])))' "$@"
}

# h8 STRING: the first 8 hex digits of SHA-256 over the bytes printf %b
# makes of STRING.
h8() {
	printf '%b' "$1" | sha256sum | cut -c1-8
}

# start_keyvault_recording TOKENS: the Key Vault stand-in through
# servers/kvwrap.py, which appends every access token it issues to the
# file TOKENS (emptied here), with the client secret $CSECRET; exports
# what start_keyvault does, and the environment's credential.
start_keyvault_recording() {
	local dir=$(_rundir)
	: >"$1"
	tls_setup "$dir/tls" || return 1
	KVWRAP_TOKENS=$1 _start KV kvwrap.py --tls-cert "$dir/tls/server.pem" \
	    --tls-key "$dir/tls/server.key" --tenant test-tenant \
	    --client-id test-client --client-secret "$CSECRET" \
	    --log "$dir/keyvault.log" || return 1
	export KV_URL KV_PID
	export KEY_VAULT_NAME=$KV_URL AZURE_AUTHORITY_HOST=$KV_URL
	export AZURE_TENANT_ID=test-tenant AZURE_CLIENT_ID=test-client
	export AZURE_CLIENT_SECRET=$CSECRET
	export SSL_CERT_FILE=$dir/tls/ca.pem CURL_CA_BUNDLE=$dir/tls/ca.pem
	export TLS_DIR=$dir/tls
}
