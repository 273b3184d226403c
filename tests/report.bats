#!/usr/bin/env bats
# report.bats: what an operator sees of a run.  kv-check --report (the
# Markdown and the HTML document, their counts against the NDJSON, their
# escaping of hostile paths and messages, no value in them, the page as
# headless Chromium renders it), the scope of --orphans, the summaries
# that tell failed here from failed upstream, the progress segments that
# the stages of a pipeline share on a terminal, and the -vv trace of
# every request (no token, no value, no query secret).
#
# Every secret value of the fixture holds the random string $R; the
# Key Vault stand-in runs through a wrapper that records every access
# token it issues (as hygiene.bats does), and the Vault token and the
# client secret are random too: none of them may be in a report or in
# stderr.

setup_file() {
	load helpers
	env_reset
	D=$BATS_FILE_TMPDIR/rpt
	mkdir -p "$D"
	R=$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
	VTOKEN=hvs.$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	CSECRET=cs~$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	export D R VTOKEN CSECRET
	# A path that tries every trick on a document: markup, a cell
	# boundary, code, a line break with a heading, an entity and a
	# right-to-left override.
	EVIL='team1/<script>alert(1)</script>|`x`'$'\n''# h&amp;'$'\u202e''z'
	export EVIL
	"$PY" - >"$D/vault.json" <<-'EOF'
	import json, os
	r, evil = os.environ["R"], os.environ["EVIL"]
	v = lambda k: {"data": {"k": "RPTV-%s-%s" % (r, k)}}
	print(json.dumps({
	    "mounts": {"kv2b/": {"type": "kv", "version": "2"}},
	    "secrets": {
	        "secret/": {
	            "team1/app/db": v("db"), "team1/api": v("api"),
	            evil: v("evil"),
	            "team1/gone": {"versions": [
	                {"data": {"k": "RPTV-%s-g1" % r}},
	                {"data": {"k": "RPTV-%s-g2" % r}, "deleted": True}]},
	            "team2/other": v("other")},
	        "kv2b/": {"x/y": v("xy")}}}))
	EOF
	start_vault --seed "$D/vault.json" --root-token "$VTOKEN"
	export VAULT_TOKEN=$VTOKEN
	start_keyvault_tokens
	# The whole Vault migrated; then team1's records, values included.
	vault-ls -q | vault-dump -q | kv-name -q | kv-put -q >"$D/map.ndjson" ||
	    true
	vault-ls -q secret/team1 | vault-dump -q | kv-name -q \
	    >"$D/team1.ndjson" || true
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	W=$BATS_TEST_TMPDIR
}

# start_keyvault_tokens: start_keyvault_recording, and its CA for the
# Python clients too.
start_keyvault_tokens() {
	start_keyvault_recording "$D/tokens.txt" || return 1
	export REQUESTS_CA_BUNDLE=$TLS_DIR/ca.pem
}

# check_input: team1's records as kv-check gets them in a bad run: one
# value changed since (the hostile path's: "value differs"), api left out
# (its secret is an orphan), gone failed upstream (vault-dump), and two
# records made by hand: a kv-put conflict and a record kv-check fails,
# both with hostile messages.
check_input() {
	jq -c --arg r "$R" 'select(.path != "team1/api") |
	    if (.path | startswith("team1/<")) then
	    .data.k = "RPTV-\($r)-tampered" else . end' "$D/team1.ndjson"
	printf '%s\n' '{"mount":"secret","path":"team1/clash","name":"secret-team1-clash","status":"conflict","error":{"tool":"kv-put","status":null,"message":"secret-team1-clash already holds <b>secret/x</b> | `y`\n(vault-path tag): not written"}}'
	printf '%s\n' '{"mount":"secret","path":"team1/<i>noname</i>","data":{"k":"RPTV-'"$R"'-noname"}}'
}

# A jq definition: outcome, the report's name for how a record of
# kv-check's output came out.
OUTCOME='def outcome: if .error then (if .status == "conflict" then
	    "conflict" elif .error.tool == "kv-check" then "failed-here"
	    else "failed-upstream" end)
	    elif .check == "ok" then "ok"
	    elif (.check | index("orphan")) then "orphan"
	    else "differs" end;'

# expected NDJSON: the outcome counts of kv-check's output, as the report
# counts them ("ok=3" lines, sorted; total as "total=N").
expected() {
	jq -rs "$OUTCOME"'map(outcome) as $s |
	    (["ok","differs","orphan","conflict","failed-here",
	      "failed-upstream"][] as $k | "\($k)=\([$s[] | select(. == $k)] |
	      length)"), "total=\(length)"' "$1" | sort
}

# counts HTML: the counts the page shows by their ids, in the same form;
# then each mount's row as "mount NS|MOUNT STATUS=N".
counts() {
	"$PY" - "$1" <<-'EOF'
	import sys
	from html.parser import HTMLParser
	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.cur, self.out, self.row, self.cls = None, [], None, None
	    def handle_starttag(self, tag, attrs):
	        a = dict(attrs)
	        if a.get("id", "").startswith("count-"):
	            self.cur = a["id"][6:]
	        if tag == "tr" and a.get("class") == "mount":
	            self.row = "%s|%s" % (a.get("data-namespace"), a.get("data-mount"))
	        if tag == "td" and self.row and a.get("class", "").startswith("n-"):
	            self.cls = a["class"][2:]
	    def handle_data(self, d):
	        if self.cur:
	            self.out.append("%s=%s" % (self.cur, d.strip()))
	            self.cur = None
	        if self.cls:
	            self.out.append("mount %s %s=%s" % (self.row, self.cls, d.strip()))
	            self.cls = None
	    def handle_endtag(self, tag):
	        if tag == "tr":
	            self.row = None
	p = P()
	p.feed(open(sys.argv[1], encoding="utf-8").read())
	print("\n".join(sorted(p.out)))
	EOF
}

# mount_expected NDJSON: each mount's counts, as counts prints them.
mount_expected() {
	jq -rs "$OUTCOME"'group_by([.namespace // "", .mount // ""])[] |
	    (.[0].namespace // "") as $ns | (.[0].mount // "") as $m |
	    map(outcome) as $s |
	    (["ok","differs","orphan","conflict","failed-here",
	      "failed-upstream"][] as $k | "mount \($ns)|\($m) \($k)=\([$s[] |
	      select(. == $k)] | length)"), "mount \($ns)|\($m) total=\(length)"' "$1"
}

# nogrep ARGS...: grep finds nothing (a test fails on it, where "! grep"
# would not fail under set -e).
nogrep() {
	! grep "$@"
}

# no_secrets FILE...: none of the values, tokens or the skiptokens the
# stand-in handed out is in any of the files.
no_secrets() {
	local f t
	for f in "$@"; do
		! grep -qF "$R" "$f" || { echo "a value in $f"; return 1; }
		! grep -qF "$VTOKEN" "$f" || { echo "the Vault token in $f"; return 1; }
		! grep -qF "$CSECRET" "$f" || { echo "the client secret in $f"; return 1; }
		while read -r t; do
			[ -z "$t" ] && continue
			! grep -qF "$t" "$f" || { echo "an access token in $f"; return 1; }
		done <"$D/tokens.txt"
	done
}

@test "--report FILE.html and FILE.md count the records as the NDJSON does, per status and mount" {
	check_input >"$W/in.ndjson"
	run -1 --separate-stderr kv-check --orphans --report "$W/r.html" <"$W/in.ndjson"
	printf '%s\n' "$output" >"$W/out.ndjson"
	expected "$W/out.ndjson" >"$W/want"
	# Every outcome is there at least once.
	run -0 grep -c '=[1-9]' "$W/want"
	assert_output 7
	counts "$W/r.html" | grep -v '^mount ' >"$W/got"
	assert_equal "$(cat "$W/got")" "$(cat "$W/want")"
	counts "$W/r.html" | grep '^mount ' | sed 's/ n-/ /' | sort >"$W/got"
	mount_expected "$W/out.ndjson" | sort >"$W/want"
	assert_equal "$(cat "$W/got")" "$(cat "$W/want")"
	# The same run in Markdown: its totals table.
	run -1 --separate-stderr kv-check --orphans --report "$W/r.md" <"$W/in.ndjson"
	sed -n '/^## Totals/,/^## By namespace/p' "$W/r.md" |
	    sed -n 's/^| \([a-z ]*\) | \([0-9]*\) |$/\1=\2/p' |
	    sed 's/^records=/total=/; s/ /-/' | sort >"$W/got"
	assert_equal "$(cat "$W/got")" "$(expected "$W/out.ndjson")"
	# A row per problem, each with its reason.
	assert_equal "$(sed -n '/^## Problems (5)/,$p' "$W/r.md" | grep -c '^| [a-z]')" 6
	grep -q '| orphan | ' "$W/r.md"
	grep -q 'value differs' "$W/r.md"
	grep -q 'current version 2 is deleted \\(HTTP 404\\)' "$W/r.md"
	grep -q '| vault-dump |' "$W/r.md"
	grep -q 'no name: pipe the records through kv-name first' "$W/r.md"
}

@test "the report escapes every path, name and message: no markup, no cell, no line break comes of them" {
	check_input >"$W/in.ndjson"
	run -1 --separate-stderr kv-check --orphans --report "$W/r.html" <"$W/in.ndjson"
	run -1 --separate-stderr kv-check --orphans --report "$W/r.md" <"$W/in.ndjson"
	# HTML: no element but the report's own.
	run -0 grep -oP '<[a-z][a-z0-9]*' "$W/r.html"
	assert_equal "$(sort -u <<<"$output" | tr '\n' ' ')" \
	    "<body <br <code <g <h1 <h2 <head <html <meta <p <rect <span <style <svg <table <tbody <td <text <th <thead <title <tr "
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;|`x`\n# h&amp;amp;\u202ez' "$W/r.html"
	grep -qF 'already holds &lt;b&gt;secret/x&lt;/b&gt; | `y`\n(vault-path tag)' "$W/r.html"
	# No raw control or direction character in either file.
	LC_ALL=C nogrep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$W/r.html" "$W/r.md"
	nogrep -qF $'\u202e' "$W/r.html" "$W/r.md"
	# Markdown: outside the chart, no unescaped < & ` * _ [ or |
	# but the table's own; every row of the problems table on one line
	# with its 7 cell boundaries.
	sed '/^<svg/,/^<\/svg>/d' "$W/r.md" >"$W/text.md"
	nogrep -P '(?<!\\)[<&`*_\[]' "$W/text.md"
	sed -n '/^## Problems/,$p' "$W/text.md" | grep '^| ' >"$W/rows"
	assert_equal "$(wc -l <"$W/rows")" 6
	while IFS= read -r row; do
		assert_equal "$(grep -oP '(?<!\\)\|' <<<"$row" | wc -l)" 7
	done <"$W/rows"
	grep -qF '\<script\>alert\(1\)\</script\>\|\`x\`\\n\# h\&amp;\\u202ez' "$W/text.md"
	# The chart's labels are escaped as the page's text.
	sed -n '/^<svg/,/^<\/svg>/p' "$W/r.md" >"$W/svg"
	nogrep -q '<script' "$W/svg"
}

@test "the report holds no value, no token and no query secret; -vv neither" {
	check_input >"$W/in.ndjson"
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"empty_pages":true}' >/dev/null
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr kv-check -vv --orphans=all --report "$W/r.html" \
	    <"$W/in.ndjson"
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"empty_pages":false}' >/dev/null
	printf '%s\n' "$stderr" >"$W/err"
	run -1 --separate-stderr kv-check -vv --orphans --report "$W/r.md" \
	    <"$W/in.ndjson"
	printf '%s\n' "$stderr" >>"$W/err"
	no_secrets "$W/r.html" "$W/r.md" "$W/err"
	# The pages' $skiptoken values the stand-in handed out, not one.
	admin "$KV_URL/_admin/requests" |
	    jq -r '.requests[].query["$skiptoken"] // empty' | sort -u >"$W/skip"
	[ -s "$W/skip" ]
	while read -r t; do
		nogrep -qF "$t" "$W/err"
	done <"$W/skip"
	grep -qF '&$skiptoken=...' "$W/err"
}

@test "-vv traces every request: method, URL, status, time, attempt, retries" {
	check_input >"$W/in.ndjson"
	run -1 --separate-stderr kv-check -v --orphans <"$W/in.ndjson"
	[[ "$stderr" != *": http: "* ]]
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"fail_rate":0.4,"fail_seed":7,"fail_kinds":["503"]}' >/dev/null
	admin "$KV_URL/_admin/requests" -X DELETE >/dev/null
	run -1 --separate-stderr kv-check -vv --orphans <"$W/in.ndjson"
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"fail_rate":0}' >/dev/null
	grep ': http: ' <<<"$stderr" >"$W/trace"
	# One line an attempt, as many as the stand-in answered.
	assert_equal "$(wc -l <"$W/trace")" \
	    "$(admin "$KV_URL/_admin/requests" | jq '.requests | length')"
	nogrep -vP '^kv-check: http: (GET|POST) https://127\.0\.0\.1:\d+/[^ ]*: (\d{3}|[A-Za-z][^,]*), \d+ ms, attempt \d+(, retry in \d+ ms)?$' "$W/trace"
	grep -qP '^kv-check: http: POST https://127\.0\.0\.1:\d+/test-tenant/oauth2/v2\.0/token: 200, ' "$W/trace"
	grep -qP '^kv-check: http: GET https://127\.0\.0\.1:\d+/secrets\?maxresults=1&api-version=7\.5: (200|401), ' "$W/trace"
	grep -qP ': 503, \d+ ms, attempt 1, retry in \d+ ms$' "$W/trace"
	grep -qP ', attempt [2-9]$' "$W/trace"
	no_secrets "$W/trace"
}

@test "--orphans looks where the input covers: its folders by default, its mounts, or all" {
	check_input >"$W/in.ndjson"
	orphans() { jq -r 'select(.check == ["orphan"]) | "\(.mount)/\(.path)"' <<<"$output" | tr '\n' ' '; }
	run -1 --separate-stderr kv-check -v --orphans <"$W/in.ndjson"
	assert_equal "$(orphans)" "secret/team1/api "
	[[ "$stderr" == *"kv-check: orphans looked for in secret/team1/ (what the input covers; --orphans=mounts or =all for more)"* ]]
	run -1 --separate-stderr kv-check --orphans=input <"$W/in.ndjson"
	assert_equal "$(orphans)" "secret/team1/api "
	run -1 --separate-stderr kv-check --orphans=mounts <"$W/in.ndjson"
	assert_equal "$(orphans)" "secret/team1/api secret/team2/other "
	run -1 --separate-stderr kv-check --orphans=all <"$W/in.ndjson"
	assert_equal "$(orphans)" "kv2b/x/y secret/team1/api secret/team2/other "
	# A record at the mount's top widens the folder to the whole mount.
	run -1 --separate-stderr kv-check --orphans < <(cat "$W/in.ndjson"
	    echo '{"mount":"secret","path":"top","name":"secret-top"}')
	assert_equal "$(orphans)" "secret/team1/api secret/team2/other "
	# A record left out of the folder is an orphan too.
	run -1 --separate-stderr kv-check --orphans < <(grep -v '"team1/app/db"' "$W/in.ndjson")
	assert_equal "$(orphans)" "secret/team1/api secret/team1/app/db "
	run -2 --separate-stderr kv-check --orphans=some </dev/null
	assert_equal "$stderr" "kv-check: --orphans=some: input, mounts or all
kv-check: try 'kv-check -h' for usage"
}

@test "a report of another kind, or where it cannot be written, is refused at the start" {
	for f in r.txt r.htm r r.md.bak; do
		run -2 --separate-stderr kv-check --report "$W/$f" <"$D/map.ndjson"
		assert_output ""
		assert_equal "$stderr" "kv-check: --report $W/$f: the name must end in .md (Markdown) or .html
kv-check: try 'kv-check -h' for usage"
	done
	run -2 --separate-stderr kv-check --report "$W/no/such/r.md" <"$D/map.ndjson"
	assert_output ""
	assert_equal "$stderr" "kv-check: --report $W/no/such/r.md: $W/no/such: No such file or directory
kv-check: try 'kv-check -h' for usage"
	# Nothing written, not even a temporary file.
	[ -z "$(ls -A "$W" | grep '^r\|^no$')" ]
	[ -z "$(ls -A "$W/tmp")" ]
}

@test "the report is renamed into place whole, mode 0600, no temporary file left; a run cut short says so" {
	cd "$W"
	echo old >r.html
	run -1 --separate-stderr kv-check --report r.html <"$D/map.ndjson"
	assert_equal "$(stat -c %a r.html)" 600
	assert_equal "$(ls | grep -c '^r\.html')" 1
	grep -q '<td id="count-ok">5</td>' r.html
	nogrep -q "id=\"incomplete\"" r.html
	# Output that cannot be written: the report is written, incomplete.
	run -2 --separate-stderr sh -c 'kv-check --report r.md <"$1" >/dev/full' \
	    sh "$D/map.ndjson"
	assert_equal "${stderr_lines[0]}" "kv-check: cannot write output: No space left on device"
	grep -q "this report is incomplete" r.md
	assert_equal "$(stat -c %a r.md)" 600
	assert_equal "$(ls | grep -c '^r\.')" 2
}

@test "headless Chromium renders the HTML report: a screenshot that is not blank, and the page's counts are the NDJSON's" {
	command -v chromium >/dev/null ||
	    skip "chromium is not installed and could not be (tests/deps.sh installs Debian's chromium as root)"
	check_input >"$W/in.ndjson"
	run -1 --separate-stderr kv-check --orphans --report "$W/r.html" <"$W/in.ndjson"
	printf '%s\n' "$output" >"$W/out.ndjson"
	cr() {
		timeout 120 chromium --headless --no-sandbox --disable-gpu \
		    --hide-scrollbars --user-data-dir="$W/chromium" \
		    --window-size=1200,1400 "$@" "file://$W/r.html" 2>/dev/null
	}
	cr --screenshot="$W/shot.png" >/dev/null
	cr --dump-dom >"$W/dom.html"
	# The DOM as the browser built it: no script, the counts as NDJSON's.
	nogrep -qi '<script' "$W/dom.html"
	counts "$W/dom.html" | grep -v '^mount ' >"$W/got"
	assert_equal "$(cat "$W/got")" "$(expected "$W/out.ndjson")"
	counts "$W/dom.html" | grep '^mount ' | sed 's/ n-/ /' | sort >"$W/got"
	assert_equal "$(cat "$W/got")" "$(mount_expected "$W/out.ndjson" | sort)"
	# The screenshot: a PNG of the window's size, with many colours,
	# the chart's among them (its bars were drawn).
	run -0 "$PY" - "$W/shot.png" <<-'EOF'
	import struct, sys, zlib
	b = open(sys.argv[1], "rb").read()
	assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	pos, idat, hdr = 8, b"", None
	while pos < len(b):
	    n, t = struct.unpack(">I4s", b[pos:pos + 8])
	    d = b[pos + 8:pos + 8 + n]
	    if t == b"IHDR":
	        hdr = struct.unpack(">IIBBBBB", d)
	    elif t == b"IDAT":
	        idat += d
	    pos += 12 + n
	w, h, depth, ctype, _, _, inter = hdr
	assert depth == 8 and ctype in (2, 6) and inter == 0, hdr
	bpp = 3 if ctype == 2 else 4
	raw, stride = zlib.decompress(idat), w * bpp
	prev, rows, i = bytearray(stride), [], 0
	for y in range(h):
	    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
	    i += 1 + stride
	    for x in range(stride):
	        a = line[x - bpp] if x >= bpp else 0
	        up, c = prev[x], prev[x - bpp] if x >= bpp else 0
	        if f == 1: line[x] = (line[x] + a) & 255
	        elif f == 2: line[x] = (line[x] + up) & 255
	        elif f == 3: line[x] = (line[x] + (a + up) // 2) & 255
	        elif f == 4:
	            p = a + up - c
	            pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
	            line[x] = (line[x] + (a if pa <= pb and pa <= pc else
	                                  up if pb <= pc else c)) & 255
	    rows.append(bytes(line))
	    prev = line
	colours = {}
	for r in rows:
	    for x in range(0, stride, bpp):
	        k = r[x:x + 3]
	        colours[k] = colours.get(k, 0) + 1
	print(w, h, len(colours))
	for hexc in ("2e7d32", "ef6c00", "6a1b9a", "ad1457", "c62828", "757575"):
	    n = colours.get(bytes.fromhex(hexc), 0)
	    print(hexc, n)
	EOF
	read -r w h ncol <<<"${lines[0]}"
	assert_equal "$w $h" "1200 1400"
	[ "$ncol" -gt 20 ]
	# Every status is in the chart: a bar segment or the legend's square
	# (12 x 12) at the least.
	for l in "${lines[@]:1}"; do
		[ "${l#* }" -ge 144 ] || { echo "colour ${l% *} missing"; false; }
	done
}

@test "summaries tell what failed here from what failed upstream" {
	{ vault-ls secret/team1 2>"$W/ls.err" | vault-dump 2>"$W/dump.err" |
	    kv-name 2>"$W/name.err"
	    echo '{"mount":"secret","data":{"k":"v"}}'; } |
	    kv-put 2>"$W/put.err" | kv-check 2>"$W/check.err" >/dev/null || true
	assert_equal "$(tail -n 1 "$W/dump.err")" "vault-dump: 4 records, 3 secrets exported, 1 failed"
	assert_equal "$(tail -n 1 "$W/name.err")" "kv-name: 4 records in, 4 out, 0 failed here, 1 failed upstream"
	[[ $(tail -n 1 "$W/put.err") == "kv-put: 5 records: 0 created, 0 updated, 3 unchanged, 0 conflicts, 0 skipped, 1 failed here, 1 failed upstream, 0 recovered; "* ]]
	[[ $(tail -n 1 "$W/check.err") == "kv-check: 5 records: 3 ok, 0 differ, 0 failed here, 2 failed upstream; "* ]]
	# With nothing failed upstream, as before.
	run -1 --separate-stderr kv-name <<<'{"mount":"secret"}'
	assert_equal "$stderr" "kv-name: line 1: no path field
kv-name: 1 record in, 1 out, 1 failed"
}

@test "progress: the stages share the terminal line, each in its own segment; kv-put's shows the time left" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	vault-ls -q secret | vault-dump -q | kv-name -q >"$W/named.ndjson" || true
	# 120 columns: six segments of 20, kv-put the fourth, kv-check the fifth.
	script -qfec "stty cols 120; kv-put <'$W/named.ndjson' | kv-check >/dev/null" \
	    /dev/null >"$W/tty.out" || true
	grep -qaP '\r\e\[60Cput \d+/\d+ ~\d+:\d\d ' "$W/tty.out"
	grep -qaP '\r\e\[80Ccheck \d+ ' "$W/tty.out"
	# A segment is drawn padded to its width less one, never by erasing
	# the line (which would wipe the other stages' segments).
	nogrep -qaP '\e\[K(put|check) ' "$W/tty.out"
	run -0 grep -aoP '\r\e\[\d+C[^\r\e]*' "$W/tty.out"
	for l in "${lines[@]}"; do
		l=${l#*C}
		# Two stages write to one terminal: another's summary may come
		# right after a whole segment (CI's SAN pass saw 19 + 159).
		if (( ${#l} > 19 )) && [[ ${l:19} == kv-* ]]; then
			l=${l:0:19}
		fi
		assert_equal "${#l}" 19
	done
	# Alone on the terminal (no pipe): the whole line, with its ETA.
	script -qfec "kv-check <'$D/map.ndjson' >'$W/out'" /dev/null >"$W/tty2.out" || true
	grep -qaP '\r\e\[Kkv-check: \d+/?\d* records, [\d.]+/s, \d+ failed' "$W/tty2.out"
}

@test "no progress when stderr is not a terminal" {
	kv-put <"$D/map.ndjson" 2>"$W/put.err" | kv-check 2>"$W/check.err" >/dev/null || true
	nogrep -qaP '[\r\e]' "$W/put.err" "$W/check.err"
	[ -s "$W/check.err" ]
}

@test "-vv on every stage of a pipeline: each traces its requests, none shows a token or a value" {
	vault-ls -vv secret 2>"$W/ls.err" | vault-dump -vv 2>"$W/dump.err" |
	    kv-name -vv 2>"$W/name.err" | kv-put -vv 2>"$W/put.err" |
	    kv-check -vv --orphans 2>"$W/check.err" >/dev/null || true
	for t in vault-ls vault-dump kv-put kv-check; do
		f=$W/${t#*-}.err
		grep -qP "^$t: http: (GET|LIST|POST|PUT) https?://127\.0\.0\.1:\d+/[^ ]*: \d{3}, \d+ ms, attempt 1$" "$f" ||
		    { echo "no trace from $t"; cat "$f"; false; }
	done
	grep -qP '^vault-dump: http: GET http://127\.0\.0\.1:\d+/v1/secret/data/team1/app/db: 200, ' "$W/dump.err"
	grep -qP '^kv-put: http: GET https://127\.0\.0\.1:\d+/secrets/secret-team1-app-db/?\?api-version=7\.5: 200, ' "$W/put.err"
	no_secrets "$W/ls.err" "$W/dump.err" "$W/name.err" "$W/put.err" "$W/check.err"
}
