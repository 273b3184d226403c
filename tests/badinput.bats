#!/usr/bin/env bats
# badinput.bats: what every tool does with input it cannot use: malformed
# JSON, lines that are not objects, wrong field types, missing fields, a
# line over 1 MiB, NUL bytes, invalid UTF-8, an empty stream, a stream
# without a final newline.  Each bad line or record becomes one error
# record and one message naming its line (or record); the records around
# it come out as if it were not there; the exit status is exactly 1 (0
# when nothing failed); nothing crashes.

P1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b

setup_file() {
	load helpers
	env_reset
	cat >"$BATS_FILE_TMPDIR/vault.json" <<-'EOF'
	{"secrets": {"secret/": {
	    "bad/a": {"data": {"k": "va"}},
	    "bad/c": {"data": {"k": "vc"}}}}}
	EOF
	start_vault --seed "$BATS_FILE_TMPDIR/vault.json"
	start_keyvault
	export AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000
	# The two good secrets are in Key Vault, for kv-check.
	{ good kv-put a; good kv-put c; } | kv-put -q >/dev/null
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

# A test that makes the Key Vault stand-in answer oddly sets ODD; the
# next one finds it answering as the service does.
teardown() {
	[ -z "${ODD:-}" ] ||
	    kvadmin POST /_admin/config '{"odd_answers": null}' >/dev/null
}

# good TOOL X: the good record X (a or c) as TOOL takes it.
good() {
	case $1 in
	vault-dump) echo "{\"mount\":\"secret\",\"path\":\"bad/$2\",\"kv\":2}" ;;
	kv-name) echo "{\"mount\":\"secret\",\"path\":\"bad/$2\",\"kv\":2,\"data\":{\"k\":\"v$2\"}}" ;;
	kv-put|kv-check)
		echo "{\"mount\":\"secret\",\"path\":\"bad/$2\",\"kv\":2,\"name\":\"secret-bad-$2\",\"data\":{\"k\":\"v$2\"}}" ;;
	kv-grant)
		echo "{\"principal\":\"$P1\",\"role\":\"Key Vault Secrets User\",\"name\":\"secret-bad-$2\"}" ;;
	esac
}

# is_good TOOL X LINE: LINE is what TOOL makes of the good record X.
is_good() {
	local f
	case $1 in
	vault-dump) f='.data == {"k":"v'$2'"} and .version == 1' ;;
	kv-name) f='.name == "secret-bad-'$2'" and .data == {"k":"v'$2'"}' ;;
	kv-put) f='.name == "secret-bad-'$2'" and (.status == "created" or
	    .status == "unchanged") and (.id | test("/secrets/secret-bad-'$2'/"))
	    and (has("data") | not)' ;;
	kv-check) f='.name == "secret-bad-'$2'" and .check == "ok"' ;;
	kv-grant) f='.name == "secret-bad-'$2'" and (.status == "created" or
	    .status == "exists")' ;;
	esac
	jq -e "($f) and (has(\"error\") | not)" <<<"$3" >/dev/null ||
	    fail "$1: not the good record $2: $3"
}

# tool TOOL [ARGS]: run TOOL as the suite does (kv-grant needs its vault).
tool() {
	local t=$1
	shift
	case $t in
	kv-grant) kv-grant --vault kv-test "$@" ;;
	*) "$t" "$@" ;;
	esac
}

# bad_line TOOL FILE MESSAGE: TOOL on good a, the bytes of FILE as line
# 2, good c: line 2 is the error record {"line":2,...} with MESSAGE
# (an extended regular expression), a and c come out as usual, exit 1.
bad_line() {
	local t=$1 bad=$2 msg=$3 in=$BATS_TEST_TMPDIR/in.ndjson
	{ good "$t" a; cat "$bad"; echo; good "$t" c; } >"$in"
	run -1 --separate-stderr tool "$t" <"$in"
	assert_equal "${#lines[@]}" 3
	is_good "$t" a "${lines[0]}"
	is_good "$t" c "${lines[2]}"
	jq -e --arg t "$t" --arg m "^line 2: ($msg)\$" \
	    '. == {line: 2, error: {tool: $t, status: null,
	    message: .error.message}} and (.error.message | test($m))' \
	    <<<"${lines[1]}" >/dev/null || fail "line 2: ${lines[1]}"
	grep -Eq "^$t: line 2: ($msg)\$" <<<"$stderr" ||
	    fail "no message naming line 2: $stderr"
	# One message for the bad line and the summary, nothing else.
	assert_equal "$(wc -l <<<"$stderr")" 2
	[[ ${stderr##*$'\n'} == "$t: "*"1 failed"* ]] ||
	    fail "summary: ${stderr##*$'\n'}"
}

# Files holding one bad line each.
bytes() {
	printf "$2" >"$BATS_TEST_TMPDIR/$1"
	echo "$BATS_TEST_TMPDIR/$1"
}

TOOLS="vault-dump kv-name kv-put kv-check kv-grant"

# bad_all FILE REGEX: bad_line for every tool of $TOOLS.
bad_all() {
	local t
	for t in $TOOLS; do
		bad_line "$t" "$1" "$2"
	done
}

@test "malformed JSON: an error record for its line, the others processed, exit 1 (every tool)" {
	local t f
	f=$(bytes json '{"mount":"secret","path":')
	bad_all "$f" 'invalid JSON: .+'
	f=$(bytes json2 'not json at all')
	bad_all "$f" 'invalid JSON: .+'
	# A missing comma, the likeliest hand edit (libjq 1.6 leaks the
	# string after it: under ASan this shows; see tests/fuzz/jqleak.h).
	f=$(bytes json3 '{"mount":"secret" "path":"bad/x","kv":2}')
	bad_all "$f" 'invalid JSON: expected a separator between values'
}

@test "a JSON value that is not an object: an error record for its line (every tool)" {
	local t v
	for v in '[1,2]' '"a string"' '42' 'null' 'true'; do
		bad_all "$(bytes v "$v")" 'not a JSON object'
	done
}

@test "a NUL byte in a line: an error record for its line (every tool)" {
	local t f
	f=$(bytes nul '{"mount":"secret","path":"bad/\000x","kv":2}')
	bad_all "$f" 'NUL byte in line'
}

@test "invalid UTF-8 (bad bytes, overlong, surrogate): an error record for its line (every tool)" {
	local t v
	for v in '\xff\xfe' '\xc0\xaf' '\xed\xa0\x80' '\xe2\x82'; do
		f=$(bytes u "{\"mount\":\"secret\",\"path\":\"bad/$v\",\"kv\":2}")
		bad_all "$f" 'invalid UTF-8'
	done
}

@test "a line over 1 MiB: an error record for its line, and none of its bytes in any output (every tool)" {
	local t f=$BATS_TEST_TMPDIR/big
	{
		printf '{"mount":"secret","path":"bad/big","kv":2,'
		printf '"name":"secret-bad-big","data":{"k":"BIGVALUE-'
		head -c $((1024 * 1024)) /dev/zero | tr '\0' 'Q'
		printf '"}}'
	} >"$f"
	for t in $TOOLS; do
		bad_line "$t" "$f" 'line longer than 1048576 bytes'
		refute_output --partial BIGVALUE
		[[ $stderr != *BIGVALUE* && $stderr != *QQQQ* ]]
		(( ${#output} < 4096 ))
	done
}

@test "an empty stream, or one of blank lines only: no output, exit 0 (every tool)" {
	local t
	for t in $TOOLS; do
		run -0 --separate-stderr tool "$t" </dev/null
		assert_output ''
		[[ $stderr == "$t: 0 records"* ]] || fail "$t: $stderr"
		run -0 --separate-stderr tool "$t" < <(printf '\n  \n\t\r\n\n')
		assert_output ''
		[[ $stderr == "$t: 0 records"* ]] || fail "$t: $stderr"
	done
}

@test "a stream without a final newline: its last record is processed, exit 0 (every tool)" {
	local t
	for t in $TOOLS; do
		run -0 --separate-stderr tool "$t" < <(good "$t" a;
		    printf '%s' "$(good "$t" c)")
		assert_equal "${#lines[@]}" 2
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[1]}"
	done
}

@test "a bad last line without a final newline is still reported, with its line number (every tool)" {
	local t
	for t in $TOOLS; do
		run -1 --separate-stderr tool "$t" < <(good "$t" a; echo;
		    printf '{"mount":')
		assert_equal "${#lines[@]}" 2
		is_good "$t" a "${lines[0]}"
		jq -e '.line == 3 and (.error.message | startswith("line 3: invalid JSON"))' \
		    <<<"${lines[1]}" >/dev/null || fail "$t: ${lines[1]}"
		assert_line --index 1 --partial "\"tool\":\"$t\""
	done
}

@test "CRLF line ends are read as line ends (every tool)" {
	local t
	for t in $TOOLS; do
		run -0 --separate-stderr tool "$t" < <(good "$t" a |
		    tr '\n' '\r'; echo; good "$t" c | tr '\n' '\r'; echo)
		assert_equal "${#lines[@]}" 2
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[1]}"
	done
}

@test "records that already carry an error pass through unchanged and count as failed (every tool)" {
	local t e='{"mount":"secret","path":"bad/x","kv":2,"name":"secret-bad-x","principal":"'$P1'","role":"Key Vault Reader","error":{"tool":"vault-ls","status":403,"message":"permission denied"}}'
	for t in $TOOLS; do
		run -1 --separate-stderr tool "$t" < <(good "$t" a; echo "$e";
		    good "$t" c)
		assert_equal "${#lines[@]}" 3
		assert_equal "${lines[1]}" "$e"
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[2]}"
	done
}

# An "error" that is not an object, as a hand-written or foreign record
# may carry: each tool must take it as an upstream failure, unchanged,
# rather than index into it.
@test "records whose error is a string, a number, an array or null pass through unchanged as failed upstream (every tool)" {
	local t e err
	for err in '"x"' 7 '["a"]' null; do
		e='{"mount":"secret","path":"bad/x","kv":2,"name":"secret-bad-x","principal":"'$P1'","role":"Key Vault Reader","error":'$err'}'
		for t in $TOOLS; do
			run -1 --separate-stderr tool "$t" < <(good "$t" a;
			    echo "$e"; good "$t" c)
			assert_equal "${#lines[@]}" 3
			assert_equal "${lines[1]}" "$e"
			is_good "$t" a "${lines[0]}"
			is_good "$t" c "${lines[2]}"
			[[ $stderr == *"1 failed upstream"* ]] ||
			    fail "$t, error $err: $stderr"
		done
		# kv-check's report lists it with the others.
		run -1 --separate-stderr kv-check --report \
		    "$BATS_TEST_TMPDIR/r.md" < <(good kv-check a; echo "$e";
		    good kv-check c)
		assert_equal "${#lines[@]}" 3
		grep -q 'bad/x' "$BATS_TEST_TMPDIR/r.md" ||
		    fail "error $err: not in the report"
	done
}

# Every field a record may carry (vault2kv(7)), each in turn of every
# JSON kind, in records between good a and c: no tool may crash or lose
# a record over a field of the wrong kind, whichever it reads.
FIELDS='mount path kv namespace folder version version_count created_time
updated_time custom_metadata deleted destroyed delete_version_after data
name key reference vault id status check principal role principal_type
assignment scope policy via reason secrets warning line preflight missing
grant source error'

@test "no field of any JSON kind crashes a tool or loses a record (every tool)" {
	local t n
	for t in $TOOLS; do
		{
			good "$t" a
			good "$t" x | jq -c --arg fields "$FIELDS" '. as $r |
			    ["x", 0, -1, 1e300, 1.5, true, null, [], [1, "a"],
			    {}, {"a": {"b": 1}}][] as $v |
			    ($fields | splits("\\s+")) as $f | $r | .[$f] = $v'
			good "$t" c
		} >"$BATS_TEST_TMPDIR/in"
		n=$(wc -l <"$BATS_TEST_TMPDIR/in")
		run --separate-stderr tool "$t" <"$BATS_TEST_TMPDIR/in"
		[[ $status == [01] ]] || fail "$t: exit $status: $stderr"
		assert_equal "${#lines[@]}" "$n"
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[n - 1]}"
	done
}

# Answers Vault never gives, from a server that answers 200 to every
# request (a proxy, a half-done stand-in): a bare string, null, an empty
# body, the wrong kinds inside.  Every Vault tool says what it could not
# read and goes on or ends, 0 to 2; none crashes (vault-ls used to abort
# on a non-object answer to sys/mounts, and with -n on a lookup-self
# whose data was not an object).
@test "answers Vault never gives (a bare string, null, empty, wrong kinds inside) are errors, never a crash (vault-ls, vault-dump)" {
	local b cmd
	_start ODD flaky.py
	for b in '"x"' 1 null '[]' '' '{"data":"x"}' '{"errors":"x"}' \
	    '{"data":{"keys":"x"}}' '{"data":{"keys":["a",7]}}' \
	    '{"secret/":{"type":"kv","options":{"version":"x"}}}' \
	    '{"data":{"secret/":{"type":"kv","options":"x"}}}' \
	    '{"data":{"data":{"a":"b"},"metadata":"x"}}' \
	    '{"data":{"versions":{"1":"x"},"current_version":1}}' \
	    '{"data":{"ttl":"x","renewable":1e300}}'; do
		if [ -z "$b" ]; then
			curl -sf -X POST --data-binary ' ' "$ODD_URL/_body"
		else
			curl -sf -X POST --data-binary "$b" "$ODD_URL/_body"
		fi
		for cmd in vault-ls "vault-ls -n" "vault-ls -A" \
		    "vault-ls -l secret" "vault-dump secret/a" \
		    "vault-dump -a secret/a"; do
			VAULT_ADDR=$ODD_URL VAULT_MAX_RETRIES=0 run \
			    --separate-stderr timeout 20 $cmd </dev/null
			[[ $status -le 2 ]] ||
			    fail "$cmd, answers $b: exit $status: $stderr"
		done
		for rec in '{"mount":"secret","path":"a","kv":2}' \
		    '{"mount":"secret","path":"a","kv":1}'; do
			VAULT_ADDR=$ODD_URL VAULT_MAX_RETRIES=0 run \
			    --separate-stderr timeout 20 vault-dump -a <<<"$rec"
			[[ $status -le 2 ]] ||
			    fail "vault-dump <<<$rec, answers $b: exit $status: $stderr"
		done
	done
}

# The same for Key Vault and Resource Manager, each answer given once a
# token is held (the stand-in's odd_answers): the kv-* tools say what
# they could not read; none crashes (kv-put -n used to abort on a list of
# subscriptions whose items were not objects, or that came empty).
@test "answers Key Vault and Resource Manager never give are errors, never a crash (kv-put, kv-check, kv-grant)" {
	local odd cmd rec
	rec=$(good kv-put a)
	ODD=1
	for odd in '{"path":"/secrets","body":"x"}' \
	    '{"path":"/secrets","body":{"value":[1,{}]}}' \
	    '{"path":"/secrets","body":{"value":[],"nextLink":7}}' \
	    '{"path":"/secrets"}' \
	    '{"path":"/secrets/","body":{"id":7,"value":[],"attributes":"x","tags":"x"}}' \
	    '{"path":"/secrets/","body":{"id":"x","value":"v","attributes":{"enabled":"x","exp":1e300},"tags":{"a":{}}}}' \
	    '{"path":"/deletedsecrets","body":{"value":[null]}}' \
	    '{"path":"/subscriptions","body":{"value":["x"]}}' \
	    '{"path":"/subscriptions"}' \
	    '{"path":"/subscriptions","body":{"value":[{"properties":"x","id":7}]}}' \
	    '{"path":"/subscriptions","body":{"properties":{"vaultUri":7,"enableRbacAuthorization":"x"}}}' \
	    '{"path":"/","body":null}'; do
		kvadmin POST /_admin/config "{\"odd_answers\": [$odd]}" >/dev/null
		for cmd in kv-put "kv-put -n" kv-check "kv-check --orphans=all" \
		    "kv-grant --vault kv-test" "kv-grant -n --vault kv-test"; do
			case $cmd in
			kv-grant*) run --separate-stderr timeout 30 $cmd \
			    < <(good kv-grant a) ;;
			*) run --separate-stderr timeout 30 $cmd <<<"$rec" ;;
			esac
			[[ $status -le 2 ]] ||
			    fail "$cmd, odd answer $odd: exit $status: $stderr"
		done
	done
}

# wrong TOOL RECORD MESSAGE: RECORD as line 2 between good a and c is
# failed with MESSAGE (ERE) in its error, reported on stderr with the
# line or the record's mount/path or name, the others processed; exit 1.
# Problems are collected in WRONG (every case runs); wrong_done fails
# the test if there were any.
WRONG=
wrong() {
	local t=$1 rec=$2 msg=$3 label m p=
	run --separate-stderr tool "$t" < <(good "$t" a; echo "$rec";
	    good "$t" c)
	[[ $status == 1 ]] || p+=" exit $status, not 1;"
	if [[ ${#lines[@]} == 3 ]]; then
		( is_good "$t" a "${lines[0]}" ) >/dev/null 2>&1 ||
		    p+=" record a changed;"
		( is_good "$t" c "${lines[2]}" ) >/dev/null 2>&1 ||
		    p+=" record c changed;"
		m=$(jq -r --arg t "$t" 'select(.error.tool == $t) |
		    .error.message' <<<"${lines[1]}")
		if [[ -z $m ]]; then
			p+=" not failed: ${lines[1]};"
		elif ! grep -Eq -- "$msg" <<<"$m"; then
			p+=" message '$m' is not /$msg/;"
		fi
		# Its fields are kept, data excepted (kv-put, kv-check drop it).
		jq -e --argjson r "$rec" '. as $o | $r | del(.data) |
		    to_entries | all(.value == $o[.key])' <<<"${lines[1]}" \
		    >/dev/null || p+=" fields changed: ${lines[1]};"
	else
		p+=" ${#lines[@]} output lines, not 3;"
	fi
	# The message names the line, or the record by mount/path or name.
	label=$(jq -r 'if (.mount|type) == "string" and (.path|type) ==
	    "string" then "\(.mount)/\(.path)" elif (.name|type) == "string"
	    then .name else "line 2" end' <<<"$rec")
	grep -Fq -- "$t: $label: " <<<"$stderr" ||
	    grep -Fq -- "$t: line 2: " <<<"$stderr" ||
	    p+=" no message naming line 2 or $label: ${stderr%%$'\n'*};"
	[[ ${stderr##*$'\n'} == "$t: "*"1 failed"* ]] ||
	    p+=" summary: ${stderr##*$'\n'};"
	[[ -z $p ]] || WRONG+="$t $rec:$p"$'\n'
}

wrong_done() {
	[[ -z $WRONG ]] || fail "$WRONG"
}

@test "vault-dump: wrong field types and missing fields fail that record only" {
	wrong vault-dump '{"mount":5,"path":"bad/a","kv":2}' 'mount'
	wrong vault-dump '{"mount":"secret","path":{"p":1},"kv":2}' 'path'
	wrong vault-dump '{"mount":"secret","kv":2}' 'path'
	wrong vault-dump '{"path":"bad/a","kv":2}' 'mount'
	wrong vault-dump '{"mount":"secret","path":"bad/a","kv":"two"}' 'kv'
	wrong vault-dump '{"mount":"secret","path":"bad/a","kv":3}' 'kv'
	wrong vault-dump '{"mount":"secret","path":"bad/a","kv":2,"namespace":["x"]}' 'namespace'
	wrong vault-dump '{"mount":"secret","path":"","kv":2}' 'path|mount'
	wrong_done
}

@test "vault-dump: data of the wrong type in the input is replaced by the secret's data" {
	run -0 --separate-stderr vault-dump <<<'{"mount":"secret","path":"bad/a","kv":2,"data":"a string"}'
	is_good vault-dump a "$output"
}

@test "kv-name: wrong field types and missing fields fail that record only" {
	wrong kv-name '{"mount":5,"path":"bad/b","data":{}}' 'mount is number, not a string'
	wrong kv-name '{"mount":"secret","path":{"a":1},"data":{}}' 'path is object, not a string'
	wrong kv-name '{"mount":"secret","data":{}}' 'no path field'
	wrong kv-name '{"path":"bad/b","data":{}}' 'no mount field'
	wrong kv-name '{"mount":"","path":"bad/b"}' 'mount is empty'
	wrong kv-name '{"mount":"secret","path":"bad/b","name":{"n":1}}' 'name is object, not a string'
	wrong kv-name '{"mount":"secret","path":"bad/b","name":"not_valid"}' 'not a valid Key Vault name'
	wrong kv-name '{"mount":"secret","path":"bad/b","namespace":7}' 'namespace is number, not a string'
	wrong kv-name '{"mount":"secret","path":"bad/b","key":[1]}' 'key is array, not a string'
	wrong kv-name '{"mount":"secret","path":"---"}' 'no letter or digit'
	wrong_done
}

@test "kv-name: a path holding an escaped NUL (\\u0000) fails that record only" {
	run -1 --separate-stderr kv-name < <(good kv-name a;
	    echo '{"mount":"secret","path":"bad/\u0000b"}'; good kv-name c)
	is_good kv-name a "${lines[0]}"
	is_good kv-name c "${lines[2]}"
	jq -e '.error.message == "path holds a NUL character"' \
	    <<<"${lines[1]}" >/dev/null || fail "${lines[1]}"
	[[ $stderr == *"path holds a NUL character"* ]]
}

@test "a record without a usable mount, path or name is reported by its line number (vault-dump, kv-name, kv-put, kv-check)" {
	local t bad=
	for t in vault-dump kv-name kv-put kv-check; do
		run -1 --separate-stderr tool "$t" < <(good "$t" a;
		    echo '{"mount":5,"path":{"p":1},"kv":2}'; good "$t" c)
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[2]}"
		grep -q "^$t: line 2: " <<<"$stderr" ||
		    bad+="$t says: $(head -n 1 <<<"$stderr")"$'\n'
	done
	[[ -z $bad ]] || fail "messages that do not name line 2:"$'\n'"$bad"
}

# secret_names: the names of the secrets in Key Vault, as one JSON array.
secret_names() {
	admin "$KV_URL/_admin/state" | jq -c '[.secrets[].name] | sort'
}

# same_secrets NAMES: Key Vault holds the secrets NAMES (secret_names),
# else that is WRONG too.
same_secrets() {
	local after
	after=$(secret_names)
	[[ $after == "$1" ]] || WRONG+="secrets now: $after"$'\n'
}

@test "kv-put: wrong field types and missing fields fail that record only, and nothing is written for it" {
	local before
	before=$(secret_names)
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":{"n":1},"data":{"k":"x"}}' 'name'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":42,"data":{"k":"x"}}' 'name'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"data":{"k":"x"}}' 'no name'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"a_b","data":{"k":"x"}}' 'not a Key Vault secret name'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b","data":"a string"}' 'data is not an object'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b","data":[1]}' 'data is not an object'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b"}' 'no data'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b","data":null}' 'no data'
	same_secrets "$before"
	wrong_done
}

@test "kv-put: a mount, path or version of the wrong type fails the record instead of writing it untagged" {
	local before
	before=$(secret_names)
	wrong kv-put '{"mount":7,"path":"bad/b","kv":2,"name":"secret-bad-b1","data":{"k":"x"}}' 'mount'
	wrong kv-put '{"mount":"secret","path":["bad","b"],"kv":2,"name":"secret-bad-b2","data":{"k":"x"}}' 'path'
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b3","data":{"k":"x"},"version":"three"}' 'version'
	same_secrets "$before"
	wrong_done
}

@test "kv-check: wrong field types and missing fields fail that record only" {
	wrong kv-check '{"mount":"secret","path":"bad/b","kv":2,"name":{"n":1}}' 'name'
	wrong kv-check '{"mount":"secret","path":"bad/b","kv":2}' 'no name'
	wrong kv-check '{"mount":"secret","path":"bad/b","kv":2,"name":"a_b"}' 'not a Key Vault secret name'
	wrong kv-check '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b","data":"a string"}' 'data is not an object'
	wrong_done
}

@test "kv-grant: wrong field types and missing fields fail that record only" {
	wrong kv-grant '{"principal":5,"role":"Key Vault Reader"}' 'principal: not a string'
	wrong kv-grant '{"principal":"'$P1'","role":{"r":1}}' 'role: not a string'
	wrong kv-grant '{"principal":"'$P1'"}' 'role: missing'
	wrong kv-grant '{"role":"Key Vault Reader"}' 'principal: missing'
	wrong kv-grant '{"principal":"'$P1'","role":"Key Vault Reader","name":{"x":1}}' 'name: not a string'
	wrong kv-grant '{"principal":"not-a-guid","role":"Key Vault Reader"}' 'not an object id'
	wrong kv-grant '{"principal":"'$P1'","role":"Key Vault Reader","principal_type":7}' 'principal_type: not a string'
	wrong kv-grant '{"principal":"'$P1'","role":"No Such Role"}' 'role'
	wrong_done
}

@test "vault-ls: an empty operand is a usage error, exit 2" {
	run -2 --separate-stderr vault-ls ''
	assert_output ''
	[[ $stderr == 'vault-ls: empty mount or folder'* ]] || fail "$stderr"
	run -2 --separate-stderr vault-ls /
	assert_output ''
}

@test "vault-ls: a mount that does not exist becomes an error record, the other operands are listed, exit 1" {
	run -1 --separate-stderr vault-ls no-such-mount secret/bad
	assert_equal "${#lines[@]}" 3
	jq -e '.mount == "no-such-mount" and .folder == true and .error.tool == "vault-ls"' \
	    <<<"${lines[0]}" >/dev/null
	assert_equal "${lines[1]}" '{"mount":"secret","path":"bad/a","kv":2}'
	assert_equal "${lines[2]}" '{"mount":"secret","path":"bad/c","kv":2}'
	[[ $stderr == *"vault-ls: no-such-mount"* ]]
}

@test "vault-ls: operands of invalid UTF-8 or 5000 bytes list nothing, exit 0, and stdin is never read" {
	run -0 --separate-stderr vault-ls "secret/$(printf 'bad\xff\xfe')"
	assert_output ''
	run -0 --separate-stderr vault-ls "secret/$(head -c 5000 /dev/zero | tr '\0' a)"
	assert_output ''
	run -0 --separate-stderr vault-ls secret/bad < <(printf 'garbage\0\xff\n')
	assert_equal "${#lines[@]}" 2
}

@test "vault-dump: operands that are not secrets: usage error for an empty one, error records for the rest" {
	run -2 --separate-stderr vault-dump ''
	assert_output ''
	run -1 --separate-stderr vault-dump secret secret/bad/none secret/bad/a
	assert_equal "${#lines[@]}" 3
	jq -e '.error.tool == "vault-dump"' <<<"${lines[0]}" >/dev/null
	jq -e '.path == "bad/none" and .error.status == 404' <<<"${lines[1]}" >/dev/null
	is_good vault-dump a "${lines[2]}"
}

@test "a number a 64-bit float would change: an error record naming the line and the key, never the number, nothing written (every tool)" {
	local t in=$BATS_TEST_TMPDIR/in.ndjson want
	for t in $TOOLS; do
		{ good "$t" a
		  echo '{"mount":"secret","path":"bad/n","kv":2,"name":"secret-bad-n","data":{"id":12345678901234567890,"k":"vn"}}'
		  echo '{"mount":"secret","path":"bad/m","kv":2,"version":1e400,"data":{"k":"vm"}}'
		  good "$t" c; } >"$in"
		run -1 --separate-stderr tool "$t" <"$in"
		assert_equal "${#lines[@]}" 4
		is_good "$t" a "${lines[0]}"
		is_good "$t" c "${lines[3]}"
		want="the number cannot be carried exactly by a 64-bit float; store it as a string"
		assert_equal "${lines[1]}" "{\"line\":2,\"mount\":\"secret\",\"path\":\"bad/n\",\"name\":\"secret-bad-n\",\"error\":{\"tool\":\"$t\",\"status\":null,\"message\":\"line 2: data.id: $want\"}}"
		assert_equal "${lines[2]}" "{\"line\":3,\"mount\":\"secret\",\"path\":\"bad/m\",\"error\":{\"tool\":\"$t\",\"status\":null,\"message\":\"line 3: version: $want\"}}"
		# kv-check names the record by its mount and path as well.
		assert_regex "$(sed -n 1p <<<"$stderr")" "^$t: (secret/bad/n: )?line 2: data\.id: $want\$"
		assert_regex "$(sed -n 2p <<<"$stderr")" "^$t: (secret/bad/m: )?line 3: version: $want\$"
		[[ $output$stderr != *12345678901234567* && $output$stderr != *vn* ]]
	done
	# Nothing of it reached Key Vault.
	run -0 admin "$KV_URL/_admin/state"
	assert_equal "$(jq -c '[.secrets[].name | select(test("bad-[nm]"))]' <<<"$output")" '[]'
}

# H: a hostile piece of a path or name, as JSON: ESC [ 2 J (clear the
# screen), BEL, CR, and the C1 control CSI (U+009B) starting "31m".
H='\u001b[2J\u0007\r\u009b31m'

# raw_controls FILE: the lines of FILE holding a raw control character,
# C0 but tab and newline, DEL, or a C1 control as UTF-8 (C2 80..C2 9F);
# fails (prints nothing) when there is none.
raw_controls() {
	LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"
}

# escaped FILE: FILE holds messages showing H escaped, and no raw
# control character; fails showing the bytes otherwise.
escaped() {
	grep -qF '\e[2J\x07\r\u009b31m' "$1" ||
	    fail "$1: H is not shown escaped: $(od -c "$1" | head -20)"
	! raw_controls "$1" >/dev/null ||
	    fail "$1: raw control characters: $(raw_controls "$1" | od -c | head -20)"
}

@test "control characters of paths, mounts and names are shown escaped in every tool's messages, never raw" {
	local w=$BATS_TEST_TMPDIR
	# A mount Vault lacks (its 404 echoes the path) and a missing secret.
	printf '{"mount":"nomount%s","path":"p%s","kv":2}\n{"mount":"secret","path":"p%s","kv":2}\n' \
	    "$H" "$H" "$H" | vault-dump -v >/dev/null 2>"$w/dump.err" || true
	escaped "$w/dump.err"
	# The mount check names the mount (the 404 of an unknown mount).
	grep -q "nomount" "$w/dump.err"
	# Two paths that differ only in control characters: one name.
	printf '{"mount":"secret","path":"c%s","kv":2,"data":{}}\n{"mount":"secret","path":"c%s\\u0007","kv":2,"data":{}}\n' \
	    "$H" "$H" | kv-name -v >/dev/null 2>"$w/name.err" || true
	escaped "$w/name.err"
	printf '{"mount":"secret%s","path":"p%s","kv":2,"name":"n%s","data":{"k":"v"}}\n{"mount":"secret","path":"p%s","kv":2,"name":"hostile-data","data":5}\n' \
	    "$H" "$H" "$H" "$H" | kv-put -v >/dev/null 2>"$w/put.err" || true
	escaped "$w/put.err"
	printf '{"mount":"secret%s","path":"p%s","kv":2,"name":"n%s","data":{"k":"v"}}\n{"mount":"secret","path":"p%s","kv":2,"name":"hostile-missing","data":{"k":"v"}}\n' \
	    "$H" "$H" "$H" "$H" | kv-check -v >/dev/null 2>"$w/check.err" || true
	escaped "$w/check.err"
	printf '{"principal":"%s","role":"Key Vault Secrets User%s","name":"n%s"}\n' \
	    "$P1" "$H" "$H" | kv-grant -v --vault kv-test >/dev/null \
	    2>"$w/grant.err" || true
	escaped "$w/grant.err"
	# An operand, with a byte that is not UTF-8 (shown as \xff).
	vault-ls -v "nomount$(printf '\e[2J\a\r\xc2\x9b31m\xff')" >/dev/null \
	    2>"$w/ls.err" || true
	escaped "$w/ls.err"
	grep -qF '31m\xff' "$w/ls.err"
}

@test "a path's direction controls (U+202E, U+2066) are shown escaped in messages: they cannot reorder the line on a terminal" {
	# "secret/inv<RLO>fdp.exe" would show as "secret/invexe.pdf".
	run -1 --separate-stderr vault-dump \
	    <<<'{"mount":"secret","path":"bad/inv\u202efdp.exe\u2066x","kv":2}'
	[[ $stderr == *'inv\u202efdp.exe\u2066x'* ]] ||
	    fail "not escaped: $(od -c <<<"$stderr" | head)"
	# No raw U+202E or U+2066 (as UTF-8).
	[[ $stderr != *$'\xe2\x80\xae'* && $stderr != *$'\xe2\x81\xa6'* ]]
}

@test "numbers out of range for the C type are field errors, never undefined behaviour (vault-dump kv, kv-put and kv-check version)" {
	local n
	for n in 1e300 -1e300 1.5 -1 0 3 2.000001; do
		wrong vault-dump '{"mount":"secret","path":"bad/a","kv":'$n'}' \
		    'kv is [-0-9.e+]+, not 1 or 2'
	done
	for n in 1e300 -1e300 1.5 -1 0 1e16; do
		wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-n","data":{"k":"x"},"version":'$n'}' \
		    'version is [-0-9.e+]+, not a version number \(1, 2, ...\)'
		wrong kv-check '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-b","data":{"k":"x"},"version":'$n'}' \
		    'version is [-0-9.e+]+, not a version number \(1, 2, ...\)'
	done
	wrong_done
}

@test "kv-put: a delete_version_after that is no Go duration, or beyond Go's range, is a field error" {
	local d
	for d in 99999999999999999999h 1e300h 2562048h -1h 3x h inf nan 1h30 ""s; do
		wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-d","data":{"k":"x"},"delete_version_after":"'$d'"}' \
		    'delete_version_after is ".*", not a Go duration \("768h", "1h30m"\) within 292 years'
	done
	wrong kv-put '{"mount":"secret","path":"bad/b","kv":2,"name":"secret-bad-d","data":{"k":"x"},"delete_version_after":1e300}' \
	    'delete_version_after is a number, not a string'
	wrong_done
}
