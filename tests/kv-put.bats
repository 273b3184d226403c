#!/usr/bin/env bats
# kv-put.bats: writing records to Key Vault (the stand-in), safely,
# idempotently and in order.

setup_file() {
	load helpers
	env_reset
	start_keyvault
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	kv_reset '{"latency_ms":0,"fail_rate":0,
	    "fail_kinds":"500,503,429,drop","write_limit":300,
	    "all_limit":4000,"window":10,"token_lifetime":3600,
	    "challenge_resource":"https://127.0.0.1","empty_pages":false,
	    "delete_delay":0.5,"recover_delay":0.5}'
}

# state JQ-FILTER: a query of the stand-in's state, raw output
state() {
	kvadmin GET /_admin/state | jq -r "$1"
}

# secret NAME JQ-FILTER: a query of one secret of the state
secret() {
	kvadmin GET /_admin/state |
	    jq -r --arg n "$1" ".secrets[] | select(.name == \$n) | $2"
}

# rec NAME PATH DATA [EXTRA]: one record as vault-dump and kv-name make it
rec() {
	jq -nc --arg n "$1" --arg p "$2" --argjson d "$3" \
	    --argjson x "${4:-{\}}" \
	    '{mount: "secret", path: $p, kv: 2, name: $n, data: $d} + $x'
}

# recs P N: N records, P-1 at secret/P/1 holding {"k":"v1"}, to P-N.
recs() {
	local i
	for i in $(seq 1 "$2"); do
		rec "$1-$i" "$1/$i" "{\"k\":\"v$i\"}"
	done
}

# app_db_tags [TAG...]: the tags of app-db's latest version are kv-put's
# for secret/app/db version 3, then the TAGs (KEY=VALUE).
app_db_tags() {
	run -0 secret app-db '.versions[-1].tags | to_entries | map("\(.key)=\(.value)") | .[]'
	assert_output "$(printf '%s\n' migrated-from=hashicorp-vault \
	    vault-path=secret/app/db vault-version=3 \
	    "migration-date=$(date -u +%Y-%m-%d)" "$@")"
}

# seed JSON: load a fixture into the stand-in
seed() {
	kvadmin POST /_admin/seed "$1" >/dev/null
}

now() { date +%s; }

@test "writes each record and prints the mapping, never a value" {
	run -0 --separate-stderr kv-put <<-EOF
		$(rec app-db app/db '{"password":"pw-Aa1"}')
		$(rec app-cfg app/cfg '{"user":"u-Bb2","port":5432}')
		$(rec app-port app/port '{"port":5432}')
	EOF
	assert_line --index 0 --regexp '^\{"mount":"secret","path":"app/db","kv":2,"name":"app-db","vault":"https://127\.0\.0\.1:[0-9]+","id":"https://127\.0\.0\.1:[0-9]+/secrets/app-db/[0-9a-f]{32}","status":"created"\}$'
	assert_line --index 1 --partial '"name":"app-cfg","vault":"'"$KV_URL"'","id":'
	assert_line --index 2 --partial '"status":"created"'
	refute_output --partial pw-Aa1
	refute_output --partial u-Bb2
	refute_output --partial '"data"'
	[[ $stderr != *pw-Aa1* ]]
	assert_equal "$stderr" "kv-put: 3 records: 3 created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed, 0 recovered; 7 requests, 0 retried, 0 throttled"
	run -0 secret app-db '.versions[-1] | [.value, .contentType] | @tsv'
	assert_output "pw-Aa1	text/plain"
	run -0 secret app-cfg '.versions[-1] | [.value, .contentType] | @tsv'
	assert_output '{"port":5432,"user":"u-Bb2"}	application/json'
	run -0 secret app-port '.versions[-1] | [.value, .contentType] | @tsv'
	assert_output "5432	text/plain"
}

@test "--json writes even a one-key secret as a JSON object" {
	run -0 --separate-stderr kv-put --json <<<"$(rec app-db app/db '{"password":"pw-Aa1"}')"
	run -0 secret app-db '.versions[-1] | [.value, .contentType] | @tsv'
	assert_output '{"password":"pw-Aa1"}	application/json'
}

@test "tags say where a secret came from; custom metadata follows as vault-KEY" {
	run -0 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"x"}' \
	    '{"version":3,"custom_metadata":{"owner":"team-a","tier":"gold"}}')"
	app_db_tags vault-owner=team-a vault-tier=gold
}

@test "expiry: a year by default, --expires DAYS or never, else Vault's delete_version_after" {
	local t0
	t0=$(now)
	run -0 --separate-stderr kv-put <<-EOF
		$(rec a-default a/default '{"p":"x"}')
		$(rec a-dva a/dva '{"p":"x"}' '{"created_time":"2030-01-01T00:00:00.5Z","delete_version_after":"48h30m"}')
	EOF
	run -0 secret a-default '.versions[-1].attributes.exp - '"$t0"
	[ "$output" -ge $((365 * 86400)) ] && [ "$output" -le $((365 * 86400 + 60)) ]
	run -0 secret a-dva '.versions[-1].attributes.exp'
	assert_output $((1893456000 + 48 * 3600 + 1800))
	run -0 --separate-stderr kv-put --expires 30 <<<"$(rec a-thirty a/thirty '{"p":"x"}' '{"delete_version_after":"1h"}')"
	run -0 secret a-thirty '.versions[-1].attributes.exp - '"$t0"
	[ "$output" -ge $((30 * 86400)) ] && [ "$output" -le $((30 * 86400 + 60)) ]
	run -0 --separate-stderr kv-put --expires never <<<"$(rec a-never a/never '{"p":"x"}')"
	run -0 secret a-never '.versions[-1].attributes | [.exp, .enabled] | @json'
	assert_output '[null,true]'
}

@test "tags beyond 15 or 512 characters are named in a warning and the secret is still written" {
	local cm big
	big=$(printf '%0600d' 0)
	cm=$(jq -nc --arg big "$big" '[range(1;12) | {key: "a\(. + 10)", value: "v"}] | from_entries + {big: $big, z99: "last"}')
	run -0 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"x"}' "{\"version\":1,\"custom_metadata\":$cm}")"
	assert_output --partial '"status":"created"'
	assert_equal "$stderr" "kv-put: secret/app/db: tags not written (Key Vault keeps 15 tags of at most 512 characters): vault-big, vault-z99
kv-put: 1 records: 1 created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed, 0 recovered; 5 requests, 0 retried, 0 throttled"
	run -0 secret app-db '.versions[-1].tags | length'
	assert_output 15
}

@test "a value over 25 KB is an error record before any request writes it" {
	local at over
	at=$(head -c 25600 /dev/zero | tr '\0' x)
	over=${at}y
	run -1 --separate-stderr kv-put <<-EOF
		$(rec at-limit a/at "{\"v\":\"$at\"}")
		$(rec over-limit a/over "{\"v\":\"$over\"}")
	EOF
	assert_line --index 0 --partial '"status":"created"'
	assert_line --index 1 '{"mount":"secret","path":"a/over","kv":2,"name":"over-limit","vault":"'"$KV_URL"'","error":{"tool":"kv-put","status":null,"message":"value of 25601 bytes is over Key Vault'"'"'s limit of 25600: split it with kv-name --split, or keep it in Vault"}}'
	run -0 kv_requests 'select(.method == "PUT") | .path'
	assert_output /secrets/at-limit
}

@test "re-running the same input writes nothing: every record is unchanged" {
	local input
	input=$(rec app-db app/db '{"password":"pw-Aa1"}' '{"version":2}'
	    rec app-cfg app/cfg '{"a":"1","b":"2"}'
	    rec app-v1 app/v1 '{"k":"v"}' '{"kv":1}')
	run -0 --separate-stderr kv-put <<<"$input"
	local first=$output
	kvadmin DELETE /_admin/requests >/dev/null
	run -0 --separate-stderr kv-put <<<"$input"
	assert_equal "$output" "${first//\"created\"/\"unchanged\"}"
	[[ $stderr == "kv-put: 3 records: 0 created, 0 updated, 3 unchanged, 0 conflicts,"* ]]
	run -0 kv_requests 'select(.kind == "data" and .method != "GET")'
	assert_output ''
	run -0 state '[.secrets[].versions | length] | add'
	assert_output 3
}

@test "--dry-run prints the plan and writes nothing" {
	seed '{"secrets":[
	    {"name":"same","value":"v1","contentType":"text/plain","tags":{"vault-path":"secret/same"}},
	    {"name":"changed","value":"old","contentType":"text/plain","tags":{"vault-path":"secret/changed"}}]}'
	kvadmin DELETE /_admin/requests >/dev/null
	run -0 --separate-stderr kv-put -n <<-EOF
		$(rec same same '{"k":"v1"}')
		$(rec changed changed '{"k":"new"}')
		$(rec fresh fresh '{"k":"x"}')
		$(rec fresh fresh '{"k":"y"}')
	EOF
	assert_line --index 0 --partial '"status":"unchanged"'
	assert_line --index 1 --regexp '"name":"changed","vault":"https://[^"]*","status":"would-update"\}$'
	assert_line --index 2 --regexp '"name":"fresh","vault":"https://[^"]*","status":"would-create"\}$'
	assert_line --index 3 --regexp '"name":"fresh","vault":"https://[^"]*","status":"would-update"\}$'
	assert_equal "$stderr" "kv-put: $KV_URL: pre-flight: may list secrets, read secrets (probed, nothing written); cannot tell whether it may set secrets: that cannot be probed without writing; Resource Manager not asked (no subscription: AZURE_SUBSCRIPTION_ID)
kv-put: dry-run: 4 records: 1 would be created, 2 would be updated, 1 unchanged, 0 conflicts, 0 skipped, 0 failed; nothing written; expected duration under 10 s at 300 writes per 10 s"
	run -0 kv_requests 'select(.kind == "data" and .method != "GET") | .method'
	assert_output ''
	run -0 state '[.secrets[].name] | join(" ")'
	assert_output "changed same"
}

@test "a name that holds another path's secret is a conflict; --force takes it over" {
	seed '{"secrets":[{"name":"app-db","value":"theirs","tags":{"vault-path":"secret/other/db"}}]}'
	run -1 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"mine"}')"
	assert_output '{"mount":"secret","path":"app/db","kv":2,"name":"app-db","vault":"'"$KV_URL"'","error":{"tool":"kv-put","status":null,"message":"app-db already holds secret/other/db (vault-path tag): not written (--force overwrites)"},"status":"conflict"}'
	[[ ${stderr_lines[0]} == "kv-put: secret/app/db: app-db already holds secret/other/db (vault-path tag): not written (--force overwrites)" ]]
	[[ ${stderr_lines[1]} == "kv-put: 1 records: 0 created, 0 updated, 0 unchanged, 1 conflicts,"* ]]
	run -0 secret app-db '.versions[-1].value'
	assert_output theirs
	run -0 --separate-stderr kv-put --force <<<"$(rec app-db app/db '{"p":"mine"}')"
	assert_output --partial '"status":"updated"'
	run -0 secret app-db '.versions[-1] | [.value, .tags["vault-path"]] | @tsv'
	assert_output "mine	secret/app/db"
}

@test "a name Key Vault holds without a vault-path tag is a conflict" {
	seed '{"secrets":[{"name":"App-DB","value":"hand-made"}]}'
	run -1 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"mine"}')"
	assert_output --partial '"status":"conflict"'
	[[ $stderr == *"app-db already exists and was not written by kv-put (no vault-path tag): not written (--force overwrites)"* ]]
	run -0 secret App-DB '.versions | length'
	assert_output 1
}

@test "a soft-deleted name is an error that names --recover" {
	seed '{"secrets":[{"name":"app-db","value":"old","deleted":true,"tags":{"vault-path":"secret/app/db"}}]}'
	kvadmin DELETE /_admin/requests >/dev/null
	run -1 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"new"}')"
	assert_output '{"mount":"secret","path":"app/db","kv":2,"name":"app-db","vault":"'"$KV_URL"'","error":{"tool":"kv-put","status":409,"message":"app-db is soft-deleted in the vault: rerun with --recover to recover it and write a new version, or purge it first"}}'
	run -0 kv_requests 'select(.kind == "data" and .method != "GET")'
	assert_output ''
}

@test "--recover recovers a soft-deleted name, waits for it, then writes" {
	kvadmin POST /_admin/config '{"recover_delay":1.5}' >/dev/null
	seed '{"secrets":[{"name":"app-db","value":"old","contentType":"text/plain","deleted":true,"tags":{"vault-path":"secret/app/db"}}]}'
	run -0 --separate-stderr kv-put --recover <<<"$(rec app-db app/db '{"p":"new"}')"
	assert_output --partial '"status":"updated"'
	[[ $stderr == *", 1 recovered;"* ]]
	run -0 secret app-db '[.state, (.versions | length), .versions[-1].value] | @tsv'
	assert_output "active	2	new"
	run -0 kv_requests 'select(.kind == "data" and .method == "POST") | .path'
	assert_output /deletedsecrets/app-db/recover
}

@test "a history is written in input order whatever -j, one version each" {
	kvadmin POST /_admin/config '{"latency_ms":30}' >/dev/null
	local i input=
	for i in 1 2 3 4 5 6; do
		input+=$(rec app-db app/db "{\"p\":\"v$i\"}" "{\"version\":$i}")$'\n'
		input+=$(rec other-$i app/o$i '{"p":"x"}')$'\n'
	done
	run -0 --separate-stderr kv-put -j 16 <<<"$input"
	run -0 secret app-db '.versions[] | [.tags["vault-version"], .value] | @tsv'
	assert_output "1	v1
2	v2
3	v3
4	v4
5	v5
6	v6"
}

@test "a field named _kv_put_ticket in the input is the record's own: it passes through and orders nothing" {
	# kv-put once kept each record's turn in such a field of the record,
	# and dropped the input's.
	kvadmin POST /_admin/config '{"latency_ms":30}' >/dev/null
	local i input=
	for i in 1 2 3 4; do
		input+=$(rec tk-db tk/db "{\"p\":\"v$i\"}" \
		    "{\"version\":$i,\"_kv_put_ticket\":$((4 - i))}")$'\n'
	done
	input+=$(rec tk_bad tk/bad '{"p":"x"}' '{"_kv_put_ticket":0}')$'\n'
	run -1 --separate-stderr kv-put -j 8 <<<"$input"
	assert_equal "$(jq -c '[.name, .status, ._kv_put_ticket]' <<<"$output")" '["tk-db","created",3]
["tk-db","updated",2]
["tk-db","updated",1]
["tk-db","updated",0]
["tk_bad",null,0]'
	assert_line --index 4 --partial '"message":"tk_bad is not a Key Vault secret name: map names with kv-name"'
	run -0 secret tk-db '[.versions[] | .value] | join(" ")'
	assert_output "v1 v2 v3 v4"
	assert_equal "$(state '[.secrets[].name] | join(" ")')" tk-db
}

@test "re-running a history adds nothing and maps each version to its Key Vault version" {
	local i input=
	for i in 1 2 3; do
		input+=$(rec app-db app/db "{\"p\":\"v$i\"}" "{\"version\":$i}")$'\n'
	done
	run -0 --separate-stderr kv-put <<<"$input"
	local first=$output
	run -0 --separate-stderr kv-put -j 4 <<<"$input"
	first=${first//\"created\"/\"unchanged\"}
	assert_equal "$output" "${first//\"updated\"/\"unchanged\"}"
	run -0 secret app-db '.versions | length'
	assert_output 3
	# Vault moved on: only the new version is written.
	input+=$(rec app-db app/db '{"p":"v4"}' '{"version":4}')
	run -0 --separate-stderr kv-put <<<"$input"
	assert_line --index 3 --partial '"status":"updated"'
	run -0 secret app-db '[.versions[].tags["vault-version"]] | join(",")'
	assert_output 1,2,3,4
}

@test "a Vault version older than the vault's current one is skipped, not written out of order" {
	run -0 --separate-stderr kv-put <<-EOF
		$(rec app-db app/db '{"p":"v1"}' '{"version":1}')
		$(rec app-db app/db '{"p":"v3"}' '{"version":3}')
	EOF
	run -0 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"v2"}' '{"version":2}')"
	assert_output --partial '"status":"skipped"'
	[[ ${stderr_lines[0]} == "kv-put: secret/app/db: version 2 not written: the vault already holds the later version 3, and Key Vault adds versions only on top" ]]
	run -0 secret app-db '.versions | length'
	assert_output 2
}

@test "every page of a large vault is read, empty pages included" {
	local fixture
	fixture=$(jq -nc '{secrets: [range(1;61) | "s\(.)" as $n |
	    {name: $n, value: "v", contentType: "text/plain",
	     tags: {"vault-path": "secret/\($n)"}}]}')
	seed "$fixture"
	kvadmin POST /_admin/config '{"empty_pages":true}' >/dev/null
	run -1 --separate-stderr kv-put <<-EOF
		$(rec s60 elsewhere '{"k":"v"}')
		$(rec s59 s59 '{"k":"v"}')
		$(rec s61 s61 '{"k":"v"}')
	EOF
	assert_line --index 0 --partial '"status":"conflict"'
	assert_line --index 1 --partial '"status":"unchanged"'
	assert_line --index 2 --partial '"status":"created"'
	run -0 kv_requests 'select(.path == "/secrets" and .status == 200) | .query["$skiptoken"] != null'
	[ "${#lines[@]}" -ge 4 ]
}

@test "throttling by the vault slows the run but fails nothing" {
	kvadmin POST /_admin/config '{"write_limit":4,"window":1}' >/dev/null
	local input
	input=$(recs t 12)$'\n'
	run -0 --separate-stderr kv-put --write-rate 100000 <<<"$input"
	[ "$(grep -c '"status":"created"' <<<"$output")" -eq 12 ]
	run -0 kv_requests 'select(.status == 429) | .status'
	[ "${#lines[@]}" -ge 1 ]
	run -0 state '[.secrets[].versions | length] | unique | @json'
	assert_output '[1]'
}

@test "--write-rate paces secret writes under the budget" {
	local input t0 t1
	input=$(recs w 11)$'\n'
	t0=$(date +%s%N)
	run -0 --separate-stderr kv-put --write-rate 50 <<<"$input"
	t1=$(date +%s%N)
	# 11 writes at 5 a second: at least 2 seconds.
	[ $(( (t1 - t0) / 1000000 )) -ge 1900 ]
	run -0 kv_requests 'select(.status == 429)'
	assert_output ''
}

@test "injected 5xx and dropped connections are retried: every secret arrives once" {
	kvadmin POST /_admin/config '{"fail_rate":0.3,"fail_kinds":"500,503,drop","fail_seed":7}' >/dev/null
	local input
	input=$(recs f 20)$'\n'
	run -0 --separate-stderr kv-put <<<"$input"
	[ "$(grep -c '"status":"created"' <<<"$output")" -eq 20 ]
	run -0 kv_requests 'select(.injected != null) | .injected'
	[ "${#lines[@]}" -ge 3 ]
	run -0 state '[.secrets[].versions | length] | unique | @json'
	assert_output '[1]'
	run -0 state '.secrets | length'
	assert_output 20
}

@test "a run stopped by SIGTERM exits 2 saying what it did; a re-run completes it once" {
	local pid rc=0
	recs k 30 >"$BATS_TEST_TMPDIR/in"
	kv-put --write-rate 60 <"$BATS_TEST_TMPDIR/in" \
	    >"$BATS_TEST_TMPDIR/out1" 2>"$BATS_TEST_TMPDIR/err1" &
	pid=$!
	sleep 2
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 2 ]
	run -0 cat "$BATS_TEST_TMPDIR/err1"
	assert_output --regexp '^kv-put: interrupted: [0-9]+ records: [0-9]+ created, 0 updated, 0 unchanged, 0 conflicts, 0 skipped, 0 failed, 0 recovered, [0-9]+ not written; '
	local done1 left1
	done1=$(grep -c '"status":"created"' "$BATS_TEST_TMPDIR/out1" || true)
	left1=$(grep -c '"message":"interrupted: not written"' \
	    "$BATS_TEST_TMPDIR/out1" || true)
	[ "$done1" -gt 0 ] && [ "$done1" -lt 30 ]
	[[ $output == *", $left1 not written;"* ]]
	# Every record read came out, written or not.
	[ $((done1 + left1)) -eq "$(wc -l <"$BATS_TEST_TMPDIR/out1")" ]
	run -0 --separate-stderr kv-put <"$BATS_TEST_TMPDIR/in"
	[ "$(grep -c '"status":"created"' <<<"$output")" -eq $((30 - done1)) ]
	[ "$(grep -c '"status":"unchanged"' <<<"$output")" -eq "$done1" ]
	run -0 state '[.secrets[].versions | length] | unique | @json'
	assert_output '[1]'
	run -0 state '.secrets | length'
	assert_output 30
}

@test "records that carry an error pass through, without data, and count as failed" {
	run -1 --separate-stderr kv-put <<-EOF
		{"mount":"secret","path":"a","data":{"k":"v"},"error":{"tool":"vault-dump","status":403,"message":"permission denied"}}
	EOF
	assert_output '{"mount":"secret","path":"a","error":{"tool":"vault-dump","status":403,"message":"permission denied"}}'
}

@test "a record without a name, or with a name Key Vault refuses, points at kv-name" {
	run -1 --separate-stderr kv-put <<-EOF
		{"mount":"secret","path":"a","data":{"k":"v"}}
		{"mount":"secret","path":"b","name":"b_c","data":{"k":"v"}}
		{"mount":"secret","path":"c","name":"c"}
	EOF
	assert_line --index 0 --partial '"message":"no name: pipe the records through kv-name first"'
	assert_line --index 1 --partial '"message":"b_c is not a Key Vault secret name: map names with kv-name"'
	assert_line --index 2 --partial '"message":"no data: pipe vault-dump into kv-put"'
	refute_output --partial '"data"'
}

@test "no vault: a record that carries none fails, naming it and the field" {
	unset KEY_VAULT_NAME
	run -1 --separate-stderr kv-put <<-EOF
		$(rec app-db app/db '{"password":"pw-Aa1"}')
	EOF
	assert_output '{"mount":"secret","path":"app/db","kv":2,"name":"app-db","error":{"tool":"kv-put","status":null,"message":"no vault: the record has no vault field, and no default vault is given (KEY_VAULT_NAME, or the vault option)"}}'
	assert_equal "$(head -n 1 <<<"$stderr")" "kv-put: secret/app/db: no vault: the record has no vault field, and no default vault is given (KEY_VAULT_NAME, or the vault option)"
}

@test "a vault URL that is not https is refused before any request" {
	run -2 --separate-stderr kv-put --vault "http://127.0.0.1:1" </dev/null
	assert_equal "$stderr" "kv-put: http://127.0.0.1:1: a Key Vault URL is https://HOST[:PORT] (tokens are sent only over TLS)"
	run -2 --separate-stderr kv-put --vault "my_vault" </dev/null
	assert_equal "$stderr" "kv-put: my_vault: not a Key Vault name (3 to 24 letters, digits and hyphens) nor an https URL"
}

@test "a vault name that does not resolve names the cure" {
	run -2 --separate-stderr kv-put --vault "https://no-such-vault.invalid" </dev/null
	assert_equal "$stderr" "kv-put: https://no-such-vault.invalid: listing secrets: cannot resolve no-such-vault.invalid: check the vault name (--vault, KEY_VAULT_NAME) or, behind a private endpoint, the private DNS zone"
}

@test "a bad option prints the usage and exits 2" {
	run -2 --separate-stderr kv-put -r
	assert_output ""
	assert_equal "$stderr" "kv-put: invalid option -- 'r'
usage: kv-put [-fhnqv] [-j jobs] [--expires days|never] [--json] [--purge]
              [--rate n] [--recover] [--rollback] [--vault name|url]
              [--write-budget n[/s]] [--write-rate n]"
}

@test "a vault that refuses the identity is fatal, and the message names the cure" {
	local d
	for d in rbac access-policy firewall connection; do
		kv_denied "$d" kv-put '{"mount":"secret","path":"a","name":"secret-a","data":{"k":"v"}}'
		case $d in
		rbac) assert_regex "$stderr" "lacks the Key Vault Secrets Officer role" ;;
		access-policy) assert_regex "$stderr" "access policy: give the identity secret permissions" ;;
		firewall) assert_regex "$stderr" "firewall: add this client's address to the vault's network rules, or reach it through a private endpoint" ;;
		connection) assert_regex "$stderr" "refuses public network access: reach it through its private endpoint" ;;
		esac
	done
	admin "$KV_URL/_admin/config" -d '{"deny":null}' >/dev/null
	run -0 admin "$KV_URL/_admin/state"
	refute_output --partial '"secret-a"'
}

@test "a name seen again after its records were done is asked anew: updated if ours, a conflict if not" {
	{
		rec again-a a/x '{"k":"v1"}'
		rec again-b b/x '{"k":"v"}'
		rec again-a a/x '{"k":"v2"}'
		rec AGAIN-A other/path '{"k":"v3"}'
	} >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr kv-put -j 1 <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(jq -r '.status' <<<"$output" | tr '\n' ' ')" "created created updated conflict "
	assert_equal "$(secret again-a '.versions | length')" 2
	assert_equal "$(secret again-a '.versions[-1].value')" v2
	assert_equal "$(secret again-a '.versions[-1].tags["vault-path"]')" secret/a/x
}

@test "memory stays nearly flat: 10,000 new names cost under 2.5 MiB more than 1,000" {
	[ -z "${V2K_VALGRIND:-}" ] || skip "the peak RSS would be valgrind's"
	[ -z "${V2K_SAN:-}" ] || skip "the peak RSS would be the sanitizers'"
	kvadmin POST /_admin/config '{"write_limit":0,"all_limit":0}' >/dev/null
	peak() {	# peak N: kv-put's VmHWM in KiB for N new secrets
		local pid hwm=0 h
		kvadmin POST /_admin/reset >/dev/null
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		    printf "{\"mount\":\"secret\",\"path\":\"p/s%d\",\"kv\":2,\"name\":\"p-s%d\",\"data\":{\"v\":\"x%d\"}}\n", i, i, i }' \
		    >"$BATS_TEST_TMPDIR/in"
		kv-put -q -j 16 --write-rate 100000 --rate 100000 \
		    <"$BATS_TEST_TMPDIR/in" >/dev/null &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" \
			    2>/dev/null) || true
			if [ -n "$h" ]; then hwm=$h; fi
			sleep 0.02
		done
		wait "$pid"
		echo "$hwm"
	}
	small=$(peak 1000)
	big=$(peak 10000)
	echo "# kv-put peak RSS: $small KiB for 1,000 names, $big KiB for 10,000" >&3
	[ "$small" -gt 0 ]
	[ $((big - small)) -lt 2560 ]
}

@test "a value holding U+0000 is written as \\u0000, counted whole: a re-run is unchanged, a change after the NUL is an update" {
	local in
	in=$(rec nul-a a/nul '{"k":"pw\u0000A\u0001"}'; rec nul-z a/zero '{"k":"\u0000"}')
	run -0 --separate-stderr kv-put <<<"$in"
	assert_equal "$(jq -c '[.name, .status]' <<<"$output")" '["nul-a","created"]
["nul-z","created"]'
	run -0 secret nul-a '.versions[-1].value | [explode[]]'
	assert_equal "$(jq -c . <<<"$output")" '[112,119,0,65,1]'
	run -0 secret nul-z '.versions[-1].value | [explode[]]'
	assert_equal "$(jq -c . <<<"$output")" '[0]'
	run -0 --separate-stderr kv-put <<<"$in"
	assert_equal "$(jq -c '[.name, .status]' <<<"$output")" '["nul-a","unchanged"]
["nul-z","unchanged"]'
	run -0 --separate-stderr kv-put <<-EOF
		$(rec nul-a a/nul '{"k":"pw\u0000B\u0001"}')
	EOF
	assert_equal "$(jq -c '[.name, .status]' <<<"$output")" '["nul-a","updated"]'
	run -0 secret nul-a '.versions | length'
	assert_output 2
	run -0 secret nul-a '.versions[-1].value | [explode[]]'
	assert_equal "$(jq -c . <<<"$output")" '[112,119,0,66,1]'
	[[ $stderr != *pw* ]]
}

# lost_input N: N records of distinct new names.
lost_input() {
	jq -nc --argjson n "$1" 'range(1; $n + 1) | {mount: "secret",
	    path: "lost/\(.)", kv: 2, name: "lost-\(.)", data: {v: "x\(.)"}}'
}

# lost_names FILE: the names kv-put's stderr says it wrote without a
# mapping line, sorted.
lost_names() {
	sed -n 's/.*: written to Key Vault as \([^ ]*\), but its mapping line was lost: .*/\1/p' \
	    "$1" | sort
}

@test "output full (ENOSPC): kv-put stops at once, every secret it wrote is named on stderr (even with -q), exit 2" {
	local w=$BATS_TEST_TMPDIR st=0
	lost_input 200 >"$w/in"
	kv-put -q -j 8 <"$w/in" >/dev/full 2>"$w/err" || st=$?
	assert_equal "$st" 2
	state '.secrets[].name' | sort >"$w/written"
	lost_names "$w/err" >"$w/named"
	# No line ever got out: what was written is exactly what is named.
	[ -s "$w/written" ]
	diff "$w/written" "$w/named"
	# Only the writes in flight when the first line failed: its own and
	# the 8 jobs', and the next one each of those jobs may have begun
	# while the first line was being written (seen under load: 10 to
	# 12), never the 200 of a run that went on.
	(( $(wc -l <"$w/written") <= 17 )) || fail "$(wc -l <"$w/written") written"
	grep -q '^kv-put: cannot write output: No space left on device$' "$w/err"
}

@test "output closed (EPIPE): kv-put stops at once, every secret it wrote is named on stderr, exit 2" {
	local w=$BATS_TEST_TMPDIR
	lost_input 200 >"$w/in"
	# The reader is gone long before kv-put has read the vault's names.
	{ kv-put -j 8 <"$w/in" 2>"$w/err" || echo $? >"$w/st"; } | :
	assert_equal "$(cat "$w/st")" 2
	state '.secrets[].name' | sort >"$w/written"
	lost_names "$w/err" >"$w/named"
	[ -s "$w/written" ]
	diff "$w/written" "$w/named"
	# As above: at most each job's record and the next it began.
	(( $(wc -l <"$w/written") <= 17 )) || fail "$(wc -l <"$w/written") written"
	grep -q '^kv-put: cannot write output: Broken pipe$' "$w/err"
	grep -Eq "^kv-put: the output failed: [0-9]+ records not reported, $(wc -l <"$w/written") of them written to Key Vault \(named above\)\$" "$w/err"
}

@test "kv-put | head -n 1: the first line out, the secret written after it named, nothing more written" {
	local w=$BATS_TEST_TMPDIR
	lost_input 200 >"$w/in"
	# One job, writes 200 ms apart: head is gone before the second line,
	# whose secret is written by then; the third record is not started.
	{ kv-put -j 1 --write-rate 50 <"$w/in" 2>"$w/err" ||
	    echo $? >"$w/st"; } |
	    head -n 1 >"$w/first"
	assert_equal "$(cat "$w/st")" 2
	assert_equal "$(jq -r '"\(.name) \(.status)"' "$w/first")" "lost-1 created"
	assert_equal "$(state '[.secrets[].name] | sort | join(" ")')" "lost-1 lost-2"
	assert_equal "$(lost_names "$w/err" | xargs)" "lost-2"
	grep -q '^kv-put: secret/lost/2: written to Key Vault as lost-2, but its mapping line was lost: Broken pipe$' "$w/err"
}

@test "a record with a namespace is tagged vault-namespace; one without keeps exactly the tags it had" {
	run -0 --separate-stderr kv-put <<-EOF
		$(rec ns-db app/db '{"p":"x"}' '{"version":2,"namespace":"team-a/sub"}')
		$(rec root-db app/db2 '{"p":"x"}' '{"version":2,"namespace":""}')
		$(rec plain-db app/db3 '{"p":"x"}' '{"version":2}')
	EOF
	run -0 secret ns-db '.versions[-1].tags | to_entries | map("\(.key)=\(.value)") | .[]'
	assert_output "migrated-from=hashicorp-vault
vault-path=secret/app/db
vault-namespace=team-a/sub
vault-version=2
migration-date=$(date -u +%Y-%m-%d)"
	# The root namespace ("") and no namespace: today's tags, exactly.
	for n in root-db plain-db; do
		run -0 secret $n '.versions[-1].tags | keys_unsorted | join(" ")'
		assert_output "migrated-from vault-path vault-version migration-date"
	done
}

@test "the same path from another namespace is a conflict, never an update, dry run or not" {
	seed '{"secrets":[{"name":"kv-db-pass","value":"a-pass","contentType":"text/plain","tags":{"migrated-from":"hashicorp-vault","vault-path":"kv/db/pass","vault-namespace":"team-a"}}]}'
	local b='{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-b","name":"kv-db-pass","data":{"p":"b-pass"}}'
	local r='{"mount":"kv","path":"db/pass","kv":2,"name":"kv-db-pass","data":{"p":"root-pass"}}'
	for dry in -n ""; do
		run -1 --separate-stderr kv-put $dry <<<"$b"
		assert_output '{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-b","name":"kv-db-pass","vault":"'"$KV_URL"'","error":{"tool":"kv-put","status":null,"message":"kv-db-pass already holds kv/db/pass of namespace team-a (vault-path and vault-namespace tags): not written (--force overwrites)"},"status":"conflict"}'
		run -1 --separate-stderr kv-put $dry <<<"$r"
		assert_output --partial '"message":"kv-db-pass already holds kv/db/pass of namespace team-a (vault-path and vault-namespace tags)'
		assert_output --partial '"status":"conflict"'
	done
	run -0 secret kv-db-pass '[.versions[].value] | join(",")'
	assert_output a-pass
	# Its own namespace's record owns it.
	run -0 --separate-stderr kv-put <<<'{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-a","name":"kv-db-pass","data":{"p":"a-pass"}}'
	assert_output --partial '"status":"unchanged"'
	# A secret of no namespace is foreign to a record of one.
	seed '{"secrets":[{"name":"root-db","value":"r","contentType":"text/plain","tags":{"vault-path":"kv/db/pass"}}]}'
	run -1 --separate-stderr kv-put -n <<<'{"mount":"kv","path":"db/pass","kv":2,"namespace":"team-b","name":"root-db","data":{"p":"r"}}'
	assert_output --partial '"message":"root-db already holds kv/db/pass of no namespace (vault-path tag, no vault-namespace): not written (--force overwrites)"'
}

@test "custom metadata never rewrites kv-put's own tags, and a namespace too long to tag fails its record" {
	run -0 --separate-stderr kv-put <<<"$(rec app-db app/db '{"p":"x"}' \
	    '{"version":3,"custom_metadata":{"path":"other/db","namespace":"team-z","version":"9","owner":"o"}}')"
	app_db_tags vault-owner=o
	assert_equal "${stderr_lines[0]}" "kv-put: secret/app/db: custom_metadata not written as tags, whose names kv-put's own tags have: vault-namespace, vault-path, vault-version"
	local long
	long=$(printf 'n%.0s' $(seq 1 513))
	run -1 --separate-stderr kv-put <<<"$(rec long-ns app/db '{"p":"x"}' "{\"namespace\":\"$long\"}")"
	assert_output --partial '"message":"namespace of 513 characters: Key Vault keeps tag values of at most 512, and the namespace is part of whose the secret is"'
	run -0 state '[.secrets[].name] | join(" ")'
	assert_output app-db
}

@test "the CA file is read once, however many connections -j opens" {
	command -v strace >/dev/null || fail "strace is not installed (tests/deps.sh installs it)"
	local log=$BATS_TEST_TMPDIR/trace
	# libcurl alone parses the whole file again for each connection.
	# (LeakSanitizer cannot run under ptrace: the SAN build's leak check
	# is left to the other tests.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    run -0 --separate-stderr strace -f -qq -e trace=open,openat \
	    -o "$log" kv-put -j 8 <<<"$(recs many 24)"
	assert_equal "$(grep -c '"status":"created"' <<<"$output")" 24
	assert_equal "$(grep -c "\"$SSL_CERT_FILE\"" "$log")" 1
}

@test "trust as libcurl gives it: a server's own certificate alone is trusted; a CA file that cannot be read fails, named" {
	# An untrusted server: the records fail, and nothing is written.
	SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	    CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
	    KV_CLIENT_TIMEOUT=2s run -2 --separate-stderr kv-put <<<"$(recs x 1)"
	assert_regex "$stderr" "SSL certificate problem"
	# The leaf as the only anchor (a partial chain, libcurl's default).
	SSL_CERT_FILE=$TLS_DIR/server.pem CURL_CA_BUNDLE=$TLS_DIR/server.pem \
	    run -0 --separate-stderr kv-put <<<"$(recs leaf 2)"
	assert_equal "$(grep -c '"status":"created"' <<<"$output")" 2
	SSL_CERT_FILE=$BATS_TEST_TMPDIR/none.pem \
	    CURL_CA_BUNDLE=$BATS_TEST_TMPDIR/none.pem \
	    KV_CLIENT_TIMEOUT=2s run -2 --separate-stderr kv-put <<<"$(recs x 1)"
	assert_regex "$stderr" "error setting certificate file: $BATS_TEST_TMPDIR/none.pem"
	run -0 state '[.secrets[].name] | join(" ")'
	assert_output "leaf-1 leaf-2"
}
