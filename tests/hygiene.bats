#!/usr/bin/env bats
# hygiene.bats: no secret value and no token where it does not belong.
#
# setup_file runs the whole pipeline with -v against slowed stand-ins
# (vault-ls -l | vault-dump | kv-name | kv-put, kv-check twice, kv-grant
# on the mapping), then kv-put, kv-check and kv-grant again with the
# Azure credential chain forced to the CLI (AZURE_TOKEN_CREDENTIALS=
# AzureCliCredential) and a fake az on PATH, while a poller reads the
# command line (/proc/PID/cmdline) and core limit of every tool process
# and of what the tools start.  The tests then search, for every secret
# value of the fixture (distinctive: HYGIENE-VALUE-<random>, one with a
# newline, one with quotes), the Vault token, the Azure client secret and
# every access token the Key Vault stand-in issued:
#   - every tool's stderr;
#   - every output but vault-dump's and kv-name's stdout (values are
#     their purpose);
#   - the command lines seen while the tools ran;
#   - the arguments and the environment the tools gave the Azure CLI;
#   - files left in TMPDIR, the working directory and HOME.
# The access tokens: the stand-in redacts them from its state and logs,
# so it is started through a small wrapper (servers/kvwrap.py) that
# appends every token its App.issue hands out to a file (tokens.txt).
# Core dumps off and ptrace refused are checked on each tool run as the
# unprivileged user nobody (setpriv), where they mean something: as root
# (CAP_SYS_PTRACE) attaching always works and /proc/PID is root's anyway.
# For a non-dumpable process the kernel makes /proc/PID/environ and mem
# root's, so another process of the same user can neither read them nor
# attach; a plain `sleep` run as nobody is the control that shows both
# checks can fail.

P1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
SUB=00000000-0000-0000-0000-000000000000
TOOLS="vault-ls vault-dump kv-name kv-put kv-check kv-grant"

setup_file() {
	load helpers
	env_reset
	D=$BATS_FILE_TMPDIR/hyg
	mkdir -p "$D"/{cwd,tmp,home,out,azbin,cwdB,tmpB}
	R=$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
	# The Vault token and the client secret share nothing with the values.
	VTOKEN=hvs.$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	CSECRET=cs~$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	# Only D is exported: the tools' environment must not hold R.
	export D
	echo "$R" >"$D/R"
	hyg_files
	start_vault --seed "$D/vault.json" --root-token "$VTOKEN"
	export VAULT_TOKEN=$VTOKEN
	start_keyvault_tokens
	export AZURE_SUBSCRIPTION_ID=$SUB
	# Slow enough for the poller to see every process for a while.
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":60}' >/dev/null
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"latency_ms":60}' >/dev/null
	run_a
	run_b
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":0}' >/dev/null
	admin "$KV_URL/_admin/config" -X POST -H 'Content-Type: application/json' \
	    -d '{"latency_ms":0}' >/dev/null
	needles
	# For the checks as nobody: a directory nobody can read.
	PUB=$(mktemp -d /tmp/v2k-hygiene.XXXXXX)
	export PUB
	chmod 755 "$PUB"
	cp "$SSL_CERT_FILE" "$PUB/ca.pem"
	mkfifo -m 666 "$PUB/in"
	cat >"$PUB/ptrace.py" <<-'EOF'
	import ctypes, os, sys
	libc = ctypes.CDLL(None, use_errno=True)
	pid = int(sys.argv[1])
	if libc.ptrace(16, pid, 0, 0) == 0:        # PTRACE_ATTACH
	    os.waitpid(pid, 0)
	    libc.ptrace(17, pid, 0, 0)             # PTRACE_DETACH
	    print("attached")
	else:
	    print("refused")
	EOF
	chmod 644 "$PUB/ca.pem" "$PUB/ptrace.py"
}

teardown_file() {
	load helpers
	stop_servers
	[ -n "${PUB:-}" ] && rm -rf "$PUB"
	return 0
}

setup() {
	load helpers
}

# hyg_files: the fixture, the Key Vault wrapper, the poller, the fake az
# and the needle search, all in $D.
hyg_files() {
	"$PY" - "$R" >"$D/vault.json" <<-'EOF'
	import json, sys
	r = sys.argv[1]
	v = lambda s: "HYGIENE-VALUE-%s-%s" % (r, s)
	s2 = {
	    "app/db": {"versions": [
	        {"data": {"user": "app", "password": v("old-password")}},
	        {"data": {"user": "app", "password": v("db-password")}}]},
	    "app/multiline": {"data": {"pem": v("line-one") +
	        "\nNEXTLINE-" + r + "-second-line\n"}},
	    "app/quotes": {"data": {"q": v('say "hi" and \'bye\' \\ done')}},
	    "app/multi": {"data": {"a": v("multi-a"), "b": v("multi-b"),
	        "n": {"deep": v("nested")}}},
	    "app/unicode": {"data": {"k": v("ключ ✓ 🔑")}},
	}
	for i in range(30):
	    s2["fill/f%02d" % i] = {"data": {"v": v("filler-%02d" % i)}}
	s1 = {"legacy/one": {"data": {"k": v("kv1-one")}},
	      "legacy/two": {"data": {"k": v("kv1-two"), "x": v("kv1-x")}}}
	print(json.dumps({"mounts": {"old/": 1}, "secrets": {
	    "secret/": s2, "old/": s1}}))
	EOF
	cat >"$D/poll.py" <<-'EOF'
	# poll.py OUT STOP ROOT TOOL...: until STOP exists, note the command
	# lines and core limit of every process of a tool below process ROOT
	# (not the tools other test runs start), or started by one.
	import json, os, sys, time
	out, stop, root = sys.argv[1], sys.argv[2], int(sys.argv[3])
	tools = set(sys.argv[4:])
	def below_root(pid, ppids):
	    while pid > 1:
	        if pid == root:
	            return True
	        pid = ppids.get(pid, 0)
	    return False
	seen = {}
	def rd(p, mode="rb"):
	    with open(p, mode) as f:
	        return f.read()
	while True:
	    last = os.path.exists(stop)
	    ppids = {}
	    for d in os.listdir("/proc"):
	        try:
	            st = rd("/proc/%s/stat" % d, "r") if d.isdigit() else ""
	            ppids[int(d)] = int(st.rsplit(")", 1)[1].split()[1])
	        except (OSError, IndexError, ValueError):
	            pass
	    for pid in list(ppids):
	        if not below_root(pid, ppids):
	            continue
	        try:
	            cmd = rd("/proc/%d/cmdline" % pid)
	            stat = rd("/proc/%d/stat" % pid, "r")
	        except OSError:
	            continue
	        if not cmd:
	            continue
	        args = [a.decode("latin-1") for a in cmd.split(b"\0") if a]
	        try:
	            exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
	        except OSError:
	            exe = ""
	        ppid = int(stat.rsplit(")", 1)[1].split()[1])
	        if pid == os.getpid():
	            continue
	        # A tool: its executable (or, under valgrind, a path to it
	        # among the arguments); or a process a tool started.
	        names = [exe] if exe in tools else []
	        if exe.startswith(("valgrind", "memcheck")):
	            names = [n for n in map(os.path.basename, args)
	                     if n in tools][:1]
	        child = ppid in seen
	        if not names and not child and pid not in seen:
	            continue
	        e = seen.setdefault(pid, {"pid": pid, "ppid": ppid,
	                                  "tool": names[0] if names else None,
	                                  "cmdlines": [], "core": None})
	        if e["tool"] is None and names:
	            e["tool"] = names[0]
	        c = "\0".join(args)
	        if c not in e["cmdlines"]:
	            e["cmdlines"].append(c)
	        try:
	            for l in rd("/proc/%d/limits" % pid, "r").splitlines():
	                if l.startswith("Max core file size"):
	                    e["core"] = l.split()[4:6]
	        except OSError:
	            pass
	    if last:
	        break
	    time.sleep(0.003)
	with open(out, "w") as f:
	    json.dump(list(seen.values()), f)
	EOF
	# The fake az: records its arguments and environment, then gets a
	# token from the stand-in as the real one would from Entra ID.
	cat >"$D/azbin/az" <<-EOF
	#!$PY
	import json, os, ssl, sys, time, urllib.parse, urllib.request
	with open("$D/az.log", "a") as f:
	    f.write(json.dumps({"argv": sys.argv, "env": dict(os.environ)}) + "\n")
	cfg = json.load(open("$D/az.cfg"))
	a = sys.argv[1:]
	scope = a[a.index("--scope") + 1]
	tenant = a[a.index("--tenant") + 1] if "--tenant" in a else cfg["tenant"]
	body = urllib.parse.urlencode({"grant_type": "client_credentials",
	    "client_id": cfg["client_id"], "client_secret": cfg["secret"],
	    "scope": scope}).encode()
	ctx = ssl.create_default_context(cafile=cfg["ca"])
	req = urllib.request.Request(cfg["url"] + "/" + tenant +
	    "/oauth2/v2.0/token", body)
	tok = json.load(urllib.request.urlopen(req, context=ctx))
	exp = int(time.time()) + int(tok["expires_in"])
	print(json.dumps({"accessToken": tok["access_token"],
	    "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000",
	    time.localtime(exp)), "expires_on": exp, "subscription": "$SUB",
	    "tenant": tenant, "tokenType": "Bearer"}, indent=2))
	EOF
	chmod 755 "$D/azbin/az"
	cat >"$D/search.py" <<-'EOF'
	# search.py NEEDLES FILE...: which needle (by label) is in which
	# file; exit 1 if any.  NEEDLES: "label<TAB>value" lines.
	import sys
	needles = [l.rstrip("\n").split("\t", 1)
	           for l in open(sys.argv[1], encoding="utf-8") if "\t" in l]
	found = 0
	for path in sys.argv[2:]:
	    data = open(path, "rb").read()
	    for label, val in needles:
	        if val.encode() in data:
	            print("%s: holds %s" % (path, label))
	            found = 1
	sys.exit(found)
	EOF
}

# start_keyvault_tokens: start_keyvault_recording, Resource Manager on
# the stand-in too, and az.cfg for the az stub.
start_keyvault_tokens() {
	start_keyvault_recording "$D/tokens.txt" || return 1
	export AZURE_RESOURCE_MANAGER_URL=$KV_URL
	printf '{"tenant":"test-tenant","client_id":"test-client","secret":"%s","ca":"%s","url":"%s"}\n' \
	    "$CSECRET" "$TLS_DIR/ca.pem" "$KV_URL" >"$D/az.cfg"
}

# poll_start NAME / poll_stop NAME: the poller around a run.
poll_start() {
	# Expanded here: in the background command $BASHPID is the poller's.
	local root=$BASHPID
	rm -f "$D/stop.$1"
	"$PY" "$D/poll.py" "$D/proc.$1.json" "$D/stop.$1" "$root" $TOOLS &
	POLLER=$!
	sleep 0.3
}

poll_stop() {
	touch "$D/stop.$1"
	wait "$POLLER"
}

# run_a: the whole pipeline with -v and the client secret.
run_a() {
	local o=$D/out
	poll_start a
	(
		cd "$D/cwd" || exit 1
		export TMPDIR=$D/tmp HOME=$D/home
		! vault-ls -v -l 2>"$o/ls.err" | tee "$o/ls.out" |
		    vault-dump -v 2>"$o/dump.err" | tee "$o/dump.out" |
		    kv-name -v 2>"$o/name.err" | tee "$o/name.out" |
		    kv-put -v >"$o/put.out" 2>"$o/put.err"
		echo "${PIPESTATUS[*]}" >"$o/status.pipeline"
		kv-check -v <"$o/name.out" >"$o/check-data.out" \
		    2>"$o/check-data.err"
		echo $? >"$o/status.check-data"
		kv-check -v <"$o/put.out" >"$o/check-map.out" \
		    2>"$o/check-map.err"
		echo $? >"$o/status.check-map"
		jq -c --arg p "$P1" '. + {principal: $p,
		    role: "Key Vault Secrets User"}' "$o/put.out" >"$o/grant.in"
		kv-grant -v --vault kv-test <"$o/grant.in" >"$o/grant.out" \
		    2>"$o/grant.err"
		echo $? >"$o/status.grant"
	)
	poll_stop a
}

# run_b: kv-put, kv-check and kv-grant again with the Azure CLI as the
# only credential, the client secret and the Vault token still exported
# (as in an operator's shell).
run_b() {
	local o=$D/out
	poll_start b
	(
		cd "$D/cwdB" || exit 1
		export TMPDIR=$D/tmpB HOME=$D/home PATH=$D/azbin:$PATH
		export AZURE_TOKEN_CREDENTIALS=AzureCliCredential
		kv-put -v <"$o/name.out" >"$o/putB.out" 2>"$o/putB.err"
		echo $? >"$o/status.putB"
		kv-check -v <"$o/name.out" >"$o/checkB.out" 2>"$o/checkB.err"
		echo $? >"$o/status.checkB"
		kv-grant -v --revoke --vault kv-test <"$o/grant.in" >"$o/grantB.out" \
		    2>"$o/grantB.err"
		echo $? >"$o/status.grantB"
	)
	poll_stop b
}

# needles: every secret of the run, labelled, in $D/needles.
needles() {
	local n=0 t
	{
		printf 'a secret value (HYGIENE-VALUE-)\tHYGIENE-VALUE-\n'
		printf 'a piece of a secret value (HYGIENE)\tHYGIENE\n'
		printf 'the random part of the secrets\t%s\n' "$R"
		printf 'the second line of a multi-line value\tNEXTLINE-%s\n' "$R"
		printf 'the Vault token\t%s\n' "$VTOKEN"
		printf 'the Azure client secret\t%s\n' "$CSECRET"
		while read -r t; do
			n=$((n + 1))
			printf 'access token #%d\t%s\n' "$n" "$t"
		done <"$D/tokens.txt"
	} >"$D/needles"
}

# search FILE...: fails naming the file and what it holds.
search() {
	run "$PY" "$D/search.py" "$D/needles" "$@"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "the hygiene run itself worked: every stage exit 0, every record checked ok, tokens recorded" {
	local o=$D/out
	assert_equal "$(cat "$o/status.pipeline")" "0 0 0 0 0 0 0"
	assert_equal "$(cat "$o/status.check-data") $(cat "$o/status.check-map") $(cat "$o/status.grant")" "0 0 0"
	assert_equal "$(cat "$o/status.putB") $(cat "$o/status.checkB") $(cat "$o/status.grantB")" "0 0 0"
	assert_equal "$(wc -l <"$o/ls.out")" 37
	assert_equal "$(jq -r .check "$o/check-data.out" | sort | uniq -c | xargs)" "37 ok"
	assert_equal "$(jq -r .check "$o/check-map.out" | sort | uniq -c | xargs)" "37 ok"
	assert_equal "$(jq -r .check "$o/checkB.out" | sort | uniq -c | xargs)" "37 ok"
	assert_equal "$(jq -r .status "$o/putB.out" | sort | uniq -c | xargs)" "37 unchanged"
	# The values did go through: vault-dump's output holds them.
	grep -q "HYGIENE-VALUE-$(cat "$D/R")-db-password" "$o/dump.out"
	grep -q "NEXTLINE-$(cat "$D/R")" "$o/name.out"
	# The search finds what it looks for (the values, in vault-dump's
	# output), so its silence elsewhere means something.
	run "$PY" "$D/search.py" "$D/needles" "$o/dump.out"
	assert_equal "$status" 1
	assert_output --partial "holds a secret value"
	assert_output --partial "holds the second line of a multi-line value"
	# Tokens were issued to the tools (run a) and to the fake az (run b).
	(( $(wc -l <"$D/tokens.txt") >= 4 ))
	[ -s "$D/az.log" ]
}

@test "no secret value or token in any tool's stderr, with -v" {
	local o=$D/out
	search "$o"/*.err
	# -v did say things: the search looked at real messages.
	(( $(cat "$o"/*.err | wc -l) > 37 ))
}

@test "no secret value or token in the outputs of vault-ls, kv-put, kv-check and kv-grant" {
	local o=$D/out
	search "$o"/ls.out "$o"/put.out "$o"/check-data.out "$o"/check-map.out \
	    "$o"/grant.out "$o"/putB.out "$o"/checkB.out "$o"/grantB.out
	# data is gone from kv-check's output even when its input had it.
	assert_equal "$(grep -c '"data"' "$o/check-data.out")" 0
}

@test "no secret value or token on the command line of any tool or of what it ran, while it ran" {
	local t
	jq -r '.[] | .cmdlines[]' "$D/proc.a.json" "$D/proc.b.json" \
	    >"$D/cmdlines.txt"
	search "$D/cmdlines.txt"
	# The poller saw every tool, in both runs where it ran, and az.
	for t in $TOOLS; do
		jq -e --arg t "$t" 'any(.[]; .tool == $t)' "$D/proc.a.json" \
		    >/dev/null || fail "the poller never saw $t"
	done
	for t in kv-put kv-check kv-grant; do
		jq -e --arg t "$t" 'any(.[]; .tool == $t)' "$D/proc.b.json" \
		    >/dev/null || fail "the poller never saw $t (run b)"
	done
	grep -q 'get-access-token' "$D/cmdlines.txt" ||
	    fail "the poller never saw az"
}

@test "the Azure CLI is asked for a token by its scope, and gets no secret in its arguments or environment" {
	local n
	n=$(wc -l <"$D/az.log")
	(( n >= 3 )) || fail "az ran $n times (kv-put, kv-check, kv-grant)"
	# Its arguments: exactly the documented command.
	run jq -r '.argv[1:] | join(" ")' "$D/az.log"
	assert_output --regexp '^(account get-access-token --output json --scope https://[^ ]+/\.default( --tenant [A-Za-z0-9.-]+)?(
|$))+$'
	jq -r '.argv[]' "$D/az.log" >"$D/az.argv"
	jq -r '.env | to_entries[] | "\(.key)=\(.value)"' "$D/az.log" \
	    >"$D/az.env"
	search "$D/az.argv" "$D/az.env"
}

@test "no file is left in TMPDIR, the working directory or HOME, and none of them holds a secret" {
	local f
	run find "$D/tmp" "$D/tmpB" "$D/cwd" "$D/cwdB" "$D/home" -mindepth 1
	[ -z "$output" ] || {
		search $(find "$D/tmp" "$D/tmpB" "$D/cwd" "$D/cwdB" \
		    "$D/home" -type f)
		fail "files left: $output"
	}
}

@test "every tool ran with core dumps off (Max core file size 0, soft and hard)" {
	local t
	for t in $TOOLS; do
		jq -e --arg t "$t" 'any(.[]; .tool == $t)' "$D/proc.a.json" \
		    >/dev/null || fail "the poller never saw $t"
	done
	# The limit read last while each tool process ran (the first reads
	# may come before main hardened the process).
	run jq -c '.[] | select(.tool != null and .core != ["0","0"] and
	    (.cmdlines | any(test("get-access-token")) | not))' \
	    "$D/proc.a.json" "$D/proc.b.json"
	assert_output ''
}

# "${NOBODY[@]}" CMD...: run CMD as the unprivileged user nobody (an
# array, not a function: run in the background, $! is then CMD's pid).
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)

# hardened PID: the process PID (run as nobody) is not dumpable: its
# /proc/PID/environ and mem are root's, nobody cannot read its
# environment nor attach to it with ptrace; its core limit is 0.
# Prints what is wrong; fails if anything is.
hardened() {
	local pid=$1 bad= i
	# Wait for harden_process (the first thing main does) to have run.
	for i in $(seq 1 100); do
		[ "$(stat -c %u "/proc/$pid/environ" 2>/dev/null)" = 0 ] && break
		sleep 0.03
	done
	grep -q "^Uid:	65534" "/proc/$pid/status" || bad+=" not run as nobody;"
	[ "$(stat -c %u "/proc/$pid/environ")" = 0 ] ||
	    bad+=" /proc/PID/environ is not root's (dumpable);"
	[ "$(stat -c %u "/proc/$pid/mem")" = 0 ] ||
	    bad+=" /proc/PID/mem is not root's;"
	"${NOBODY[@]}" cat "/proc/$pid/environ" >/dev/null 2>&1 &&
	    bad+=" nobody can read its environment;"
	[ "$("${NOBODY[@]}" "$PY" "$PUB/ptrace.py" "$pid")" = refused ] ||
	    bad+=" nobody can ptrace it;"
	grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" ||
	    bad+=" core limit: $(grep 'core file' "/proc/$pid/limits");"
	echo "$bad"
	[ -z "$bad" ]
}

@test "run as an unprivileged user, every tool refuses ptrace, hides its environment and dumps no core" {
	local t pid bad= out
	[ "$(id -u)" = 0 ] || skip "needs root, to run the tools as nobody"
	# The control: a plain process of nobody's is dumpable, so both
	# checks can fail.
	"${NOBODY[@]}" sleep 30 &
	pid=$!
	sleep 0.3
	assert_equal "$(stat -c %u "/proc/$pid/environ")" 65534
	assert_equal "$("${NOBODY[@]}" "$PY" "$PUB/ptrace.py" "$pid")" attached
	kill "$pid"
	# vault-ls reads no input: a slow Vault keeps it running.
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":3000}' >/dev/null
	for t in $TOOLS; do
		exec 7<>"$PUB/in"
		"${NOBODY[@]}" env HOME="$PUB" TMPDIR="$PUB" SSL_CERT_FILE="$PUB/ca.pem" \
		    CURL_CA_BUNDLE="$PUB/ca.pem" "$TOP/$t/$t" \
		    $( [ "$t" = kv-grant ] && echo "--vault kv-test" ) \
		    <"$PUB/in" >/dev/null 2>"$PUB/$t.err" &
		pid=$!
		sleep 0.5
		if ! kill -0 "$pid" 2>/dev/null; then
			bad+="$t: exited before it could be checked: $(cat "$PUB/$t.err");"$'\n'
		elif ! out=$(hardened "$pid"); then
			bad+="$t:$out"$'\n'
		fi
		exec 7>&-
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	admin "$VAULT_URL/_admin/config" -X POST -d '{"latency_ms":0}' >/dev/null
	[ -z "$bad" ] || fail "$bad"
}

# scan_run TAG PREFIX [VAR=VALUE...]: the whole pipeline at -j 16 (names
# under PREFIX, so kv-put writes new secrets) with tests/hygiene/
# scanfree.so preloaded into every stage, looking in each block a stage
# frees for a secret value, the Vault token and the Azure client secret.
# The scanner's report is $D/scan-TAG/report; the stages' exit statuses
# are in status.
scan_run() {
	local tag=$1 pre=$2 so=$TOP/tests/hygiene/scanfree.so
	local o=$D/scan-$tag
	shift 2
	[ -z "${V2K_SAN:-}" ] || skip "AddressSanitizer owns malloc"
	[ -z "${V2K_VALGRIND:-}" ] || skip "valgrind owns malloc"
	[ -f "$so" ] || make -s -C "$TOP" tests/hygiene/scanfree.so >&2
	rm -rf "$o"
	mkdir -p "$o"
	(
		cd "$o" || exit 1
		export "$@"
		export V2K_SCAN_REPORT=$o/report
		export V2K_SCAN_MARKERS="HYGIENE-VALUE-$(cat "$D/R"),NEXTLINE-$(cat "$D/R"),$VAULT_TOKEN,$AZURE_CLIENT_SECRET"
		LD_PRELOAD=$so vault-ls -j 16 2>ls.err |
		    LD_PRELOAD=$so vault-dump -j 16 2>dump.err |
		    LD_PRELOAD=$so kv-name -p "$pre" 2>name.err | tee name.out |
		    LD_PRELOAD=$so kv-put -j 16 >put.out 2>put.err
		s="${PIPESTATUS[*]}"
		LD_PRELOAD=$so kv-check -j 16 <name.out >check.out 2>check.err
		echo "$s $?" >status
	)
}

@test "every heap block the tools free is wiped: no secret in any freed block of the pipeline at -j 16" {
	local o=$D/scan-wiped t
	scan_run wiped hw
	assert_equal "$(cat "$o/status")" "0 0 0 0 0 0"
	assert_equal "$(jq -r .check "$o/check.out" | sort | uniq -c | xargs)" "37 ok"
	assert_equal "$(jq -r .status "$o/put.out" | sort | uniq -c | xargs)" "37 created"
	# The blocks did pass the scanner, in every stage.
	for t in vault-ls vault-dump kv-name kv-put kv-check; do
		grep -Eq "^done $t [1-9][0-9]{3,}\$" "$o/report" ||
		    fail "$t: $(grep " $t " "$o/report")"
	done
	run grep -c '^hit ' "$o/report"
	assert_output 0
}

@test "the scanner of freed blocks finds the secrets when the tools do not wipe (V2K_NO_WIPE=1)" {
	local o=$D/scan-unwiped t
	scan_run unwiped hu V2K_NO_WIPE=1
	assert_equal "$(cat "$o/status")" "0 0 0 0 0 0"
	assert_equal "$(jq -r .check "$o/check.out" | sort | uniq -c | xargs)" "37 ok"
	# Values, in every stage that handles them, and the tokens.
	for t in vault-dump kv-name kv-put kv-check; do
		grep -q "^hit $t 0 " "$o/report" ||
		    fail "no value found in what $t freed"
	done
	grep -q "^hit vault-[a-z]* 2 " "$o/report" ||
	    fail "no Vault token found in what vault-ls and vault-dump freed"
	grep -Eq "^hit kv-(put|check) 3 " "$o/report" ||
	    fail "no client secret found in what kv-put and kv-check freed"
}
