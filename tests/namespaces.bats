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

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset
	W=$BATS_TEST_TMPDIR
}

# The secrets of the tree, "namespace mount/path value" sorted: what must
# land in Key Vault (one key: its value as it is).
WANT='- secret/db/pass root-pass
team-a kv/app/api a-api
team-a kv/db/pass a-pass-2
team-a legacy/old a-old
team-a/sub kv/db/pass sub-pass
team-b kv/db/pass b-pass
team-b kv/only-b b-only'

# landed: what Key Vault holds, in WANT's form, from each secret's latest
# version and its tags (the stand-in's state, not kv-check's word).
landed() {
	admin "$KV_URL/_admin/state" | jq -r '.secrets[] | .versions[-1] |
	    "\(.tags["vault-namespace"] // "-") \(.tags["vault-path"]) \(.value)"' |
	    sort
}

# migrate KV-NAME-ARGS...: vault-ls -A | vault-dump | kv-name ARGS | kv-put,
# each stage's output in $W; PS holds the six exit statuses (tees too).
migrate() {
	! vault-ls -A 2>"$W/ls.err" | vault-dump 2>"$W/dump.err" | tee "$W/dump" |
	    kv-name "$@" 2>"$W/name.err" | tee "$W/named" |
	    kv-put 2>"$W/put.err" >"$W/put"
	PS="${PIPESTATUS[*]}"
}

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

@test "done when: four namespaces, two levels deep, into one vault by --namespace-prefix: nothing lost or overwritten, a re-run changes nothing, no orphans" {
	migrate --namespace-prefix
	assert_equal "$PS" "0 0 0 0 0 0"
	assert_equal "$(jq -r .name "$W/named" | sort | tr '\n' ' ')" \
	    "secret-db-pass team-a-kv-app-api team-a-kv-db-pass team-a-legacy-old team-a-sub-kv-db-pass team-b-kv-db-pass team-b-kv-only-b "
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | tr -s ' ')" " 7 created"
	assert_equal "$(landed)" "$WANT"
	migrate --namespace-prefix
	assert_equal "$PS" "0 0 0 0 0 0"
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | tr -s ' ')" " 7 unchanged"
	assert_equal "$(landed)" "$WANT"
	run -0 --separate-stderr kv-check --orphans <"$W/named"
	assert_equal "$(jq -c .check <<<"$output" | sort | uniq -c | tr -s ' ')" ' 7 "ok"'
	assert_equal "${stderr_lines[-1]%%;*}" "kv-check: 7 records: 7 ok, 0 differ (0 orphans), 0 failed"
}

@test "done when: the same, with the default names and --on-collision=suffix" {
	migrate --on-collision=suffix
	assert_equal "$PS" "0 0 0 0 0 0"
	# The first kv/db/pass (team-a's, in vault-ls order) keeps the plain
	# name; the others take the hash of their identity, namespace included.
	assert_equal "$(jq -r '"\(.namespace // "-") \(.name)"' "$W/named")" "- secret-db-pass
team-a kv-app-api
team-a kv-db-pass
team-a legacy-old
team-a/sub kv-db-pass-$(h8 'kv/db/pass\0nteam-a/sub')
team-b kv-db-pass-$(h8 'kv/db/pass\0nteam-b')
team-b kv-only-b"
	assert_equal "$(landed)" "$WANT"
	migrate --on-collision=suffix
	assert_equal "$(jq -r .status "$W/put" | sort | uniq -c | tr -s ' ')" " 7 unchanged"
	assert_equal "$(landed)" "$WANT"
	run -0 --separate-stderr kv-check --orphans <"$W/named"
	assert_equal "${stderr_lines[-1]%%;*}" "kv-check: 7 records: 7 ok, 0 differ (0 orphans), 0 failed"
	# A namespace left out of the input leaves orphans, each named with
	# its namespace.
	# (=all: the default scope is what the input covers, without team-b.)
	run -1 --separate-stderr kv-check --orphans=all < <(jq -c 'select(.namespace != "team-b")' "$W/named")
	assert_equal "$(jq -c 'select(.check == ["orphan"]) | [.namespace, .mount, .path]' <<<"$output")" \
	    '["team-b","kv","db/pass"]
["team-b","kv","only-b"]'
}

@test "the defect: kv/db/pass from team-a, then from team-b into the same name without --map, is a conflict, never an update" {
	VAULT_NAMESPACE=team-a vault-ls | vault-dump -q | kv-name -q | kv-put -q >"$W/a"
	assert_equal "$(jq -c '[.namespace, .name, .status]' "$W/a")" \
	    '["team-a","kv-app-api","created"]
["team-a","kv-db-pass","created"]
["team-a","legacy-old","created"]'
	local dry st
	for dry in -n ""; do
		st=created
		[ -z "$dry" ] || st=would-create
		VAULT_NAMESPACE=team-b vault-ls -q | vault-dump -q | kv-name -q >"$W/b"
		run -1 --separate-stderr kv-put $dry <"$W/b"
		assert_equal "$(jq -c '[.namespace, .name, .status]' <<<"$output")" \
		    '["team-b","kv-db-pass","conflict"]
["team-b","kv-only-b","'$st'"]'
		# (A dry run's pre-flight line comes first.)
		grep -qxF -- "kv-put: kv/db/pass: kv-db-pass already holds kv/db/pass of namespace team-a (vault-path and vault-namespace tags): not written (--force overwrites)" <<<"$stderr" ||
		    fail "no conflict message: $stderr"
	done
	assert_equal "$(admin "$KV_URL/_admin/state" | jq -r '.secrets[] |
	    select(.name == "kv-db-pass") | [.versions[].value] | join(",")')" a-pass-2
	# kv-check tells them apart: team-b's record is not what the name holds.
	run -1 --separate-stderr kv-check -v <"$W/b"
	assert_line -n 0 --partial '"check":["value differs","tag differs"]'
	[[ $stderr == *"kv-check: kv/db/pass: vault-namespace tag is team-a"* ]]
}

@test "a token of team-a reads team-a/sub, as in Vault, and not team-b" {
	local t
	t=$(token 'path "sys/mounts" { capabilities = ["read"] }
path "sys/namespaces" { capabilities = ["list"] }
path "kv/*" { capabilities = ["read", "list"] }
path "legacy/*" { capabilities = ["read", "list"] }
path "sub/*" { capabilities = ["read", "list"] }' team-a)
	VAULT_NAMESPACE=team-a VAULT_TOKEN=$t run -0 bash -c 'vault-ls -A -q | vault-dump -q'
	assert_equal "$(jq -c '[.namespace, .mount, .path, .data]' <<<"$output")" \
	    '["team-a","kv","app/api",{"t":"a-api"}]
["team-a","kv","db/pass",{"p":"a-pass-2"}]
["team-a","legacy","old",{"x":"a-old"}]
["team-a/sub","kv","db/pass",{"p":"sub-pass"}]'
	VAULT_TOKEN=$t run -1 --separate-stderr vault-dump <<<'{"namespace":"team-b","mount":"kv","path":"db/pass"}'
	assert_output --partial '"error"'
	refute_output --partial b-pass
}
