#!/usr/bin/env bats
# kv-check against both stand-ins: a clean migration passes; every kind of
# damage done to Key Vault afterwards (through its data plane or its admin
# API) is reported on the right record with exit status 1.
#
# Every secret value of the fixture contains "kcv-": no output of kv-check
# may contain that string.

FIX=$BATS_TEST_DIRNAME/fixtures/kv-check

setup_file() {
	load helpers
	env_reset
	start_vault --seed "$FIX/vault.json"
	start_keyvault
	# 40 more secrets in their own mount, for the concurrency tests.
	"$PY" - >"$BATS_FILE_TMPDIR/bulk.json" <<-'EOF'
		import json
		s = {"s%02d" % i: {"data": {"v": "kcv-bulk-%02d" % i}}
		     for i in range(40)}
		print(json.dumps({"mounts": {"bulk/": 2}, "secrets": {"bulk/": s}}))
	EOF
	admin "$VAULT_URL/_admin/seed" -X POST \
	    --data-binary "@$BATS_FILE_TMPDIR/bulk.json" >/dev/null
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

# migrate [-a] [kv-put flags]: an empty Key Vault, then the pipeline
# into it (-a: vault-dump --all-versions); the mapping is left in $MAP.
migrate() {
	local a=
	if [ "${1:-}" = -a ]; then
		a=-a
		shift
	fi
	kv_reset
	MAP=$BATS_TEST_TMPDIR/map.ndjson
	vault-ls -q secret legacy | vault-dump -q $a | kv-name -q |
	    kv-put -q "$@" >"$MAP"
	[ "$(wc -l <"$MAP")" -ge 5 ]
}

# source [-a]: the records straight from Vault, values included.
source_records() {
	vault-ls -q secret legacy | vault-dump -q "$@" | kv-name -q
}

# differs NAME BODY N CHECK [ARGS...]: after a migration, the secret NAME
# patched with BODY: kv-check ARGS of the source records exits 1, its Nth
# check is CHECK, and the four others are ok.
differs() {
	local name=$1 body=$2 n=$3 want=$4
	shift 4
	migrate
	kvapi PATCH "secrets/$name" "$body" >/dev/null
	run -1 --separate-stderr kv-check "$@" < <(source_records)
	assert_equal "$(checks | sed -n "${n}p")" "$want"
	assert_equal "$(checks | grep -c '"ok"')" 4
}

# kvapi METHOD PATH [BODY]: the Key Vault data plane, as a client would.
kvapi() {
	local tok
	tok=$(curl -sS --cacert "$TLS_DIR/ca.pem" \
	    "$KV_URL/test-tenant/oauth2/v2.0/token" \
	    -d grant_type=client_credentials -d client_id=test-client \
	    -d client_secret=test-secret-Zq8 \
	    --data-urlencode "scope=https://127.0.0.1/.default" |
	    jq -r .access_token)
	curl -sS --cacert "$TLS_DIR/ca.pem" -X "$1" \
	    -H "Authorization: Bearer $tok" -H "Content-Type: application/json" \
	    "$KV_URL/$2?api-version=7.5" ${3:+--data-binary "$3"}
}

# tags NAME: the tags of the current version of a secret.
tags() {
	kvapi GET "secrets/$1/" | jq -c .tags
}

# kvstate_edit JQ: rewrite the Key Vault stand-in's state with a jq filter
# over its "secrets" array (the admin API), e.g. to change history.
kvstate_edit() {
	admin "$KV_URL/_admin/state" | jq -c "{reset: true, secrets: (.secrets | $1)}" |
	    admin "$KV_URL/_admin/seed" -X POST --data-binary @- >/dev/null
}

# summary: stderr with the number of requests (tokens and the challenge
# included, so not the point of a test) made N.
summary() {
	sed -E 's/; [0-9]+ requests?, /; N requests, /' <<<"$stderr"
}

# checks: the name and check of every output line, one per line.
checks() {
	jq -c '[.name, .check]' <<<"$output"
}

@test "a clean migration passes: every record ok, exit 0" {
	migrate
	run -0 --separate-stderr kv-check < <(source_records)
	assert_equal "$(checks)" '["legacy-old-thing","ok"]
["secret-app-api","ok"]
["secret-app-cfg","ok"]
["secret-app-db","ok"]
["secret-app-pem","ok"]'
	assert_equal "$(summary)" "kv-check: 5 records: 5 ok, 0 differ, 0 failed; N requests, 0 retried, 0 throttled"
}

@test "the output keeps every field but data, and holds no value" {
	migrate
	run -0 --separate-stderr kv-check < <(source_records)
	assert_line -n 3 '{"mount":"secret","path":"app/db","kv":2,"version":4,"created_time":"'"$(source_records | jq -r 'select(.path=="app/db").created_time')"'","custom_metadata":{"owner":"team-a"},"name":"secret-app-db","check":"ok"}'
	refute_output --partial '"data"'
	refute_output --partial kcv-
}

@test "kv-put's mapping passes: presence and attributes, no value read" {
	migrate
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	run -0 --separate-stderr kv-check <"$MAP"
	assert_equal "$(checks | sort -u)" "$(jq -c '[.name, "ok"]' "$MAP" | sort -u)"
	# Only lists of versions: not one GET of a value.
	run -0 bash -c "curl -sS --cacert '$TLS_DIR/ca.pem' '$KV_URL/_admin/requests' |
	    jq -r '.requests[] | select(.kind == \"data\") | .path' | sort -u"
	refute_output --regexp '^/secrets/[^/]+/?[0-9a-f]*$'
	assert_output --partial /versions
}

@test "a tampered value is reported on its record only" {
	migrate
	kvapi PUT secrets/secret-app-api "{\"value\":\"kcv-tampered-1\",\"contentType\":\"text/plain\",\"tags\":$(tags secret-app-api),\"attributes\":{\"exp\":$(($(date +%s) + 86400))}}" >/dev/null
	run -1 --separate-stderr kv-check < <(source_records)
	assert_equal "$(checks)" '["legacy-old-thing","ok"]
["secret-app-api",["value differs"]]
["secret-app-cfg","ok"]
["secret-app-db","ok"]
["secret-app-pem","ok"]'
	assert_equal "$(summary)" "kv-check: secret/app/api: value differs
kv-check: 5 records: 4 ok, 1 differ, 0 failed; N requests, 0 retried, 0 throttled"
	refute_output --partial kcv-
}

@test "a missing secret is reported, from data and from the mapping" {
	migrate
	kvapi DELETE secrets/secret-app-cfg >/dev/null
	run -1 --separate-stderr kv-check < <(source_records)
	assert_line -n 2 --partial '"name":"secret-app-cfg","check":["missing"]}'
	assert_equal "$(checks | grep -c '"ok"')" 4
	run -1 --separate-stderr kv-check <"$MAP"
	assert_line -n 2 --partial '"name":"secret-app-cfg","vault":"'"$KV_URL"'","id":'
	assert_line -n 2 --partial '"check":["missing"]}'
	assert_equal "$(checks | grep -c '"ok"')" 4
}

@test "a list of versions that fails costs one request, not a second one to look for a 404" {
	migrate
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	# The record comes once the start-up check has passed, and the vault
	# then refuses (403 ForbiddenByRbac) to list the name's versions.
	mkfifo "$BATS_TEST_TMPDIR/in"
	kv-check -j 1 <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" &
	exec 5>"$BATS_TEST_TMPDIR/in"
	for _ in $(seq 100); do
		admin "$KV_URL/_admin/requests" |
		    jq -e '[.requests[] | select(.path == "/secrets" and .status == 200)] | length > 0' >/dev/null && break
		sleep 0.1
	done
	admin "$KV_URL/_admin/config" -X POST -d '{"deny": "rbac"}' >/dev/null
	jq -c 'select(.name == "secret-app-cfg")' "$MAP" >&5
	exec 5>&-
	wait $! && status=0 || status=$?
	admin "$KV_URL/_admin/config" -X POST -d '{"deny": null}' >/dev/null
	assert_equal "$status" 1
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial '"name":"secret-app-cfg"'
	assert_output --partial '"error":{"tool":"kv-check","status":null,"message":"forbidden by Azure RBAC'
	assert_equal "$(admin "$KV_URL/_admin/requests" | jq -r '.requests[] |
	    select(.kind == "data") | "\(.path) \(.status)"' |
	    grep '^/secrets/secret-app-cfg')" "/secrets/secret-app-cfg/versions 403"
}

@test "a disabled secret is reported as disabled, not as missing" {
	differs secret-app-db '{"attributes":{"enabled":false}}' 4 '["secret-app-db",["disabled"]]'
	assert_equal "$(grep -c '^kv-check: secret/app/db: disabled$' <<<"$stderr")" 1
	run -1 --separate-stderr kv-check <"$MAP"
	assert_equal "$(checks | sed -n 4p)" '["secret-app-db",["disabled"]]'
}

@test "a wrong content type is reported" {
	differs secret-app-cfg '{"contentType":"text/plain"}' 3 '["secret-app-cfg",["content type differs"]]'
}

@test "a missing expiry is reported, unless --expires never" {
	differs secret-app-pem '{"attributes":{"exp":null}}' 5 '["secret-app-pem",["no expiry"]]'
	run -0 --separate-stderr kv-check --expires never < <(source_records)
	assert_equal "$(checks | grep -c '"ok"')" 5
}

@test "a past expiry is reported as expired" {
	differs legacy-old-thing '{"attributes":{"exp":1000000000}}' 1 '["legacy-old-thing",["expired"]]'
}

@test "a vault-path tag of another path is reported, and named with -v" {
	migrate
	kvapi PATCH secrets/secret-app-api "{\"tags\":$(tags secret-app-api | jq -c '.["vault-path"] = "secret/other"')}" >/dev/null
	run -1 --separate-stderr kv-check -v < <(source_records)
	assert_equal "$(checks | sed -n 2p)" '["secret-app-api",["tag differs"]]'
	assert_equal "$(checks | grep -c '"ok"')" 4
	assert_equal "$(grep -c 'secret/app/api: vault-path tag is secret/other' <<<"$stderr")" 1
	kvapi PATCH secrets/secret-app-api '{"tags":{}}' >/dev/null
	run -1 --separate-stderr kv-check <"$MAP"
	assert_equal "$(checks | sed -n 2p)" '["secret-app-api",["tag differs"]]'
}

@test "several problems of one secret are listed together, in a fixed order" {
	migrate
	kvapi PUT secrets/secret-app-cfg '{"value":"kcv-other","contentType":"text/plain","tags":{"vault-path":"x/y"}}' >/dev/null
	run -1 --separate-stderr kv-check < <(source_records)
	assert_equal "$(checks | sed -n 3p)" '["secret-app-cfg",["value differs","content type differs","no expiry","tag differs"]]'
}

@test "a new version written after the migration makes the mapping's version not current" {
	migrate
	kvapi PUT secrets/secret-app-api "{\"value\":\"kcv-api-3b1e\",\"contentType\":\"text/plain\",\"tags\":$(tags secret-app-api),\"attributes\":{\"exp\":$(($(date +%s) + 86400))}}" >/dev/null
	run -1 --separate-stderr kv-check <"$MAP"
	assert_equal "$(checks | sed -n 2p)" '["secret-app-api",["not current"]]'
	assert_equal "$(checks | grep -c '"ok"')" 4
	# The same value: the records with data see no difference.
	run -0 --separate-stderr kv-check < <(source_records)
}

@test "--orphans lists kv-put's secrets that no record accounts for" {
	migrate
	admin "$KV_URL/_admin/seed" -X POST --data-binary @- >/dev/null <<-EOF
		{"secrets": [
		 {"name": "secret-gone", "value": "kcv-gone-77aa",
		  "contentType": "text/plain", "exp": $(($(date +%s) + 86400)),
		  "tags": {"migrated-from": "hashicorp-vault",
		           "vault-path": "secret/gone", "vault-version": "3"}},
		 {"name": "not-ours", "value": "kcv-not-ours", "tags": {}}]}
	EOF
	run -0 --separate-stderr kv-check < <(source_records)
	assert_equal "$(checks | grep -c '"ok"')" 5
	run -1 --separate-stderr kv-check --orphans=mounts < <(source_records)
	assert_equal "${#lines[@]}" 6
	assert_line -n 5 --regexp '^\{"name":"secret-gone","mount":"secret","path":"gone","vault":"https://127\.0\.0\.1:[0-9]+","id":"https://127\.0\.0\.1:[0-9]+/secrets/secret-gone","check":\["orphan"\]\}$'
	assert_equal "$(summary)" "kv-check: secret/gone: orphan
kv-check: 6 records: 5 ok, 1 differ (1 orphan), 0 failed; N requests, 0 retried, 0 throttled"
	# Names compare case-insensitively, as Key Vault's do.
	run -0 --separate-stderr kv-check --orphans=mounts < <(source_records;
	    echo '{"name":"SECRET-GONE"}')
	assert_equal "${#lines[@]}" 6
	assert_equal "$(checks | tail -n 1)" '["SECRET-GONE","ok"]'
}

@test "--orphans counts secrets of this Vault and of an unnamed one, not of another Vault" {
	migrate
	# kv-put named this Vault (VAULT_ADDR) in every tag it wrote.
	run -0 admin "$KV_URL/_admin/state"
	assert_output --partial "\"migrated-from\":\"$(tr A-Z a-z <<<"$VAULT_ADDR")\""
	admin "$KV_URL/_admin/seed" -X POST --data-binary @- >/dev/null <<-EOF
		{"secrets": [
		 {"name": "from-here", "value": "kcv-h", "tags": {"migrated-from":
		  "$(tr a-z A-Z <<<"$VAULT_ADDR")", "vault-path": "secret/here"}},
		 {"name": "from-unknown", "value": "kcv-u", "tags": {"migrated-from":
		  "hashicorp-vault", "vault-path": "secret/unknown"}},
		 {"name": "from-elsewhere", "value": "kcv-e", "tags": {"migrated-from":
		  "https://other-vault.example:8200", "vault-path": "secret/x"}}]}
	EOF
	run -1 --separate-stderr kv-check --orphans=all < <(source_records)
	assert_equal "$(jq -c 'select(.check == ["orphan"]) | .name' <<<"$output")" '"from-here"
"from-unknown"'
}

@test "--orphans=all with part of the mapping names every other migrated secret" {
	migrate
	run -1 --separate-stderr kv-check --orphans=all < <(grep '"app/api"' "$MAP")
	assert_equal "$(checks)" '["secret-app-api","ok"]
["legacy-old-thing",["orphan"]]
["secret-app-cfg",["orphan"]]
["secret-app-db",["orphan"]]
["secret-app-pem",["orphan"]]'
}

@test "a history migration passes as a whole, data and mapping" {
	migrate -a
	run -0 --separate-stderr kv-check < <(source_records -a)
	assert_equal "$(jq -c '[.name, .version, .check]' <<<"$output")" '["legacy-old-thing",null,"ok"]
["secret-app-api",1,"ok"]
["secret-app-cfg",1,"ok"]
["secret-app-db",1,"ok"]
["secret-app-db",2,"ok"]
["secret-app-db",3,"ok"]
["secret-app-db",4,"ok"]
["secret-app-pem",1,"ok"]'
	# Version 3 repeats version 2: kv-put wrote no version for it.
	assert_equal "$(admin "$KV_URL/_admin/state" |
	    jq '.secrets[] | select(.name == "secret-app-db") | .versions | length')" 3
	run -0 --separate-stderr kv-check <"$MAP"
	assert_equal "$(checks | grep -c '"ok"')" 8
	# The latest versions alone are fine against a history too.
	run -0 --separate-stderr kv-check < <(source_records)
}

@test "a version missing from the history is reported on its records" {
	migrate -a
	kvstate_edit 'map(if .name == "secret-app-db" then .versions |= map(select(.tags["vault-version"] != "2")) else . end)'
	run -1 --separate-stderr kv-check < <(source_records -a)
	assert_equal "$(jq -c 'select(.name == "secret-app-db") | [.version, .check]' <<<"$output")" '[1,"ok"]
[2,["missing"]]
[3,["missing"]]
[4,"ok"]'
	run -1 --separate-stderr kv-check <"$MAP"
	assert_equal "$(jq -c 'select(.name == "secret-app-db") | [.version, .check]' <<<"$output")" '[1,"ok"]
[2,["missing"]]
[3,["missing"]]
[4,"ok"]'
}

@test "a history out of order, and a changed old value, are reported" {
	migrate -a
	# Version 1 now looks created last; version 2 holds another value.
	kvstate_edit "map(if .name == \"secret-app-db\" then .versions |= map(
	    if .tags[\"vault-version\"] == \"1\" then .attributes.created += 100
	    elif .tags[\"vault-version\"] == \"2\" then .value = \"kcv-changed\" else . end) else . end)"
	run -1 --separate-stderr kv-check < <(source_records -a)
	assert_equal "$(jq -c 'select(.name == "secret-app-db") | [.version, .check]' <<<"$output")" '[1,"ok"]
[2,["value differs","out of order"]]
[3,["value differs"]]
[4,["not current"]]'
	refute_output --partial kcv-
	refute_output --partial kcv- <<<"$stderr"
}

@test "a version written over the history makes its last record not current" {
	migrate -a
	kvapi PUT secrets/secret-app-db '{"value":"kcv-new","contentType":"text/plain"}' >/dev/null
	run -1 --separate-stderr kv-check < <(source_records -a)
	assert_equal "$(jq -c 'select(.name == "secret-app-db") | [.version, .check]' <<<"$output")" '[1,"ok"]
[2,"ok"]
[3,"ok"]
[4,["not current"]]'
	run -1 --separate-stderr kv-check <"$MAP"
	assert_equal "$(jq -c 'select(.name == "secret-app-db") | .check' <<<"$output" | tail -n 1)" '["not current"]'
}

@test "--json compares with the JSON shape kv-put --json wrote" {
	migrate --json
	run -1 --separate-stderr kv-check < <(source_records)
	assert_equal "$(checks | sed -n 2p)" '["secret-app-api",["value differs","content type differs"]]'
	run -0 --separate-stderr kv-check --json < <(source_records)
	assert_equal "$(checks | grep -c '"ok"')" 5
}

@test "records that failed before pass through without data, counted failed" {
	migrate
	run -1 --separate-stderr kv-check <<-'EOF'
		{"mount":"secret","path":"x","name":"secret-x","data":{"k":"kcv-failed"},"error":{"tool":"kv-put","status":403,"message":"forbidden"}}
		{"name":"secret-app-api","data":{"token":"kcv-api-3b1e"}}
		{"name":"secret-app-api","data":{"token":"kcv-api-3b1e"},"error":{"tool":"kv-name","status":null,"message":"taken"}}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"x","name":"secret-x","error":{"tool":"kv-put","status":403,"message":"forbidden"}}
{"name":"secret-app-api","check":"ok"}
{"name":"secret-app-api","error":{"tool":"kv-name","status":null,"message":"taken"}}'
	assert_equal "$(summary)" "kv-check: 3 records: 1 ok, 0 differ, 0 failed here, 2 failed upstream; N requests, 0 retried, 0 throttled"
}

@test "bad records are marked failed and the run goes on" {
	migrate
	run -1 --separate-stderr kv-check <<-'EOF'
		{"mount":"secret","path":"app/api","data":{"token":"kcv-api-3b1e"}}
		{"name":"secret_app","data":{"token":"kcv-x"}}
		{"name":"secret-app-api","data":"kcv-not-an-object"}
		not json kcv-in-a-bad-line
		{"name":"secret-app-api","data":{"token":"kcv-api-3b1e"}}
	EOF
	assert_equal "$(jq -c '[.name, .check, .error.message]' <<<"$output")" '[null,null,"no name: pipe the records through kv-name first"]
["secret_app",null,"not a Key Vault secret name: map names with kv-name"]
["secret-app-api",null,"data is not an object"]
[null,null,"line 4: invalid JSON: Invalid numeric literal at line 1, column 4"]
["secret-app-api",null,"records of secret-app-api are not together in the input: kv-check compares the versions of a name only when they come one after the other"]'
	refute_output --partial kcv-
	assert_equal "$(summary)" "kv-check: secret/app/api: no name: pipe the records through kv-name first
kv-check: secret_app: not a Key Vault secret name: map names with kv-name
kv-check: secret-app-api: data is not an object
kv-check: line 4: invalid JSON: Invalid numeric literal at line 1, column 4
kv-check: secret-app-api: records of secret-app-api are not together in the input: kv-check compares the versions of a name only when they come one after the other
kv-check: 5 records: 0 ok, 0 differ, 5 failed; N requests, 0 retried, 0 throttled"
}

@test "one name given to two paths is a failure of the second" {
	migrate
	run -1 --separate-stderr kv-check <<-'EOF'
		{"mount":"secret","path":"app/api","name":"secret-app-api","version":1}
		{"mount":"secret","path":"app/other","name":"secret-app-api","version":2}
	EOF
	assert_line -n 0 --partial '"check":"ok"'
	assert_line -n 1 --partial '"message":"secret-app-api is also the name of secret/app/api: give each path its own name with kv-name"'
}

@test "output order is input order whatever -j" {
	kv_reset
	vault-ls -q bulk | vault-dump -q | kv-name -q | kv-put -q >/dev/null
	kvapi DELETE secrets/bulk-s07 >/dev/null
	run -1 --separate-stderr kv-check -j 1 < <(vault-ls -q bulk | vault-dump -q | kv-name -q)
	local one=$output
	assert_equal "${#lines[@]}" 40
	assert_equal "$(checks | grep -v '"ok"')" '["bulk-s07",["missing"]]'
	run -1 --separate-stderr kv-check -j 32 < <(vault-ls -q bulk | vault-dump -q | kv-name -q)
	assert_equal "$output" "$one"
	assert_equal "$(jq -r .path <<<"$output" | tr '\n' ' ')" "$(seq -f 's%02g' 0 39 | tr '\n' ' ')"
}

@test "reads are paced within --rate, so a small budget throttles nothing" {
	migrate
	admin "$KV_URL/_admin/config" -X POST -d '{"all_limit": 3, "window": 1}' >/dev/null
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	run -0 --separate-stderr kv-check -j 8 --rate 20 < <(source_records)
	admin "$KV_URL/_admin/config" -X POST -d '{"all_limit": 4000, "window": 10}' >/dev/null
	assert_equal "$(checks | grep -c '"ok"')" 5
	assert_equal "$(admin "$KV_URL/_admin/requests" |
	    jq '[.requests[] | select(.status == 429)] | length')" 0
	assert_regex "$stderr" ' 0 throttled$'
}

@test "without pacing the same budget throttles, and retries still pass" {
	migrate
	admin "$KV_URL/_admin/config" -X POST -d '{"all_limit": 3, "window": 1}' >/dev/null
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	run -0 --separate-stderr kv-check -j 8 < <(source_records)
	admin "$KV_URL/_admin/config" -X POST -d '{"all_limit": 4000, "window": 10}' >/dev/null
	assert_equal "$(checks | grep -c '"ok"')" 5
	[ "$(admin "$KV_URL/_admin/requests" |
	    jq '[.requests[] | select(.status == 429)] | length')" -gt 0 ]
}

@test "no secret value in stdout or stderr, even with -vv and problems" {
	migrate -a
	kvapi PUT secrets/secret-app-api '{"value":"kcv-tampered-2","contentType":"text/plain"}' >/dev/null
	kvapi PATCH secrets/secret-app-cfg '{"attributes":{"enabled":false}}' >/dev/null
	for input in "-a" ""; do
		run -1 --separate-stderr kv-check -vv --orphans < <(source_records $input)
		[ -n "$output" ] && [ -n "$stderr" ]
		# The values of the fixture, and the ones written here.
		for v in $(admin "$KV_URL/_admin/state" | jq -r '.secrets[].versions[].value' |
		    tr -c 'a-zA-Z0-9-\n' '\n' | grep kcv-) $(source_records -a |
		    jq -r '.data[]' | tr -c 'a-zA-Z0-9-\n' '\n' | grep kcv-); do
			refute_output --partial "$v"
			[[ "$stderr" != *"$v"* ]]
		done
		refute_output --partial kcv-
		[[ "$stderr" != *kcv-* ]]
		[[ "$stderr" != *test-secret-Zq8* ]]
	done
	run -1 --separate-stderr kv-check -vv <"$MAP"
	refute_output --partial kcv-
	[[ "$stderr" != *kcv-* ]]
}

@test "usage errors exit 2 with the synopsis" {
	local synopsis='usage: kv-check [-hnqv] [-j jobs] [--expires days|never] [--json]
                [--orphans[=input|mounts|all]] [--rate n] [--report file]
                [--vault name|url]'
	run -2 --separate-stderr kv-check -x
	assert_equal "$output" ""
	assert_equal "$stderr" "kv-check: invalid option -- 'x'
$synopsis"
	run -0 --separate-stderr kv-check -h
	assert_equal "$stderr" ""
	assert_line -n 0 "${synopsis%%$'\n'*}"
	run -2 --separate-stderr kv-check stray-operand
	assert_equal "$stderr" "$synopsis"
	run -2 --separate-stderr kv-check -j 0
	assert_equal "$stderr" "kv-check: -j: 0 is out of range 1 to 64
kv-check: try 'kv-check -h' for usage"
	run -2 --separate-stderr kv-check --expires soon
	assert_equal "$stderr" "kv-check: --expires: not a number: soon
kv-check: try 'kv-check -h' for usage"
	run -2 --separate-stderr kv-check --rate 0
	run -0 --separate-stderr kv-check --version
	assert_line -n 0 --regexp '^kv-check \(vault2kv\) [0-9.]+( \(commit [0-9a-f]+(-dirty)?\))?$'
}

@test "no vault fails the record; credentials that get no token are fatal: exit 2, nothing read" {
	run -1 --separate-stderr env -u KEY_VAULT_NAME kv-check <<<'{"mount":"secret","path":"app/api","name":"secret-app-api"}'
	assert_output '{"mount":"secret","path":"app/api","name":"secret-app-api","error":{"tool":"kv-check","status":null,"message":"no vault: the record has no vault field, and no default vault is given (KEY_VAULT_NAME, or the vault option)"}}'
	assert_equal "$(head -n 1 <<<"$stderr")" "kv-check: secret/app/api: no vault: the record has no vault field, and no default vault is given (KEY_VAULT_NAME, or the vault option)"
	run -2 --separate-stderr env AZURE_CLIENT_SECRET=wrong kv-check <<<'{"name":"secret-app-api"}'
	assert_equal "$output" ""
	assert_regex "$stderr" '^kv-check: https://127\.0\.0\.1:[0-9]+: no Azure credential could get a token'
	[[ "$stderr" != *wrong* ]]
	run -2 --separate-stderr kv-check --vault http://127.0.0.1:1 </dev/null
	assert_output ""
}

@test "a vault that refuses the identity: the cure is kv-check's (a reader's role, no write options)" {
	local d
	for d in rbac access-policy; do
		kv_denied "$d" kv-check '{"name":"secret-app-api"}'
		case $d in
		rbac) assert_regex "$stderr" "forbidden by Azure RBAC: the identity lacks the Key Vault Secrets User role on the vault" ;;
		access-policy) assert_regex "$stderr" "forbidden by the vault's access policy: give the identity secret permissions get and list, or move" ;;
		esac
		[[ $stderr != *Officer* && $stderr != *write-rate* && $stderr != *" set and recover"* ]]
	done
	admin "$KV_URL/_admin/config" -d '{"deny":null}' >/dev/null
}

@test "an empty input checks nothing and exits 0" {
	run -0 --separate-stderr kv-check </dev/null
	assert_equal "$output" ""
	assert_equal "$(summary)" "kv-check: 0 records: 0 ok, 0 differ, 0 failed; N requests, 0 retried, 0 throttled"
}

@test "values are compared byte for byte: a difference after a NUL byte is reported" {
	kv_reset
	kvapi PUT secrets/nul-a '{"value":"kcv-a\u0000X","contentType":"text/plain","tags":{"vault-path":"secret/nul/a"}}' >/dev/null
	kvapi PUT secrets/nul-b '{"value":"kcv-b","contentType":"text/plain","tags":{"vault-path":"secret/nul/b"}}' >/dev/null
	kvapi PUT secrets/nul-c '{"value":"kcv-c\u0000\u0001Z","contentType":"text/plain","tags":{"vault-path":"secret/nul/c"}}' >/dev/null
	run -1 --separate-stderr kv-check --expires never <<-'EOF'
		{"mount":"secret","path":"nul/a","name":"nul-a","data":{"k":"kcv-a\u0000Y"}}
		{"mount":"secret","path":"nul/b","name":"nul-b","data":{"k":"kcv-b\u0000tail"}}
		{"mount":"secret","path":"nul/c","name":"nul-c","data":{"k":"kcv-c\u0000\u0001Z"}}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"nul/a","name":"nul-a","check":["value differs"]}
{"mount":"secret","path":"nul/b","name":"nul-b","check":["value differs"]}
{"mount":"secret","path":"nul/c","name":"nul-c","check":"ok"}'
	[[ $stderr != *kcv-* ]]
}
