#!/usr/bin/env bats
# operator.bats: what a person sees around the pipeline: a reader that goes
# away (| head), the rollback of a migration, bash completion and the
# release tarball.  (Help and --version are checked for every tool in
# docs.bats, with the man pages.)

setup_file() {
	load helpers
	env_reset
	start_vault
	start_keyvault
	# 2000 secrets: vault-ls writes well over a pipe's 64 KiB.
	"$PY" -c 'import json
print(json.dumps({"secrets": {"secret/": {"f%02d/s%04d" % (i % 20, i):
    {"data": {"k": "v%d" % i + "x" * 100}} for i in range(2000)}}}))' \
	    >"$BATS_FILE_TMPDIR/seed.json"
	admin "$VAULT_URL/_admin/seed" -X POST \
	    --data-binary @"$BATS_FILE_TMPDIR/seed.json" >/dev/null
	vault-ls secret >"$BATS_FILE_TMPDIR/in" 2>/dev/null
	# The same records with 1 KiB of an operator's own field: 2 MiB of
	# output for the stages that pass it on.
	jq -c '.note = ("n" * 1024)' "$BATS_FILE_TMPDIR/in" \
	    >"$BATS_FILE_TMPDIR/fat"
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
}

# gone TOOL [ARGS...]: TOOL ARGS, its input $IN, its reader gone after one
# byte; sets RC to its exit status and ERR to its stderr.
gone() {
	"$@" <"$IN" 2>"$BATS_TEST_TMPDIR/err" | head -c 1 >/dev/null
	RC=${PIPESTATUS[0]}
	ERR=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "vault-ls | head: no message, exit 0" {
	IN=/dev/null gone vault-ls secret
	assert_equal "$ERR" ""
	assert_equal "$RC" 0
}

@test "vault-dump | head: no message, exit 0" {
	IN=$BATS_FILE_TMPDIR/in gone vault-dump -j4
	assert_equal "$ERR" ""
	assert_equal "$RC" 0
}

@test "kv-name | head: no message; a record failed before says so, and exit 1" {
	IN=$BATS_FILE_TMPDIR/fat gone kv-name
	assert_equal "$ERR" ""
	assert_equal "$RC" 0
	{ echo 'not json'; cat "$BATS_FILE_TMPDIR/fat"; } >"$BATS_TEST_TMPDIR/bad"
	IN=$BATS_TEST_TMPDIR/bad gone kv-name
	assert_equal "$RC" 1
	assert_equal "$(wc -l <<<"$ERR")" 1
	assert_regex "$ERR" '^kv-name: line 1: '
}

@test "kv-check | head: no message, and the status of what it wrote (a difference: 1)" {
	head -n 300 "$BATS_FILE_TMPDIR/fat" | kv-name >"$BATS_TEST_TMPDIR/named"
	# Nothing was migrated: the first record is missing, a difference.
	IN=$BATS_TEST_TMPDIR/named gone kv-check
	assert_equal "$RC" 1
	# The records it wrote are reported; then nothing: no write error,
	# no summary.
	[ -n "$ERR" ]
	refute_regex "$ERR" 'cannot write|records?:'
	[ "$(grep -vc ': missing$' <<<"$ERR")" -eq 0 ]
	[ "$(wc -l <<<"$ERR")" -lt 300 ]
}

@test "a full disk is still loud in a read-only stage: exit 2, the cause said" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -2 bash -c 'vault-ls secret 2>&1 >/dev/full'
	assert_line --partial "vault-ls: cannot write output: No space left on device"
}

@test "kv-put | head stays loud: its mapping is incomplete, exit 2" {
	# 100 secrets of 1 KiB of note each: 100 KiB of mapping.
	head -n 100 "$BATS_FILE_TMPDIR/fat" | vault-dump | kv-name \
	    >"$BATS_TEST_TMPDIR/named"
	IN=$BATS_TEST_TMPDIR/named gone kv-put
	assert_equal "$RC" 2
	assert_regex "$ERR" "kv-put: secret/f[0-9]+/s[0-9]+: written to Key Vault as secret-f[0-9]+-s[0-9]+, but its mapping line was lost: Broken pipe"
	assert_regex "$ERR" "kv-put: cannot write output: Broken pipe"
}

# complete WORD...: COMPREPLY of the bash completion for the command line
# WORD... (the last word is the one being completed), one a line.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_vault2kv
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "bash completion: options from each tool's --help, values and file names" {
	. "$TOP/man/vault2kv.bash"
	run -0 complete -p kv-put
	assert_output "complete -F _vault2kv kv-put"
	for t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
		# Every long option the tool knows, and nothing else.
		run -0 complete_words "$t" --
		want=$("$t" --help | grep -o -- '--[a-z-]*' | sort -u)
		assert_equal "$(sort <<<"$output")" "$want"
	done
	run -0 complete_words kv-put --re
	assert_output "--recover"
	run -0 complete_words kv-name --on-collision su
	assert_output "suffix"
	run -0 complete_words kv-name --on-collision = ""
	assert_output "error
suffix"
	run -0 complete_words kv-put --expires ""
	assert_output "never"
	run -0 complete_words kv-put --vault ""
	assert_output ""
	# A FILE argument completes file names.
	cd "$BATS_TEST_TMPDIR"
	touch mapping.ndjson
	run -0 complete_words kv-name -m map
	assert_output "mapping.ndjson"
	# The short options too, and none of the letters no tool has.
	run -0 complete_words kv-grant -
	assert_line -- "-n"
	refute_line -- "-r"
	refute_line -- "-s"
}

@test "make install puts the tools, the pages and the completion of each tool in DESTDIR" {
	# With the flags the suite was built with, so that nothing is rebuilt.
	run -0 make -C "$TOP" --no-print-directory install \
	    SAN="${V2K_SAN:-}" DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	cd "$BATS_TEST_TMPDIR/root/usr"
	for t in vault-ls vault-dump kv-name kv-put kv-check kv-grant; do
		[ -x "bin/$t" ]
		[ -f "share/man/man1/$t.1" ]
		cmp "share/bash-completion/completions/$t" "$TOP/man/vault2kv.bash"
	done
	[ -f share/man/man7/vault2kv.7 ]
}

@test "make dist: a tarball of the commit that builds and passes the unit tests outside git" {
	local d=$BATS_TEST_TMPDIR v
	v=$(sed -n 's/^#define[ \t]*V2K_VERSION[ \t]*"\(.*\)"/\1/p' \
	    "$TOP/common/common.h")
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
	    skip "not a git checkout: make dist needs one"
	run -0 make -C "$TOP" --no-print-directory dist DISTDIR="$d"
	[ -f "$d/vault2kv-$v.tar.gz" ]
	tar tzf "$d/vault2kv-$v.tar.gz" >"$d/list"
	grep -qx "vault2kv-$v/LICENSE" "$d/list"
	grep -qx "vault2kv-$v/Makefile" "$d/list"
	grep -qx "vault2kv-$v/man/vault2kv.bash" "$d/list"
	run -1 grep -E '\.(o|a)$|/\.build-|/kv-put/kv-put$' "$d/list"
	mkdir "$d/unpacked"
	tar xzf "$d/vault2kv-$v.tar.gz" -C "$d/unpacked"
	cd "$d/unpacked/vault2kv-$v"
	[ ! -e .git ]
	run -0 make -j2
	run -0 make unit
	# Outside git, --version names no commit.
	run -0 ./kv-put/kv-put --version
	assert_line -n 0 "kv-put (vault2kv) $v"
}

# --- rollback ---------------------------------------------------------------

# kvstate: the Key Vault stand-in's secrets, every version with its value
# and the soft-deleted ones, as one line of JSON.
kvstate() {
	admin "$KV_URL/_admin/state" | jq -c '.secrets'
}

# roll_seed: a small tree of its own in Vault, mount roll/ (KV v2): a has
# two versions, b one.
roll_seed() {
	admin "$VAULT_URL/_admin/seed" -X POST -d '{"mounts": {"roll/": 2},
	    "secrets": {"roll/": {
	      "a": {"versions": [{"data": {"k": "a-1"}}, {"data": {"k": "a-2"}}]},
	      "b": {"data": {"k": "b-1", "l": "b-2"}}}}}' >/dev/null
}

@test "rollback --purge after a migration leaves the vault exactly as it was before" {
	kvadmin POST /_admin/reset >/dev/null
	roll_seed
	# What the vault held before: another application's secret, and a
	# soft-deleted one.
	kvadmin POST /_admin/seed '{"secrets": [
	    {"name": "other-app", "value": "not ours"},
	    {"name": "old-gone", "value": "x", "deleted": true}]}' >/dev/null
	before=$(kvstate)
	vault-ls roll | vault-dump -a | kv-name | kv-put \
	    >"$BATS_TEST_TMPDIR/map" 2>/dev/null
	run -0 jq -r .status "$BATS_TEST_TMPDIR/map"
	assert_output "created
updated
created"
	[ "$(kvstate)" != "$before" ]
	# The plan first: nothing deleted.
	run -0 --separate-stderr kv-put --rollback --purge -n \
	    <"$BATS_TEST_TMPDIR/map"
	assert_equal "$(jq -r '[.name, .rollback] | @tsv' <<<"$output")" \
	    "$(printf 'roll-a\twould-purge\nroll-a\twould-purge\nroll-b\twould-purge')"
	run -0 --separate-stderr kv-put --rollback --purge \
	    <"$BATS_TEST_TMPDIR/map"
	assert_equal "$(jq -r '[.name, .status, .rollback] | @tsv' <<<"$output")" \
	    "$(printf 'roll-a\tcreated\tpurged\nroll-a\tupdated\tpurged\nroll-b\tcreated\tpurged')"
	assert_regex "$stderr" 'rollback: 3 records; of the secrets the mapping created: 2 deleted, 2 purged'
	assert_equal "$(kvstate)" "$before"
	# Again: nothing left to do, nothing else touched.
	run -0 --separate-stderr kv-put --rollback --purge \
	    <"$BATS_TEST_TMPDIR/map"
	assert_equal "$(jq -r .rollback <<<"$output" | sort -u)" "absent"
	assert_equal "$(kvstate)" "$before"
}

@test "rollback without --purge leaves the created secrets soft-deleted, recoverable" {
	kvadmin POST /_admin/reset >/dev/null
	roll_seed
	vault-ls roll | vault-dump | kv-name | kv-put \
	    >"$BATS_TEST_TMPDIR/map" 2>/dev/null
	run -0 --separate-stderr kv-put --rollback <"$BATS_TEST_TMPDIR/map"
	assert_equal "$(jq -r .rollback <<<"$output" | sort -u)" "deleted"
	# Deletion is asynchronous: deleting, then deleted.
	for _ in $(seq 1 50); do
		[ "$(kvstate | jq -r '.[].state' | sort -u)" = deleted ] && break
		sleep 0.2
	done
	run -0 jq -r '.[] | [.name, .state, (.versions | length)] | @tsv' \
	    <<<"$(kvstate)"
	assert_output "$(printf 'roll-a\tdeleted\t1\nroll-b\tdeleted\t1')"
}

@test "rollback touches only what the mapping created: updated and unchanged stay, a secret changed since is refused" {
	kvadmin POST /_admin/reset >/dev/null
	roll_seed
	vault-ls roll | vault-dump | kv-name | kv-put >/dev/null 2>&1
	# A new value for a, a new secret c: the second run updates a,
	# leaves b unchanged and creates c.
	for s in a:a-3 c:c-1; do
		curl -sfS -X POST -H "X-Vault-Token: root" \
		    "$VAULT_URL/v1/roll/data/${s%%:*}" \
		    -d "{\"data\": {\"k\": \"${s#*:}\"}}" >/dev/null
	done
	vault-ls roll | vault-dump | kv-name | kv-put \
	    >"$BATS_TEST_TMPDIR/map" 2>/dev/null
	run -0 jq -r '[.name, .status] | @tsv' "$BATS_TEST_TMPDIR/map"
	assert_output "$(printf 'roll-a\tupdated\nroll-b\tunchanged\nroll-c\tcreated')"
	after=$(kvstate)
	# Someone writes c again after the migration: it is theirs now.
	echo '{"mount":"roll","path":"c","kv":2,"name":"roll-c","data":{"k":"c-2"}}' |
	    kv-put >/dev/null 2>&1
	changed=$(kvstate)
	run -1 --separate-stderr kv-put --rollback --purge \
	    <"$BATS_TEST_TMPDIR/map"
	assert_line -n 0 --partial '"rollback":"kept"'
	assert_line -n 1 --partial '"rollback":"kept"'
	assert_line -n 2 --regexp '"error":\{"tool":"kv-put","status":null,"message":"roll-c: changed since the migration: its current version is [0-9a-f]{32}, the mapping.s [0-9a-f]{32}; left alone"\}'
	assert_regex "$stderr" 'roll/c: roll-c: changed since the migration'
	assert_regex "$stderr" '2 records kept \(1 updated: their new versions stay\)'
	# Nothing at all was deleted.
	assert_equal "$(kvstate)" "$changed"
	[ "$after" != "$changed" ]
}

@test "rollback refuses a dry run's plan, a bad name and --purge alone" {
	run -1 --separate-stderr kv-put --rollback <<-'EOF'
		{"name":"a","status":"would-create"}
		{"name":"../x","status":"created","id":"https://v/secrets/x/0123"}
		{"name":"ok","status":"conflict"}
	EOF
	assert_line -n 0 --partial 'a line of a dry run (status would-create): nothing was written'
	assert_line -n 1 --partial '../x is not a Key Vault secret name'
	assert_line -n 2 --partial '"rollback":"kept"'
	run -2 --separate-stderr kv-put --purge </dev/null
	assert_equal "${stderr_lines[0]}" "kv-put: --purge goes with --rollback"
	run -2 --separate-stderr kv-put --rollback --recover </dev/null
	assert_output ""
}
