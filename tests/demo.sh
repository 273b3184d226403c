#!/usr/bin/env bash
# demo.sh: `make demo`: the whole migration against the local stand-ins.
# Starts both stand-ins, seeds a realistic Vault tree through Vault's own
# API, runs the pipeline, checks it, grants an application read access,
# and stops everything it started, whatever happens.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${DEMO_OUT:-${TMPDIR:-/tmp}/vault2kv-demo}
V2K_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/vault2kv-demo.XXXXXX")
export V2K_RUNDIR
. "$TOP/tests/lib.sh"

cleanup() {
	stop_servers
	rm -rf "$V2K_RUNDIR"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

for t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
	PATH=$TOP/$t:$PATH
done
export PATH
for v in $(compgen -e); do
	case $v in VAULT_*|AZURE_*|KEY_VAULT_*|IDENTITY_*|MSI_*|IMDS_*) unset "$v" ;; esac
done

show() {	# show FILE FIELDS...: one compact line a record, nulls left out
	local f=$1
	shift
	jq -c "{$(IFS=,; echo "$*")} | with_entries(select(.value != null))" "$f"
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

say "starting the Vault and Key Vault stand-ins"
start_vault || die "the Vault stand-in did not start"
start_keyvault || die "the Key Vault stand-in did not start"
echo "Vault:     $VAULT_ADDR"
echo "Key Vault: $KEY_VAULT_NAME (TLS, throwaway CA)"
export AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000

# The token goes in a header file, never on curl's command line.
printf 'X-Vault-Token: %s\n' "$VAULT_TOKEN" >"$V2K_RUNDIR/vault.hdr"
vault() {	# vault METHOD PATH [JSON]
	curl -sS -f -o /dev/null -H @"$V2K_RUNDIR/vault.hdr" -X "$1" \
	    ${3:+-H 'Content-Type: application/json' --data "$3"} \
	    "$VAULT_ADDR/v1/$2" || die "seeding Vault: $1 $2 failed"
}

say "seeding Vault: KV v2 'secret' and 'app-secrets', KV v1 'infra'"
vault POST sys/mounts/app-secrets '{"type":"kv","options":{"version":"2"}}'
vault POST sys/mounts/infra '{"type":"kv","options":{"version":"1"}}'
vault POST secret/data/webapp/db '{"data":{"password":"demo-pw-1"}}'
vault POST secret/data/webapp/db '{"data":{"password":"demo-pw-2"}}'
vault POST secret/data/webapp/db '{"data":{"password":"demo-pw-3-current"}}'
vault POST secret/metadata/webapp/db \
    '{"custom_metadata":{"owner":"team-web","rotation":"90d"}}'
vault POST secret/data/webapp/api '{"data":{"client_id":"web","client_secret":"demo-cs","scopes":"read write"}}'
vault POST secret/data/webapp/feature_flags '{"data":{"value":"on"}}'
vault POST secret/data/webapp/feature-flags '{"data":{"value":"off"}}'
vault POST secret/data/payments/stripe/live/key '{"data":{"key":"demo-sk-live"}}'
vault POST secret/data/payments/stripe/test/key '{"data":{"key":"demo-sk-test"}}'
vault POST secret/data/old/retired '{"data":{"token":"demo-retired"}}'
vault DELETE secret/data/old/retired
vault POST app-secrets/data/team1/service-a/config \
    '{"data":{"url":"https://a.example","timeout":"30s"}}'
vault POST app-secrets/data/team1/service-a '{"data":{"note":"a secret beside a folder"}}'
vault POST app-secrets/data/team2/cert '{"data":{"pem":"-----BEGIN DEMO-----\nline two\n-----END DEMO-----"}}'
vault POST infra/dns/api-key '{"api_key":"demo-dns"}'
vault POST infra/ssh/deploy '{"user":"deploy","private_key":"demo-ssh"}'
echo "12 secrets in 3 mounts; one soft-deleted; webapp/feature_flags and"
echo "webapp/feature-flags both map to secret-webapp-feature-flags"

mkdir -p "$OUT" || die "cannot create $OUT"
cd "$OUT" || die "cannot enter $OUT"

say "1. inventory: vault-ls"
vault-ls -l >inventory.ndjson
show inventory.ndjson mount path kv version

say "2. plan: vault-ls | vault-dump | kv-name | kv-put --dry-run"
vault-ls | vault-dump | kv-name | kv-put --dry-run >plan.ndjson
show plan.ndjson path name status error:.error.message

say "3. import, refusing the name collision: the default"
vault-ls | vault-dump | kv-name | kv-put >mapping.ndjson
show mapping.ndjson path name status error:.error.message

say "4. import again with --on-collision=suffix: only the collided secret is new"
vault-ls | vault-dump | kv-name --map mapping.ndjson --on-collision=suffix |
    kv-put >mapping2.ndjson
show mapping2.ndjson path name status error:.error.message
mv mapping2.ndjson mapping.ndjson

say "5. validate: values compared with Vault, in memory"
vault-ls | vault-dump | kv-name --map mapping.ndjson | kv-check >check.ndjson
show check.ndjson path name check error:.error.message

[ "$(jq -s 'map(select(.check == "ok")) | length' check.ndjson)" = 11 ] ||
	die "kv-check did not find the 11 migrated secrets ok"

say "6. grant the web application's identity read access to webapp/ secrets"
jq -c 'select(.status and (.path | startswith("webapp/")))
    | {name, principal: "11111111-1111-1111-1111-111111111111",
       principal_type: "ServicePrincipal", role: "Key Vault Secrets User"}' \
    mapping.ndjson | kv-grant >grants.ndjson ||
	die "kv-grant failed"
show grants.ndjson name status assignment

say "done"
echo "mapping (names, ids, statuses; no values): $OUT/mapping.ndjson"
echo "checks: $OUT/check.ndjson   grants: $OUT/grants.ndjson"
echo "the deleted secret secret/old/retired is reported, never undeleted"
