#!/usr/bin/env bats
# vault-dump against the Vault stand-in: KV v1 and v2, deleted and
# destroyed versions, history, limited tokens, namespaces, odd values,
# malformed input, 2,000 secrets at -j 1 and -j 16.

FIX=$BATS_TEST_DIRNAME/fixtures/vault
WEIRD='wéird path/with "quotes" & spaces?'

setup_file() {
	load helpers
	env_reset
	start_vault --seed "$FIX/tree.json"
	"$PY" - >"$BATS_FILE_TMPDIR/bulk.json" <<-'EOF'
		import json
		v2 = {"f%02d/g%d/s%04d" % (i % 20, i % 7, i):
		      {"data": {"n": str(i), "v": "value %d\n\"q\" é" % i}}
		      for i in range(2000)}
		print(json.dumps({"mounts": {"bulk/": 2}, "secrets": {"bulk/": v2}}))
	EOF
	admin "$VAULT_URL/_admin/seed" -X POST \
	    --data-binary "@$BATS_FILE_TMPDIR/bulk.json" >/dev/null
	# A secrets engine that mints credentials when read.
	admin "$VAULT_URL/_admin/seed" -X POST \
	    -d '{"mounts":{"database/":{"type":"database"}}}' >/dev/null
	TEAM1_TOKEN=$(team1_token)
	export TEAM1_TOKEN
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

# The fixture's data for a path of the secret/ mount.
fixture_data() {
	jq -cS --arg p "$1" '.secrets["secret/"][$p] |
	    if .versions then .versions[-1].data else .data end' "$FIX/tree.json"
}

@test "adds data and version metadata to the records of both KV versions" {
	vault-ls -q secret legacy app-secrets >"$BATS_TEST_TMPDIR/ls"
	run -1 --separate-stderr vault-dump -j 1 <"$BATS_TEST_TMPDIR/ls"
	assert_equal "$(jq -c 'del(.created_time)' <<<"$output")" \
	    "$(cat "$FIX/dump-tree.ndjson")"
	assert_equal "$stderr" "vault-dump: secret/gone/deleted-latest: current version 2 is deleted
vault-dump: secret/gone/destroyed-latest: current version 2 is destroyed
vault-dump: 19 records, 17 secrets exported, 2 failed"
}

@test "created_time is the time of the version read" {
	run -0 vault-dump -q secret/app/db secret/hist/multi
	assert_equal "$(jq -r '"\(.path) \(.version) \(.created_time)"' <<<"$output")" \
	    "app/db 2 2024-02-01T00:00:00.5Z
hist/multi 4 2024-04-01T00:00:00Z"
}

@test "takes secret paths as operands and asks each mount's version once" {
	created=$(vault-dump -q secret/app | jq -r .created_time)
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -0 --separate-stderr vault-dump -j 1 secret/app/db legacy/old/thing \
	    secret/app legacy/top
	assert_output '{"mount":"secret","path":"app/db","kv":2,"data":{"password":"pw-2","user":"app"},"version":2,"created_time":"2024-02-01T00:00:00.5Z","custom_metadata":{"owner":"team-a"}}
{"mount":"legacy","path":"old/thing","kv":1,"data":{"k":"v","ttl":"1h"}}
{"mount":"secret","path":"app","kv":2,"data":{"role":"parent"},"version":1,"created_time":"'"$created"'","custom_metadata":null}
{"mount":"legacy","path":"top","kv":1,"data":{"k":"v1-top"}}'
	assert_equal "$stderr" "vault-dump: 4 records, 4 secrets exported, 0 failed"
	run -0 admin "$VAULT_URL/_admin/requests"
	# The token check comes first; a mount lookup of the main thread and
	# a read of the worker may cross, so the rest is compared as a set.
	reqs=$(jq -r '.requests[] | "\(.method) \(.path)"' <<<"$output")
	assert_equal "$(head -n 1 <<<"$reqs")" "GET /v1/auth/token/lookup-self"
	assert_equal "$(tail -n +2 <<<"$reqs" | sort)" \
	    "GET /v1/legacy/old/thing
GET /v1/legacy/top
GET /v1/secret/data/app
GET /v1/secret/data/app/db
GET /v1/sys/internal/ui/mounts/legacy/old/thing
GET /v1/sys/internal/ui/mounts/secret/app/db"
}

@test "a record without kv gets its mount's version" {
	run -0 vault-dump -q <<<'{"mount":"legacy","path":"top","note":"mine"}'
	assert_output '{"mount":"legacy","path":"top","note":"mine","kv":1,"data":{"k":"v1-top"}}'
}

@test "a deleted or destroyed current version is an error record saying which" {
	run -1 --separate-stderr vault-dump -j 1 secret/gone/deleted-latest \
	    secret/gone/destroyed-latest
	assert_output '{"mount":"secret","path":"gone/deleted-latest","kv":2,"version":2,"error":{"tool":"vault-dump","status":404,"message":"current version 2 is deleted"}}
{"mount":"secret","path":"gone/destroyed-latest","kv":2,"version":2,"error":{"tool":"vault-dump","status":404,"message":"current version 2 is destroyed"}}'
	assert_equal "$stderr" "vault-dump: secret/gone/deleted-latest: current version 2 is deleted
vault-dump: secret/gone/destroyed-latest: current version 2 is destroyed
vault-dump: 2 records, 0 secrets exported, 2 failed"
}

@test "--all-versions emits the live versions oldest first and reports the others" {
	run -0 --separate-stderr vault-dump --all-versions secret/hist/multi \
	    secret/app/db legacy/top
	assert_equal "$(jq -c '[.path, .version, .data, .created_time]' <<<"$output")" \
	    '["hist/multi",1,{"v":"1"},"2024-01-01T00:00:00Z"]
["hist/multi",4,{"v":"4"},"2024-04-01T00:00:00Z"]
["app/db",1,{"password":"pw-1","user":"app"},"2024-01-01T00:00:00Z"]
["app/db",2,{"password":"pw-2","user":"app"},"2024-02-01T00:00:00.5Z"]
["top",null,{"k":"v1-top"},null]'
	assert_line -n 3 --partial '"custom_metadata":{"owner":"team-a"}'
	assert_equal "$stderr" "vault-dump: secret/hist/multi: version 2 is deleted: not exported
vault-dump: secret/hist/multi: version 3 is destroyed: not exported
vault-dump: 5 records, 5 versions exported, 1 deleted and 1 destroyed not exported, 0 failed"
}

@test "--all-versions ends with an error record when the current version is gone" {
	run -1 --separate-stderr vault-dump -a -j 1 secret/gone/deleted-latest \
	    secret/gone/destroyed-latest
	assert_equal "$(jq -c '[.path, .version, .data, .error.message]' <<<"$output")" \
	    '["gone/deleted-latest",1,{"v":"one"},null]
["gone/deleted-latest",2,null,"current version 2 is deleted"]
["gone/destroyed-latest",1,{"v":"one"},null]
["gone/destroyed-latest",2,null,"current version 2 is destroyed"]'
	assert_equal "$stderr" "vault-dump: secret/gone/deleted-latest: current version 2 is deleted
vault-dump: secret/gone/destroyed-latest: current version 2 is destroyed
vault-dump: 4 records, 2 versions exported, 1 deleted and 1 destroyed not exported, 2 failed"
}

@test "never writes to Vault: only GET and LIST reach the stand-in" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -1 bash -c 'vault-ls -q | vault-dump -q -a >/dev/null'
	run -1 bash -c 'vault-ls -q | vault-dump -q >/dev/null'
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq -r '[.requests[].method] | unique | join(" ")' <<<"$output")" \
	    "GET LIST"
	assert [ "$(jq '[.requests[] | select(.method == "GET")] | length' <<<"$output")" -gt 4000 ]
	# The deleted and destroyed versions are still there, untouched.
	run -0 admin "$VAULT_URL/_admin/state"
	assert_equal "$(jq -c '.secrets["secret/"]["hist/multi"].versions |
	    map([.version, .destroyed, (.deletion_time != "")])' <<<"$output")" \
	    '[[1,false,false],[2,false,true],[3,true,false],[4,false,false]]'
}

@test "injected 500s, 503s and dropped connections are retried: same output" {
	admin "$VAULT_URL/_admin/config" -X POST \
	    -d '{"fail_rate":0.15,"fail_kinds":["500","503","drop"],"fail_seed":11}' >/dev/null
	run -1 --separate-stderr bash -c \
	    'vault-ls -q secret legacy app-secrets | vault-dump -q -j 4'
	admin "$VAULT_URL/_admin/config" -X POST -d '{"fail_rate":0}' >/dev/null
	assert_equal "$stderr" ""
	assert_equal "$(jq -c 'del(.created_time)' <<<"$output")" \
	    "$(cat "$FIX/dump-tree.ndjson")"
	run -0 admin "$VAULT_URL/_admin/requests"
	assert [ "$(jq '[.requests[] | select(.fault != null)] | length' <<<"$output")" -gt 0 ]
}

@test "a secret the token may not read is an error record: permission denied" {
	VAULT_TOKEN=$TEAM1_TOKEN run -1 --separate-stderr vault-dump -j 1 <<-'EOF'
		{"mount":"secret","path":"team1/other","kv":2}
		{"mount":"secret","path":"team2/svc/key","kv":2}
		{"mount":"secret","path":"app","kv":2}
	EOF
	assert_output '{"mount":"secret","path":"team1/other","kv":2,"data":{"k":"t1o"},"version":1,"created_time":"'"$(jq -r .created_time <<<"${lines[0]}")"'","custom_metadata":null}
{"mount":"secret","path":"team2/svc/key","kv":2,"error":{"tool":"vault-dump","status":403,"message":"permission denied"}}
{"mount":"secret","path":"app","kv":2,"error":{"tool":"vault-dump","status":403,"message":"permission denied"}}'
	assert_equal "$stderr" "vault-dump: secret/team2/svc/key: permission denied
vault-dump: secret/app: permission denied
vault-dump: 3 records, 1 secret exported, 2 failed"
}

@test "a secret deleted between listing and reading is an error record" {
	curl -sfS -X POST -H "X-Vault-Token: root" "$VAULT_URL/v1/secret/data/tmp/x" \
	    -d '{"data":{"a":"b"}}' >/dev/null
	curl -sfS -X POST -H "X-Vault-Token: root" "$VAULT_URL/v1/legacy/tmp/y" \
	    -d '{"a":"b"}' >/dev/null
	vault-ls -q secret/tmp legacy/tmp >"$BATS_TEST_TMPDIR/ls"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/ls")" 2
	curl -sfS -X DELETE -H "X-Vault-Token: root" "$VAULT_URL/v1/secret/metadata/tmp/x"
	curl -sfS -X DELETE -H "X-Vault-Token: root" "$VAULT_URL/v1/legacy/tmp/y"
	run -1 --separate-stderr vault-dump -j 1 <"$BATS_TEST_TMPDIR/ls"
	assert_output '{"mount":"legacy","path":"tmp/y","kv":1,"error":{"tool":"vault-dump","status":404,"message":"not found (deleted since listing?)"}}
{"mount":"secret","path":"tmp/x","kv":2,"error":{"tool":"vault-dump","status":404,"message":"not found (deleted since listing?)"}}'
	assert_equal "$stderr" "vault-dump: legacy/tmp/y: not found (deleted since listing?)
vault-dump: secret/tmp/x: not found (deleted since listing?)
vault-dump: 2 records, 0 secrets exported, 2 failed"
	run -1 --separate-stderr vault-dump -a <"$BATS_TEST_TMPDIR/ls"
	assert_line -n 1 '{"mount":"secret","path":"tmp/x","kv":2,"error":{"tool":"vault-dump","status":404,"message":"not found (deleted since listing?)"}}'
}

@test "keys and values with unicode, newlines and quotes round-trip exactly" {
	run -0 vault-dump -q "secret/$WEIRD"
	assert_equal "$(jq -r .path <<<"$output")" "$WEIRD"
	assert_equal "$(jq -cS .data <<<"$output")" "$(fixture_data "$WEIRD")"
	assert_equal "$(jq -r '.data["multi\nline key"]' <<<"$output" | od -c)" \
	    "$(printf 'line1\nline2\r\n\ttabbed "quoted" \\ back\n' | od -c)"
	# The same through vault-ls, and for a record read from stdin.
	run -0 bash -c "vault-ls -q 'secret/wéird path' | vault-dump -q"
	assert_equal "$(jq -cS .data <<<"$output")" "$(fixture_data "$WEIRD")"
}

@test "empty data stays an empty object" {
	run -0 vault-dump -q secret/empty
	assert_equal "$(jq -c '[.data, .version]' <<<"$output")" '[{},1]'
}

@test "malformed input lines become error records and the run goes on" {
	printf '%s\n' 'not json' '[1,2]' '{"mount":"legacy","path":"top","kv":1}' \
	    '' '{"mount":"secret"}' '{"mount":"legacy","path":"top","kv":3}' \
	    $'\xff\xfe' '{"mount":"secret","path":"empty","kv":2' \
	    >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr vault-dump -j 1 <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 7
	assert_equal "$(jq -c '[.line, .error.message]' <<<"${lines[0]}")" \
	    '[1,"line 1: invalid JSON: Invalid numeric literal at line 1, column 4"]'
	assert_equal "${lines[1]}" '{"line":2,"error":{"tool":"vault-dump","status":null,"message":"line 2: not a JSON object"}}'
	assert_equal "${lines[2]}" '{"mount":"legacy","path":"top","kv":1,"data":{"k":"v1-top"}}'
	assert_equal "${lines[3]}" '{"mount":"secret","error":{"tool":"vault-dump","status":null,"message":"path is missing"}}'
	assert_equal "${lines[4]}" '{"mount":"legacy","path":"top","kv":3,"error":{"tool":"vault-dump","status":null,"message":"kv is 3, not 1 or 2"}}'
	assert_equal "${lines[5]}" '{"line":7,"error":{"tool":"vault-dump","status":null,"message":"line 7: invalid UTF-8"}}'
	assert_equal "$(jq -r .line <<<"${lines[6]}")" 8
	assert_equal "${stderr_lines[-1]}" "vault-dump: 7 records, 1 secret exported, 6 failed"
	refute_output --partial 'pw-'
}

@test "records that carry an error pass through unchanged" {
	in='{"mount":"secret","path":"team2","kv":2,"folder":true,"error":{"tool":"vault-ls","status":403,"message":"permission denied"}}'
	run -1 --separate-stderr vault-dump <<<"$in"
	assert_output "$in"
	assert_equal "$stderr" "vault-dump: 1 record, 0 secrets exported, 0 failed here, 1 failed upstream"
}

@test "-j 1 and -j 16 give the same 2,000 records in input order" {
	vault-ls -q bulk | tac >"$BATS_TEST_TMPDIR/ls"
	run -0 vault-dump -q -j 1 <"$BATS_TEST_TMPDIR/ls"
	one=$output
	assert_equal "${#lines[@]}" 2000
	run -0 vault-dump -q -j 16 <"$BATS_TEST_TMPDIR/ls"
	assert_equal "$output" "$one"
	assert_equal "$(jq -r .path <<<"$output")" "$(jq -r .path "$BATS_TEST_TMPDIR/ls")"
	assert_equal "$(jq -r 'select(.data.v != "value \(.data.n)\n\"q\" é") | .path' <<<"$output")" ""
}

@test "no value or token appears on stderr, even with -vv" {
	VAULT_TOKEN=$TEAM1_TOKEN run -1 --separate-stderr bash -c \
	    "vault-ls -q | vault-dump -vv -a"
	assert_line --partial '"data":{"k":"t1"}'
	refute_regex "$stderr" "$TEAM1_TOKEN|t1o|pw-|значение|api-tok"
	run -1 --separate-stderr bash -c "vault-ls -q | vault-dump -vv -a"
	refute_regex "$stderr" "pw-1|pw-2|значение|api-tok|v1-top|as-t1|in-namespace"
}

@test "VAULT_NAMESPACE reads the namespace for operands and records without one" {
	VAULT_NAMESPACE=team-a run -0 vault-dump -q kv/ns/secret
	assert_equal "$(jq -c '[.mount, .path, .namespace, .data]' <<<"$output")" \
	    '["kv","ns/secret","team-a",{"k":"in-namespace"}]'
	VAULT_NAMESPACE=team-a/ run -0 bash -c 'vault-ls -q | vault-dump -q'
	assert_equal "$(jq -c .data <<<"$output")" '{"k":"in-namespace"}'
	VAULT_NAMESPACE=team-a run -0 vault-dump -q <<<'{"mount":"kv","path":"ns/secret","kv":2}'
	assert_equal "$(jq -c .data <<<"$output")" '{"k":"in-namespace"}'
}

@test "each record is read in its own namespace, one mount look-up a namespace and mount" {
	admin "$VAULT_URL/_admin/seed" -X POST -d '{"namespaces":{"team-b":{"mounts":{"kv/":2},"secrets":{"kv/":{"ns/secret":{"data":{"k":"in-team-b"}}}}},"team-b/deep":{"mounts":{"kv/":1},"secrets":{"kv/":{"ns/secret":{"data":{"k":"in-deep"}}}}}}}' >/dev/null
	local in='{"mount":"kv","path":"ns/secret","namespace":"team-a"}
{"mount":"kv","path":"ns/secret","namespace":"team-b"}
{"mount":"kv","path":"ns/secret","namespace":"team-b/deep"}
{"mount":"secret","path":"app/db","namespace":""}
{"mount":"kv","path":"ns/secret","kv":2,"namespace":"team-a"}
{"mount":"kv","path":"ns/secret","namespace":"team-b"}'
	for ns in "" team-a team-b/deep; do
		admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
		VAULT_NAMESPACE=$ns run -0 --separate-stderr vault-dump -j 1 <<<"$in"
		assert_equal "$(jq -c '[.namespace, .mount, .kv, .data]' <<<"$output")" \
		    '["team-a","kv",2,{"k":"in-namespace"}]
["team-b","kv",2,{"k":"in-team-b"}]
["team-b/deep","kv",1,{"k":"in-deep"}]
["","secret",2,{"password":"pw-2","user":"app"}]
["team-a","kv",2,{"k":"in-namespace"}]
["team-b","kv",2,{"k":"in-team-b"}]'
		assert_equal "$(admin "$VAULT_URL/_admin/requests" | jq -r '.requests[] |
		    select(.path | test("ui/mounts")) | "\(.namespace) \(.path)"' |
		    sort)" ' /v1/sys/internal/ui/mounts/secret
team-a/ /v1/sys/internal/ui/mounts/kv
team-b/ /v1/sys/internal/ui/mounts/kv
team-b/deep/ /v1/sys/internal/ui/mounts/kv'
	done
}

@test "a namespace that is no path, or holds a control character, fails its record" {
	run -1 --separate-stderr vault-dump <<-'EOF'
		{"mount":"kv","path":"ns/secret","namespace":"team-a/../x"}
		{"mount":"kv","path":"ns/secret","namespace":"/team-a"}
		{"mount":"kv","path":"ns/secret","namespace":"team-a\r\nX-Evil: 1"}
		{"mount":"kv","path":"ns/secret","namespace":"nope"}
	EOF
	assert_equal "$(jq -r .error.message <<<"$output")" "namespace has a .. segment
namespace starts with /
namespace holds a control character
cannot check that kv is a KV mount: Vault answered 404 for sys/internal/ui/mounts (a server older than 0.10 has no such endpoint)"
}

# requests: the stand-in's log since it was last cleared, "METHOD path"
# sorted (a mount lookup and a worker's read may cross).
requests() {
	admin "$VAULT_URL/_admin/requests" |
	    jq -r '.requests[] | "\(.method) \(.path)"' | sort
}

@test "a record naming a mount of another engine fails, and nothing below it is requested" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr vault-dump -j 4 <<-'EOF'
		{"mount":"auth/token","path":"lookup-self","kv":1}
		{"mount":"secret","path":"app/db","kv":2}
		{"mount":"cubbyhole","path":"mine","kv":1}
		{"mount":"sys","path":"mounts","kv":1}
		{"mount":"database","path":"creds/ro","kv":1}
		{"mount":"auth/token","path":"lookup-self"}
		{"mount":"database","path":"creds/rw"}
	EOF
	assert_equal "${#lines[@]}" 7
	assert_equal "$(jq -c 'del(.created_time)' <<<"${lines[1]}")" \
	    '{"mount":"secret","path":"app/db","kv":2,"data":{"password":"pw-2","user":"app"},"version":2,"custom_metadata":{"owner":"team-a"}}'
	assert_equal "${lines[0]}" '{"mount":"auth/token","path":"lookup-self","kv":1,"error":{"tool":"vault-dump","status":null,"message":"auth/token is not a KV mount (type token)"}}'
	assert_equal "${lines[2]}" '{"mount":"cubbyhole","path":"mine","kv":1,"error":{"tool":"vault-dump","status":null,"message":"cubbyhole is not a KV mount (type cubbyhole)"}}'
	assert_equal "${lines[3]}" '{"mount":"sys","path":"mounts","kv":1,"error":{"tool":"vault-dump","status":null,"message":"sys is not a KV mount (type system)"}}'
	assert_equal "${lines[4]}" '{"mount":"database","path":"creds/ro","kv":1,"error":{"tool":"vault-dump","status":null,"message":"database is not a KV mount (type database)"}}'
	assert_equal "${lines[5]}" '{"mount":"auth/token","path":"lookup-self","error":{"tool":"vault-dump","status":null,"message":"auth/token is not a KV mount (type token)"}}'
	assert_equal "${lines[6]}" '{"mount":"database","path":"creds/rw","error":{"tool":"vault-dump","status":null,"message":"database is not a KV mount (type database)"}}'
	assert_equal "$stderr" "vault-dump: auth/token/lookup-self: auth/token is not a KV mount (type token)
vault-dump: cubbyhole/mine: cubbyhole is not a KV mount (type cubbyhole)
vault-dump: sys/mounts: sys is not a KV mount (type system)
vault-dump: database/creds/ro: database is not a KV mount (type database)
vault-dump: auth/token/lookup-self: auth/token is not a KV mount (type token)
vault-dump: database/creds/rw: database is not a KV mount (type database)
vault-dump: 7 records, 1 secret exported, 6 failed"
	# The token check at the start is the one lookup-self; each mount is
	# looked up once; nothing is read but the KV secret.
	run -0 requests
	assert_output "GET /v1/auth/token/lookup-self
GET /v1/secret/data/app/db
GET /v1/sys/internal/ui/mounts/auth/token
GET /v1/sys/internal/ui/mounts/cubbyhole
GET /v1/sys/internal/ui/mounts/database
GET /v1/sys/internal/ui/mounts/secret
GET /v1/sys/internal/ui/mounts/sys"
}

@test "an operand in a mount of another engine fails, and nothing below it is requested" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr vault-dump -j 1 auth/token/lookup-self \
	    database/creds/ro sys/mounts legacy/top
	assert_output '{"mount":"auth","path":"token/lookup-self","error":{"tool":"vault-dump","status":null,"message":"not in a KV mount: Vault says its mount is of type token"}}
{"mount":"database","path":"creds/ro","error":{"tool":"vault-dump","status":null,"message":"not in a KV mount: Vault says its mount is of type database"}}
{"mount":"sys","path":"mounts","error":{"tool":"vault-dump","status":null,"message":"not in a KV mount: Vault says its mount is of type system"}}
{"mount":"legacy","path":"top","kv":1,"data":{"k":"v1-top"}}'
	assert_equal "${stderr_lines[-1]}" "vault-dump: 4 records, 1 secret exported, 3 failed"
	run -0 requests
	assert_output "GET /v1/auth/token/lookup-self
GET /v1/legacy/top
GET /v1/sys/internal/ui/mounts/auth/token/lookup-self
GET /v1/sys/internal/ui/mounts/database/creds/ro
GET /v1/sys/internal/ui/mounts/legacy/top
GET /v1/sys/internal/ui/mounts/sys/mounts"
}

@test "a record's kv must be its mount's version, and its mount a mount point" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr vault-dump -j 4 <<-'EOF'
		{"mount":"secret","path":"app/db","kv":1}
		{"mount":"legacy","path":"top","kv":2}
		{"mount":"secret/app","path":"db","kv":2}
		{"mount":"secret/app","path":"db"}
		{"mount":"sec","path":"app/db","kv":2}
		{"mount":"legacy","path":"top","kv":1}
	EOF
	assert_output '{"mount":"secret","path":"app/db","kv":1,"error":{"tool":"vault-dump","status":null,"message":"secret is a KV v2 mount, not v1 as the record says"}}
{"mount":"legacy","path":"top","kv":2,"error":{"tool":"vault-dump","status":null,"message":"legacy is a KV v1 mount, not v2 as the record says"}}
{"mount":"secret/app","path":"db","kv":2,"error":{"tool":"vault-dump","status":null,"message":"secret/app is not a mount point: it is inside the KV mount secret"}}
{"mount":"secret/app","path":"db","error":{"tool":"vault-dump","status":null,"message":"secret/app is not a mount point: it is inside the KV mount secret"}}
{"mount":"sec","path":"app/db","kv":2,"error":{"tool":"vault-dump","status":403,"message":"cannot find the mount sec: preflight capability check returned 403, please ensure client'"'"'s policies grant access to path \"sec/\""}}
{"mount":"legacy","path":"top","kv":1,"data":{"k":"v1-top"}}'
	assert_equal "${stderr_lines[-1]}" "vault-dump: 6 records, 1 secret exported, 5 failed"
	run -0 requests
	assert_output "GET /v1/auth/token/lookup-self
GET /v1/legacy/top
GET /v1/sys/internal/ui/mounts/legacy
GET /v1/sys/internal/ui/mounts/sec
GET /v1/sys/internal/ui/mounts/secret
GET /v1/sys/internal/ui/mounts/secret/app"
}

@test "50 records of one mount look it up once, at -j 16" {
	vault-ls -q bulk | head -n 50 >"$BATS_TEST_TMPDIR/ls"
	jq -c 'del(.kv)' "$BATS_TEST_TMPDIR/ls" | head -n 25 >"$BATS_TEST_TMPDIR/in"
	tail -n 25 "$BATS_TEST_TMPDIR/ls" >>"$BATS_TEST_TMPDIR/in"
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -0 vault-dump -q -j 16 <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 50
	run -0 requests
	assert_equal "$(grep -c '^GET /v1/sys/internal/ui/mounts/' <<<"$output")" 1
	assert_equal "$(grep -c '^GET /v1/bulk/data/' <<<"$output")" 50
}

@test "a mount or path with a NUL, an empty, . or .. segment, or a / at an end is refused before any request" {
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr vault-dump -j 1 <<-'EOF'
		{"mount":"secret","path":"app/db\u0000x","kv":2}
		{"mount":"auth/token\u0000","path":"lookup-self","kv":1}
		{"mount":"secret","path":"app//db","kv":2}
		{"mount":"secret","path":"x/../../auth/token/lookup-self","kv":2}
		{"mount":"secret","path":"./app/db","kv":2}
		{"mount":"secret/..","path":"auth/token/lookup-self","kv":1}
		{"mount":"secret/","path":"app/db","kv":2}
		{"mount":"/secret","path":"app/db","kv":2}
		{"mount":"secret","path":"app/db/","kv":2}
		{"mount":"secret","path":"/app/db","kv":2}
	EOF
	assert_equal "$(jq -r .error.message <<<"$output")" "path holds a NUL byte
mount holds a NUL byte
path has an empty segment
path has a .. segment
path has a . segment
mount has a .. segment
mount ends with /
mount starts with /
path ends with /
path starts with /"
	assert_equal "$(jq -r '.error.status' <<<"$output" | sort -u)" null
	assert_equal "${stderr_lines[-1]}" "vault-dump: 10 records, 0 secrets exported, 10 failed"
	run -0 requests
	assert_output "GET /v1/auth/token/lookup-self"
	# Operands: usage errors, before Vault is asked anything.
	for a in secret/app//db secret/../auth/token/lookup-self secret/./app \
	    secret/app/..; do
		run -2 --separate-stderr vault-dump "$a"
		assert_output ""
		assert_regex "${stderr_lines[0]}" "^vault-dump: $a: not a secret path: it has an? (empty|\.|\.\.) segment\$"
	done
}

@test "?, # and % in a path are percent-encoded, never part of the URL's syntax" {
	admin "$VAULT_URL/_admin/seed" -X POST -d '{"secrets":{
	    "secret/":{"enc/q?list=true":{"data":{"k":"q"}},"enc/q":{"data":{"k":"no"}},
	        "enc/h#f":{"data":{"k":"h"}},"enc/h":{"data":{"k":"no"}},
	        "enc/p%41":{"data":{"k":"p"}},"enc/pA":{"data":{"k":"no"}}},
	    "legacy/":{"enc/q?x=1":{"data":{"k":"q1"}},"enc/q":{"data":{"k":"no"}}}}}' >/dev/null
	admin "$VAULT_URL/_admin/requests" -X DELETE >/dev/null
	run -0 --separate-stderr vault-dump -j 1 <<-'EOF'
		{"mount":"secret","path":"enc/q?list=true","kv":2}
		{"mount":"secret","path":"enc/h#f","kv":2}
		{"mount":"secret","path":"enc/p%41","kv":2}
		{"mount":"legacy","path":"enc/q?x=1","kv":1}
	EOF
	assert_equal "$(jq -c '[.path, .data.k]' <<<"$output")" '["enc/q?list=true","q"]
["enc/h#f","h"]
["enc/p%41","p"]
["enc/q?x=1","q1"]'
	run -0 admin "$VAULT_URL/_admin/requests"
	assert_equal "$(jq -r '.requests[] | select(.path | test("/enc/")) | "\(.path) \(.query)"' <<<"$output")" \
	    '/v1/secret/data/enc/q%3Flist%3Dtrue {}
/v1/secret/data/enc/h%23f {}
/v1/secret/data/enc/p%2541 {}
/v1/legacy/enc/q%3Fx%3D1 {}'
	run -0 vault-dump -q 'secret/enc/q?list=true' 'secret/enc/h#f'
	assert_equal "$(jq -r .data.k <<<"$output")" "q
h"
}

@test "a Vault without sys/internal/ui/mounts (before 0.10) is refused, not guessed" {
	# An old server: the token check answers, every other path is 404.
	cat >"$BATS_TEST_TMPDIR/old.py" <<-'EOF'
		import http.server, sys
		class H(http.server.BaseHTTPRequestHandler):
		    def do_GET(self):
		        with open(sys.argv[1], "a") as f:
		            f.write("%s %s\n" % (self.command, self.path))
		        ok = self.path == "/v1/auth/token/lookup-self"
		        body = b'{"data":{}}' if ok else b'{"errors":[]}'
		        self.send_response(200 if ok else 404)
		        self.send_header("Content-Type", "application/json")
		        self.send_header("Content-Length", str(len(body)))
		        self.end_headers()
		        self.wfile.write(body)
		    def log_message(self, *a):
		        pass
		s = http.server.HTTPServer(("127.0.0.1", 0), H)
		print("http://127.0.0.1:%d" % s.server_address[1], flush=True)
		s.serve_forever()
	EOF
	"$PY" "$BATS_TEST_TMPDIR/old.py" "$BATS_TEST_TMPDIR/old.log" \
	    >"$BATS_TEST_TMPDIR/old.url" 2>/dev/null 3>&- &
	pid=$!
	echo "$pid" >>"$(_rundir)/servers.pids"
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/old.url" ] && break
		sleep 0.05
	done
	VAULT_ADDR=$(head -n 1 "$BATS_TEST_TMPDIR/old.url") run -1 \
	    --separate-stderr vault-dump -j 1 auth/token/lookup-self <<<'x'
	first_out=$output first_err=$stderr
	VAULT_ADDR=$(head -n 1 "$BATS_TEST_TMPDIR/old.url") run -1 \
	    --separate-stderr vault-dump -j 1 <<-'EOF'
		{"mount":"auth/token","path":"lookup-self","kv":1}
		{"mount":"secret","path":"app/db","kv":2}
	EOF
	kill "$pid"
	assert_equal "$first_out" '{"mount":"auth","path":"token/lookup-self","error":{"tool":"vault-dump","status":404,"message":"cannot check that auth/token/lookup-self is a KV mount: Vault answered 404 for sys/internal/ui/mounts (a server older than 0.10 has no such endpoint)"}}'
	assert_equal "$output" '{"mount":"auth/token","path":"lookup-self","kv":1,"error":{"tool":"vault-dump","status":404,"message":"cannot check that auth/token is a KV mount: Vault answered 404 for sys/internal/ui/mounts (a server older than 0.10 has no such endpoint)"}}
{"mount":"secret","path":"app/db","kv":2,"error":{"tool":"vault-dump","status":404,"message":"cannot check that secret is a KV mount: Vault answered 404 for sys/internal/ui/mounts (a server older than 0.10 has no such endpoint)"}}'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/old.log")" "GET /v1/auth/token/lookup-self
GET /v1/sys/internal/ui/mounts/auth/token/lookup-self
GET /v1/auth/token/lookup-self
GET /v1/sys/internal/ui/mounts/auth/token
GET /v1/sys/internal/ui/mounts/secret"
}

@test "a folder operand is a usage error" {
	run -2 --separate-stderr vault-dump secret/app/
	assert_output ""
	assert_equal "$stderr" "vault-dump: secret/app/: not a secret path (for a folder: vault-ls FOLDER | vault-dump)
vault-dump: try 'vault-dump -h' for usage"
}

@test "a mount operand without a path is an error record" {
	run -1 --separate-stderr vault-dump legacy
	assert_output '{"mount":"legacy","path":"","kv":1,"error":{"tool":"vault-dump","status":null,"message":"a mount, not a secret: use vault-ls legacy | vault-dump"}}'
}

@test "VAULT_ADDR missing exits 2 with a clear message" {
	unset VAULT_ADDR
	run -2 --separate-stderr vault-dump secret/app
	assert_output ""
	assert_equal "$stderr" "vault-dump: VAULT_ADDR is not set: export the URL of the Vault server, e.g. https://vault.example.com:8200"
}

@test "an unreachable Vault exits 2 before reading input" {
	port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	VAULT_ADDR=http://127.0.0.1:$port run -2 --separate-stderr vault-dump \
	    <<<'{"mount":"secret","path":"app","kv":2}'
	assert_output ""
	assert_regex "$stderr" "^vault-dump: cannot reach Vault at http://127.0.0.1:$port: .*[Cc]onnect"
}

@test "no token is fatal" {
	unset VAULT_TOKEN
	run -2 --separate-stderr vault-dump secret/app
	assert_equal "$stderr" "vault-dump: no Vault token: VAULT_TOKEN is not set and ~/.vault-token does not exist"
}

@test "a usage error goes to stderr with exit 2" {
	run -2 --separate-stderr vault-dump --no-such
	assert_output ""
	assert_equal "$stderr" "vault-dump: unrecognized option '--no-such'
usage: vault-dump [-ahqv] [-j jobs] [mount/path ...]"
}

@test "on a terminal, a progress line counts done/total, rate and failures, and is cleared" {
	vault-ls -q bulk >"$BATS_TEST_TMPDIR/ls"
	admin "$VAULT_URL/_admin/config" -d '{"latency_ms":20}' >/dev/null
	# script(1) gives the tool a terminal for stderr; stdout goes to a file.
	run -0 script -qec "vault-dump -j 4 <'$BATS_TEST_TMPDIR/ls' >'$BATS_TEST_TMPDIR/out'" /dev/null
	admin "$VAULT_URL/_admin/config" -d '{"latency_ms":0}' >/dev/null
	assert_output --regexp $'\r\e\\[Kvault-dump: [0-9]+ records, [0-9.]+/s, 0 failed'
	assert_output --partial $'\r\e[Kvault-dump: 2000 records, 2000 secrets exported, 0 failed'
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 2000
	# not a terminal: no progress line at all
	run -0 --separate-stderr vault-dump -j 4 <"$BATS_TEST_TMPDIR/ls"
	assert_equal "$stderr" "vault-dump: 2000 records, 2000 secrets exported, 0 failed"
}

@test "a number a 64-bit float would change fails its secret, naming the key, never the number; the others go on" {
	# Vault keeps JSON numbers as written (Go's json.Number); libjq would
	# read 12345678901234567890 as 12345678901234567000.
	curl -sfS -X POST -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/secret/data/num/big" \
	    -d '{"data":{"id":12345678901234567890,"pw":"vd-big-1"}}' >/dev/null
	curl -sfS -X POST -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/secret/data/num/fine" \
	    -d '{"data":{"id":9007199254740992,"r":0.1,"e":1e2,"z":1.50}}' >/dev/null
	curl -sfS -X POST -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/legacy/num/deep" \
	    -d '{"o":{"list":[1,9007199254740993]}}' >/dev/null
	run -1 --separate-stderr vault-dump -j 1 secret/num/big secret/num/fine \
	    secret/app/db legacy/num/deep
	curl -sfS -X DELETE -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/secret/metadata/num/big" >/dev/null
	curl -sfS -X DELETE -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/secret/metadata/num/fine" >/dev/null
	curl -sfS -X DELETE -H "X-Vault-Token: root" \
	    "$VAULT_URL/v1/legacy/num/deep" >/dev/null
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" '{"mount":"secret","path":"num/big","kv":2,"error":{"tool":"vault-dump","status":null,"message":"data.id: the number cannot be carried exactly by a 64-bit float; store it as a string"}}'
	assert_equal "$(jq -c .data <<<"${lines[1]}")" '{"e":100,"id":9007199254740992,"r":0.1,"z":1.5}'
	assert_equal "$(jq -r .path <<<"${lines[2]}")" app/db
	assert_equal "$(jq -c 'has("data")' <<<"${lines[2]}")" true
	assert_equal "${lines[3]}" '{"mount":"legacy","path":"num/deep","kv":1,"error":{"tool":"vault-dump","status":null,"message":"data.o.list[1]: the number cannot be carried exactly by a 64-bit float; store it as a string"}}'
	assert_equal "$stderr" "vault-dump: secret/num/big: data.id: the number cannot be carried exactly by a 64-bit float; store it as a string
vault-dump: legacy/num/deep: data.o.list[1]: the number cannot be carried exactly by a 64-bit float; store it as a string
vault-dump: 4 records, 2 secrets exported, 2 failed"
	[[ $output$stderr != *1234567890123456* && $output$stderr != *9007199254740993* ]]
}
