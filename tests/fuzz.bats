#!/usr/bin/env bats
# fuzz.bats: every libFuzzer target of tests/fuzz runs a few seconds on
# its saved corpus (make check); `make fuzz` runs them for longer.

setup_file() {
	load helpers
	command -v clang >/dev/null || return 0
	# Build once for the file; run.sh says what it skipped and why.
	sh "$TOP/tests/fuzz/run.sh" -b >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
	    { cat "$BATS_FILE_TMPDIR/build.log" >&3; return 1; }
}

setup() {
	load helpers
	F=$TOP/tests/fuzz
}

# fuzz TARGET: ~3 s on corpus/TARGET (new inputs go to a scratch
# directory, not into the saved corpus); fails on a crash or a leak.
fuzz() {
	local t=$1
	command -v clang >/dev/null || skip "clang is not installed"
	if [ -f "$F/bin/$t.skip" ]; then
		skip "$(head -n 1 "$F/bin/$t.skip")"
	fi
	[ -x "$F/bin/$t" ] || fail "tests/fuzz/bin/$t was not built"
	[ -n "$(ls "$F/corpus/$t")" ] || fail "corpus/$t is empty"
	mkdir -p "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/crash"
	run "$F/bin/$t" -max_total_time=3 -timeout=20 -rss_limit_mb=2560 \
	    -artifact_prefix="$BATS_TEST_TMPDIR/crash/" \
	    "$BATS_TEST_TMPDIR/new" "$F/corpus/$t"
	if [ "$status" -ne 0 ]; then
		grep -E -A8 '^==[0-9]+==ERROR|runtime error|^SUMMARY' \
		    <<<"$output" | head -n 24
		ls "$BATS_TEST_TMPDIR/crash"
		fail "fuzz target $t crashed (exit $status)"
	fi
	assert_output --partial "Done "
}

@test "record reader: rec_next and rec_write survive the rec corpus" {
	fuzz rec
}

@test "Retry-After parser survives the retry_after corpus" {
	fuzz retry_after
}

@test "error bodies, version metadata and value shaping survive the errmsg corpus" {
	fuzz errmsg
}

@test "WWW-Authenticate challenge parser survives the challenge corpus" {
	fuzz challenge
}

@test "token response parser survives the token corpus" {
	fuzz token
}

@test "RFC 3339 time parser (Vault metadata, token expiries) survives the time corpus" {
	fuzz time
}

@test "kv-name's name mapping gives valid, stable names for the kvname corpus" {
	fuzz kvname
}

@test "Vault policy parser and ACL matching (kv-grant --from-policies) survive the policy corpus" {
	fuzz policy
}
