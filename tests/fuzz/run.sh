#!/bin/sh
# run.sh: build the libFuzzer targets of tests/fuzz and run each a while.
#
#	sh tests/fuzz/run.sh [SECONDS [TARGET ...]]	build, run each SECONDS
#	sh tests/fuzz/run.sh -b [TARGET ...]		build only
#
# SECONDS defaults to 60 (make fuzz; FUZZTIME=N changes it).  A target is
# fuzz_TARGET.c; its saved corpus is corpus/TARGET (read only here: new
# inputs go to bin/work/TARGET, crashes to bin/crashes/TARGET/) and its
# dictionary, if any, TARGET.dict.  FUZZ_MERGE=1 merges what a run found
# into corpus/TARGET at the end.
#
# clang compiles common/*.c itself, with the fuzzer and sanitizer flags,
# into bin/obj: the objects of the main build are never touched.  A target
# names the symbols it calls ("needs: a b"), the tools whose files other
# than main.c it links ("tools: kv-name") and, when what it needs is still
# static, the file that holds it ("shim: common/azure.c"): when a needed
# symbol is missing from the objects, the target is built with FUZZ_SHIM,
# including that file instead of linking its object; when that fails too
# the target is skipped, and bin/TARGET.skip says why.
#
# Exit status: 0, or 1 when a target crashed or failed to build.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BIN=$HERE/bin
OBJ=$BIN/obj
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFL="-g -O1 -std=c11 -D_GNU_SOURCE -I$TOP/common -fno-omit-frame-pointer $SAN"
LIBS="-lcurl -ljq -lssl -lcrypto -lpthread -lm"

build_only=0
if [ "${1:-}" = "-b" ]; then
	build_only=1
	shift
	secs=0
else
	secs=${1:-60}
	[ $# -gt 0 ] && shift
fi
case $secs in
''|*[!0-9]*) echo "usage: run.sh [SECONDS [TARGET ...]] | -b [TARGET ...]" >&2
	exit 2 ;;
esac
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (Debian: apt-get install clang)" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=$(cd "$HERE" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
mkdir -p "$OBJ" || exit 2
status=0

# obj SRC: compile SRC into bin/obj unless up to date; prints the object.
obj() {
	local_src=$1
	local_o=$OBJ/$(echo "${local_src#"$TOP"/}" | tr / _ | sed 's/\.c$/.o/')
	local_stale=0
	[ -f "$local_o" ] && [ ! "$local_src" -nt "$local_o" ] || local_stale=1
	for local_h in "$TOP"/common/*.h; do
		[ "$local_h" -nt "$local_o" ] && local_stale=1
	done
	if [ "$local_stale" = 1 ]; then
		if ! $CC $CFL -fsanitize=fuzzer-no-link -c -o "$local_o" \
		    "$local_src" 2>"$local_o.log"; then
			cat "$local_o.log" >&2
			rm -f "$local_o"
			return 1
		fi
	fi
	echo "$local_o"
}

# field TARGET NAME: the words after "NAME:" in the target's comment.
field() {
	sed -n "s/^ \* $2: //p" "$HERE/fuzz_$1.c" | head -n 1
}

common_objs=
for c in "$TOP"/common/*.c; do
	o=$(obj "$c") || { echo "fuzz: cannot compile $c" >&2; exit 1; }
	common_objs="$common_objs $o"
done

build() {
	t=$1
	src=$HERE/fuzz_$t.c
	rm -f "$BIN/$t" "$BIN/$t.skip"
	if [ ! -f "$src" ]; then
		echo "fuzz: no target $t" >&2
		return 1
	fi
	objs=$common_objs
	for tool in $(field "$t" tools); do
		for c in "$TOP/$tool"/*.c; do
			[ "$(basename "$c")" = main.c ] && continue
			[ -f "$c" ] || continue
			o=$(obj "$c") || return 1
			objs="$objs $o"
		done
	done
	missing=
	for sym in $(field "$t" needs); do
		# shellcheck disable=SC2086
		if ! nm -g --defined-only $objs 2>/dev/null |
		    awk '{print $3}' | grep -qx "$sym"; then
			missing="$missing $sym"
		fi
	done
	shimflag=
	if [ -n "$missing" ]; then
		shim=$(field "$t" shim)
		if [ -z "$shim" ]; then
			echo "missing:$missing" >"$BIN/$t.skip"
			echo "fuzz: $t skipped: missing$missing" >&2
			return 0
		fi
		shimflag=-DFUZZ_SHIM
		# The shimmed file is compiled into the target: not its object.
		drop=$OBJ/$(echo "$shim" | tr / _ | sed 's/\.c$/.o/')
		kept=
		for o in $objs; do
			[ "$o" = "$drop" ] || kept="$kept $o"
		done
		objs=$kept
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFL $shimflag -fsanitize=fuzzer -o "$BIN/$t" "$src" $objs \
	    $LIBS 2>"$BIN/$t.build.log"; then
		# A shim that does not build is a broken target, not a skip:
		# it once hid that kv-name's rule changed under the fuzzer.
		cat "$BIN/$t.build.log" >&2
		echo "fuzz: $t did not build" >&2
		return 1
	fi
	if [ -n "$shimflag" ]; then
		echo "fuzz: $t built with the shim of $shim (missing$missing)"
	else
		echo "fuzz: $t built"
	fi
}

for t in $targets; do
	build "$t" || status=1
done
[ "$build_only" = 1 ] && exit $status

# report TARGET RC LOG WHAT: print the outcome of one run.
report() {
	if [ "$2" -ne 0 ]; then
		echo "fuzz: $1 FAILED ($4, exit $2): bin/$1.log, bin/crashes/$1/"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$3" |
		    head -n 5
		status=1
	fi
}

for t in $targets; do
	[ -x "$BIN/$t" ] || continue
	mkdir -p "$BIN/work/$t" "$BIN/crashes/$t" "$HERE/corpus/$t"
	dict=
	[ -f "$HERE/$t.dict" ] && dict=-dict=$HERE/$t.dict
	"$BIN/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 \
	    -print_final_stats=1 -artifact_prefix="$BIN/crashes/$t/" $dict \
	    "$BIN/work/$t" "$HERE/corpus/$t" >"$BIN/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BIN/$t.log")
	report "$t" $rc "$BIN/$t.log" "fuzzing"
	[ $rc -eq 0 ] && echo "fuzz: $t ok: ${runs:-?} runs in $secs s," \
	    "corpus $(ls "$BIN/work/$t" | wc -l) new +" \
	    "$(ls "$HERE/corpus/$t" | wc -l) saved"
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		"$BIN/$t" -merge=1 "$HERE/corpus/$t" "$BIN/work/$t" \
		    >"$BIN/$t.merge.log" 2>&1 ||
		    echo "fuzz: $t: merge failed (bin/$t.merge.log)" >&2
	fi
done
exit $status
