#!/usr/bin/env bats
# preflight.bats: the dry runs' pre-flight.  kv-put, kv-check and kv-grant
# -n against the Key Vault stand-in with RBAC enforced from its own role
# assignments (the identity's object id is its client id); vault-ls -n
# against the Vault stand-in with tokens of restricted policies.

SUB=00000000-0000-0000-0000-000000000000
VID=/subscriptions/$SUB/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/kv-test
RD=/providers/Microsoft.Authorization/roleDefinitions
ME=7b1e4c2a-3d5f-4a6b-8c9d-0e1f2a3b4c5d
SECRETS_USER=4633458b-17de-408a-b874-0445c86b69e6
SECRETS_OFFICER=b86a8fe4-44ce-4948-aee5-eccb2c155cd7
KVS=Microsoft.KeyVault/vaults/secrets

setup_file() {
	load helpers
	env_reset
	start_keyvault --client-id "$ME" --enforce-rbac
	export AZURE_CLIENT_ID=$ME
	start_vault
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kvadmin POST /_admin/reset >/dev/null
	kvadmin POST /_admin/seed '{"secrets":[
	    {"name":"same","value":"v1","contentType":"text/plain","tags":{"vault-path":"secret/same"}},
	    {"name":"changed","value":"old","contentType":"text/plain","tags":{"vault-path":"secret/changed"}}]}' \
	    >/dev/null
	export AZURE_SUBSCRIPTION_ID=$SUB
}

# holds ROLE-GUID...: the identity holds these roles on the vault.
holds() {
	local r doc='{"roleAssignments":['
	for r in "$@"; do
		doc+="{\"scope\":\"$VID\",\"principalId\":\"$ME\",\"roleDefinitionId\":\"$RD/$r\"},"
	done
	kvadmin POST /_admin/seed "${doc%,}]}" >/dev/null
}

# records: three records for kv-put: same (unchanged), changed (update),
# fresh (create).
records() {
	cat <<-'EOF'
		{"mount":"secret","path":"same","name":"same","data":{"k":"v1"}}
		{"mount":"secret","path":"changed","name":"changed","data":{"k":"new"}}
		{"mount":"secret","path":"fresh","name":"fresh","data":{"k":"x"}}
	EOF
}

# nothing_written: the stand-in saw no data-plane request but reads, and
# holds what it was seeded with.
nothing_written() {
	run -0 kvadmin GET /_admin/requests
	run -0 jq -r '[.requests[] | select(.kind == "data" and .method != "GET")] | length' <<<"$output"
	assert_output 0
	run -0 kvadmin GET /_admin/state
	run -0 jq -c '[.secrets[] | [.name, (.versions | length)]]' <<<"$output"
	assert_output '[["changed",1],["same",1]]'
}

@test "kv-put -n with only Key Vault Secrets User names setSecret and the role that grants it, writes nothing, exits 1" {
	holds "$SECRETS_USER"
	run -1 --separate-stderr kv-put -n < <(records)
	local msg="$KV_URL: the identity may not set secrets: $KVS/setSecret/action is not among its data actions on the vault (Resource Manager's permissions); the built-in role Key Vault Secrets Officer grants it"
	assert_line -n 0 "{\"preflight\":\"permission\",\"vault\":\"$KV_URL\",\"missing\":\"$KVS/setSecret/action\",\"grant\":\"Key Vault Secrets Officer\",\"source\":\"resource-manager\",\"error\":{\"tool\":\"kv-put\",\"status\":null,\"message\":\"$msg\"}}"
	# The plan still comes: the identity may list and read.
	assert_line -n 1 --partial '"status":"unchanged"'
	assert_line -n 2 --partial '"status":"would-update"'
	assert_line -n 3 --partial '"status":"would-create"'
	assert_equal "${#lines[@]}" 4
	assert_equal "${stderr_lines[0]}" "kv-put: $msg"
	assert_equal "${stderr_lines[1]}" "kv-put: $KV_URL: pre-flight: Azure RBAC, soft-delete 90 days, purge protection off; may list secrets, read secrets (Resource Manager's permissions)"
	[[ ${stderr_lines[2]} == "kv-put: dry-run: 3 records: 1 would be created, 1 would be updated, 1 unchanged, 0 conflicts, 0 skipped, 0 failed, pre-flight problems above; nothing written;"* ]]
	nothing_written
	# The stand-in agrees: the set the pre-flight foresaw is refused.
	run -1 --separate-stderr kv-put < <(records)
	assert_line -n 2 --partial '"status":403,"message":"forbidden by Azure RBAC: '
}

@test "kv-put -n --recover also needs recover/action; a clean pre-flight exits 0 and says what will happen in numbers" {
	holds "$SECRETS_OFFICER"
	run -0 --separate-stderr kv-put -n --recover < <(records)
	assert_equal "${#lines[@]}" 3
	assert_equal "$stderr" "kv-put: $KV_URL: pre-flight: Azure RBAC, soft-delete 90 days, purge protection off; may list secrets, read secrets, set secrets, recover secrets (Resource Manager's permissions)
kv-put: dry-run: 3 records: 1 would be created, 1 would be updated, 1 unchanged, 0 conflicts, 0 skipped, 0 failed; nothing written; expected duration under 10 s at 300 writes per 10 s"
	# 900 new secrets: 300 at once, then 600 at 30/s.
	run -0 --separate-stderr kv-put -n < <(jq -nc 'range(900) |
	    {mount: "secret", path: "p\(.)", name: "n\(.)", data: {k: "v"}}')
	assert_equal "${#lines[@]}" 900
	assert_equal "${stderr_lines[1]}" "kv-put: dry-run: 900 records: 900 would be created, 0 would be updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed; nothing written; expected duration 20 s at 300 writes per 10 s"
	run -0 --separate-stderr kv-put -n --write-rate 100 < <(jq -nc 'range(900) |
	    {mount: "secret", path: "p\(.)", name: "n\(.)", data: {k: "v"}}')
	[[ ${stderr_lines[1]} == *"; expected duration 90 s at 100 writes per 10 s, evenly" ]]
	nothing_written
}

@test "kv-put -n --recover with Secrets User names recover/action too" {
	holds "$SECRETS_USER"
	run -1 --separate-stderr kv-put -n --recover < <(records)
	assert_line -n 0 --partial "\"missing\":\"$KVS/setSecret/action\""
	assert_line -n 1 --partial "\"missing\":\"$KVS/recover/action\""
	assert_line -n 1 --partial '"grant":"Key Vault Secrets Officer"'
}

@test "without Resource Manager the probes write nothing and say that set cannot be probed" {
	holds "$SECRETS_USER"
	# Resource Manager at a port nobody listens on.
	AZURE_RESOURCE_MANAGER_URL=https://127.0.0.1:9 \
	    run -0 --separate-stderr kv-put -n < <(records)
	assert_equal "${#lines[@]}" 3
	[[ ${stderr_lines[0]} == "kv-put: $KV_URL: pre-flight: may list secrets, read secrets (probed, nothing written); cannot tell whether it may set secrets: that cannot be probed without writing; Resource Manager: listing the vaults of subscription $SUB: "* ]]
	nothing_written
	# The probes: one list of one name, one read of a name nobody has.
	run -0 kvadmin GET /_admin/requests
	run -0 jq -r '.requests[] | select(.kind == "data" and .status != 401) | "\(.method) \(.path) \(.status)"' <<<"$output"
	assert_line -n 0 "GET /secrets 200"
	assert_line -n 1 --regexp '^GET /secrets/v2k-preflight-[0-9a-f-]{36} 404$'
}

@test "without a subscription and without any role the list probe names readMetadata, nothing is planned, exit 1" {
	unset AZURE_SUBSCRIPTION_ID
	run -1 --separate-stderr kv-put -n < <(records)
	assert_line -n 0 --partial "\"preflight\":\"permission\",\"vault\":\"$KV_URL\",\"missing\":\"$KVS/readMetadata/action\",\"grant\":\"Key Vault Secrets Officer\",\"source\":\"probe\",\"error\":{\"tool\":\"kv-put\",\"status\":403,"
	assert_line -n 1 --partial "\"missing\":\"$KVS/getSecret/action\",\"grant\":\"Key Vault Secrets Officer\",\"source\":\"probe\""
	assert_line -n 2 '{"mount":"secret","path":"same","name":"same","vault":"'"$KV_URL"'","error":{"tool":"kv-put","status":null,"message":"not planned: the pre-flight found that the vault'"'"'s secrets cannot be listed"}}'
	assert_equal "${#lines[@]}" 5
	[[ ${stderr_lines[0]} == "kv-put: $KV_URL: the identity may not list secrets: Key Vault refused a request that writes nothing (ForbiddenByRbac); the built-in role Key Vault Secrets Officer grants $KVS/readMetadata/action" ]]
	nothing_written
}

@test "a vault that does not answer is one problem, exit 1" {
	run -1 --separate-stderr kv-put -n --vault https://127.0.0.1:9 < <(records)
	assert_line -n 0 --partial '{"preflight":"vault","vault":"https://127.0.0.1:9","error":{"tool":"kv-put","status":null,"message":"https://127.0.0.1:9: does not answer: '
	assert_equal "${#lines[@]}" 4
}

@test "kv-check -n: Secrets User suffices; without it the missing data actions and Key Vault Secrets User are named" {
	run -1 --separate-stderr kv-check -n < <(records)
	assert_line -n 0 --partial "\"missing\":\"$KVS/readMetadata/action\",\"grant\":\"Key Vault Secrets User\",\"source\":\"resource-manager\""
	assert_line -n 1 --partial "\"missing\":\"$KVS/getSecret/action\",\"grant\":\"Key Vault Secrets User\""
	assert_line -n 2 '{"mount":"secret","path":"same","name":"same"}'
	holds "$SECRETS_USER"
	run -0 --separate-stderr kv-check -n < <(records)
	assert_equal "${#lines[@]}" 3
	assert_equal "${stderr_lines[1]}" "kv-check: dry-run: 3 records: 3 to check, 0 failed; nothing compared; expected duration under 10 s at 4000 requests per 10 s"
	nothing_written
}

@test "kv-grant -n with only Secrets User names roleAssignments/write and Key Vault Data Access Administrator, creates nothing" {
	holds "$SECRETS_USER"
	local in='{"principal":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","role":"Key Vault Secrets User"}'
	run -1 --separate-stderr kv-grant -n --vault kv-test <<<"$in"
	assert_line -n 0 "{\"preflight\":\"permission\",\"vault\":\"kv-test\",\"missing\":\"Microsoft.Authorization/roleAssignments/write\",\"grant\":\"Key Vault Data Access Administrator\",\"source\":\"resource-manager\",\"error\":{\"tool\":\"kv-grant\",\"status\":null,\"message\":\"kv-test: the identity may not create role assignments: Microsoft.Authorization/roleAssignments/write is not among its actions on the vault (Resource Manager's permissions); the built-in role Key Vault Data Access Administrator grants it\"}}"
	assert_line -n 1 --partial '"status":"planned"'
	run -0 kvadmin GET /_admin/requests
	run -0 jq -r '[.requests[] | select(.method != "GET" and .kind == "arm")] | length' <<<"$output"
	assert_output 0
	run -0 kvadmin GET /_admin/state
	run -0 jq '.roleAssignments | length' <<<"$output"
	assert_output 1
	holds 8b54135c-b56d-4d72-a534-26097cfdc8d8
	run -0 --separate-stderr kv-grant -n --revoke --vault kv-test <<<"$in"
}

# ------------------------------------------------------------ Vault side

# vseed JSON: add to the Vault stand-in's state.
vseed() {
	curl -sfS -X POST "$VAULT_URL/_admin/seed" -d "$1" >/dev/null
}

@test "vault-ls -n with a token that cannot read one mount names that mount and the capability, exit 1" {
	vseed '{"mounts":{"other/":2,"old/":1},
	    "secrets":{"secret/":{"a":{"data":{"k":"v"}}},
	    "other/":{"b":{"data":{"k":"v"}}},"old/":{"c":{"data":{"k":"v"}}}},
	    "policies":{"part":"path \"secret/*\" { capabilities = [\"list\", \"read\"] }\npath \"old/*\" { capabilities = [\"list\", \"read\"] }\npath \"old/\" { capabilities = [\"list\"] }\npath \"other/metadata/*\" { capabilities = [\"list\", \"read\"] }\npath \"other/metadata/\" { capabilities = [\"list\"] }\n"},
	    "tokens":{"part-token":{"policies":["part"],"ttl":"768h"}}}'
	VAULT_TOKEN=part-token run -1 --separate-stderr vault-ls -n
	assert_line -n 0 '{"preflight":"capability","mount":"other","path":"other/data/*","missing":"read","grant":"path \"other/data/*\" { capabilities = [\"read\"] }","error":{"tool":"vault-ls","status":null,"message":"other/: the token lacks read on other/data/*: the mount cannot be exported; a policy with path \"other/data/*\" { capabilities = [\"read\"] } grants it"}}'
	refute_output --partial '"path":"secret/'
	refute_output --partial '"path":"old/'
	assert_line --partial '"mount":"other","path":"b"'
	assert_equal "${stderr_lines[0]}" 'vault-ls: other/: the token lacks read on other/data/*: the mount cannot be exported; a policy with path "other/data/*" { capabilities = ["read"] } grants it'
	[[ $stderr == *"vault-ls: dry-run: "*" secrets in "*" mounts, 0 failed, pre-flight problems above; expected duration under 10 s at Key Vault's 300 writes per 10 s; the token has "*" left, renewable" ]]
}

@test "vault-ls -n with the root token: clean, exit 0, the numbers" {
	run -0 --separate-stderr vault-ls -n
	refute_output --partial '"preflight"'
	[[ ${stderr_lines[-1]} == "vault-ls: dry-run: "*" secrets in "*" mounts, 0 failed; expected duration under 10 s at Key Vault's 300 writes per 10 s; the token does not expire" ]]
}

@test "vault-ls -n: a token that will not outlive the migration is a problem" {
	vseed "$(jq -nc '{secrets: {"secret/": ([range(800)] | map({key: "many/s\(.)", value: {data: {k: "v"}}}) | from_entries)},
	    policies: {all: "path \"secret/*\" { capabilities = [\"list\", \"read\"] }\npath \"secret/\" { capabilities = [\"list\"] }\n"},
	    tokens: {"short-token": {policies: ["all"], ttl: "15s", renewable: false}}}')"
	VAULT_TOKEN=short-token run -1 --separate-stderr vault-ls -n secret
	# Said after the listing, which counts the secrets.
	assert_line -n $((${#lines[@]} - 1)) --regexp '^\{"preflight":"token","error":\{"tool":"vault-ls","status":null,"message":"the token has 1[0-5] s left and is not renewable, less than the migration.s expected [0-9]+ s \([0-9]+ secrets at Key Vault.s 300 writes per 10 s\): use a token with a longer TTL"\}\}$'
}
