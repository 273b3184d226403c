#!/usr/bin/env bats
# kv-grant --from-policies: Vault's ACL policies and azure auth roles
# (the Vault stand-in) become role assignments (the Key Vault stand-in).

SUB=0c8e2f4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b
RG=rg-keyvault-migration
VAULT=kv-migrated-prod
VID=/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/$VAULT
USER_ROLE=4633458b-17de-408a-b874-0445c86b69e6
OFFICER_ROLE=b86a8fe4-44ce-4948-aee5-eccb2c155cd7
# The principals, in the order the plan sorts them.
P1=11111111-1111-4111-8111-111111111111	# ServicePrincipal, azure role "web"
P2=22222222-2222-4222-8222-222222222222	# Group, --principals
P3=33333333-3333-4333-8333-333333333333	# ServicePrincipal, team1's azure role
P4=44444444-4444-4444-8444-444444444444	# User, --principals
GT=55555555-5555-4555-8555-555555555555	# Group, the templated policy only

# vault METHOD NAMESPACE PATH [JSON]: a call to the Vault stand-in as
# root, the way an operator sets Vault up.
vault() {
	local ns=()
	[ -n "$2" ] && ns=(-H "X-Vault-Namespace: $2")
	curl -sfS -X "$1" -H "X-Vault-Token: root" "${ns[@]}" \
	    "$VAULT_URL/v1/$3" ${4:+-d "$4"} >/dev/null
}

# policy NAMESPACE NAME: the policy NAME, its text on stdin.
policy() {
	vault PUT "$1" "sys/policies/acl/$2" "$(jq -Rsc '{policy: .}')"
}

setup_file() {
	load helpers
	env_reset
	start_vault
	start_keyvault --subscription "$SUB" --resource-group "$RG" \
	    --vault-name "$VAULT"
	export AZURE_SUBSCRIPTION_ID=$SUB KEY_VAULT_NAME=$VAULT

	vault POST "" sys/namespaces/team1
	# "*" with a deny inside the subtree, KV v2.
	policy "" app-read <<-'EOF'
		# what the web application reads
		path "secret/data/app/*" {
		  capabilities = ["read", "list"]
		}
		/* never the admin credentials */
		path "secret/data/app/admin" { capabilities = ["deny"] }
	EOF
	# "+": below any folder of secret/; for P1, app-read's glob wins
	# (its first wildcard comes later).
	policy "" app-write <<-'EOF'
		path "secret/data/+/api" {
		  capabilities = ["create", "update", "read"]
		}
	EOF
	# One path of each engine and namespace: the whole vault.
	policy "" everything-reader <<-'EOF'
		path "secret/data/*" { capabilities = ["read"] }
		path "kv1/*" { capabilities = ["read"] }   // KV v1
		path "team1/kv/data/*" { capabilities = ["read"] }
	EOF
	# KV v1, an exact path, in the JSON form.
	policy "" legacy-v1 <<-'EOF'
		{"path": {"kv1/legacy/token": {"capabilities": ["read"]}}}
	EOF
	policy "" lister <<-'EOF'
		path "secret/metadata/*" { capabilities = ["list"] }
	EOF
	policy "" orphan <<-'EOF'
		path "secret/data/shared/*" { capabilities = ["read"] }
	EOF
	policy "" templated <<-'EOF'
		path "secret/data/{{identity.entity.name}}/*" {
		  capabilities = ["read"]
		}
	EOF
	# The second namespace's own policy: paths below team1/.
	policy team1 web <<-'EOF'
		path "kv/data/web/*" { capabilities = ["read"] }
		path "kv/metadata/*" { capabilities = ["list"] }
	EOF
	vault POST "" sys/auth/azure '{"type":"azure"}'
	vault POST "" auth/azure/role/web \
	    "{\"policies\":[\"app-read\",\"app-write\"],\"bound_service_principal_ids\":[\"$P1\"]}"
	vault POST "" auth/azure/role/tmpl \
	    "{\"token_policies\":\"templated\",\"bound_group_ids\":\"$GT\"}"
	vault POST team1 sys/auth/azure '{"type":"azure"}'
	vault POST team1 auth/azure/role/team1-web \
	    "{\"token_policies\":[\"web\"],\"bound_service_principal_ids\":[\"$P3\"]}"

	W=$BATS_FILE_TMPDIR
	cat >"$W/principals.ndjson" <<-EOF
		{"policy":"everything-reader","principal":"$P2","principal_type":"Group"}
		{"policy":"legacy-v1","principal":"$P4","principal_type":"User"}
		{"policy":"lister","principal":"$P4","principal_type":"User"}
		{"policy":"app-write","principal":"$P4","principal_type":"User"}
	EOF
	# The mapping, as kv-put writes it.
	cat >"$W/mapping.ndjson" <<-'EOF'
		{"mount":"secret","path":"app/db","kv":2,"name":"secret-app-db","status":"created"}
		{"mount":"secret","path":"app/api","kv":2,"name":"secret-app-api","status":"created"}
		{"mount":"secret","path":"app/admin","kv":2,"name":"secret-app-admin","status":"created"}
		{"mount":"secret","path":"shared/config","kv":2,"name":"secret-shared-config","status":"created"}
		{"mount":"kv1","path":"legacy/token","kv":1,"name":"kv1-legacy-token","status":"created"}
		{"namespace":"team1","mount":"kv","path":"web/cert","kv":2,"name":"team1-kv-web-cert","status":"created"}
		{"namespace":"team1","mount":"kv","path":"web/key","kv":2,"name":"team1-kv-web-key","status":"created"}
	EOF
	# The plan, written out by hand: the findings, then the vault-wide
	# assignment, then those of each secret in input order.
	cat >"$W/plan.ndjson" <<-EOF
		{"warning":"templated","policy":"templated","secrets":4,"message":"path \"secret/data/{{identity.entity.name}}/*\" is templated: what it grants depends on who logs in, so it is left out of the plan for the 4 secrets it may reach; grant that access by hand"}
		{"warning":"list-only","principal":"$P4","secrets":3,"message":"may list the folders of 3 secrets it cannot read or write: list alone maps to no Key Vault data role, nothing planned"}
		{"warning":"unmapped","policy":"orphan","secrets":1,"message":"grants access to 1 secret, but no principal holds it (no azure auth role names it): name its principals with --principals"}
		{"principal":"$P2","principal_type":"Group","role":"Key Vault Secrets User","scope":"vault","secrets":7,"policy":"everything-reader","via":"--principals","reason":"path \"secret/data/*\" { capabilities = [\"read\"] }; path \"kv1/*\" { capabilities = [\"read\"] }; path \"team1/kv/data/*\" { capabilities = [\"read\"] }"}
		{"principal":"$P1","principal_type":"ServicePrincipal","role":"Key Vault Secrets User","scope":"secret","mount":"secret","path":"app/db","name":"secret-app-db","policy":"app-read","via":"auth/azure/role/web","reason":"path \"secret/data/app/*\" { capabilities = [\"read\", \"list\"] }"}
		{"principal":"$P1","principal_type":"ServicePrincipal","role":"Key Vault Secrets User","scope":"secret","mount":"secret","path":"app/api","name":"secret-app-api","policy":"app-read","via":"auth/azure/role/web","reason":"path \"secret/data/app/*\" { capabilities = [\"read\", \"list\"] }"}
		{"principal":"$P4","principal_type":"User","role":"Key Vault Secrets Officer","scope":"secret","mount":"secret","path":"app/api","name":"secret-app-api","policy":"app-write","via":"--principals","reason":"path \"secret/data/+/api\" { capabilities = [\"create\", \"read\", \"update\"] }"}
		{"principal":"$P4","principal_type":"User","role":"Key Vault Secrets User","scope":"secret","mount":"kv1","path":"legacy/token","name":"kv1-legacy-token","policy":"legacy-v1","via":"--principals","reason":"path \"kv1/legacy/token\" { capabilities = [\"read\"] }"}
		{"principal":"$P3","principal_type":"ServicePrincipal","role":"Key Vault Secrets User","scope":"secret","namespace":"team1","mount":"kv","path":"web/cert","name":"team1-kv-web-cert","policy":"team1/web","via":"team1/auth/azure/role/team1-web","reason":"path \"kv/data/web/*\" { capabilities = [\"read\"] }"}
		{"principal":"$P3","principal_type":"ServicePrincipal","role":"Key Vault Secrets User","scope":"secret","namespace":"team1","mount":"kv","path":"web/key","name":"team1-kv-web-key","policy":"team1/web","via":"team1/auth/azure/role/team1-web","reason":"path \"kv/data/web/*\" { capabilities = [\"read\"] }"}
	EOF
	# The assignments that plan makes: scope, principal, role.
	cat >"$W/assignments" <<-EOF
		$VID $P2 $USER_ROLE
		$VID/secrets/kv1-legacy-token $P4 $USER_ROLE
		$VID/secrets/secret-app-api $P1 $USER_ROLE
		$VID/secrets/secret-app-api $P4 $OFFICER_ROLE
		$VID/secrets/secret-app-db $P1 $USER_ROLE
		$VID/secrets/team1-kv-web-cert $P3 $USER_ROLE
		$VID/secrets/team1-kv-web-key $P3 $USER_ROLE
	EOF
	export W
}

teardown_file() {
	load helpers
	stop_servers
}

setup() {
	load helpers
}

# assignments: the Key Vault stand-in's role assignments, "scope
# principal role-guid", sorted.
assignments() {
	admin "$KV_URL/_admin/state" | jq -r '.roleAssignments[] |
	    .properties | "\(.scope) \(.principalId) \(.roleDefinitionId |
	    split("/") | last)"' | sort
}

@test "--from-policies: the plan is exactly the one written out by hand, and is applied, then found" {
	admin "$KV_URL/_admin/reset" -X POST >/dev/null
	run -0 --separate-stderr kv-grant --from-policies \
	    --principals "$W/principals.ndjson" -n <"$W/mapping.ndjson"
	# The dry run plans, creates nothing.
	assert_equal "$(jq -c 'del(.assignment, .status)' <<<"$output")" \
	    "$(cat "$W/plan.ndjson")"
	run -0 assignments
	assert_output ""

	run -0 --separate-stderr kv-grant --from-policies \
	    --principals "$W/principals.ndjson" <"$W/mapping.ndjson"
	assert_equal "$(jq -c 'del(.assignment, .status)' <<<"$output")" \
	    "$(cat "$W/plan.ndjson")"
	assert_equal "$(jq -r 'select(.warning == null) | .status' <<<"$output" |
	    sort | uniq -c | tr -s ' ')" " 7 created"
	assert_equal "$(jq -r 'select(.warning != null) | .status' <<<"$output" |
	    sort -u)" "null"
	assert_line -n 0 --partial '"warning":"templated"'
	assert_equal "${stderr##*$'\n'}" "kv-grant: 10 records: 7 created, 0 exist, 0 failed; from policies: 7 secrets, 0 without a role, 7 assignments, 3 warnings; 10 requests, 0 retried, 0 throttled"
	run -0 assignments
	assert_output "$(cat "$W/assignments")"

	# Again: every assignment exists, under the same name.
	run -0 --separate-stderr kv-grant --from-policies \
	    --principals "$W/principals.ndjson" <"$W/mapping.ndjson"
	assert_equal "$(jq -r 'select(.warning == null) | .status' <<<"$output" |
	    sort | uniq -c | tr -s ' ')" " 7 exists"
	assert_equal "$(jq -c 'del(.assignment, .status)' <<<"$output")" \
	    "$(cat "$W/plan.ndjson")"
	run -0 assignments
	assert_output "$(cat "$W/assignments")"
}
