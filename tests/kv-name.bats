#!/usr/bin/env bats
# kv-name: valid, unique and stable Key Vault names.  No server needed.

setup() {
	load helpers
	FIX=$TOP/tests/fixtures/kv-name
	L130=$(printf 'x%.0s' $(seq 1 130))
}

@test "names a record after its mount and path with the default rule" {
	run -0 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"app/db_main","kv":2}
		{"mount":"kv1","path":"Ops//Deploy Key.v2","kv":1}
		{"mount":"secret","path":"-lead/trail-","kv":2}
		{"mount":"secret","path":"a--b__c","kv":2}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"app/db_main","kv":2,"name":"secret-app-db-main"}
{"mount":"kv1","path":"Ops//Deploy Key.v2","kv":1,"name":"kv1-Ops-Deploy-Key-v2"}
{"mount":"secret","path":"-lead/trail-","kv":2,"name":"secret-lead-trail"}
{"mount":"secret","path":"a--b__c","kv":2,"name":"secret-a-b-c"}'
	assert_equal "$stderr" "kv-name: 4 records in, 4 out, 0 failed"
}

@test "refuses every path that collides with an earlier one and exits 1" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"a/b_c"}
		{"mount":"secret","path":"a_b/c"}
		{"mount":"secret","path":"A/B-C"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"a/b-c","name":"secret-a-b-c"}
{"mount":"secret","path":"a/b_c","error":{"tool":"kv-name","status":null,"message":"name secret-a-b-c already taken by secret/a/b-c"}}
{"mount":"secret","path":"a_b/c","error":{"tool":"kv-name","status":null,"message":"name secret-a-b-c already taken by secret/a/b-c"}}
{"mount":"secret","path":"A/B-C","error":{"tool":"kv-name","status":null,"message":"name secret-A-B-C already taken by secret/a/b-c"}}'
	assert_equal "$stderr" "kv-name: secret/a/b_c: name secret-a-b-c already taken by secret/a/b-c
kv-name: secret/a_b/c: name secret-a-b-c already taken by secret/a/b-c
kv-name: secret/A/B-C: name secret-A-B-C already taken by secret/a/b-c
kv-name: 4 records in, 4 out, 3 failed"
}

@test "gives another record of the same path the same name without a collision" {
	run -0 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"a/b","version":1}
		{"mount":"secret","path":"a/b","version":2}
		{"mount":"secret","path":"a/b","version":3}
	EOF
	assert_equal "$(jq -r .name <<<"$output" | sort -u)" "secret-a-b"
	assert_equal "${#lines[@]}" 3
}

@test "with --on-collision=suffix appends the hash of each colliding mount/path" {
	run -0 --separate-stderr kv-name --on-collision=suffix <<-'EOF'
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"a/b_c"}
		{"mount":"secret","path":"a_b/c"}
		{"mount":"secret","path":"A/B-C"}
		{"mount":"secret","path":"a/b_c","version":2}
	EOF
	assert_equal "$(jq -r .name <<<"$output")" "secret-a-b-c
secret-a-b-c-$(h8 secret/a/b_c)
secret-a-b-c-$(h8 secret/a_b/c)
secret-A-B-C-$(h8 secret/A/B-C)
secret-a-b-c-$(h8 secret/a/b_c)"
	assert_equal "$stderr" "kv-name: 5 records in, 5 out, 0 failed"
}

@test "a path's suffix does not depend on which other paths collide or their order" {
	run -0 kv-name --on-collision=suffix -q <<-'EOF'
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"a_b/c"}
		{"mount":"secret","path":"a/b_c"}
	EOF
	first=$(jq -r 'select(.path == "a/b_c") | .name' <<<"$output")
	run -0 kv-name --on-collision=suffix -q <<-'EOF'
		{"mount":"secret","path":"A/B-C"}
		{"mount":"secret","path":"a/b_c"}
	EOF
	second=$(jq -r 'select(.path == "a/b_c") | .name' <<<"$output")
	assert_equal "$first" "secret-a-b-c-$(h8 secret/a/b_c)"
	assert_equal "$second" "$first"
}

@test "a suffixed name that is itself taken makes an error record" {
	taken="secret-a-b-c-$(h8 secret/a/b_c)"
	run -1 --separate-stderr kv-name --on-collision=suffix <<-EOF
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"squatter","name":"$taken"}
		{"mount":"secret","path":"a/b_c"}
	EOF
	assert_line -n 1 "{\"mount\":\"secret\",\"path\":\"squatter\",\"name\":\"$taken\"}"
	assert_line -n 2 "{\"mount\":\"secret\",\"path\":\"a/b_c\",\"error\":{\"tool\":\"kv-name\",\"status\":null,\"message\":\"name secret-a-b-c already taken by secret/a/b-c, and name $taken by secret/squatter\"}}"
	assert_equal "$stderr" "kv-name: secret/a/b_c: name secret-a-b-c already taken by secret/a/b-c, and name $taken by secret/squatter
kv-name: 3 records in, 3 out, 1 failed"
}

@test "shortens long names with a hash so paths sharing 127+ characters differ" {
	run -0 --separate-stderr kv-name <<-EOF
		{"mount":"secret","path":"$L130/one"}
		{"mount":"secret","path":"$L130/two"}
	EOF
	stem=secret-$(printf 'x%.0s' $(seq 1 111))
	assert_equal "${#stem}" 118
	assert_equal "$(jq -r .name <<<"$output")" "$stem-$(h8 "secret-$L130-one")
$stem-$(h8 "secret-$L130-two")"
	assert_equal "$(jq -r '.name | length' <<<"$output" | sort -u)" 127
}

@test "keeps a 127-character name whole and shortens one of 128" {
	p120=$(printf 'y%.0s' $(seq 1 120))
	run -0 kv-name -q <<-EOF
		{"mount":"secret","path":"$p120"}
		{"mount":"secret","path":"${p120}z"}
	EOF
	assert_line -n 0 --partial "\"name\":\"secret-$p120\""
	n2=$(jq -r .name <<<"${lines[1]}")
	assert_equal "$n2" "secret-$(printf 'y%.0s' $(seq 1 111))-$(h8 "secret-${p120}z")"
}

@test "long names equal but for case or punctuation still collide, and suffix fits in 127" {
	run -1 --separate-stderr kv-name <<-EOF
		{"mount":"secret","path":"$L130/one"}
		{"mount":"secret","path":"${L130}_one"}
	EOF
	name=$(jq -r .name <<<"${lines[0]}")
	assert_equal "$(jq -r .error.message <<<"${lines[1]}")" "name $name already taken by secret/$L130/one"
	run -0 --separate-stderr kv-name --on-collision=suffix <<-EOF
		{"mount":"secret","path":"$L130/one"}
		{"mount":"secret","path":"${L130^^}/ONE"}
	EOF
	stem=secret-$(printf 'X%.0s' $(seq 1 111))
	assert_equal "$(jq -r .name <<<"${lines[1]}")" "$stem-$(h8 "secret/${L130^^}/ONE")"
}

@test "maps unicode to '-' and refuses paths with no letter or digit" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"café/naïve"}
		{"mount":"secret","path":"日本語"}
		{"mount":"secret","path":"--//__.."}
		{"mount":"secret","path":"ключ/v2"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"café/naïve","name":"secret-caf-na-ve"}
{"mount":"secret","path":"日本語","error":{"tool":"kv-name","status":null,"message":"no letter or digit in the path to make a name of"}}
{"mount":"secret","path":"--//__..","error":{"tool":"kv-name","status":null,"message":"no letter or digit in the path to make a name of"}}
{"mount":"secret","path":"ключ/v2","name":"secret-v2"}'
	assert_equal "$stderr" "kv-name: secret/日本語: no letter or digit in the path to make a name of
kv-name: secret/--//__..: no letter or digit in the path to make a name of
kv-name: 4 records in, 4 out, 2 failed"
}

@test "--strip-mount leaves the mount out and --prefix goes first" {
	in='{"mount":"secret","path":"app/db"}'
	run -0 kv-name -q --strip-mount <<<"$in"
	assert_output --partial '"name":"app-db"'
	run -0 kv-name -q -p team1 <<<"$in"
	assert_output --partial '"name":"team1-secret-app-db"'
	run -0 kv-name -q --prefix=team1- --strip-mount <<<"$in"
	assert_output --partial '"name":"team1-app-db"'
	run -1 --separate-stderr kv-name --strip-mount <<<'{"mount":"secret","path":"__"}'
	assert_equal "$(jq -r .error.message <<<"$output")" "no letter or digit in the path to make a name of"
}

@test "refuses a prefix that is not a name part" {
	for p in -x 'a--b' 'a_b' ''; do
		run -2 --separate-stderr kv-name -p "$p" </dev/null
		assert_equal "$output" ""
		assert_equal "$stderr" "kv-name: --prefix: $p is not a valid name part: letters, digits and single '-' between them
kv-name: try 'kv-name -h' for usage"
	done
}

@test "-e names records with a jq expression, checked and prefixed" {
	run -0 --separate-stderr kv-name -p app -e '.path | gsub("/"; "-")' <<-'EOF'
		{"mount":"secret","path":"db/main","data":{"password":"pw"}}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"db/main","data":{"password":"pw"},"name":"app-db-main"}'
	run -0 kv-name -q -e '"x" * 130' <<<'{"mount":"s","path":"p"}'
	assert_output --partial "\"name\":\"$(printf 'x%.0s' $(seq 1 118))-$(h8 "$L130")\""
}

@test "-e results that are not one valid name make error records" {
	in='{"mount":"secret","path":"app/db","data":{"password":"pw"}}'
	while IFS='~' read -r expr msg; do
		run -1 --separate-stderr kv-name -e "$expr" <<<"$in"
		assert_equal "$(jq -r .error.message <<<"$output")" "$msg"
		assert_equal "$(jq -c .data <<<"$output")" '{"password":"pw"}'
		assert_equal "$stderr" "kv-name: secret/app/db: $msg
kv-name: 1 record in, 1 out, 1 failed"
	done <<-'EOF'
		.path~-e: "app/db" is not a valid Key Vault name
		42~-e: result is number, not a string or an object
		empty~-e: no result
		.path, .mount~-e: more than one result
		.mount | .x~-e: Cannot index string with string "x"
		"bad: \(.path)" | error~-e: bad: app/db
		""~-e: "" is not a valid Key Vault name
		.data~-e: result is null, not a string or an object
	EOF
}

@test "-e cannot read the environment, files or other input, nor see data" {
	export VAULT_TOKEN=tok-MARKER-env
	in='{"mount":"secret","path":"app/db","data":{"password":"val-MARKER-data"}}'
	# Files libjq would read: ~/.jq (a file of definitions, or a module
	# directory), modules and data files in the working directory.
	mkdir -p "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	echo 'def x: "file-MARKER-x";' >x.jq
	echo '"file-MARKER-json"' >x.json
	echo 'def marker: "file-MARKER-home";' >"$HOME/.jq"
	while IFS='~' read -r expr msg; do
		run -1 --separate-stderr kv-name -e "$expr" <<<"$in"
		assert_equal "$(jq -r .error.message <<<"$output")" "$msg"
		refute_output --partial tok-MARKER
		refute_output --partial file-MARKER
		refute_regex "$stderr" 'MARKER'
	done <<-'EOF'
		env.VAULT_TOKEN~-e: env is not available: -e sees only the record
		env | tostring~-e: env is not available: -e sees only the record
		$ENV.VAULT_TOKEN~-e: result is null, not a string or an object
		"n\($ENV | length)/"~-e: "n0/" is not a valid Key Vault name
		$ENV | tostring~-e: "{}" is not a valid Key Vault name
		$ ENV | tostring~-e: "{}" is not a valid Key Vault name
		def f: $ENV.VAULT_TOKEN; f~-e: result is null, not a string or an object
		"x" | modulemeta | tostring~-e: modulemeta is not available: -e sees only the record
		input~-e: input is not available: -e sees only the record
		[inputs] | tostring~-e: inputs is not available: -e sees only the record
		_input~-e: _input is not available: -e sees only the record
		input_filename~-e: input_filename is not available: -e sees only the record
		input_line_number~-e: input_line_number is not available: -e sees only the record
		get_search_list | tostring~-e: get_search_list is not available: -e sees only the record
		get_jq_origin~-e: get_jq_origin is not available: -e sees only the record
		get_prog_origin~-e: get_prog_origin is not available: -e sees only the record
		.path | debug~-e: debug is not available: -e sees only the record
		.path | stderr~-e: stderr is not available: -e sees only the record
		now | localtime | mktime | tostring~-e: localtime is not available: -e sees only the record
		$__loc__ | tostring~-e: "{\"file\":\"<top-level>\",\"line\":1}" is not a valid Key Vault name
		getpath(["data"])~-e: result is null, not a string or an object
		.data.password~-e: result is null, not a string or an object
		[paths] | tostring~-e: "[[\"mount\"],[\"path\"]]" is not a valid Key Vault name
	EOF
	# Directives that load files cannot be written at all.
	for expr in 'include "x"; x' 'import "x" as x; x::x' \
	    'import "x" as $x; $x[0]' 'module {}; .path' 'marker'; do
		run -2 --separate-stderr kv-name -e "$expr" <<<"$in"
		assert_equal "$output" ""
		refute_regex "$stderr" 'MARKER'
	done
	assert_equal "$stderr" "kv-name: -e: marker/0 is not defined at <top-level>, line 1
kv-name: try 'kv-name -h' for usage"
	run -2 --separate-stderr kv-name -e 'include "x"; x' <<<"$in"
	assert_equal "$stderr" "kv-name: -e: import, include and module are not available: -e sees only the record
kv-name: try 'kv-name -h' for usage"
	# ~/.jq as a module directory.
	rm "$HOME/.jq"
	mkdir "$HOME/.jq"
	echo 'def x: "file-MARKER-dir";' >"$HOME/.jq/x.jq"
	run -2 --separate-stderr kv-name -e 'import "x" as x; x::x' <<<"$in"
	refute_regex "$output$stderr" 'MARKER'
	# What -e may use still works, ~/.jq or not.
	run -0 kv-name -q -e '.path | gsub("/"; "-")' <<<"$in"
	assert_equal "$(jq -r .name <<<"$output")" app-db
}

@test "a jq syntax error is a usage error with jq's message" {
	run -2 --separate-stderr kv-name -e '.path |' <<<'{"mount":"s","path":"p"}'
	assert_equal "$output" ""
	assert_equal "$stderr" "kv-name: -e: syntax error, unexpected \$end (Unix shell quoting issues?) at <top-level>, line 1
kv-name: try 'kv-name -h' for usage"
	run -2 --separate-stderr kv-name -e 'nosuchfn' </dev/null
	assert_equal "$stderr" "kv-name: -e: nosuchfn/0 is not defined at <top-level>, line 1
kv-name: try 'kv-name -h' for usage"
	run -2 --separate-stderr kv-name -e .path --strip-mount </dev/null
	assert_equal "$stderr" "kv-name: --strip-mount has no effect with -e
kv-name: try 'kv-name -h' for usage"
}

@test "--reference adds the App Service reference and checks the vault name" {
	run -0 kv-name -q --reference prod-kv1 <<<'{"mount":"secret","path":"app/db"}'
	assert_output '{"mount":"secret","path":"app/db","name":"secret-app-db","reference":"@Microsoft.KeyVault(VaultName=prod-kv1;SecretName=secret-app-db)"}'
	for v in ab 1abc a--b abc- "$(printf 'v%.0s' $(seq 1 25))" my_vault; do
		run -2 --separate-stderr kv-name --reference "$v" </dev/null
		assert_equal "$stderr" "kv-name: --reference: $v is not a Key Vault name
kv-name: try 'kv-name -h' for usage"
	done
}

@test "passes records that arrive with an error through unchanged" {
	in='{"mount":"secret","path":"x","data":{"k":"v"},"error":{"tool":"vault-dump","status":403,"message":"permission denied"}}'
	run -1 --separate-stderr kv-name --reference kv01 <<<"$in"
	assert_equal "$output" "$in"
	assert_equal "$stderr" "kv-name: 1 record in, 1 out, 0 failed here, 1 failed upstream"
}

@test "records without mount or path become error records naming the field" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"path":"x"}
		{"mount":"secret"}
		{"mount":"secret","path":7}
		{"mount":"secret","path":""}
		{"mount":"secret","path":"ok","key":["k"]}
	EOF
	assert_equal "$(jq -r .error.message <<<"$output")" "no mount field
no path field
path is number, not a string
path is empty
key is array, not a string"
	assert_equal "$stderr" "kv-name: line 1: no mount field
kv-name: line 2: no path field
kv-name: line 3: path is number, not a string
kv-name: secret/: path is empty
kv-name: secret/ok: key is array, not a string
kv-name: 5 records in, 5 out, 5 failed"
}

@test "keeps a name the record arrives with, checks it, and -f recomputes it" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"a","name":"Legacy-A"}
		{"mount":"secret","path":"b","name":"legacy-a"}
		{"mount":"secret","path":"c","name":"bad_name"}
		{"mount":"secret","path":"legacy/a"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"a","name":"Legacy-A"}
{"mount":"secret","path":"b","name":"legacy-a","error":{"tool":"kv-name","status":null,"message":"name legacy-a already taken by secret/a"}}
{"mount":"secret","path":"c","name":"bad_name","error":{"tool":"kv-name","status":null,"message":"name \"bad_name\" is not a valid Key Vault name"}}
{"mount":"secret","path":"legacy/a","name":"secret-legacy-a"}'
	run -0 kv-name -q -f <<<'{"mount":"secret","path":"a","name":"Legacy-A"}'
	assert_output '{"mount":"secret","path":"a","name":"secret-a"}'
}

@test "running kv-name over its own output changes nothing" {
	run -1 kv-name -q --on-collision=suffix --split --reference kv01 <"$FIX/stable.ndjson"
	once=$output
	run -1 kv-name -q --on-collision=suffix --split --reference kv01 <<<"$once"
	assert_equal "$output" "$once"
}

@test "same input gives the same output byte for byte (golden files)" {
	kv-name -q <"$FIX/stable.ndjson" >"$BATS_TEST_TMPDIR/e1" || [ $? -eq 1 ]
	kv-name -q <"$FIX/stable.ndjson" >"$BATS_TEST_TMPDIR/e2" || [ $? -eq 1 ]
	cmp "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e2"
	cmp "$FIX/stable.error.ndjson" "$BATS_TEST_TMPDIR/e1"
	kv-name -q --on-collision=suffix --split --reference kv01 <"$FIX/stable.ndjson" \
	    >"$BATS_TEST_TMPDIR/s1" || [ $? -eq 1 ]
	kv-name -q --on-collision=suffix --split --reference kv01 <"$FIX/stable.ndjson" \
	    >"$BATS_TEST_TMPDIR/s2" || [ $? -eq 1 ]
	cmp "$BATS_TEST_TMPDIR/s1" "$BATS_TEST_TMPDIR/s2"
	cmp "$FIX/stable.suffix.ndjson" "$BATS_TEST_TMPDIR/s1"
}

@test "passes data through untouched, byte for byte" {
	in='{"mount":"secret","path":"app","data":{"json":"{\"a\":[1,2]}","uni":"é\u0000\ud83d\ude00","n":1.5,"nested":{"x":null}}}'
	run -0 kv-name -q <<<"$in"
	assert_equal "$(jq -c .data <<<"$output")" "$(jq -c .data <<<"$in")"
	assert_equal "$output" "$(jq -c '.name = "secret-app"' <<<"$in")"
}

@test "--map pins names and reserves them against new paths" {
	cat >"$BATS_TEST_TMPDIR/map" <<-'EOF'
		{"mount":"secret","path":"a/b-c","name":"legacy-abc","id":"https://v/secrets/legacy-abc/1","status":"created"}
		{"mount":"secret","path":"old","name":"secret-new"}
		{"mount":"secret","path":"gone","error":{"tool":"kv-put","status":403,"message":"denied"}}
		{"mount":"secret","path":"a/b-c","name":"legacy-abc","status":"unchanged"}
	EOF
	run -0 --separate-stderr kv-name -m "$BATS_TEST_TMPDIR/map" -e '"x-" + .path' <<-'EOF'
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"new"}
		{"mount":"secret","path":"old"}
		{"mount":"secret","path":"gone"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"a/b-c","name":"legacy-abc"}
{"mount":"secret","path":"new","name":"x-new"}
{"mount":"secret","path":"old","name":"secret-new"}
{"mount":"secret","path":"gone","name":"x-gone"}'
	run -1 --separate-stderr kv-name -m "$BATS_TEST_TMPDIR/map" <<-'EOF'
		{"mount":"secret","path":"new"}
		{"mount":"secret","path":"a/b-c","name":"other"}
	EOF
	assert_equal "$stderr" "kv-name: secret/new: name secret-new already taken by secret/old (pinned by $BATS_TEST_TMPDIR/map line 2)
kv-name: secret/a/b-c: name other differs from legacy-abc, pinned by $BATS_TEST_TMPDIR/map line 1
kv-name: 2 records in, 2 out, 2 failed"
}

@test "a map that conflicts with the input wins over input order" {
	echo '{"mount":"secret","path":"a/b-c","name":"secret-a-b-c"}' >"$BATS_TEST_TMPDIR/map"
	run -1 --separate-stderr kv-name -m "$BATS_TEST_TMPDIR/map" <<-'EOF'
		{"mount":"secret","path":"a/b_c"}
		{"mount":"secret","path":"a/b-c"}
	EOF
	assert_line -n 0 --partial '"message":"name secret-a-b-c already taken by secret/a/b-c (pinned by'
	assert_line -n 1 '{"mount":"secret","path":"a/b-c","name":"secret-a-b-c"}'
	run -0 kv-name -q -m "$BATS_TEST_TMPDIR/map" --on-collision=suffix <<-'EOF'
		{"mount":"secret","path":"a/b_c"}
		{"mount":"secret","path":"a/b-c"}
	EOF
	assert_equal "$(jq -r .name <<<"$output")" "secret-a-b-c-$(h8 secret/a/b_c)
secret-a-b-c"
}

@test "an inconsistent or unreadable map is fatal and names the lines" {
	m=$BATS_TEST_TMPDIR/map
	printf '%s\n' '{"mount":"s","path":"a","name":"n1"}' \
	    '{"mount":"s","path":"b","name":"x"}' \
	    '{"mount":"s","path":"c","name":"N1"}' >"$m"
	run -2 --separate-stderr kv-name -m "$m" <<<'{"mount":"s","path":"z"}'
	assert_equal "$output" ""
	assert_equal "$stderr" "kv-name: $m:3: name N1 of s/c is also the name of s/a on line 1"
	printf '%s\n' '{"mount":"s","path":"a","name":"n1"}' \
	    '{"mount":"s","path":"a","name":"N1"}' \
	    '{"mount":"s","path":"a","name":"n2"}' >"$m"
	run -2 --separate-stderr kv-name -m "$m" </dev/null
	assert_equal "$stderr" "kv-name: $m:3: s/a is named n2 here and n1 on line 1"
	printf '%s\n' '{"mount":"s","path":"a","name":"n1"}' 'not json' >"$m"
	run -2 --separate-stderr kv-name -m "$m" </dev/null
	assert_equal "$stderr" "kv-name: $m:2: invalid JSON: Invalid numeric literal at line 1, column 4"
	printf '%s\n' '{"mount":"s","path":"a"}' >"$m"
	run -2 --separate-stderr kv-name -m "$m" </dev/null
	assert_equal "$stderr" "kv-name: $m:1: no name field"
	printf '%s\n' '{"mount":"s","path":"a","name":"a.b"}' >"$m"
	run -2 --separate-stderr kv-name -m "$m" </dev/null
	assert_equal "$stderr" "kv-name: $m:1: name \"a.b\" is not a valid Key Vault name"
	run -2 --separate-stderr kv-name -m "$BATS_TEST_TMPDIR/nonexistent" </dev/null
	assert_equal "$stderr" "kv-name: $BATS_TEST_TMPDIR/nonexistent: No such file or directory"
}

@test "--split makes one record per key of a multi-key secret" {
	run -0 --separate-stderr kv-name --split --reference kv01 <<-'EOF'
		{"mount":"secret","path":"app/db","version":3,"data":{"user":"u","pass word":"p"}}
		{"mount":"secret","path":"app/one","data":{"only":"v"}}
		{"mount":"secret","path":"app/none"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"app/db","version":3,"data":{"pass word":"p"},"key":"pass word","name":"secret-app-db-pass-word","reference":"@Microsoft.KeyVault(VaultName=kv01;SecretName=secret-app-db-pass-word)"}
{"mount":"secret","path":"app/db","version":3,"data":{"user":"u"},"key":"user","name":"secret-app-db-user","reference":"@Microsoft.KeyVault(VaultName=kv01;SecretName=secret-app-db-user)"}
{"mount":"secret","path":"app/one","data":{"only":"v"},"name":"secret-app-one","reference":"@Microsoft.KeyVault(VaultName=kv01;SecretName=secret-app-one)"}
{"mount":"secret","path":"app/none","name":"secret-app-none","reference":"@Microsoft.KeyVault(VaultName=kv01;SecretName=secret-app-none)"}'
	assert_equal "$stderr" "kv-name: 3 records in, 4 out, 0 failed"
}

@test "split names collide with paths and with each other like any name" {
	run -1 --separate-stderr kv-name --split <<-'EOF'
		{"mount":"secret","path":"app/db","data":{"user":"u","pw":"p"}}
		{"mount":"secret","path":"app/db/user","data":{"v":"1"}}
		{"mount":"secret","path":"k","data":{"a_b":"1","a-b":"2","!!":"3"}}
	EOF
	assert_equal "$(jq -c '[.key, .name, .error.message]' <<<"$output")" '["pw","secret-app-db-pw",null]
["user","secret-app-db-user",null]
[null,null,"name secret-app-db-user already taken by secret/app/db (key user)"]
["!!",null,"key \"!!\" has no letter or digit to make a name of"]
["a-b","secret-k-a-b",null]
["a_b",null,"name secret-k-a-b already taken by secret/k (key a-b)"]'
	run -0 kv-name -q --split --on-collision=suffix <<-'EOF'
		{"mount":"secret","path":"k","data":{"a_b":"1","a-b":"2"}}
	EOF
	assert_equal "$(jq -r .name <<<"$output")" "secret-k-a-b
secret-k-a-b-$(h8 'secret/k\0ka_b')"
}

@test "the same path in two namespaces is two secrets" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"namespace":"team1","mount":"secret","path":"db"}
		{"namespace":"team2","mount":"secret","path":"db"}
	EOF
	assert_equal "$stderr" "kv-name: secret/db (namespace team2): name secret-db already taken by secret/db (namespace team1)
kv-name: 2 records in, 2 out, 1 failed"
	run -0 kv-name -q --on-collision=suffix <<-'EOF'
		{"namespace":"team1","mount":"secret","path":"db"}
		{"namespace":"team2","mount":"secret","path":"db"}
	EOF
	assert_equal "$(jq -r .name <<<"${lines[1]}")" "secret-db-$(h8 'secret/db\0nteam2')"
}

@test "--namespace-prefix puts the namespace path first; records without one keep their names" {
	run -0 --separate-stderr kv-name --namespace-prefix --on-collision=suffix <<-'EOF'
		{"namespace":"team-a","mount":"kv","path":"db/pass"}
		{"namespace":"team-a/sub","mount":"kv","path":"db/pass"}
		{"namespace":"team-b","mount":"kv","path":"db/pass"}
		{"mount":"kv","path":"db/pass"}
		{"namespace":"","mount":"kv","path":"x"}
		{"namespace":"team-b","mount":"kv","path":"???"}
	EOF
	assert_equal "$(jq -r .name <<<"$output")" "team-a-kv-db-pass
team-a-sub-kv-db-pass
team-b-kv-db-pass
kv-db-pass
kv-x
team-b-kv-$(h8 'kv/???\0nteam-b')"
	run -0 kv-name -q --namespace-prefix --strip-mount -p app <<<'{"namespace":"team-a","mount":"kv","path":"db"}'
	assert_equal "$(jq -r .name <<<"$output")" app-team-a-db
	run -2 --separate-stderr kv-name --namespace-prefix -e '"x"' </dev/null
	assert_equal "${stderr_lines[0]}" "kv-name: --namespace-prefix has no effect with -e (which sees .namespace)"
}

@test "--map pins a name for one namespace's path, not for the same path of another" {
	cat >"$BATS_TEST_TMPDIR/map" <<-'EOF'
		{"namespace":"team-a","mount":"kv","path":"db/pass","name":"a-db"}
		{"mount":"kv","path":"db/pass","name":"root-db"}
	EOF
	run -1 --separate-stderr kv-name -m "$BATS_TEST_TMPDIR/map" <<-'EOF'
		{"namespace":"team-b","mount":"kv","path":"db/pass"}
		{"namespace":"team-a","mount":"kv","path":"db/pass"}
		{"mount":"kv","path":"db/pass"}
		{"namespace":"team-c","mount":"kv","path":"db/pass"}
	EOF
	assert_equal "$(jq -r '.name // .error.message' <<<"$output")" "kv-db-pass
a-db
root-db
name kv-db-pass already taken by kv/db/pass (namespace team-b)"
}

@test "an empty stream gives no output and exit 0" {
	run -0 --separate-stderr kv-name </dev/null
	assert_equal "$output" ""
	assert_equal "$stderr" "kv-name: 0 records in, 0 out, 0 failed"
}

@test "names the last record of a stream without a final newline" {
	run -0 --separate-stderr kv-name < <(printf '%s\n%s' '{"mount":"s","path":"a"}' '{"mount":"s","path":"b"}')
	assert_equal "$output" '{"mount":"s","path":"a","name":"s-a"}
{"mount":"s","path":"b","name":"s-b"}'
}

@test "passes on the error record of a malformed line and goes on" {
	run -1 --separate-stderr kv-name < <(printf '%s\n' '{"mount":"s","path":"a"}' '{"mount":' '[1]' '' '{"mount":"s","path":"b"}')
	assert_equal "$output" '{"mount":"s","path":"a","name":"s-a"}
{"line":2,"error":{"tool":"kv-name","status":null,"message":"line 2: invalid JSON: Unfinished JSON term at EOF at line 1, column 9"}}
{"line":3,"error":{"tool":"kv-name","status":null,"message":"line 3: not a JSON object"}}
{"mount":"s","path":"b","name":"s-b"}'
	assert_equal "$stderr" "kv-name: line 2: invalid JSON: Unfinished JSON term at EOF at line 1, column 9
kv-name: line 3: not a JSON object
kv-name: 4 records in, 4 out, 2 failed"
}

@test "-q prints nothing on stderr, even for failures" {
	run -1 --separate-stderr kv-name -q <<-'EOF'
		{"mount":"secret","path":"a/b-c"}
		{"mount":"secret","path":"a/b_c"}
	EOF
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
}

@test "usage errors exit 2 with the synopsis" {
	usage="usage: kv-name [-fhqv] [-e expr] [-m file] [--namespace-prefix]
               [--on-collision error|suffix] [-p prefix] [--reference vault]
               [--split] [--strip-mount] [--vault-map file]"
	run -2 --separate-stderr kv-name -x
	assert_equal "$output" ""
	assert_equal "$stderr" "kv-name: invalid option -- 'x'
$usage"
	run -2 --separate-stderr kv-name operand </dev/null
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr kv-name --on-collision=rename </dev/null
	assert_equal "$stderr" "kv-name: --on-collision: rename is not error or suffix
kv-name: try 'kv-name -h' for usage"
	run -0 --separate-stderr kv-name --version
	assert_line -n 0 --regexp '^kv-name \(vault2kv\) 0\.1\.0( \(commit [^)]*\))?$'
}

@test "every option letter is in usage, the SYNOPSIS and the option list" {
	man=$TOP/man/kv-name.1
	run -0 mandoc -Tlint -W warning "$man"
	assert_equal "$output" ""
	syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$man")
	opts=$(sed -n '/^\.Sh DESCRIPTION/,/^\.Sh ENVIRONMENT/p' "$man")
	run -0 --separate-stderr kv-name -h
	stderr=$(sed '/^$/q' <<<"$output")
	ucluster=$(grep -o '\[-[a-zA-Z]*\]' <<<"$stderr" | head -n 1)
	mcluster=$(grep -m 1 '^\.Op Fl [a-zA-Z]*$' <<<"$syn")
	mcluster=${mcluster#.Op Fl }
	for l in e f h m p q v; do
		[[ $ucluster == *$l* || $stderr == *"[-$l "* ]]
		[[ $mcluster == *$l* ]] || grep -q "^\.Op Fl $l Ar" <<<"$syn"
		grep -q "^\.It Fl $l" <<<"$opts"
	done
	for o in on-collision reference split strip-mount; do
		[[ $stderr == *"[--$o"* ]]
		grep -q "^\.Op Fl -$o" <<<"$syn"
	done
	for o in on-collision reference split strip-mount version; do
		grep -q "^\.It Fl -$o" <<<"$opts"
	done
}

@test "names 20,000 records in little memory (peak RSS reported)" {
	[ -z "${V2K_VALGRIND:-}" ] || skip "the peak RSS would be valgrind's"
	[ -z "${V2K_SAN:-}" ] || skip "the peak RSS would be the sanitizers'"
	n=20000
	awk -v n=$n 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "v", pad);
	    for (i = 0; i < n; i++)
		printf "{\"mount\":\"secret\",\"path\":\"team%03d/app-%05d/db_config\",\"kv\":2,\"data\":{\"user\":\"u%d\",\"password\":\"%s\"}}\n", i % 500, i, i, pad }' \
	    >"$BATS_TEST_TMPDIR/big"
	head -n 10 "$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/small"
	# Peak RSS (VmHWM) read from /proc while kv-name waits for more input.
	hwm() {
		local fifo=$BATS_TEST_TMPDIR/fifo.$1 pid kb want=$2
		rm -f "$fifo"
		mkfifo "$fifo"
		kv-name -q --split <"$fifo" >"$BATS_TEST_TMPDIR/out.$1" &
		pid=$!
		exec 4>"$fifo"
		cat "$BATS_TEST_TMPDIR/$1" >&4
		for _ in $(seq 1 600); do
			[ "$(wc -l <"$BATS_TEST_TMPDIR/out.$1")" -ge "$want" ] && break
			sleep 0.05
		done
		kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
		exec 4>&-
		wait "$pid"
		echo "$kb"
	}
	small=$(hwm small 20)
	big=$(hwm big $((2 * n)))
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out.big")" $((2 * n))
	assert_equal "$(jq -r .name "$BATS_TEST_TMPDIR/out.big" | sort -fu | wc -l)" $((2 * n))
	per=$(( (big - small) * 1024 / (2 * n) ))
	echo "# kv-name: $n records, $((2 * n)) names: peak RSS ${big} KiB (${small} KiB for 10 records), about $per bytes per name" >&3
	# Keeping the records (1 KB of value each) would cost 20 MB and more.
	[ $((big - small)) -lt 8192 ]
}

@test "split keys take their names from the map, or from the pinned whole" {
	printf '%s\n' '{"mount":"s","path":"db","name":"legacy-db"}' \
	    '{"mount":"s","path":"db2","key":"user","name":"db2-login"}' \
	    >"$BATS_TEST_TMPDIR/map"
	run -0 --separate-stderr kv-name --split -m "$BATS_TEST_TMPDIR/map" <<-'EOF2'
		{"mount":"s","path":"db","data":{"user":"u","pw":"p"}}
		{"mount":"s","path":"db2","data":{"user":"u","pw":"p"}}
	EOF2
	assert_equal "$(jq -c '[.key, .name]' <<<"$output")" '["pw","legacy-db-pw"]
["user","legacy-db-user"]
["pw","s-db2-pw"]
["user","db2-login"]'
}

@test "a path with no ASCII letter or digit has its Latin letters folded, in both modes; one with none even so is refused by default" {
	run -1 --separate-stderr kv-name <<-'EOF'
		{"mount":"secret","path":"é/ü"}
		{"mount":"secret","path":"ß"}
		{"mount":"secret","path":"ø"}
		{"mount":"secret","path":"Æ"}
		{"mount":"secret","path":"..."}
		{"mount":"secret","path":"設定/鍵"}
		{"mount":"secret","path":"Þó/Œ-ĳ ł đ ſ"}
		{"mount":"secret","path":"×÷"}
	EOF
	assert_equal "$output" '{"mount":"secret","path":"é/ü","name":"secret-e-u"}
{"mount":"secret","path":"ß","name":"secret-ss"}
{"mount":"secret","path":"ø","name":"secret-o"}
{"mount":"secret","path":"Æ","name":"secret-AE"}
{"mount":"secret","path":"...","error":{"tool":"kv-name","status":null,"message":"no letter or digit in the path to make a name of"}}
{"mount":"secret","path":"設定/鍵","error":{"tool":"kv-name","status":null,"message":"no letter or digit in the path to make a name of"}}
{"mount":"secret","path":"Þó/Œ-ĳ ł đ ſ","name":"secret-THo-OE-ij-l-d-s"}
{"mount":"secret","path":"×÷","error":{"tool":"kv-name","status":null,"message":"no letter or digit in the path to make a name of"}}'
	assert_equal "$stderr" "kv-name: secret/...: no letter or digit in the path to make a name of
kv-name: secret/設定/鍵: no letter or digit in the path to make a name of
kv-name: secret/×÷: no letter or digit in the path to make a name of
kv-name: 8 records in, 8 out, 3 failed"
}

@test "--on-collision=suffix names every path: with nothing usable left, after its mount and the hash of its identity" {
	run -0 --separate-stderr kv-name --on-collision=suffix <<-'EOF'
		{"mount":"secret","path":"é/ü"}
		{"mount":"secret","path":"..."}
		{"mount":"secret","path":"設定/鍵"}
		{"mount":"team/kv","path":"設定/鍵"}
		{"mount":"secret","path":"設定/鍵","namespace":"ns1"}
		{"mount":"秘密","path":"鍵"}
	EOF
	assert_equal "$output" "{\"mount\":\"secret\",\"path\":\"é/ü\",\"name\":\"secret-e-u\"}
{\"mount\":\"secret\",\"path\":\"...\",\"name\":\"secret-$(h8 'secret/...')\"}
{\"mount\":\"secret\",\"path\":\"設定/鍵\",\"name\":\"secret-$(h8 'secret/設定/鍵')\"}
{\"mount\":\"team/kv\",\"path\":\"設定/鍵\",\"name\":\"team-kv-$(h8 'team/kv/設定/鍵')\"}
{\"mount\":\"secret\",\"path\":\"設定/鍵\",\"namespace\":\"ns1\",\"name\":\"secret-$(h8 'secret/設定/鍵\0nns1')\"}
{\"mount\":\"秘密\",\"path\":\"鍵\",\"name\":\"$(h8 '秘密/鍵')\"}"
	assert_equal "$stderr" "kv-name: 6 records in, 6 out, 0 failed"
	# --prefix goes first; --strip-mount still names it after its mount.
	run -0 kv-name -q --on-collision=suffix -p team1 --strip-mount <<<'{"mount":"secret","path":"__"}'
	assert_output "{\"mount\":\"secret\",\"path\":\"__\",\"name\":\"team1-secret-$(h8 'secret/__')\"}"
}

@test "folded and hashed names are the same on every run and in any order" {
	local in=$BATS_TEST_TMPDIR/in a b c
	cat >"$in" <<-'EOF'
		{"mount":"secret","path":"é/ü"}
		{"mount":"secret","path":"ß/Ø"}
		{"mount":"secret","path":"..."}
		{"mount":"secret","path":"設定/鍵"}
		{"mount":"secret","path":"設定/鍵2"}
		{"mount":"secret","path":"app/db"}
	EOF
	a=$(kv-name -q --on-collision=suffix <"$in" | jq -c '[.path, .name]' | sort)
	b=$(kv-name -q --on-collision=suffix <"$in" | jq -c '[.path, .name]' | sort)
	c=$(tac "$in" | kv-name -q --on-collision=suffix | jq -c '[.path, .name]' | sort)
	assert_equal "$b" "$a"
	assert_equal "$c" "$a"
	assert_equal "$(jq -r '.[1]' <<<"$a" | sort -u | wc -l)" 6
	assert_equal "$(jq -r 'select(.[0] == "ß/Ø") | .[1]' <<<"$a")" secret-ss-O
}

@test "--split folds a key with no ASCII letter or digit, and with --on-collision=suffix names one with none after the hash" {
	in='{"mount":"secret","path":"app","data":{"é":"1","鍵":"2","k":"3"}}'
	run -1 --separate-stderr kv-name --split <<<"$in"
	assert_equal "$(jq -c '[.key, .name, .error.message]' <<<"$output")" '["k","secret-app-k",null]
["é","secret-app-e",null]
["鍵",null,"key \"鍵\" has no letter or digit to make a name of"]'
	run -0 --separate-stderr kv-name --split --on-collision=suffix <<<"$in"
	assert_equal "$(jq -c '[.key, .name]' <<<"$output")" "[\"k\",\"secret-app-k\"]
[\"é\",\"secret-app-e\"]
[\"鍵\",\"secret-app-$(h8 'secret/app\0k鍵')\"]"
}

@test "output full: kv-name stops reading at the first line it cannot write, says so once, and exits 2" {
	run -2 --separate-stderr bash -c "kv-name --split >/dev/full" <<-'EOF'
		{"mount":"secret","path":"a","data":{"k1":"v1","k2":"v2","k3":"v3"}}
		{"mount":"secret","path":"b","data":{"k":"v"}}
		{"mount":"secret","path":"c","data":{"k":"v"}}
	EOF
	assert_equal "$stderr" "kv-name: cannot write output: No space left on device
kv-name: 1 record in, 0 out, 0 failed"
}
