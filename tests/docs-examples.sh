#!/usr/bin/env bash
# docs-examples.sh: extract the runnable examples of README.md or a man page,
# for tests/docs.bats.
#
#	docs-examples.sh FILE DIR
#
# writes each example of FILE, in document order, to DIR/001.sh, DIR/002.sh,
# ... and prints one line per example: "NNN FILE:LINE".
#
# Markdown: a fenced ```sh block is runnable and is extracted; a ```shell
# block is illustrative and is not (the README's convention).  A fence of
# any other kind, or none, is an error, so that no block escapes both rules.
#
# mdoc: the .Bd -literal ... .Ed displays and the .Dl lines of the EXAMPLES
# section, or of the whole page when it has no EXAMPLES section (vault2kv(7)
# shows its workflow step by step instead).  Each one is rendered by mandoc,
# so that the text is what a reader sees and copies (escapes such as \e and
# \(aq resolved, .Dl arguments parsed as mdoc parses them), and its common
# indentation is removed.  A display right after the comment line
# .\" not run: REASON
# is not extracted: a command that needs what the tests do not have (the az
# CLI, a Bicep deployment, the vault CLI); the page says so to its reader.
set -u
export LC_ALL=C

die() {
	echo "docs-examples.sh: $*" >&2
	exit 2
}

[ $# -eq 2 ] || die "usage: docs-examples.sh FILE DIR"
file=$1
dir=$2
[ -f "$file" ] || die "$file: no such file"
mkdir -p "$dir" || die "$dir: cannot create"

# markdown FILE DIR: the ```sh blocks.
markdown() {
	awk -v file="$1" -v dir="$2" '
	function out(	name) {
		n++
		name = sprintf("%s/%03d.sh", dir, n)
		printf "%s", text > name
		close(name)
		printf "%03d %s:%d\n", n, file, start
	}
	!infence && /^[ \t]*```/ {
		lang = $0
		sub(/^[ \t]*```[ \t]*/, "", lang)
		sub(/[ \t].*$/, "", lang)
		if (lang != "sh" && lang != "shell") {
			printf "docs-examples.sh: %s:%d: fenced block of kind " \
			    "\"%s\": neither sh (run) nor shell (not run)\n",
			    file, NR, lang > "/dev/stderr"
			bad = 1
		}
		infence = 1
		run = (lang == "sh")
		start = NR
		text = ""
		next
	}
	infence && /^[ \t]*```[ \t]*$/ {
		infence = 0
		if (run)
			out()
		next
	}
	infence { text = text $0 "\n" }
	END {
		if (infence) {
			printf "docs-examples.sh: %s:%d: unterminated fenced " \
			    "block\n", file, start > "/dev/stderr"
			bad = 1
		}
		exit bad
	}' "$1"
}

# render SRC: the mdoc display in SRC as mandoc renders it, unindented.
render() {
	{
		printf '.Dd January 1, 2000\n.Dt X 1\n.Os\n.Sh EXAMPLES\n'
		printf 'V2KEXAMPLEBEGIN\n'
		cat "$1"
		printf '.Pp\nV2KEXAMPLEEND\n'
	} | mandoc -Tascii -O width=1000 | sed 's/.\x08//g' | awk '
	/^ *V2KEXAMPLEEND$/ { on = 0 }
	on { line[++n] = $0 }
	/^ *V2KEXAMPLEBEGIN$/ { on = 1 }
	END {
		while (n > 0 && line[n] ~ /^ *$/)
			n--
		first = 1
		while (first <= n && line[first] ~ /^ *$/)
			first++
		ind = -1
		for (i = first; i <= n; i++) {
			if (line[i] ~ /^ *$/)
				continue
			match(line[i], /^ */)
			if (ind < 0 || RLENGTH < ind)
				ind = RLENGTH
		}
		for (i = first; i <= n; i++)
			print substr(line[i], ind + 1)
	}'
}

# mdoc FILE DIR: the displays of the EXAMPLES section (or of the page).
mdoc() {
	local tmp n=0 where src
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs-examples.XXXXXX") || exit 2
	# Split the displays into tmp/NNN.src and tmp/NNN.line.
	awk -v tmp="$tmp" '
	/^\.Sh[ \t]/ {
		sec = $0
		sub(/^\.Sh[ \t]+/, "", sec)
		if (sec == "EXAMPLES")
			has_examples = 1
	}
	{ sect[NR] = sec; src[NR] = $0 }
	END {
		n = 0
		for (i = 1; i <= NR; i++) {
			if (has_examples && sect[i] != "EXAMPLES")
				continue
			skip = i > 1 && src[i - 1] ~ /^\.\\"[ \t]*not run/
			if (src[i] ~ /^\.Dl([ \t]|$)/) {
				if (!skip)
					emit(i, i)
			} else if (src[i] ~ /^\.Bd[ \t].*-literal/) {
				for (j = i + 1; j <= NR && src[j] !~ /^\.Ed/; j++)
					;
				if (!skip)
					emit(i, j)
				i = j
			}
		}
	}
	function emit(a, b,	name, k) {
		n++
		name = sprintf("%s/%03d.src", tmp, n)
		for (k = a; k <= b; k++)
			print src[k] > name
		close(name)
		name = sprintf("%s/%03d.line", tmp, n)
		print a > name
		close(name)
	}' "$1"
	for src in "$tmp"/*.src; do
		[ -e "$src" ] || break
		n=${src##*/}
		n=${n%.src}
		render "$src" >"$2/$n.sh" || die "$src: mandoc failed"
		where=$(cat "$tmp/$n.line")
		echo "$n $1:$where"
	done
	rm -rf "$tmp"
}

case $file in
*.md)	markdown "$file" "$dir" ;;
*.[1-9])	mdoc "$file" "$dir" ;;
*)	die "$file: neither markdown (.md) nor a man page (.1 to .9)" ;;
esac
