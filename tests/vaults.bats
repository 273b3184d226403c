#!/usr/bin/env bats
# Several target vaults in one run: kv-name --vault-map and -e choose a
# vault per record, names are unique per vault, and kv-put, kv-check and
# kv-grant send each record to its own vault, each vault with its own
# budget.  The Key Vault stand-in serves three vaults on one listener
# (--vaults), told apart by the Host header: https://NAME.localhost:PORT.

SUB=0c8e2f4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b
RG=rg-many
P1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
SECRETS_USER=4633458b-17de-408a-b874-0445c86b69e6
# Each vault takes WLIMIT secret writes a second (the service's 300 per
# 10 s, scaled down so that the test is quick and the budget binds).
WLIMIT=20

setup_file() {
	load helpers
	env_reset
	local i
	{
		printf '{"mounts":{"team-a/":2,"team-b/":2,"team-c/":2},"secrets":{'
		for m in a b c; do
			[ "$m" = a ] || printf ','
			printf '"team-%s/":{' "$m"
			for i in $(seq 1 200); do
				[ "$i" = 1 ] || printf ','
				printf '"app%d/s%d":{"data":{"v":"val-%s-%d"}}' \
				    $((i % 7)) "$i" "$m" "$i"
			done
			printf '}'
		done
		printf '}}\n'
	} >"$BATS_FILE_TMPDIR/tree.json"
	start_vault --seed "$BATS_FILE_TMPDIR/tree.json"
	# curl takes no wildcard of one label above it (*.localhost): each
	# vault's name is in the certificate.
	tls_setup "$BATS_FILE_TMPDIR/tls" IP:127.0.0.1,DNS:localhost,DNS:kv-a.localhost,DNS:kv-b.localhost,DNS:kv-c.localhost
	start_keyvault --vaults kv-a,kv-b,kv-c --write-limit "$WLIMIT" \
	    --window 1 --subscription "$SUB" --resource-group "$RG"
	mapfile -t _urls <"$BATS_FILE_TMPDIR/KV.out"
	export KV_A=${_urls[0]} KV_B=${_urls[1]} KV_C=${_urls[2]}
	export AZURE_SUBSCRIPTION_ID=$SUB
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	local u
	for u in "$KV_A" "$KV_B" "$KV_C"; do
		admin "$u/_admin/reset" -X POST >/dev/null
	done
	W=$BATS_TEST_TMPDIR
	cat >"$W/rules" <<-EOF
		{"mount":"team-a","vault":"$KV_A"}
		{"mount":"team-b","vault":"$KV_B"}
		{"mount":"team-c","vault":"$KV_C"}
	EOF
}

# names VAULT-URL: the secret names the stand-in's vault holds, sorted.
names() {
	admin "$1/_admin/state" | jq -r '.secrets[].name' | sort
}

# writes [URL CA]: the accepted SetSecret requests of the stand-in's log
# (the one at URL, trusting CA; the three vaults' by default), one line
# each: "VAULT SECONDS".
writes() {
	curl -sS --cacert "${2:-$TLS_DIR/ca.pem}" "${1:-$KV_A}/_admin/requests" |
	    jq -r '.requests[] |
	    select(.kind == "data" and .method == "PUT" and .status == 200) |
	    "\(.vault) \(.time)"' |
	    "$PY" -c '
import sys, datetime
for line in sys.stdin:
    v, t = line.split()
    d = datetime.datetime.strptime(t[:26], "%Y-%m-%dT%H:%M:%S.%f")
    print(v, d.timestamp())'
}

# busiest [URL CA]: the most writes the log shows in any one window of
# 1 s, per vault ("kv-a 20") and of all vaults together ("all 57").
busiest() {
	writes "$@" | "$PY" -c '
import sys, collections
ts = collections.defaultdict(list)
for line in sys.stdin:
    v, t = line.split()
    ts[v].append(float(t)); ts["all"].append(float(t))
for v in sorted(ts):
    t = sorted(ts[v]); best = 0; j = 0
    for i in range(len(t)):
        while t[i] - t[j] >= 1.0:
            j += 1
        best = max(best, i - j + 1)
    print(v, best)'
}

@test "done when: 600 secrets split by mount over three vaults, each vault's budget enforced, nothing lost, a re-run idempotent" {
	vault-ls >"$W/ls" 2>"$W/ls.err"
	vault-dump <"$W/ls" >"$W/dump" 2>"$W/dump.err"
	run -0 --separate-stderr kv-name --vault-map "$W/rules" <"$W/dump"
	printf '%s\n' "$output" >"$W/named"
	assert_equal "$(jq -r .vault "$W/named" | sort | uniq -c | awk '{print $1, $2}')" "200 $KV_A
200 $KV_B
200 $KV_C"
	# Each vault paced at 90% of its budget (--write-rate is per 10 s).
	run -0 --separate-stderr kv-put --write-rate $((WLIMIT * 9)) <"$W/named"
	printf '%s\n' "$output" >"$W/map"
	assert_equal "${#lines[@]}" 600
	# In input order, though the vaults were written side by side.
	assert_equal "$(jq -r .path "$W/map")" "$(jq -r .path "$W/named")"
	assert_regex "${stderr##*$'\n'}" '^kv-put: 600 records: 600 created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed, 0 recovered; '
	# The mapping says where each secret went: the mount's vault.
	assert_equal "$(jq -r 'select(.vault != {"team-a":env.KV_A,"team-b":env.KV_B,"team-c":env.KV_C}[.mount])' "$W/map")" ""
	assert_equal "$(jq -c 'select(.vault as $v | .id | startswith($v + "/secrets/") | not)' "$W/map" 2>&1 | head -c 300)" ""
	for v in A B C; do
		u=KV_$v
		assert_equal "$(names "${!u}" | wc -l)" 200
	done
	# Each vault within its own budget, the three together well over
	# twice one vault's: they were written side by side, though the
	# input holds all of team-a's records before team-b's.
	run -0 busiest
	local all a b c
	read -r _ all <<<"$(grep '^all ' <<<"$output")"
	for v in a b c; do
		read -r _ n <<<"$(grep "^kv-$v " <<<"$output")"
		[ "$n" -le "$WLIMIT" ] || fail "kv-$v: $n writes in 1 s, over its budget of $WLIMIT: $output"
	done
	[ "$all" -gt $((2 * WLIMIT)) ] || fail "the vaults were not written side by side: $output"
	# Nothing lost: each record checks out in its own vault, no orphans.
	run -0 --separate-stderr kv-check --orphans <"$W/map"
	assert_equal "$(jq -r .check <<<"$output" | sort | uniq -c | awk '{print $1, $2}')" "600 ok"
	# A re-run writes nothing.
	admin "$KV_A/_admin/requests" -X DELETE >/dev/null
	kv-name --vault-map "$W/rules" -m "$W/map" <"$W/dump" >"$W/named2"
	assert_equal "$(jq -c '{name, vault}' "$W/named2")" "$(jq -c '{name, vault}' "$W/named")"
	run -0 --separate-stderr kv-put --write-rate $((WLIMIT * 9)) <"$W/named2"
	assert_regex "${stderr##*$'\n'}" '^kv-put: 600 records: 0 created, 0 updated, 600 unchanged, '
	assert_equal "$(writes | wc -l)" 0
}

@test "--vault-map: the longest prefix wins, then a rule naming the mount, then one naming the namespace; the order of the lines does not matter" {
	cat >"$W/r1" <<-EOF
		{"vault":"kv-fallback"}
		{"namespace":"ns1","vault":"kv-ns"}
		{"mount":"team-a","vault":"kv-mount"}
		{"namespace":"ns1","mount":"team-a","vault":"kv-ns-mount"}
		{"prefix":"team-a/app1","vault":"kv-prefix"}
		{"prefix":"team-a/app1/deep","vault":"kv-deeper"}
		{"mount":"team-a","prefix":"team-a/app1","vault":"kv-mount-prefix"}
	EOF
	tac "$W/r1" >"$W/r2"
	cat >"$W/in" <<-'EOF'
		{"mount":"team-b","path":"x"}
		{"mount":"team-b","path":"x","namespace":"ns1"}
		{"mount":"team-a","path":"x"}
		{"mount":"team-a","path":"x","namespace":"ns1"}
		{"mount":"team-a","path":"app1/x","namespace":"ns1"}
		{"mount":"team-a","path":"app1/deep/x"}
		{"mount":"team-a","path":"app10/x"}
		{"mount":"team-a","path":"app1"}
		{"mount":"team-a","path":"y","vault":"kv-own"}
	EOF
	for r in r1 r2; do
		run -0 --separate-stderr kv-name --vault-map "$W/$r" <"$W/in"
		assert_equal "$(jq -r .vault <<<"$output")" "kv-fallback
kv-ns
kv-mount
kv-ns-mount
kv-mount-prefix
kv-deeper
kv-mount
kv-mount-prefix
kv-own"
	done
	# -e may choose the vault, over the record's own and the map's.
	run -0 --separate-stderr kv-name --vault-map "$W/r1" \
	    -e '{vault: ("kv-" + .mount), name: ("x-" + (.namespace // "root") + "-" + (.path | gsub("/"; "-")))}' <"$W/in"
	assert_equal "$(jq -r '"\(.vault) \(.name)"' <<<"$output" | head -n 3)" "kv-team-b x-root-x
kv-team-b x-ns1-x
kv-team-a x-root-x"
	assert_equal "$(jq -r .vault <<<"$output" | tail -n 1)" kv-team-a
	# A vault of null is none: the map chooses, as kv-put's default would.
	run -0 --separate-stderr kv-name --vault-map "$W/r1" <<<'{"mount":"team-b","path":"z","vault":null}'
	assert_output '{"mount":"team-b","path":"z","vault":"kv-fallback","name":"team-b-z"}'
	# An object without a name keeps the default rule's name.
	run -0 --separate-stderr kv-name -e '{vault: "KV-Upper"}' <<<'{"mount":"m","path":"a/b"}'
	assert_output '{"mount":"m","path":"a/b","vault":"kv-upper","name":"m-a-b"}'
}

@test "--vault-map: a bad rule is fatal and names its line" {
	local t
	while IFS='|' read -r rule msg; do
		printf '%s\n' '{"mount":"ok","vault":"kv-ok"}' "$rule" >"$W/bad"
		run -2 --separate-stderr kv-name --vault-map "$W/bad" <<<'{"mount":"ok","path":"p"}'
		assert_equal "$output" ""
		assert_equal "$stderr" "kv-name: $W/bad:2: $msg"
	done <<-'EOF'
		{"mount":"x"}|no vault
		{"mount":"x","vault":"kv-x","team":"y"}|unknown field "team" (a rule has namespace, mount, prefix and vault)
		{"mount":"x","vault":"http://kv.example"}|vault http://kv.example: a Key Vault URL is https://HOST[:PORT] (tokens are sent only over TLS)
		{"mount":"x","vault":"a"}|vault a: not a Key Vault name (3 to 24 letters, digits and hyphens) nor an https URL
		{"mount":"x","vault":""}|vault the vault is empty
		{"mount":"x","prefix":"y/z","vault":"kv-x"}|prefix y/z is not in mount x: the rule matches nothing
		{"mount":"/x","vault":"kv-x"}|mount "/x" starts or ends with '/'
		{"mount":"","vault":"kv-x"}|mount is empty
		{"mount":7,"vault":"kv-x"}|mount is number, not a string
		{"mount":"ok","vault":"kv-other"}|the same records as line 1: which vault they go to would depend on the order
		[1]|not a JSON object
	EOF
}

@test "a name need only be unique within its vault: the same name in two vaults is fine, in one vault a collision" {
	cat >"$W/in" <<-EOF
		{"mount":"team-a","path":"db","name":"shared","vault":"$KV_A","data":{"v":"a"}}
		{"mount":"team-b","path":"db","name":"shared","vault":"$KV_B","data":{"v":"b"}}
	EOF
	run -0 --separate-stderr kv-name <"$W/in"
	assert_equal "$(jq -r .name <<<"$output")" "shared
shared"
	run -0 --separate-stderr kv-put <"$W/in"
	assert_equal "$(jq -r .status <<<"$output")" "created
created"
	assert_equal "$(names "$KV_A")" shared
	assert_equal "$(names "$KV_B")" shared
	# The default rule's names: one vault, one name, two paths.
	run -1 --separate-stderr kv-name <<-EOF
		{"mount":"m","path":"a_b","vault":"$KV_C"}
		{"mount":"m","path":"a-b","vault":"$KV_C"}
		{"mount":"m","path":"a-b","vault":"$KV_A"}
	EOF
	assert_line -n 0 --partial '"name":"m-a-b"'
	assert_line -n 1 --partial '"message":"name m-a-b already taken by m/a_b"'
	assert_line -n 2 --partial '"name":"m-a-b"'
	# --on-collision=suffix: the hash suffix only where the vault has it.
	run -0 --separate-stderr kv-name --on-collision=suffix <<-EOF
		{"mount":"m","path":"a_b","vault":"$KV_C"}
		{"mount":"m","path":"a-b","vault":"$KV_C"}
		{"mount":"m","path":"a-b","vault":"$KV_A"}
	EOF
	assert_equal "$(jq -r .name <<<"$output" | sed 's/-[0-9a-f]\{8\}$/-HASH/')" "m-a-b
m-a-b-HASH
m-a-b"
	# kv-put: a name another path holds in the same vault is a conflict.
	run -1 --separate-stderr kv-put <<-EOF
		{"mount":"team-c","path":"other","name":"shared","vault":"$KV_A","data":{"v":"c"}}
	EOF
	assert_output --partial '"status":"conflict"'
	assert_output --partial "\"vault\":\"$KV_A\""
}

@test "kv-put --rollback undoes each secret in its own vault: one name in two vaults is two secrets, a vault's other secrets stay" {
	# A secret of vault B's own, before the migration.
	run -0 --separate-stderr kv-put <<-EOF
		{"mount":"team-b","path":"pre","name":"pre","vault":"$KV_B","data":{"v":"b0"}}
	EOF
	cat >"$W/in" <<-EOF
		{"mount":"team-a","path":"db","name":"shared","vault":"$KV_A","data":{"v":"a"}}
		{"mount":"team-b","path":"db","name":"shared","vault":"$KV_B","data":{"v":"b"}}
		{"mount":"team-c","path":"x","name":"only-c","vault":"$KV_C","data":{"v":"c"}}
	EOF
	run -0 --separate-stderr kv-put <"$W/in"
	printf '%s\n' "$output" >"$W/map"
	# A line whose vault is no Key Vault's: an error, nothing sent there.
	echo '{"mount":"m","path":"p","name":"evil","vault":"https://evil.example.com","status":"created","id":"https://evil.example.com/secrets/evil/0123456789abcdef0123456789abcdef"}' >>"$W/map"
	run -1 --separate-stderr kv-put --rollback --purge <"$W/map"
	assert_equal "$(jq -r '[.name, .rollback // .error.message] | @tsv' <<<"$output")" "shared	purged
shared	purged
only-c	purged
evil	vault https://evil.example.com is not a Key Vault host (NAME.vault.azure.net, or of another Azure cloud) nor a sibling of the default vault (KEY_VAULT_NAME, or the vault option): nothing is sent there"
	assert_equal "$(names "$KV_A")" ""
	assert_equal "$(names "$KV_B")" pre
	assert_equal "$(names "$KV_C")" ""
	assert_regex "$stderr" '3 deleted, 3 purged, 0 absent, 0 failed'
}

@test "--map pins a name in the vault it went to, not in another" {
	printf '%s\n' "{\"mount\":\"m\",\"path\":\"p\",\"name\":\"pinned\",\"vault\":\"$KV_A\"}" >"$W/map"
	run -0 --separate-stderr kv-name -m "$W/map" <<-EOF
		{"mount":"m","path":"p","vault":"$KV_A"}
		{"mount":"m","path":"p","vault":"$KV_B"}
		{"mount":"m","path":"q","name":"pinned","vault":"$KV_B"}
	EOF
	assert_equal "$(jq -r .name <<<"$output")" "pinned
m-p
pinned"
}

@test "--orphans is per vault: a name the input accounts for in one vault is still an orphan in another" {
	cat >"$W/in" <<-EOF
		{"mount":"team-a","path":"x","name":"n1","vault":"$KV_A","data":{"v":"1"}}
		{"mount":"team-b","path":"x","name":"n1","vault":"$KV_B","data":{"v":"2"}}
		{"mount":"team-b","path":"y","name":"n2","vault":"$KV_B","data":{"v":"3"}}
	EOF
	kv-put <"$W/in" >"$W/map" 2>/dev/null
	run -0 --separate-stderr kv-check --orphans <"$W/map"
	head -n 2 "$W/map" >"$W/part"
	# n1 of kv-b is accounted for, n2 of kv-b is not; kv-a has nothing else.
	run -1 --separate-stderr kv-check --orphans < <(sed -n 1p "$W/map"; sed -n 3p "$W/map")
	assert_equal "$(jq -c 'select(.check == ["orphan"]) | [.name, .vault, .mount, .path]' <<<"$output")" "[\"n1\",\"$KV_B\",\"team-b\",\"x\"]"
}

@test "kv-check reads each record back from its own vault" {
	cat >"$W/in" <<-EOF
		{"mount":"team-a","path":"x","name":"same","vault":"$KV_A","data":{"v":"1"}}
		{"mount":"team-b","path":"x","name":"same","vault":"$KV_B","data":{"v":"2"}}
	EOF
	kv-put <"$W/in" >/dev/null 2>&1
	run -0 --separate-stderr kv-check <"$W/in"
	assert_equal "$(jq -r .check <<<"$output")" "ok
ok"
	# The values swapped between the vaults: both differ.
	run -1 --separate-stderr kv-check <<-EOF
		{"mount":"team-a","path":"x","name":"same","vault":"$KV_B","data":{"v":"1"}}
	EOF
	assert_output --partial '"check":['
}

@test "kv-grant scopes each record's assignment to its own vault" {
	run -0 --separate-stderr kv-grant <<-EOF
		{"principal":"$P1","role":"Key Vault Secrets User","name":"s1","vault":"$KV_B"}
		{"principal":"$P1","role":"Key Vault Secrets User","name":"s1"}
	EOF
	assert_line -n 0 --partial "\"assignment\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/kv-b/secrets/s1/providers/Microsoft.Authorization/roleAssignments/"
	assert_line -n 1 --partial "\"assignment\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/kv-a/secrets/s1/providers/Microsoft.Authorization/roleAssignments/"
}

@test "a record's vault on a host that is no Key Vault's gets nothing: no token, no value" {
	admin "$KV_A/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr kv-put <<-'EOF'
		{"mount":"m","path":"a","name":"a","vault":"https://evil.example","data":{"v":"s3cr3t-Qx"}}
		{"mount":"m","path":"b","name":"b","vault":"http://kv-b.localhost","data":{"v":"s3cr3t-Qx"}}
		{"mount":"m","path":"c","name":"c","vault":42,"data":{"v":"s3cr3t-Qx"}}
		{"mount":"m","path":"d","name":"d","vault":"","data":{"v":"s3cr3t-Qx"}}
	EOF
	assert_equal "$(jq -r .error.message <<<"$output")" "vault https://evil.example is not a Key Vault host (NAME.vault.azure.net, or of another Azure cloud) nor a sibling of the default vault (KEY_VAULT_NAME, or the vault option): nothing is sent there
vault http://kv-b.localhost: a Key Vault URL is https://HOST[:PORT] (tokens are sent only over TLS)
vault is a number, not a string
vault is empty"
	refute_output --partial s3cr3t
	[[ "$stderr" != *s3cr3t* ]]
	assert_equal "$(writes | wc -l)" 0
	# kv-check and kv-grant refuse it the same way.
	run -1 --separate-stderr kv-check <<<'{"mount":"m","path":"a","name":"a","vault":"https://evil.example"}'
	assert_output --partial '"message":"vault https://evil.example is not a Key Vault host'
	run -1 --separate-stderr kv-grant <<<"{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"vault\":\"https://evil.example\"}"
	assert_output --partial '"message":"vault https://evil.example is not a Key Vault host'
}

@test "--vault is the default for records that carry none; a record's own vault wins" {
	run -0 --separate-stderr kv-put --vault "$KV_B" <<-EOF
		{"mount":"m","path":"a","name":"a","vault":"$KV_C","data":{"v":"1"}}
		{"mount":"m","path":"b","name":"b","data":{"v":"2"}}
	EOF
	assert_line -n 0 --partial "\"vault\":\"$KV_C\",\"id\":\"$KV_C/secrets/a/"
	assert_line -n 1 --partial "\"vault\":\"$KV_B\",\"id\":\"$KV_B/secrets/b/"
	assert_equal "$(names "$KV_C")" a
	assert_equal "$(names "$KV_B")" b
	assert_equal "$(names "$KV_A")" ""
	# Another spelling of a vault is the same vault: https, upper case,
	# :443 dropped, a trailing '/'.
	run -0 --separate-stderr kv-put <<-EOF
		{"mount":"m","path":"a","name":"a","vault":"$(tr a-z A-Z <<<"${KV_C/https:/https:}")/","data":{"v":"1"}}
	EOF
	assert_output --partial '"status":"unchanged"'
	assert_output --partial "\"vault\":\"$KV_C\""
}

@test "ten vaults in one run share the subscription's budget, five vaults' worth" {
	local names="" i u d=$BATS_TEST_TMPDIR san=IP:127.0.0.1,DNS:localhost
	for i in 0 1 2 3 4 5 6 7 8 9; do
		names+=${names:+,}kv-s$i
		san+=,DNS:kv-s$i.localhost
	done
	tls_setup "$d/tls10" "$san"
	_start KV10 keyvault.py --tls-cert "$d/tls10/server.pem" \
	    --tls-key "$d/tls10/server.key" --tenant test-tenant \
	    --client-id test-client --client-secret test-secret-Zq8 \
	    --vaults "$names" --window 1
	mapfile -t urls <"$BATS_FILE_TMPDIR/KV10.out"
	# 12 secrets for each vault, interleaved.
	for i in $(seq 0 119); do
		printf '{"mount":"m","path":"p%d","name":"p%d","vault":"%s","data":{"v":"%d"}}\n' \
		    "$i" "$i" "${urls[$((i % 10))]}" "$i"
	done >"$d/in"
	# 4 writes a second each, 40 for ten vaults: the subscription's
	# budget, five times a vault's, holds them to 20 (not 40: under 30,
	# for the jitter of a loaded machine).
	run -0 --separate-stderr env SSL_CERT_FILE="$d/tls10/ca.pem" \
	    CURL_CA_BUNDLE="$d/tls10/ca.pem" KEY_VAULT_NAME="${urls[0]}" \
	    AZURE_AUTHORITY_HOST="${urls[0]}" kv-put --write-rate 40 <"$d/in"
	assert_equal "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $1, $2}')" "120 created"
	run -0 busiest "${urls[0]}" "$d/tls10/ca.pem"
	read -r _ all <<<"$(grep '^all ' <<<"$output")"
	[ "$all" -le 30 ] || fail "more than the subscription's budget in 1 s: $output"
}

@test "kv-grant --vault NAME over kv-put's mapping: the mapping's URL of that vault is the default vault" {
	run -0 --separate-stderr kv-put <<-EOF
		{"mount":"team-a","path":"x","name":"g1","data":{"v":"1"}}
	EOF
	printf '%s\n' "$output" | jq -c --arg p "$P1" '. + {principal: $p, role: "Key Vault Secrets User"}' >"$W/grant.in"
	assert_equal "$(jq -r .vault "$W/grant.in")" "$KV_A"
	run -0 --separate-stderr kv-grant --vault kv-a <"$W/grant.in"
	assert_output --partial "\"assignment\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.KeyVault/vaults/kv-a/secrets/g1/providers/Microsoft.Authorization/roleAssignments/"
}

@test "sdk: the Azure SDK for Python sees the vaults of one listener apart: each keeps its own secrets" {
	VAULT_URLS="$KV_A $KV_B $KV_C" run /usr/bin/python3 \
	    "$TOP/tests/servers/fidelity_keyvault.py" vaults
	[ "$status" -eq 0 ] || echo "$output" | tail -30 >&2
	assert_success
	assert_line --partial "ok vaults: 3 vaults"
}

