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

teardown_file() { load helpers; stop_servers; }

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
	kv_reset
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
	# (the number of requests is left out: it depends on the cloud set-up)
	[[ ${stderr##*$'\n'} == "kv-grant: 10 records: 7 created, 0 exist, 0 failed; from policies: 7 secrets, 0 without a role, 7 assignments, 3 warnings; "*" requests, 0 retried, 0 throttled" ]]
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

@test "--from-policies: a policy it cannot read, a parameter limit, an unknown policy and bad records are reported; exit 1" {
	vault POST "" sys/namespaces/edge
	# \u escapes are HCL, but not the subset read here: reported.
	policy edge bad <<-'EOF2'
		path "kv/data/\u0061/*" { capabilities = ["read"] }
	EOF2
	policy edge cond <<-'EOF2'
		path "kv/data/*" {
		  capabilities = ["create", "update"]
		  allowed_parameters = { "k" = [] }
		}
	EOF2
	cat >"$BATS_TEST_TMPDIR/who" <<-EOF2
		{"namespace":"edge","policy":"cond","principal":"$P1","principal_type":"ServicePrincipal"}
		{"namespace":"edge/","policy":"gone","principal":"$P2","principal_type":"group"}
	EOF2
	run -1 --separate-stderr kv-grant --from-policies -n --scope "$VID" \
	    --principals "$BATS_TEST_TMPDIR/who" <<-'EOF2'
		{"namespace":"edge","mount":"kv","path":"a/one","kv":2,"name":"edge-a-one"}
		{"namespace":"edge","mount":"kv","path":"a/two","name":"edge-a-two"}
		{"namespace":"edge","mount":"kv","path":"a/three","kv":3,"name":"edge-a-three"}
		{"mount":"kv","path":"a/four","name":"edge-a-four","error":{"tool":"kv-put","status":403,"message":"denied"}}
		not json
	EOF2
	assert_line -n 0 '{"warning":"unparsed","policy":"edge/bad","message":"cannot read the policy: line 1: unknown escape in a string; it is not in the plan"}'
	assert_line -n 1 '{"warning":"conditions","policy":"edge/cond","message":"path \"kv/data/*\": allowed_parameters: a limit no Azure role can express; the plan grants the role without it"}'
	assert_line -n 2 "{\"warning\":\"unknown-policy\",\"policy\":\"edge/gone\",\"principal\":\"$P2\",\"message\":\"--principals names policy edge/gone, which Vault does not hold\"}"
	assert_line -n 3 --partial '"path":"a/two","name":"edge-a-two","error":{"tool":"kv-grant","status":null,"message":"kv is missing"}}'
	assert_line -n 4 --partial '"error":{"tool":"kv-grant","status":null,"message":"kv is 3, not 1 or 2"}}'
	assert_line -n 5 --partial '"message":"denied"}}'
	assert_line -n 6 --partial '{"line":5,"error":'
	assert_line -n 7 --partial "{\"principal\":\"$P1\",\"principal_type\":\"ServicePrincipal\",\"role\":\"Key Vault Secrets Officer\",\"scope\":\"vault\",\"secrets\":1,\"policy\":\"edge/cond\",\"via\":\"--principals\",\"reason\":\"path \\\"kv/data/*\\\" { capabilities = [\\\"create\\\", \\\"update\\\"] }\""
	assert_equal "${#lines[@]}" 8
	assert_equal "$(grep -c 'edge/bad: cannot read the policy' <<<"$stderr")" 1
	assert_equal "${stderr##*$'\n'}" "kv-grant: dry-run: 8 records: 1 planned, 0 exist, 3 failed here, 1 failed upstream; from policies: 1 secret, 0 without a role, 1 assignment, 3 warnings (incomplete); nothing changed"
}

@test "--from-policies: a token that may not read policies or auth methods: said, exit 1" {
	local t
	t=$(vault_token '{"policies":["default"]}')
	VAULT_TOKEN=$t run -1 --separate-stderr kv-grant --from-policies -n \
	    --scope "$VID" <<<'{"mount":"secret","path":"app/db","kv":2,"name":"secret-app-db"}'
	assert_line -n 0 '{"warning":"unreadable","message":"namespace (root): cannot list its ACL policies: permission denied; its policies are not in the plan"}'
	assert_line -n 1 '{"warning":"unreadable","message":"namespace (root): cannot list its auth methods: permission denied; their roles are not in the plan"}'
	assert_equal "${#lines[@]}" 2
	[[ $stderr != *"$t"* ]]
}

@test "--from-policies: warns before applying when the plan and the subscription's assignments pass Azure's limit" {
	kv_reset
	KV_ROLE_ASSIGNMENT_LIMIT=6 run -0 --separate-stderr kv-grant \
	    --from-policies --principals "$W/principals.ndjson" -n \
	    <"$W/mapping.ndjson"
	assert_line -n 0 "{\"warning\":\"limit\",\"message\":\"the plan's 7 new role assignments and the 0 of subscription $SUB make 7, past Azure's limit of 6 a subscription: give roles to groups, or at vault scope\"}"
	assert_equal "$(grep -c 'past Azure.s limit of 6' <<<"$stderr")" 1
	run -0 --separate-stderr kv-grant --from-policies \
	    --principals "$W/principals.ndjson" <"$W/mapping.ndjson"
	refute_output --partial '"limit"'
	# The assignments that exist count once, the planned ones that
	# exist not again.
	KV_ROLE_ASSIGNMENT_LIMIT=7 run -0 --separate-stderr kv-grant \
	    --from-policies --principals "$W/principals.ndjson" -n \
	    <"$W/mapping.ndjson"
	refute_output --partial '"limit"'
	KV_ROLE_ASSIGNMENT_LIMIT=6 run -0 --separate-stderr kv-grant \
	    --from-policies --principals "$W/principals.ndjson" -n \
	    <"$W/mapping.ndjson"
	assert_line -n 0 "{\"warning\":\"limit\",\"message\":\"the plan's 0 new role assignments and the 7 of subscription $SUB make 7, past Azure's limit of 6 a subscription: give roles to groups, or at vault scope\"}"
}

@test "--principals: a bad line is fatal and named; --principals alone is a usage error" {
	printf '%s\n' "{\"policy\":\"lister\",\"principal\":\"$P4\",\"principal_type\":\"User\"}" \
	    '{"policy":"lister","principal":"nope","principal_type":"User"}' \
	    >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr kv-grant --from-policies -n --scope "$VID" \
	    --principals "$BATS_TEST_TMPDIR/bad" <"$W/mapping.ndjson"
	assert_output ""
	# (After the dry run's pre-flight line, the last.)
	assert_equal "${stderr_lines[-1]}" "kv-grant: --principals: $BATS_TEST_TMPDIR/bad: line 2: principal: 'nope' is not an object id (GUID)"
	printf '%s\n' "{\"policy\":\"lister\",\"principal\":\"$P4\"}" >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr kv-grant --from-policies -n --scope "$VID" \
	    --principals "$BATS_TEST_TMPDIR/bad" <"$W/mapping.ndjson"
	assert_equal "${stderr_lines[-1]}" "kv-grant: --principals: $BATS_TEST_TMPDIR/bad: line 1: principal_type: missing, or not User, Group, ServicePrincipal or ForeignGroup"
	run -2 --separate-stderr kv-grant --principals "$BATS_TEST_TMPDIR/bad" \
	    -n --scope "$VID" </dev/null
	assert_output ""
	assert_equal "${stderr%%$'\n'*}" "kv-grant: --principals: only with --from-policies"
}

@test "--from-policies: Vault not reached is fatal" {
	VAULT_ADDR=http://127.0.0.1:9 VAULT_MAX_RETRIES=0 run -2 \
	    --separate-stderr kv-grant --from-policies -n --scope "$VID" \
	    <"$W/mapping.ndjson"
	assert_output ""
	# One message, after the dry run's pre-flight line.
	assert_equal "$(grep -v ': pre-flight: ' <<<"$stderr" | grep -c '^kv-grant: ')" 1
}

@test "--from-policies: the policies of a parent namespace reach the secrets of its children" {
	printf '%s\n' "{\"policy\":\"everything-reader\",\"principal\":\"$P2\",\"principal_type\":\"Group\"}" \
	    >"$BATS_TEST_TMPDIR/who"
	run -0 --separate-stderr kv-grant --from-policies -n --scope "$VID" \
	    --principals "$BATS_TEST_TMPDIR/who" < <(grep team1 "$W/mapping.ndjson")
	# (the dry run's status is kv-grant -n's, whatever it says)
	assert_equal "$(jq -c 'del(.status)' <<<"${lines[0]}")" "{\"principal\":\"$P2\",\"principal_type\":\"Group\",\"role\":\"Key Vault Secrets User\",\"scope\":\"vault\",\"secrets\":2,\"policy\":\"everything-reader\",\"via\":\"--principals\",\"reason\":\"path \\\"team1/kv/data/*\\\" { capabilities = [\\\"read\\\"] }\",\"assignment\":\"$VID/providers/Microsoft.Authorization/roleAssignments/$(bicep_guid "$VID" "$P2" "/subscriptions/$SUB/providers/Microsoft.Authorization/roleDefinitions/$USER_ROLE")\"}"
	# team1's own policy reads both: the whole vault too.
	assert_line -n 1 --partial "{\"principal\":\"$P3\",\"principal_type\":\"ServicePrincipal\",\"role\":\"Key Vault Secrets User\",\"scope\":\"vault\",\"secrets\":2,\"policy\":\"team1/web\""
	assert_equal "${#lines[@]}" 2
}
