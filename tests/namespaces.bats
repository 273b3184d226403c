#!/usr/bin/env bats
# namespaces.bats: a Vault Enterprise estate spread over namespaces (the
# root, team-a, team-a/sub, team-b; the same mount and path in several of
# them) migrated into one Key Vault: vault-ls -A | vault-dump | kv-name |
# kv-put | kv-check.  Nothing is lost, no secret overwrites another's, a
# re-run changes nothing, kv-check --orphans is clean; and the defect of
# issue 14: the same path from another namespace is a conflict, never an
# update.

setup_file() {
	load helpers
	env_reset
	cat >"$BATS_FILE_TMPDIR/tree.json" <<-'EOF'
	{
	  "secrets": {"secret/": {"db/pass": {"data": {"p": "root-pass"}}}},
	  "namespaces": {
	    "team-a": {
	      "mounts": {"kv/": 2, "legacy/": 1},
	      "secrets": {
	        "kv/": {"db/pass": {"versions": [{"data": {"p": "a-pass-1"}},
	                                         {"data": {"p": "a-pass-2"}}]},
	                "app/api": {"data": {"t": "a-api"}}},
	        "legacy/": {"old": {"data": {"x": "a-old"}}}},
	      "namespaces": {
	        "sub": {"mounts": {"kv/": 2},
	                "secrets": {"kv/": {"db/pass": {"data": {"p": "sub-pass"}}}}}}
	    },
	    "team-b": {
	      "mounts": {"kv/": 2},
	      "secrets": {"kv/": {"db/pass": {"data": {"p": "b-pass"}},
	                          "only-b": {"data": {"b": "b-only"}}}}
	    }
	  }
	}
	EOF
	start_vault --seed "$BATS_FILE_TMPDIR/tree.json"
	start_keyvault
}

teardown_file() {
	load helpers
	stop_servers
}

setup() {
	load helpers
	admin "$KV_URL/_admin/reset" -X POST >/dev/null
	W=$BATS_TEST_TMPDIR
}

# The secrets of the tree, "namespace mount/path value" sorted: what must
# land in Key Vault.
WANT=' secret/db/pass {"p":"root-pass"}
team-a kv/app/api {"t":"a-api"}
team-a kv/db/pass {"p":"a-pass-2"}
team-a legacy/old {"x":"a-old"}
team-a/sub kv/db/pass {"p":"sub-pass"}
team-b kv/db/pass {"p":"b-pass"}
team-b kv/only-b {"b":"b-only"}'

@test "vault-ls -A lists every namespace below the root, each record with its full namespace, in a fixed order" {
	run -0 --separate-stderr vault-ls -A -j 4
	assert_output '{"mount":"secret","path":"db/pass","kv":2}
{"mount":"kv","path":"app/api","kv":2,"namespace":"team-a"}
{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-a"}
{"mount":"legacy","path":"old","kv":1,"namespace":"team-a"}
{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-a/sub"}
{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-b"}
{"mount":"kv","path":"only-b","kv":2,"namespace":"team-b"}'
	assert_equal "$stderr" "vault-ls: secret/: 1 secret (kv v2)
vault-ls: kv/ (namespace team-a): 2 secrets (kv v2)
vault-ls: legacy/ (namespace team-a): 1 secret (kv v1)
vault-ls: kv/ (namespace team-a/sub): 1 secret (kv v2)
vault-ls: kv/ (namespace team-b): 2 secrets (kv v2)
vault-ls: 7 secrets in 5 mounts, 0 failed"
	# The same at -j 1, and the listing sent each namespace's requests
	# in that namespace.
	run -0 vault-ls -A -q -j 1
	assert_equal "$output" "$(vault-ls -A -q -j 8)"
}

@test "vault-ls -A starts at VAULT_NAMESPACE and walks what lies below it, with -l in each record's namespace" {
	VAULT_NAMESPACE=team-a/ run -0 --separate-stderr vault-ls -A -l
	assert_equal "$(jq -c '[.namespace, .mount, .path, .version]' <<<"$output")" \
	    '["team-a","kv","app/api",1]
["team-a","kv","db/pass",2]
["team-a","legacy","old",null]
["team-a/sub","kv","db/pass",1]'
	run -2 --separate-stderr vault-ls -A kv
	assert_equal "$stderr" "vault-ls: -A lists every mount of every namespace: no mount or folder with it
vault-ls: try 'vault-ls -h' for usage"
}

# token POLICY-TEXT [NAMESPACE]: a token of that namespace (root if none)
# with one policy of it.
token() {
	local h=()
	[ -z "${2-}" ] || h=(-H "X-Vault-Namespace: $2")
	curl -sfS -X PUT -H "X-Vault-Token: root" "${h[@]}" \
	    "$VAULT_URL/v1/sys/policy/p$$" --data-binary "$(jq -n --arg p "$1" '{policy: $p}')" >/dev/null
	curl -sfS -X POST -H "X-Vault-Token: root" "${h[@]}" \
	    "$VAULT_URL/v1/auth/token/create" -d "{\"policies\":[\"p$$\"]}" |
	    jq -r .auth.client_token
}

@test "vault-ls -A: a namespace that cannot be listed is an error record, and the others go on" {
	# A root token policy that reaches team-a and below, not team-b.
	VAULT_TOKEN=$(token 'path "sys/mounts" { capabilities = ["read"] }
path "sys/namespaces" { capabilities = ["list"] }
path "secret/metadata/*" { capabilities = ["list"] }
path "team-a/*" { capabilities = ["read", "list"] }')
	VAULT_TOKEN=$VAULT_TOKEN run -1 --separate-stderr vault-ls -A
	assert_output '{"mount":"secret","path":"db/pass","kv":2}
{"mount":"kv","path":"app/api","kv":2,"namespace":"team-a"}
{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-a"}
{"mount":"legacy","path":"old","kv":1,"namespace":"team-a"}
{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-a/sub"}
{"namespace":"team-b","folder":true,"error":{"tool":"vault-ls","status":403,"message":"cannot list its namespaces: sys/namespaces: permission denied"}}'
	assert_line -n 0 --partial '"secret"'
	assert_equal "$(grep -c 'namespace team-b' <<<"$stderr")" 1
}
