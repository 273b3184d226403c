#!/usr/bin/env bats
# docs.bats: the man pages and README.md agree with the tools, mandoc finds
# nothing to complain about, and every example runs as written against the
# Vault and Key Vault stand-ins.

# The tools, as the tree has them (checked by the first test).
TOOLS="vault-ls vault-dump kv-name kv-put kv-check kv-grant"
# What the Key Vault stand-in's Resource Manager part knows: this
# subscription and the vault kv-test, served at $KV_URL.
SUB=00000000-0000-0000-0000-000000000000
# Options that need not appear in usage() and the SYNOPSIS, with the reason;
# they must still be in the option list and be accepted.
#	--version: no usage() or SYNOPSIS of the suite shows it (as with GNU
#	tools, it is not a way to run the tool); it is in every option list
#	and has its own test below.
SYNOPSIS_EXEMPT="--version"

# Examples documented to end with a status other than 0, one per line:
# DOC<tab>FIRST LINE OF THE EXAMPLE<tab>STATUS<tab>why.  None so far: the
# seeded tree has no collision and no deleted current version, so that
# every documented pipeline is expected to succeed.
EXAMPLE_STATUS=""

# What a document's examples presuppose, run before them in the same
# directory: DOC<tab>COMMAND<tab>why.
EXAMPLE_SETUP="man/kv-check.1	vault-ls | vault-dump -a | kv-name | kv-put >/dev/null	its examples compare Key Vault after a migration, one with the history
man/kv-grant.1	vault-ls | vault-dump | kv-name | kv-put >mapping.ndjson	its examples read the mapping kv-put(1) wrote"

# A small Vault tree: KV v2 and v1 mounts, nested folders, single- and
# multi-key secrets, custom metadata, several versions with a deleted one
# in the middle, and the paths the examples name (secret/app,
# secret/app/db, webapp/, app-secrets/team1).
VAULT_TREE='{
  "mounts": {"legacy/": {"type": "kv", "version": "1"},
             "app-secrets/": {"type": "kv", "version": "2"}},
  "secrets": {
    "secret/": {
      "app/db": {"versions": [
          {"data": {"user": "app", "password": "db-pw-1"}},
          {"data": {"user": "app", "password": "db-pw-2"}, "deleted": true},
          {"data": {"user": "app", "password": "db-pw-3"}}],
        "custom_metadata": {"owner": "team-a"}},
      "app/api": {"data": {"token": "api-token-1"}},
      "webapp/config": {"data": {"connection": "Server=db;Password=wp-1"}}
    },
    "legacy/": {"old/thing": {"data": {"k": "legacy-v"}}},
    "app-secrets/": {"team1/svc": {"data": {"key": "team1-key"}}}
  }
}'

setup_file() {
	load helpers
	env_reset
	start_vault
	start_keyvault
	export AZURE_SUBSCRIPTION_ID=$SUB
	# Variables an operator sets for the examples that need them:
	# GID, the object id of an Entra group (kv-grant(1)).
	export GID=5b0e9a6c-3f21-4d8e-9c47-2a6b8d1e0f93
	# OID, the object id of an application's managed identity (kv-grant(1)).
	export OID=0d6f2c1e-8a4b-4c3d-9e5f-7a8b9c0d1e2f
	# IMPORTER_ID, the object id of the identity that imports (vault2kv(7)).
	export IMPORTER_ID=7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f
	# Whatever an example names that is not a stand-in (a real vault such
	# as kv-prod.vault.azure.net) goes to a proxy that cannot be resolved
	# (RFC 6761 .invalid: fails at once, where a refused connection would
	# be retried for minutes) instead of the Internet; the stand-ins on
	# 127.0.0.1 are reached directly.
	export http_proxy=http://no-such-proxy.invalid:9
	export https_proxy=$http_proxy
	export HTTP_PROXY=$http_proxy HTTPS_PROXY=$https_proxy
	export ALL_PROXY=$http_proxy
	export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
	# The recipient of the examples that encrypt with gpg(1): a throwaway
	# key, as an operator would have the recipient's public key.
	export GNUPGHOME=$BATS_FILE_TMPDIR/gnupg
	mkdir -m 700 "$GNUPGHOME"
	if command -v gpg >/dev/null; then
		gpg --batch --quiet --passphrase '' --quick-gen-key \
		    ops@example.com default default never >/dev/null 2>&1 || true
	fi
}

teardown_file() {
	load helpers
	stop_servers
	if command -v gpgconf >/dev/null && [ -d "${GNUPGHOME:-}" ]; then
		gpgconf --kill gpg-agent 2>/dev/null || true
	fi
}

setup() {
	load helpers
	DOCS=$TOP/tests/docs-examples.sh
}

# -------------------------------------------------------------------------
# Options: what the source accepts, usage() says and the man page shows.
# Each prints one option per line, "-x flag", "-x arg", "--name flag" or
# "--name arg", sorted and unique.

# src_longopts TOOL: the lines of the struct option array of TOOL/main.c,
# each of its macros MSG_LONGOPTS(code) and KV_LONGOPTS replaced by the
# entries the library's headers define (MSG_LONGOPTS's code of --version
# in place of its parameter).
src_longopts() {
	awk -v hdrs="$(printf '%s\n' "$TOP"/common/*.h)" '
	BEGIN { nh = split(hdrs, H, "\n") }
	/struct option/ && /=/ { on = 1 }
	on && match($0, /[A-Z_]+_LONGOPTS(\([^)]*\))?/) {
		m = substr($0, RSTART, RLENGTH)
		name = m
		sub(/\(.*/, "", name)
		code = m
		if (!sub(/^[^(]*\(/, "", code))
			code = ""
		sub(/\)$/, "", code)
		in_macro = 0
		for (k = 1; k <= nh && !in_macro; k++) {
			while ((getline l < H[k]) > 0) {
				if (l ~ ("^#define[ \t]+" name "[( \t\\\\]")) {
					in_macro = 1
					continue
				}
				if (!in_macro)
					continue
				gsub(/\(version_opt\)/, code, l)
				print l
				if (l !~ /\\$/)
					break
			}
			close(H[k])
		}
		if (!in_macro)
			print "src_longopts: no macro " name " in common/*.h" >"/dev/stderr"
		next
	}
	on
	on && /};/ { on = 0 }' "$TOP/$1/main.c"
}

# src_options TOOL: the getopt_long optstring and the struct option array
# of TOOL/main.c.
src_options() {
	local c=$TOP/$1/main.c optstring
	optstring=$(tr '\n' ' ' <"$c" |
	    sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p')
	if [ -z "$optstring" ]; then
		echo "$c: no getopt_long optstring found" >&2
		return 1
	fi
	{
		awk -v s="${optstring#[+:-]}" 'BEGIN {
			for (i = 1; i <= length(s); i++) {
				c = substr(s, i, 1)
				if (c == ":")
					continue
				a = substr(s, i + 1, 1) == ":" ? "arg" : "flag"
				print "-" c, a
			}
		}'
		src_longopts "$1" |
		    sed -n 's/.*{[[:space:]]*"\([^"]*\)",[[:space:]]*\([a-z_]*\),.*/--\1 \2/p' |
		    sed 's/ no_argument$/ flag/; s/ [a-z]*_argument$/ arg/'
	} | sort -u
}

# src_aliases TOOL: the long options that stand for a letter, "--name -x".
src_aliases() {
	src_longopts "$1" |
	    sed -n "s/.*{[[:space:]]*\"\\([^\"]*\\)\",.*,[[:space:]]*'\\(.\\)'[[:space:]]*}.*/--\\1 -\\2/p" |
	    sort -u
}

# usage_options: the options of a usage text on stdin.
usage_options() {
	tr '\n' ' ' | grep -o '\[-[^]]*\]' | awk '{
		s = substr($0, 2, length($0) - 2)
		if (s ~ /^--/) {
			# "[--opt[=a|b]]": an optional argument counts as one.
			n = s
			sub(/\[?[ =].*/, "", n)
			a = s ~ /^--[^ =[]+\[?[ =]/ ? "arg" : "flag"
			print n, a
		} else if (s ~ /^-[A-Za-z0-9] /) {
			print substr(s, 1, 2), "arg"
		} else if (s ~ /^-[A-Za-z0-9]+$/) {
			for (i = 2; i <= length(s); i++)
				print "-" substr(s, i, 1), "flag"
		} else
			print "unparsed [" s "]"
	}' | sort -u
}

# mdoc_options SECTION PAGE: the options of the SYNOPSIS (.Op/.Fl lines) or
# of the option list (.It Fl lines of DESCRIPTION).  An option whose Fl is
# followed by Ar or Cm before the next Fl takes an argument.
mdoc_options() {
	awk -v want="$1" '
	/^\.Sh[ \t]/ { sec = $0; sub(/^\.Sh[ \t]+/, "", sec); next }
	sec != want { next }
	want == "DESCRIPTION" && !/^\.It[ \t]/ { next }
	/^\./ && /[ \t]Fl([ \t]|$)/ {
		$1 = substr($1, 2)
		n = 0
		for (i = 1; i <= NF; i++) {
			if ($i == "Fl") {
				flush()
				infl = 1
				continue
			}
			if ($i ~ /^[A-Z][a-z][a-z]?$/) {
				if ($i == "Ar" || $i == "Cm")
					arg = 1
				infl = 0
				continue
			}
			if (!infl || $i ~ /^[,|.;:()]$/)
				continue
			if ($i ~ /^-/)
				name[++n] = "-" $i
			else
				for (j = 1; j <= length($i); j++)
					name[++n] = "-" substr($i, j, 1)
		}
		flush()
	}
	function flush(	k) {
		for (k = 1; k <= n; k++)
			print name[k], (arg ? "arg" : "flag")
		n = 0
		arg = 0
	}' "$2" | sort -u
}

# help_options: the options of the list that -h prints (on stdin), after
# its "options:" line: "  -x, --long arg  what it does", one a line.
help_options() {
	awk '/^options:$/ { on = 1; next } on && /^$/ { exit } on' |
	    awk '{
		sub(/^ +/, "")
		sub(/  .*/, "")
		# "--long[=a|b]": an optional argument.
		if (sub(/\[=/, " "))
			sub(/\]$/, "")
		n = split($0, w, " ")
		a = "flag"
		for (i = 1; i <= n; i++) {
			if (w[i] ~ /^-/) {
				sub(/,$/, "", w[i])
				name[i] = w[i]
			} else
				a = "arg"
		}
		for (i = 1; i <= n; i++)
			if (i in name)
				print name[i], a
		delete name
	}' | sort -u
}

# names: the option names of such a list on stdin, without arg/flag.
names() {
	cut -d' ' -f1 | sort -u
}

# check_documented TOOL: every option of the source is in usage(), the
# SYNOPSIS and the option list, taking an argument where it does.
check_documented() {
	local t=$1 page=$TOP/man/$1.1 src aliases usage syn list help o n a bad=""
	[ -f "$page" ] || fail "man/$t.1: no such man page"
	src=$(src_options "$t") || fail "cannot read the options of $t/main.c"
	[ -n "$src" ] || fail "$t/main.c: no options found"
	aliases=$(src_aliases "$t")
	run -0 --separate-stderr "$t" -h
	usage=$(sed '/^$/q' <<<"$output" | usage_options)
	help=$(help_options <<<"$output")
	[ -n "$help" ] || fail "$t -h: no option list"
	syn=$(mdoc_options SYNOPSIS "$page")
	list=$(mdoc_options DESCRIPTION "$page")
	# The -h list and the man page's list name the same options alike.
	[ "$help" = "$list" ] ||
	    bad+="the option list of $t -h and of man/$t.1 differ:"$'\n'"$(diff <(echo "$help") <(echo "$list") | grep '^[<>]')"$'\n'
	while read -r n a; do
		if ! grep -qxF -- "$n $a" <<<"$list"; then
			bad+="$n ($a) is not in the option list of man/$t.1"$'\n'
		fi
		grep -qxF -- "$n $a" <<<"$help" ||
		    bad+="$n ($a) is not in the option list of $t -h"$'\n'
		# A long option that stands for a letter is shown by the letter.
		grep -q -- "^$n " <<<"$aliases" && continue
		case " $SYNOPSIS_EXEMPT " in *" $n "*) continue ;; esac
		grep -qxF -- "$n $a" <<<"$usage" ||
		    bad+="$n ($a) is not in the usage of $t -h"$'\n'
		grep -qxF -- "$n $a" <<<"$syn" ||
		    bad+="$n ($a) is not in the SYNOPSIS of man/$t.1"$'\n'
	done <<<"$src"
	if grep -q '^unparsed' <<<"$usage"; then
		bad+="usage of $t -h: cannot read $(grep '^unparsed' <<<"$usage")"$'\n'
	fi
	[ -z "$bad" ] || fail "$bad"
}

# probe TOOL OPTION flag|arg: run TOOL with OPTION (and an argument "1"
# when it takes one), then -h.  Prints nothing when the tool accepted it,
# else what went wrong.
probe() {
	local t=$1 o=$2 a=$3 args
	case $o:$a in
	--*:arg) args=("$o=1") ;;
	--*:flag) args=("$o") ;;
	-?:arg) args=("${o}1") ;;
	*) args=("$o") ;;
	esac
	run --separate-stderr timeout 20 "$t" "${args[@]}" -h </dev/null
	if [ "$o" = --version ]; then
		[ "$status" -eq 0 ] ||
		    echo "$t ${args[*]} -h: exit $status, not 0: $stderr"
		return
	fi
	# Accepted: then -h prints the help (exit 0), or the option's
	# argument "1" is refused as a value (a usage error, exit 2).
	if grep -qE 'unrecognized option|invalid option|requires an argument|allow an argument|is ambiguous' <<<"$stderr"; then
		echo "$t ${args[*]} -h: refused: $(head -n 1 <<<"$stderr")"
	elif [ "$status" -eq 0 ]; then
		grep -q "^usage: $t " <<<"$output" ||
		    echo "$t ${args[*]} -h: exit 0 without the help: $(head -n 1 <<<"$output")"
	elif [ "$status" -ne 2 ] || [ "$a" = flag ]; then
		echo "$t ${args[*]} -h: exit $status, not 0 (help) or 2 (a bad argument): $(head -n 1 <<<"$stderr")"
	fi
}

# check_accepted TOOL: every option usage(), the SYNOPSIS or the option list
# names is in the source, the same way, and is accepted by the tool.
check_accepted() {
	local t=$1 page=$TOP/man/$1.1 src doc n a bad="" out letter
	[ -f "$page" ] || fail "man/$t.1: no such man page"
	src=$(src_options "$t") || fail "cannot read the options of $t/main.c"
	# The probe must be able to fail: an unknown option is refused.
	run -2 --separate-stderr "$t" --no-such-option -h
	[[ $stderr == *"unrecognized option"* ]] ||
	    fail "$t --no-such-option -h: no 'unrecognized option': $stderr"
	letter=$(for c in Z Y X W V U T S R Q P O N M L K; do
		grep -q -- "^-$c " <<<"$src" || { echo "$c"; break; }
	done)
	run -2 --separate-stderr "$t" "-$letter" -h
	[[ $stderr == *"invalid option"* ]] ||
	    fail "$t -$letter -h: no 'invalid option': $stderr"
	run -0 --separate-stderr "$t" -h
	doc=$(
		sed '/^$/q' <<<"$output" | usage_options | sed 's/$/ usage()/'
		help_options <<<"$output" | sed 's/$/ -h-list/'
		mdoc_options SYNOPSIS "$page" | sed 's/$/ SYNOPSIS/'
		mdoc_options DESCRIPTION "$page" | sed 's/$/ option-list/'
	)
	while read -r n a where; do
		[ -n "$n" ] || continue
		if ! grep -qxF -- "$n $a" <<<"$src"; then
			if grep -q -- "^$n " <<<"$src"; then
				bad+="$n: $where of $t says $a, $t/main.c says otherwise"$'\n'
			else
				bad+="$n: in the $where of $t, not in $t/main.c"$'\n'
			fi
		fi
		out=$(probe "$t" "$n" "$a")
		[ -z "$out" ] || bad+="$n ($where): $out"$'\n'
	done <<<"$(sort -u <<<"$doc")"
	[ -z "$bad" ] || fail "$bad"
}

# check_help TOOL: -h and --help print the synopsis, the option list and
# the man page on stdout and exit 0, as jq and curl do; a bad option prints
# the synopsis on stderr and exits 2; --version prints "TOOL (vault2kv)
# VERSION", the commit in a checkout, and the libraries as they run.
check_help() {
	local t=$1 version help synopsis curlv sslv commit
	version=$(sed -n 's/^#define[ \t]*V2K_VERSION[ \t]*"\(.*\)"/\1/p' \
	    "$TOP/common/common.h")
	[ -n "$version" ] || fail "no V2K_VERSION in common/common.h"
	run -0 --separate-stderr "$t" -h
	assert_equal "$stderr" ""
	[[ $output == "usage: $t "* ]] || fail "$t -h: stdout is not a usage: $output"
	assert_line "options:"
	assert_line --partial "-h, --help"
	assert_line --partial "man $t"
	help=$output
	synopsis=$(sed '/^$/q' <<<"$output")
	run -0 --separate-stderr "$t" --help
	assert_equal "$output" "$help"
	assert_equal "$stderr" ""
	# A usage error: the synopsis alone, on stderr, exit 2.
	run -2 --separate-stderr "$t" --no-such-option
	assert_output ""
	assert_equal "$stderr" "$t: unrecognized option '--no-such-option'
$synopsis"
	run -0 --separate-stderr "$t" --version
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		# The commit it was built from (the tree may have moved on
		# since), as git describe --always --dirty says it.
		assert_regex "${lines[0]}" "^$t \\(vault2kv\\) ${version//./\\.} \\(commit [0-9a-f]{7,}(-dirty)?\\)\$"
		commit=$(sed 's/.*(commit \([0-9a-f]*\).*/\1/' <<<"${lines[0]}")
		git -C "$TOP" cat-file -e "$commit^{commit}" ||
		    fail "$t --version: $commit is no commit of this tree"
	else
		assert_equal "${lines[0]}" "$t (vault2kv) $version"
	fi
	curlv=$(pkg-config --modversion libcurl)
	sslv=$(openssl version | awk '{print $2}')
	assert_regex "${lines[1]}" "^libcurl ${curlv//./\\.}, OpenSSL ${sslv//./\\.} .*, libjq 1\\.[0-9]"
}

# -------------------------------------------------------------------------
# Man page structure.

# sections PAGE: the .Sh names in order.
sections() {
	sed -n 's/^\.Sh[ \t]*//p' "$1" | sed 's/^"\(.*\)"$/\1/'
}

# check_sections TOOL: NAME, SYNOPSIS, DESCRIPTION, ENVIRONMENT, EXIT STATUS,
# EXAMPLES and SEE ALSO, in that order.
check_sections() {
	local page=$TOP/man/$1.1 want got
	[ -f "$page" ] || fail "man/$1.1: no such man page"
	want="NAME SYNOPSIS DESCRIPTION ENVIRONMENT EXIT STATUS EXAMPLES SEE ALSO"
	got=$(sections "$page" | grep -xE 'NAME|SYNOPSIS|DESCRIPTION|ENVIRONMENT|EXIT STATUS|EXAMPLES|SEE ALSO' | tr '\n' ' ')
	assert_equal "${got% }" "$want"
}

# rendered_section PAGE NAME: the section as mandoc renders it, one line.
rendered_section() {
	mandoc -Tascii -O width=1000 "$1" | sed 's/.\x08//g' | awk -v want="$2" '
	/^[^ ]/ { on = ($0 == want); next }
	on' | tr -s ' \n' '  '
}

# check_exit_status TOOL: the EXIT STATUS section gives 0, 1 and 2 the
# meanings DESIGN.md gives them.
check_exit_status() {
	local page=$TOP/man/$1.1 text bad=""
	[ -f "$page" ] || fail "man/$1.1: no such man page"
	text=$(rendered_section "$page" "EXIT STATUS")
	[ -n "$text" ] || fail "man/$1.1: no EXIT STATUS section"
	grep -qw 0 <<<"$text" || bad+="no 0 (every record fine); "
	grep -qw 1 <<<"$text" || bad+="no 1 (some records failed); "
	grep -qw 2 <<<"$text" || bad+="no 2 (usage or fatal error); "
	grep -qiE 'fail|error|difference' <<<"$text" ||
	    bad+="does not say that 1 means failed records; "
	grep -qi 'usage' <<<"$text" || bad+="does not say that 2 is a usage error; "
	grep -qi 'fatal' <<<"$text" || bad+="does not say that 2 is a fatal error; "
	[ -z "$bad" ] || fail "man/$1.1 EXIT STATUS: $bad: $text"
}

# -------------------------------------------------------------------------
# Examples.

# seed_standins: both stand-ins back to their start, Vault seeded.
seed_standins() {
	admin "$VAULT_URL/_admin/reset" -X POST -f >/dev/null ||
	    fail "cannot reset the Vault stand-in"
	admin "$VAULT_URL/_admin/seed" -X POST -f \
	    -H 'Content-Type: application/json' -d "$VAULT_TREE" >/dev/null ||
	    fail "cannot seed the Vault stand-in"
	admin "$KV_URL/_admin/reset" -X POST -f >/dev/null ||
	    fail "cannot reset the Key Vault stand-in"
}

# expected_status DOC FIRST-LINE: what the example must exit with.
expected_status() {
	local doc line st why
	while IFS=$'\t' read -r doc line st why; do
		[ -n "$doc" ] || continue
		if [ "$doc" = "$1" ] && [ "$line" = "$2" ]; then
			echo "$st"
			return
		fi
	done <<<"$EXAMPLE_STATUS"
	echo 0
}

# run_examples DOC: extract DOC's examples and run each, in document order,
# in one fresh directory, with set -e and pipefail, against freshly seeded
# stand-ins.  Reports every example that does not end as expected.
run_examples() {
	local doc=$1 exdir=$BATS_TEST_TMPDIR/examples work=$BATS_TEST_TMPDIR/work
	local logs=$BATS_TEST_TMPDIR/logs list n where ex first want rc bad=""
	local d cmd why
	[ -f "$TOP/$doc" ] || fail "$doc: no such file"
	mkdir -p "$exdir" "$work" "$logs"
	list=$(cd "$TOP" && "$DOCS" "$doc" "$exdir") ||
	    fail "cannot extract the examples of $doc"
	[ -n "$list" ] || fail "$doc: no runnable example found"
	seed_standins
	while IFS=$'\t' read -r d cmd why; do
		[ "$d" = "$doc" ] || continue
		(cd "$work" && timeout 120 bash -e -o pipefail -c "$cmd" \
		    </dev/null >"$logs/setup.out" 2>"$logs/setup.err") ||
		    fail "$doc: the set-up its examples presuppose ($why) failed: $cmd: $(cat "$logs/setup.err")"
	done <<<"$EXAMPLE_SETUP"
	while read -r n where; do
		ex=$exdir/$n.sh
		first=$(head -n 1 "$ex")
		want=$(expected_status "$doc" "$first")
		rc=0
		(cd "$work" && timeout 120 bash -e -o pipefail "$ex" \
		    </dev/null >"$logs/$n.out" 2>"$logs/$n.err") || rc=$?
		if [ "$rc" -ne "$want" ]; then
			bad+="$where: exit $rc, expected $want:"$'\n'
			bad+="$(sed 's/^/    | /' "$ex")"$'\n'
			bad+="$(tail -n 8 "$logs/$n.err" | sed 's/^/    stderr: /')"$'\n'
		fi
	done <<<"$list"
	[ -z "$bad" ] || fail "$bad"
}

# =========================================================================

@test "the tools checked here are every tool of the tree" {
	local found
	found=$(cd "$TOP" && ls -d */main.c | sed 's,/main.c$,,' | sort | tr '\n' ' ')
	assert_equal "$found" "$(tr ' ' '\n' <<<"$TOOLS" | sort | tr '\n' ' ')"
}

@test "every tool has a man page and every man page is checked here" {
	local t bad=""
	for t in $TOOLS; do
		[ -f "$TOP/man/$t.1" ] || bad+="man/$t.1 is missing; "
	done
	for p in "$TOP"/man/*.[1-9]; do
		case " $TOOLS vault2kv " in
		*" $(basename "${p%.*}") "*) ;;
		*) bad+="$(basename "$p") has no examples test here; " ;;
		esac
	done
	[ -z "$bad" ] || fail "$bad"
}

@test "mandoc -Tlint -W warning prints nothing for any man page" {
	local p out bad="" n=0
	for p in "$TOP"/man/*.[1-9]; do
		n=$((n + 1))
		out=$(mandoc -Tlint -W warning "$p" 2>&1) ||
		    bad+="$p: mandoc exit $?"$'\n'
		[ -z "$out" ] || bad+="$out"$'\n'
	done
	[ "$n" -gt 0 ] || fail "no man page found in man/"
	[ -z "$bad" ] || fail "$bad"
}

# render80 PAGE: the page as "MANWIDTH=80 mandoc -Tutf8 PAGE" shows it: mandoc
# ignores MANWIDTH and fills 78 columns, what man(1) leaves of 80.
render80() {
	MANWIDTH=80 mandoc -Tutf8 "$1" | LC_ALL=C.UTF-8 sed 's/.\x08//g'
}

@test "every man page fits 80 columns and its footer names the suite and its version" {
	local p version bad="" long
	version=$(sed -n 's/^#define[ \t]*V2K_VERSION[ \t]*"\(.*\)"/\1/p' \
	    "$TOP/common/common.h")
	for p in "$TOP"/man/*.[1-9]; do
		long=$(render80 "$p" | "$PY" -c 'import sys
for l in sys.stdin.buffer:
    l = l.decode("utf-8").rstrip("\n")
    # A URL cannot be broken: a line it makes long is no fault.
    if len(l) > 80 and "https://" not in l:
        print(l)')
		[ -z "$long" ] || bad+="$(basename "$p"): wider than 80 columns:"$'\n'"$long"$'\n'
		# A display wrapped by the terminal: a redirection alone.
		long=$(render80 "$p" | grep -E '^ *[<>][^ ]' || true)
		[ -z "$long" ] || bad+="$(basename "$p"): a line wrapped before a redirection:"$'\n'"$long"$'\n'
		render80 "$p" | tail -n 1 |
		    grep -qE "^vault2kv $version +.* vault2kv $version\$" ||
		    bad+="$(basename "$p"): footer: $(render80 "$p" | tail -n 1)"$'\n'
	done
	[ -z "$bad" ] || fail "$bad"
}

@test "rendered quotes hold what they quote: the error field, the Key Vault reference" {
	run -0 render80 "$TOP/man/vault2kv.7"
	assert_output --partial '{"tool": ..., "status": HTTP or null, "message": ...}'
	run -0 render80 "$TOP/man/kv-name.1"
	assert_output --partial "‘@Microsoft.KeyVault(VaultName=vault;SecretName=name)’"
}

@test "links from README.md and .Xr references to the suite's pages resolve" {
	local l p bad=""
	for l in $(grep -o '](man/[^)]*)' "$TOP/README.md" | sed 's/^](//; s/)$//'); do
		[ -f "$TOP/$l" ] || bad+="README.md links to $l, which does not exist"$'\n'
	done
	for p in "$TOP"/man/*.[1-9]; do
		while read -r name sec; do
			case " $TOOLS vault2kv " in *" $name "*) ;; *) continue ;; esac
			[ -f "$TOP/man/$name.$sec" ] ||
			    bad+="$(basename "$p"): .Xr $name $sec: man/$name.$sec does not exist"$'\n'
		done < <(sed -n 's/^\.Xr \([^ ]*\) \([0-9]\).*/\1 \2/p' "$p" | sort -u)
	done
	[ -z "$bad" ] || fail "$bad"
}

# --- per tool: usage, --version, options both ways, sections ------------

# each_tool CHECK...: every CHECK for every tool of $TOOLS, in turn; the
# first that fails fails the test, after the line that names its tool.
each_tool() {
	local t c
	for t in $TOOLS; do
		echo "# $t"
		for c in "$@"; do
			"$c" "$t"
		done
	done
}

@test "every tool: -h prints the help and exits 0; a usage error exits 2; --version names the libraries" { each_tool check_help; }
@test "every tool: every option of the source is in usage, SYNOPSIS and option list" { each_tool check_documented; }
@test "every tool: every option usage or the man page names is accepted as documented" { each_tool check_accepted; }
@test "every tool's page has the sections in order and the suite's exit status" { each_tool check_sections check_exit_status; }

# --- examples --------------------------------------------------------------

@test "the examples extractor runs sh blocks only, and refuses unknown fences" {
	local d=$BATS_TEST_TMPDIR
	printf '%s\n' '```sh' 'echo run' '```' '```shell' 'echo not run' '```' \
	    '    echo indented' >"$d/a.md"
	run -0 "$DOCS" "$d/a.md" "$d/a"
	assert_output "001 $d/a.md:1"
	assert_equal "$(cat "$d/a/001.sh")" "echo run"
	printf '%s\n' '```bash' 'echo which' '```' >"$d/b.md"
	run -1 "$DOCS" "$d/b.md" "$d/b"
	assert_output --partial 'b.md:1: fenced block of kind "bash"'
	# mdoc: displays of EXAMPLES only, rendered as a reader sees them.
	printf '%s\n' '.Dd January 1, 2000' '.Dt T 1' '.Os' '.Sh NAME' \
	    '.Nm t' '.Nd t' '.Sh DESCRIPTION' '.Dl not-an-example' \
	    '.Sh EXAMPLES' '.Dl jq \(aq"\e(.a)"\(aq x' '.Bd -literal -offset indent' \
	    'a |' '    b' '.Ed' >"$d/t.1"
	run -0 "$DOCS" "$d/t.1" "$d/t"
	assert_output "001 $d/t.1:10
002 $d/t.1:11"
	assert_equal "$(cat "$d/t/001.sh")" "jq '\"\\(.a)\"' x"
	assert_equal "$(cat "$d/t/002.sh")" "a |
    b"
	# A display marked not run is left out.
	printf '%s\n' '.Dd January 1, 2000' '.Dt T 1' '.Os' '.Sh NAME' \
	    '.Nm t' '.Nd t' '.Sh EXAMPLES' '.\" not run: needs Azure' \
	    '.Dl az keyvault create' '.Dl echo run' '.\" not run: idem' \
	    '.Bd -literal' 'az x' '.Ed' >"$d/n.1"
	run -0 "$DOCS" "$d/n.1" "$d/n"
	assert_output "001 $d/n.1:10"
	assert_equal "$(cat "$d/n/001.sh")" "echo run"
}

@test "README.md: every sh example runs as written against the stand-ins" { run_examples README.md; }
@test "vault-ls(1): every example runs as written against the stand-ins" { run_examples man/vault-ls.1; }
@test "vault-dump(1): every example runs as written against the stand-ins" { run_examples man/vault-dump.1; }
@test "kv-name(1): every example runs as written against the stand-ins" { run_examples man/kv-name.1; }
@test "kv-put(1): every example runs as written against the stand-ins" { run_examples man/kv-put.1; }
@test "kv-check(1): every example runs as written against the stand-ins" { run_examples man/kv-check.1; }
@test "kv-grant(1): every example runs as written against the stand-ins" { run_examples man/kv-grant.1; }
@test "vault2kv(7): every example of the workflow runs as written against the stand-ins" { run_examples man/vault2kv.7; }
