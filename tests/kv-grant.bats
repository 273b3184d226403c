#!/usr/bin/env bats
# kv-grant against the ARM part of the Key Vault stand-in.

SUB=0c8e2f4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b
RG=rg-keyvault-migration
VAULT=kv-migrated-prod
VID=/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/$VAULT
RD=/subscriptions/$SUB/providers/Microsoft.Authorization/roleDefinitions
RA=/providers/Microsoft.Authorization/roleAssignments
SECRETS_USER=4633458b-17de-408a-b874-0445c86b69e6
SECRETS_OFFICER=b86a8fe4-44ce-4948-aee5-eccb2c155cd7
P1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
P2=0e9d8c7b-6a59-4483-9271-605f4e3d2c1b
P3=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d

setup_file() {
	load helpers
	env_reset
	start_keyvault --subscription "$SUB" --resource-group "$RG" \
	    --vault-name "$VAULT"
	export AZURE_SUBSCRIPTION_ID=$SUB
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset
}

# roles: the stand-in's role assignments, one compact line each.
roles() {
	admin "$KV_URL/_admin/state" | jq -c '.roleAssignments[] |
	    {id, p: .properties.principalId, t: .properties.principalType,
	    r: (.properties.roleDefinitionId | split("/") | last)}'
}

# arm_requests: the ARM requests the stand-in saw, "METHOD path".
arm_requests() {
	admin "$KV_URL/_admin/requests" |
	    jq -r '.requests[] | select(.kind == "arm") | "\(.method) \(.path)"'
}

# put_bodies: the principalType of every PUT the stand-in saw, sorted.
put_bodies() {
	admin "$KV_URL/_admin/requests" | jq -c '[.requests[] |
	    select(.method == "PUT") | .body.properties.principalType] | sort'
}

seed() {
	admin "$KV_URL/_admin/seed" -X POST -H 'Content-Type: application/json' \
	    -d "$1" >/dev/null
}

@test "creates a vault-wide assignment named as Bicep's guid(keyVault.id, principalId, roleDefinitionId)" {
	local name
	name=$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","principal_type":"ServicePrincipal"}
	EOF
	assert_output "{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"principal_type\":\"ServicePrincipal\",\"assignment\":\"$VID$RA/$name\",\"status\":\"created\"}"
	assert_equal "$stderr" "kv-grant: 1 record: 1 created, 0 exist, 0 failed; 3 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_output "{\"id\":\"$VID$RA/$name\",\"p\":\"$P1\",\"t\":\"ServicePrincipal\",\"r\":\"$SECRETS_USER\"}"
}

@test "assignment names equal Bicep's guid() for known inputs" {
	# Pinned once from uuid5(11fb06fb-..., "VID-P1-RD/SECRETS_USER") and
	# recomputed here, so that neither side can drift unnoticed.
	assert_equal "$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")" \
	    0ce4b950-2fd6-5ec9-84ef-90006064750d
	assert_equal "$(bicep_guid a b)" 2d796349-8c7e-55ec-9624-54ece82ed031
	run -0 --separate-stderr kv-grant -n --scope "$VID" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User"}
		{"principal":"$P2","role":"key vault secrets officer"}
		{"principal":"$P3","role":"$SECRETS_OFFICER","name":"app-db"}
		{"principal":"$P3","role":"$RD/$SECRETS_USER","name":"App-DB"}
	EOF
	assert_line -n 0 --partial "\"assignment\":\"$VID$RA/0ce4b950-2fd6-5ec9-84ef-90006064750d\""
	assert_line -n 1 --partial "\"assignment\":\"$VID$RA/$(bicep_guid "$VID" "$P2" "$RD/$SECRETS_OFFICER")\""
	assert_line -n 2 --partial "\"assignment\":\"$VID/secrets/app-db$RA/$(bicep_guid "$VID/secrets/app-db" "$P3" "$RD/$SECRETS_OFFICER")\""
	assert_line -n 3 --partial "\"assignment\":\"$VID/secrets/App-DB$RA/$(bicep_guid "$VID/secrets/App-DB" "$P3" "$RD/$SECRETS_USER")\""
}

@test "a second run reports exists and changes nothing" {
	local in="{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\"}"
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<<"$in"
	assert_output --partial '"status":"created"'
	run -0 roles
	local before=$output
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<<"$in"
	assert_output --partial '"status":"exists"'
	assert_output --partial "\"assignment\":\"$VID$RA/$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")\""
	assert_equal "$stderr" "kv-grant: 1 record: 0 created, 1 exist, 0 failed; 3 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_equal "$output" "$before"
}

@test "an assignment made under another name is recognised as exists" {
	local other=5d0c6a7e-2f11-4b3c-9e8d-7a6b5c4d3e2f
	seed "{\"roleAssignments\":[{\"scope\":\"$VID\",\"name\":\"$other\",\"roleDefinitionId\":\"$RD/$SECRETS_USER\",\"principalId\":\"$P1\",\"principalType\":\"ServicePrincipal\"}]}"
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User"}
	EOF
	assert_output --partial "\"assignment\":\"$VID$RA/$other\",\"status\":\"exists\""
	run -0 roles
	assert_equal "${#lines[@]}" 1
}

@test "revoke deletes what the input describes, then finds it absent" {
	local in="{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"name\":\"db\"}"
	local id="$VID/secrets/db$RA/$(bicep_guid "$VID/secrets/db" "$P1" "$RD/$SECRETS_USER")"
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<<"$in"
	run -0 --separate-stderr kv-grant --revoke --vault "$VAULT" <<<"$in"
	assert_output "{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"name\":\"db\",\"assignment\":\"$id\",\"status\":\"deleted\"}"
	assert_equal "$stderr" "kv-grant: 1 record: 1 deleted, 0 absent, 0 failed; 3 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_output ""
	run -0 --separate-stderr kv-grant --revoke --vault "$VAULT" <<<"$in"
	assert_output --partial "\"assignment\":\"$id\",\"status\":\"absent\""
	assert_equal "$stderr" "kv-grant: 1 record: 0 deleted, 1 absent, 0 failed; 4 requests, 0 retried, 0 throttled"
}

@test "revoke also deletes an assignment made under another name" {
	local other=7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918
	seed "{\"roleAssignments\":[{\"scope\":\"$VID\",\"name\":\"$other\",\"roleDefinitionId\":\"$RD/$SECRETS_OFFICER\",\"principalId\":\"$P2\",\"principalType\":\"User\"},{\"scope\":\"$VID/secrets/db\",\"name\":\"$(bicep_guid x)\",\"roleDefinitionId\":\"$RD/$SECRETS_OFFICER\",\"principalId\":\"$P2\",\"principalType\":\"User\"}]}"
	run -0 --separate-stderr kv-grant --revoke --vault "$VAULT" <<-EOF
		{"principal":"$P2","role":"Key Vault Secrets Officer"}
	EOF
	assert_output --partial "\"assignment\":\"$VID$RA/$other\",\"status\":\"deleted\""
	# The assignment on the secret below is another scope: it stays.
	run -0 roles
	assert_output --partial "\"id\":\"$VID/secrets/db$RA/"
	assert_equal "${#lines[@]}" 1
}

@test "an unknown role is a clear error naming the record and the field, and the others are still granted" {
	run -1 --separate-stderr kv-grant -j 1 --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","name":"a"}
		{"principal":"$P1","role":"Key Vault Secret Reader","name":"b"}
		{"principal":"$P1","role":"Key Vault Secrets User","name":"c"}
	EOF
	assert_line -n 0 --partial '"name":"a"'
	assert_line -n 0 --partial '"status":"created"'
	assert_line -n 1 "{\"principal\":\"$P1\",\"role\":\"Key Vault Secret Reader\",\"name\":\"b\",\"error\":{\"tool\":\"kv-grant\",\"status\":null,\"message\":\"role: 'Key Vault Secret Reader' is neither a built-in Key Vault role name (\\\"Key Vault Secrets User\\\", \\\"Key Vault Secrets Officer\\\", ...) nor a role definition GUID\"}}"
	assert_line -n 2 --partial '"status":"created"'
	assert_equal "$stderr" "kv-grant: b: role: 'Key Vault Secret Reader' is neither a built-in Key Vault role name (\"Key Vault Secrets User\", \"Key Vault Secrets Officer\", ...) nor a role definition GUID
kv-grant: 3 records: 2 created, 0 exist, 1 failed; 4 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_equal "${#lines[@]}" 2
}

@test "bad principals, principal types and secret names are errors naming the field" {
	run -1 --separate-stderr kv-grant -j 1 --vault "$VAULT" <<-EOF
		{"principal":"not-a-guid","role":"Key Vault Reader"}
		{"role":"Key Vault Reader"}
		{"principal":"$P1","role":"Key Vault Reader","principal_type":"Robot"}
		{"principal":"$P1"}
		{"principal":"$P1","role":"Key Vault Reader","name":"a/b"}
	EOF
	assert_equal "$stderr" "kv-grant: line 1: principal: 'not-a-guid' is not an object id (GUID)
kv-grant: line 2: principal: missing (the object id of a user, group or service principal)
kv-grant: line 3: principal_type: 'Robot' is not User, Group, ServicePrincipal or ForeignGroup
kv-grant: line 4: role: missing (a built-in Key Vault role name or a role definition GUID)
kv-grant: a/b: name: 'a/b' is not a Key Vault secret name
kv-grant: 5 records: 0 created, 0 exist, 5 failed; 2 requests, 0 retried, 0 throttled"
}

@test "grants a principal of each type with its principal type" {
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Reader","principal_type":"User"}
		{"principal":"$P2","role":"Key Vault Reader","principal_type":"group"}
		{"principal":"$P3","role":"Key Vault Reader","principal_type":"ServicePrincipal"}
	EOF
	assert_equal "$stderr" "kv-grant: 3 records: 3 created, 0 exist, 0 failed; 5 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_line --partial "\"p\":\"$P1\",\"t\":\"User\""
	assert_line --partial "\"p\":\"$P2\",\"t\":\"Group\""
	assert_line --partial "\"p\":\"$P3\",\"t\":\"ServicePrincipal\""
	run -0 put_bodies
	assert_output '["Group","ServicePrincipal","User"]'
}

@test "a record with a name is granted on that one secret, one without on the vault" {
	run -0 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","name":"secret-webapp-db"}
		{"principal":"$P1","role":"Key Vault Secrets User"}
	EOF
	run -0 roles
	assert_line "{\"id\":\"$VID/secrets/secret-webapp-db$RA/$(bicep_guid "$VID/secrets/secret-webapp-db" "$P1" "$RD/$SECRETS_USER")\",\"p\":\"$P1\",\"t\":\"User\",\"r\":\"$SECRETS_USER\"}"
	assert_line "{\"id\":\"$VID$RA/$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")\",\"p\":\"$P1\",\"t\":\"User\",\"r\":\"$SECRETS_USER\"}"
}

@test "finds the vault by name through Resource Manager" {
	run -0 --separate-stderr kv-grant --subscription "$SUB" --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Reader"}
	EOF
	assert_output --partial "\"assignment\":\"$VID$RA/"
	run -0 arm_requests
	assert_line -n 0 "GET /subscriptions/$SUB/resources"
}

@test "finds the vault by its URL from KEY_VAULT_NAME" {
	run -0 --separate-stderr kv-grant <<-EOF
		{"principal":"$P1","role":"Key Vault Reader"}
	EOF
	assert_output --partial "\"assignment\":\"$VID$RA/"
	run -0 arm_requests
	assert_line -n 0 "GET /subscriptions/$SUB/providers/Microsoft.KeyVault/vaults"
}

@test "--scope is used as given, without a lookup" {
	run -0 --separate-stderr kv-grant --scope "$VID/" <<-EOF
		{"principal":"$P1","role":"Key Vault Reader"}
	EOF
	assert_output --partial "\"assignment\":\"$VID$RA/$(bicep_guid "$VID" "$P1" "$RD/21090545-7ca7-4776-b22c-e363652d74d2")\",\"status\":\"created\""
	run -0 arm_requests
	assert_output "PUT $VID$RA/$(bicep_guid "$VID" "$P1" "$RD/21090545-7ca7-4776-b22c-e363652d74d2")"
}

@test "a vault that is not in the subscription is fatal" {
	run -2 --separate-stderr kv-grant --vault kv-elsewhere </dev/null
	assert_output ""
	assert_equal "$stderr" "kv-grant: vault kv-elsewhere: not found in subscription $SUB"
}

@test "--dry-run prints the plan and creates or deletes nothing" {
	local in="{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\"}"
	run -0 --separate-stderr kv-grant -n --vault "$VAULT" <<<"$in"
	assert_output --partial "\"assignment\":\"$VID$RA/$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")\",\"status\":\"planned\""
	assert_equal "$stderr" "kv-grant: $VAULT: pre-flight: Azure RBAC, soft-delete 90 days, purge protection off; may create role assignments (Resource Manager's permissions)
kv-grant: dry-run: 1 record: 1 planned, 0 exist, 0 failed; nothing changed"
	run -0 kv-grant --vault "$VAULT" <<<"$in"
	run -0 --separate-stderr kv-grant -n --vault "$VAULT" <<<"$in"
	assert_output --partial "\"assignment\":\"$VID$RA/$(bicep_guid "$VID" "$P1" "$RD/$SECRETS_USER")\",\"status\":\"exists\""
	assert_equal "${stderr_lines[-1]}" "kv-grant: dry-run: 1 record: 0 planned, 1 exist, 0 failed; nothing changed"
	run -0 --separate-stderr kv-grant --dry-run --revoke --vault "$VAULT" <<<"$in"
	assert_output --partial '"status":"planned"'
	run -0 arm_requests
	refute_output --partial "DELETE"
	assert_equal "$(grep -c '^PUT ' <<<"$output")" 1
	run -0 roles
	assert_equal "${#lines[@]}" 1
}

@test "--dry-run with --scope only reads from Resource Manager (the vault, what it may do, existing assignments), and changes nothing" {
	run -0 --separate-stderr kv-grant -n --scope "$VID" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User"}
	EOF
	assert_output --partial '"status":"planned"'
	run -0 arm_requests
	assert_line -n 0 "GET $VID"
	assert_line -n 1 "GET $VID/providers/Microsoft.Authorization/permissions"
	refute_output --regexp '^(PUT|POST|PATCH|DELETE) '
	assert_equal "$(grep -vc '^GET ' <<<"$output")" 0
	# A credential that gets no token: the pre-flight says so, exit 1.
	AZURE_CLIENT_SECRET=wrong run -1 --separate-stderr kv-grant -n \
	    --scope "$VID" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User"}
	EOF
	assert_line -n 0 --partial '{"preflight":"arm","vault":"'"$VID"'","error":{"tool":"kv-grant","status":null,"message":"'"$VID"': Resource Manager: reading '"$VID"': '
	# Whether the assignment exists cannot be read either: the record
	# says so instead of guessing "planned".
	assert_line -n 1 --partial '"error":{"tool":"kv-grant","status":null,"message":"no Azure credential could get a token'
	run -0 roles
	assert_output ''
}

@test "a 400 from Resource Manager becomes an error record with its message" {
	local unknown=9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a
	run -1 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"$unknown"}
	EOF
	assert_output "{\"principal\":\"$P1\",\"role\":\"$unknown\",\"error\":{\"tool\":\"kv-grant\",\"status\":400,\"message\":\"HTTP 400 RoleDefinitionDoesNotExist: The specified role definition with ID '$unknown' does not exist.\"}}"
	assert_equal "$stderr" "kv-grant: line 1: HTTP 400 RoleDefinitionDoesNotExist: The specified role definition with ID '$unknown' does not exist.
kv-grant: 1 record: 0 created, 0 exist, 1 failed; 3 requests, 0 retried, 0 throttled"
}

@test "records that already carry an error pass through unchanged" {
	local bad='{"mount":"secret","path":"app/x","error":{"tool":"kv-put","status":403,"message":"denied"}}'
	run -1 --separate-stderr kv-grant --vault "$VAULT" <<<"$bad"
	assert_output "$bad"
	assert_equal "$stderr" "kv-grant: 1 record: 0 created, 0 exist, 0 failed here, 1 failed upstream; 2 requests, 0 retried, 0 throttled"
}

@test "no record leaves with its data: granted, planned, failed or passed through" {
	cat >"$BATS_TEST_TMPDIR/in" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","name":"a","data":{"password":"val-MARKER-1"}}
		{"principal":"$P1","role":"Key Vault Secret Reader","name":"b","data":{"password":"val-MARKER-2"}}
		{"mount":"secret","path":"app/x","data":{"k":"val-MARKER-3"},"error":{"tool":"kv-put","status":403,"message":"denied"}}
		{"role":"Key Vault Secrets User","name":"c","data":{"k":"val-MARKER-4"}}
	EOF
	# The dry run comes second: it finds what the first run created.
	for dry in "" -n; do
		run -1 --separate-stderr kv-grant $dry -j 4 --vault "$VAULT" \
		    <"$BATS_TEST_TMPDIR/in"
		assert_equal "${#lines[@]}" 4
		assert_equal "$(jq -c 'has("data")' <<<"$output" | sort -u)" false
		refute_output --partial MARKER
		refute_regex "$stderr" MARKER
		assert_line -n 0 --partial '"name":"a"'
		assert_line -n 0 --regexp '"status":"(created|exists)"'
		assert_line -n 1 --partial '"error":{"tool":"kv-grant"'
		assert_line -n 2 '{"mount":"secret","path":"app/x","error":{"tool":"kv-put","status":403,"message":"denied"}}'
		assert_line -n 3 --partial '"error":{"tool":"kv-grant"'
	done
}

@test "keeps the input order with many records at once" {
	local i
	for i in $(seq 10 49); do
		printf '{"principal":"%s","role":"Key Vault Secrets User","name":"s%s"}\n' "$P1" "$i"
	done >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr kv-grant -j 16 --vault "$VAULT" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(jq -r .name <<<"$output" | tr -d 's\n')" "$(seq 10 49 | tr -d '\n')"
	assert_equal "$stderr" "kv-grant: 40 records: 40 created, 0 exist, 0 failed; 42 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_equal "${#lines[@]}" 40
}

@test "the man page's jq recipe grants one application's identity every secret under webapp/" {
	local d=$BATS_TEST_TMPDIR recipe
	cat >"$d/mapping.ndjson" <<-EOF
		{"mount":"secret","path":"webapp/db-password","kv":2,"name":"secret-webapp-db-password","id":"$KV_URL/secrets/secret-webapp-db-password/0f1e2d3c4b5a69788796a5b4c3d2e1f0","status":"created"}
		{"mount":"secret","path":"billing/db","kv":2,"name":"secret-billing-db","id":"$KV_URL/secrets/secret-billing-db/1f1e2d3c4b5a69788796a5b4c3d2e1f0","status":"created"}
		{"mount":"secret","path":"webapp/api/key","kv":2,"name":"secret-webapp-api-key","id":"$KV_URL/secrets/secret-webapp-api-key/2f1e2d3c4b5a69788796a5b4c3d2e1f0","status":"updated"}
		{"mount":"secret","path":"webapps/other","kv":2,"name":"secret-webapps-other","id":"$KV_URL/secrets/secret-webapps-other/3f1e2d3c4b5a69788796a5b4c3d2e1f0","status":"created"}
		{"mount":"secret","path":"webapp/denied","kv":2,"name":"secret-webapp-denied","error":{"tool":"kv-put","status":403,"message":"denied"}}
	EOF
	recipe=$(sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$TOP/man/kv-grant.1" |
	    sed -n '/^\.Bd -literal/,/^\.Ed/{/^\./d;p;}' | sed -n '1,/kv-grant/p')
	assert [ -n "$recipe" ]
	cd "$d"
	# The application's managed identity, as the page says to set it.
	OID=$P3 run -0 bash -e -o pipefail -c "$recipe"
	run -0 cat grants.ndjson
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 "{\"mount\":\"secret\",\"path\":\"webapp/db-password\",\"name\":\"secret-webapp-db-password\",\"principal\":\"$P3\",\"principal_type\":\"ServicePrincipal\",\"role\":\"Key Vault Secrets User\",\"assignment\":\"$VID/secrets/secret-webapp-db-password$RA/$(bicep_guid "$VID/secrets/secret-webapp-db-password" "$P3" "$RD/$SECRETS_USER")\",\"status\":\"created\"}"
	assert_line -n 1 --partial "\"path\":\"webapp/api/key\",\"name\":\"secret-webapp-api-key\""
	assert_line -n 1 --partial '"status":"created"'
	run -0 roles
	assert_equal "${#lines[@]}" 2
	# Run it again: nothing changes.
	# The application's managed identity, as the page says to set it.
	OID=$P3 run -0 bash -e -o pipefail -c "$recipe"
	run -0 jq -r .status grants.ndjson
	assert_output "exists
exists"
	# And the revoke line of the same page.
	recipe=$(sed -n 's/^\.Dl \(kv-grant --revoke .*\)/\1/p' "$TOP/man/kv-grant.1")
	assert [ -n "$recipe" ]
	run -0 --separate-stderr bash -c "$recipe"
	assert_equal "$stderr" "kv-grant: 2 records: 2 deleted, 0 absent, 0 failed; 4 requests, 0 retried, 0 throttled"
	run -0 roles
	assert_output ""
}

@test "usage errors exit 2" {
	run -2 --separate-stderr kv-grant -j 0 </dev/null
	assert_output ""
	run -2 --separate-stderr kv-grant --scope /subscriptions/x/resourceGroups/r </dev/null
	assert_equal "$stderr" "kv-grant: --scope: '/subscriptions/x/resourceGroups/r' is not a Key Vault resource id (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/NAME)
kv-grant: try 'kv-grant -h' for usage"
	AZURE_SUBSCRIPTION_ID=0c8e2f4a run -2 --separate-stderr kv-grant --vault "$VAULT" </dev/null
	assert_equal "$stderr" "kv-grant: subscription '0c8e2f4a' is not a GUID
kv-grant: try 'kv-grant -h' for usage"
	KEY_VAULT_NAME= run -1 --separate-stderr kv-grant <<<"{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\"}"
	assert_equal "$(head -n 1 <<<"$stderr")" "kv-grant: line 1: no vault: the record has no vault field, and neither --vault, --scope nor KEY_VAULT_NAME names a default"
	run -2 --separate-stderr kv-grant extra </dev/null
	assert_equal "$stderr" "usage: kv-grant [-hnqv] [-j jobs] [--revoke] [--scope resource-id]
                [--subscription subscription] [--vault name|url]
                [--from-policies] [--principals file]"
	run -0 kv-grant --version
	assert_line -n 0 --regexp '^kv-grant \(vault2kv\) 0\.1\.0( \(commit [^)]*\))?$'
}

@test "ARM refusing the write is an error record naming the roles that may; the run goes on" {
	admin "$KV_URL/_admin/config" -d '{"deny":"arm-forbidden"}' >/dev/null
	run -1 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","principal_type":"User"}
		{"principal":"$P2","role":"Key Vault Reader","principal_type":"Group"}
	EOF
	admin "$KV_URL/_admin/config" -d '{"deny":null}' >/dev/null
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 --partial '"status":403'
	assert_line -n 1 --partial '"status":403'
	assert_regex "$stderr" "roleAssignments/write on the scope \(Owner, User Access Administrator"
}

@test "a principal not yet in the directory is an error that says to give its type" {
	admin "$KV_URL/_admin/config" -d '{"deny":"principal-not-found"}' >/dev/null
	run -1 --separate-stderr kv-grant --vault "$VAULT" <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User"}
		{"principal":"$P2","role":"Key Vault Secrets User","principal_type":"ServicePrincipal"}
	EOF
	admin "$KV_URL/_admin/config" -d '{"deny":null}' >/dev/null
	assert_line -n 0 --partial "set the record's principal_type (User, Group or ServicePrincipal)"
	assert_line -n 1 --partial '"status":"created"'
}
