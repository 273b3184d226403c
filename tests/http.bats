#!/usr/bin/env bats
# http.bats: the HTTP engine (common/http.c) over real HTTP and HTTPS,
# driven by tests/unit/test_http_live against tests/servers/flaky.py.

setup_file() {
	load helpers
	env_reset
	local dir=$BATS_FILE_TMPDIR
	[ -x "$TOP/tests/unit/test_http_live" ] ||
	    make -s -C "$TOP" tests/unit/test_http_live >/dev/null
	tls_setup "$dir/tls"
	_start FLAKY flaky.py
	_start FLAKYS flaky.py --tls-cert "$dir/tls/server.pem" \
	    --tls-key "$dir/tls/server.key"
	export FLAKY_URL FLAKYS_URL TLS_DIR=$dir/tls
}

teardown_file() { load helpers; stop_servers; }

setup() {
	load helpers
	# Trust is what each test says, whatever the caller's shell had.
	unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
	curl -sS -o /dev/null "$FLAKY_URL/_reset"
	curl -sS -o /dev/null --cacert "$TLS_DIR/ca.pem" "$FLAKYS_URL/_reset"
}

drv() {
	$V2K_VALGRIND "$TOP/tests/unit/test_http_live" "$@"
}

# ms N: how long request N of the last run took, in milliseconds.
ms() {
	sed -n "s/^$1 .* ms=\([0-9]*\) .*/\1/p" <<<"$output"
}

# Under valgrind the clock runs differently: counts are checked, times not.
slow() {
	[ -n "${V2K_VALGRIND:-}" ]
}

# within MS LOW HIGH: LOW <= MS < HIGH, unless under valgrind.
within() {
	slow && return 0
	if [ "$1" -lt "$2" ] || [ "$1" -ge "$3" ]; then
		echo "took $1 ms, expected $2 to $3" >&2
		return 1
	fi
}

# wait_requests N: until the server has seen N requests.
wait_requests() {
	local i
	for i in $(seq 1 200); do
		[ "$(server_stats | sed 's/.*"requests": \([0-9]*\).*/\1/')" -ge "$1" ] &&
		    return 0
		sleep 0.05
	done
	return 1
}

stat_of() {
	sed -n "s/^stats .*$1=\([0-9]*\).*/\1/p" <<<"$output"
}

server_stats() {
	curl -sS --cacert "$TLS_DIR/ca.pem" "${2:-$FLAKY_URL}/_stats"
}

@test "a 503 is retried and the 200 that follows is returned" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/503,200" GET 1 1
	assert_equal "$stderr" ""
	assert_line -n 0 --regexp '^0 rc=0 status=200 attempts=2 ra=-1 ms=[0-9]+ body="GET /seq/503,200 n=2 len=0"$'
	assert_line -n 1 --regexp '^stats sent=2 retried=1 throttled=0 '
}

@test "a 429 waits the Retry-After seconds before its retry" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/429-ra1,200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=2 '
	assert_line -n 1 --regexp '^stats sent=2 retried=1 throttled=1 '
	within "$(ms 0)" 1000 1900
}

@test "a Retry-After HTTP-date is waited for" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/503-date2,200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=2 '
	# The date has whole seconds: 2 s ahead is 1 to 2 s away.
	within "$(ms 0)" 950 2500
}

@test "x-ms-retry-after-ms and retry-after-ms take precedence over Retry-After" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/503-ra5-ms300,200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=2 '
	within "$(ms 0)" 300 1500
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/503-ra5-rams400,200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=2 '
	within "$(ms 0)" 400 1500
}

@test "the last 503 reaches the caller once the retries are spent" {
	run -0 --separate-stderr drv -b 1 -r 2 "$FLAKY_URL/seq/503" GET 1 1
	assert_line -n 0 --regexp '^0 rc=0 status=503 attempts=3 ra=-1 ms=[0-9]+ body="GET /seq/503 n=3 len=0"$'
	assert_line -n 1 --regexp '^stats sent=3 retried=2 throttled=0 '
}

@test "the last 429 reaches the caller with its Retry-After" {
	run -0 --separate-stderr drv -b 1 -r 1 "$FLAKY_URL/seq/429-ra0" GET 1 1
	assert_line -n 0 --regexp '^0 rc=0 status=429 attempts=2 ra=0 '
	assert_line -n 1 --regexp '^stats sent=2 retried=1 throttled=2 '
}

@test "a connection closed without an answer is retried" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/drop,200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=2 '
}

@test "the attempt timeout fires, then the request fails saying how long it waited" {
	run -0 --separate-stderr drv -b 1 -r 1 -t 500 "$FLAKY_URL/seq/hang" GET 1 1
	assert_line -n 0 --regexp '^0 rc=-1 status=0 attempts=2 ra=-1 ms=[0-9]+ err="within 1 s \(2 attempts\)"$'
	within "$(ms 0)" 1000 3000
}

@test "a refused connection fails with curl's reason and the host" {
	run -0 --separate-stderr drv -r 0 "http://127.0.0.1:1/x" GET 1 1
	assert_line -n 0 --regexp '^0 rc=-1 status=0 attempts=1 ra=-1 ms=[0-9]+ err="127\.0\.0\.1:1: Failed to connect to 127\.0\.0\.1 port 1 '
}

@test "PUT carries its body and LIST its method" {
	run -0 --separate-stderr drv -d 'k=v&x=1' "$FLAKY_URL/seq/201" PUT 1 1
	assert_line -n 0 --partial 'status=201 attempts=1 ra=-1'
	assert_line -n 0 --partial 'body="PUT /seq/201 n=1 len=7"'
	run -0 --separate-stderr drv "$FLAKY_URL/seq/200" LIST 1 1
	assert_line -n 0 --partial 'body="LIST /seq/200 n=1 len=0"'
	run -0 --separate-stderr drv "$FLAKY_URL/seq/204" DELETE 1 1
	assert_line -n 0 --partial '0 rc=0 status=204 attempts=1 ra=-1 ms='
}

@test "no more requests are in flight than the limit, over reused connections" {
	run -0 --separate-stderr drv -i 4 "$FLAKY_URL/seq/200?hold=50" GET 40 16
	assert_equal "$(grep -c ' rc=0 status=200 attempts=1 ' <<<"$output")" 40
	# Four connections of the engine's and the one asking for the stats.
	run -0 server_stats
	assert_output '{"connections": 5, "max_by_attempt": {"1": 4}, "max_inflight": 4, "requests": 40}'
}

@test "a wave of 429s halves the requests in flight" {
	run -0 --separate-stderr drv -b 1 "$FLAKY_URL/seq/429-ra1,200?hold=500" GET 16 16
	assert_equal "$(grep -c ' rc=0 status=200 attempts=2 ' <<<"$output")" 16
	assert_line -n 16 --regexp '^stats sent=32 retried=16 throttled=16 '
	# Sixteen first attempts at once, their retries eight at a time.
	run -0 server_stats
	slow || assert_output --partial '"max_by_attempt": {"1": 16, "2": 8}'
}

@test "a token bucket paces the requests at its rate" {
	run -0 --separate-stderr drv -R 10 "$FLAKY_URL/seq/200" GET 20 8
	assert_equal "$(grep -c ' rc=0 status=200 attempts=1 ' <<<"$output")" 20
	# One at once, then one every 100 ms.
	within "$(stat_of elapsed_ms)" 1850 2600
}

@test "every attempt of a retried request takes a token" {
	run -0 --separate-stderr drv -b 1 -R 5 "$FLAKY_URL/seq/503,503,200" GET 2 2
	assert_line -n 2 --regexp '^stats sent=6 retried=4 '
	# Six tokens at 5/s, the first at once: 1 s at least.
	within "$(stat_of elapsed_ms)" 950 1800
}

@test "a certificate from an unknown CA fails verification and is not retried" {
	run -0 --separate-stderr drv "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --regexp '^0 rc=-1 status=0 attempts=1 ra=-1 ms=[0-9]+ err="127\.0\.0\.1:[0-9]+: SSL certificate problem: unable to get local issuer certificate"$'
}

@test "SSL_CERT_FILE names the CA to trust" {
	SSL_CERT_FILE=$TLS_DIR/ca.pem run -0 --separate-stderr drv "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=1 '
}

@test "SSL_CERT_DIR, a hashed directory, adds its CAs to the default file" {
	local dir=$BATS_TEST_TMPDIR/certs
	mkdir "$dir"
	cp "$TLS_DIR/ca.pem" "$dir/test-ca.pem"
	openssl rehash "$dir"
	SSL_CERT_DIR=$dir run -0 --separate-stderr drv "$FLAKYS_URL/seq/200" GET 4 4
	assert_equal "$(grep -c ' rc=0 status=200 attempts=1 ' <<<"$output")" 4
}

@test "CURL_CA_BUNDLE names the CA to trust and wins over SSL_CERT_FILE" {
	CURL_CA_BUNDLE=$TLS_DIR/ca.pem SSL_CERT_FILE=/nonexistent \
	    run -0 --separate-stderr drv "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=1 '
}

@test "the request's CA file replaces the default trust" {
	run -0 --separate-stderr drv -C "$TLS_DIR/ca.pem" "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=1 '
	run -0 --separate-stderr drv -C /etc/ssl/certs/ca-certificates.crt \
	    "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=-1 status=0 attempts=1 '
}

@test "requests of one engine that trust different CA files are each verified by their own" {
	local sys=/etc/ssl/certs/ca-certificates.crt i ca
	# libcurl keeps one cached store per CA file name, and reuses a
	# connection for a request of the same file and path: neither may
	# let a request ride on another's trust, whichever comes first.
	for order in "$TLS_DIR/ca.pem $sys" "$sys $TLS_DIR/ca.pem"; do
		set -- $order
		run -0 --separate-stderr drv -C "$1" -C "$2" \
		    "$FLAKYS_URL/seq/200" GET 12 4
		for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
			ca=$1
			[ $((i % 2)) -eq 1 ] && ca=$2
			if [ "$ca" = "$sys" ]; then
				assert_line -n "$i" --regexp "^$i rc=-1 status=0 attempts=1 .*SSL certificate problem"
			else
				assert_line -n "$i" --partial "$i rc=0 status=200 attempts=1 "
			fi
		done
	done
}

@test "a CA bundle is verified against as a whole: the CA among many, after another of its name, beside a CRL" {
	local d=$BATS_TEST_TMPDIR sys=/etc/ssl/certs/ca-certificates.crt
	# The engine parses a bundle's certificates only as chains ask for
	# them, by subject: a decoy with the CA's name but another key comes
	# first, and the CA is found all the same.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=v2k-test-ca \
	    -keyout "$d/decoy.key" -out "$d/decoy.pem" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
	cat "$sys" "$d/decoy.pem" "$TLS_DIR/ca.pem" >"$d/bundle.pem"
	run -0 --separate-stderr drv -C "$d/bundle.pem" "$FLAKYS_URL/seq/200" GET 3 3
	assert_equal "$(grep -c ' rc=0 status=200 attempts=1 ' <<<"$output")" 3
	# The decoy alone, or the bundle without the CA: not trusted.
	cat "$sys" "$d/decoy.pem" >"$d/nope.pem"
	for f in "$d/decoy.pem" "$d/nope.pem"; do
		run -0 --separate-stderr drv -C "$f" "$FLAKYS_URL/seq/200" GET 1 1
		assert_line -n 0 --regexp '^0 rc=-1 status=0 attempts=1 .*SSL certificate problem'
	done
	# A CRL in the file (the CA's own, empty): loaded whole, as before.
	printf '%s\n' '[ca]' 'default_ca=c' '[c]' "database=$d/index" \
	    'default_md=sha256' 'default_crl_days=2' >"$d/ca.cnf"
	: >"$d/index"
	openssl ca -config "$d/ca.cnf" -gencrl -cert "$TLS_DIR/ca.pem" \
	    -keyfile "$TLS_DIR/ca.key" -out "$d/ca.crl" >/dev/null 2>&1
	grep -q 'BEGIN X509 CRL' "$d/ca.crl"
	cat "$sys" "$d/ca.crl" "$TLS_DIR/ca.pem" >"$d/withcrl.pem"
	run -0 --separate-stderr drv -C "$d/withcrl.pem" "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=1 '
	# A certificate whose base64 is broken: the file is refused, named.
	{ cat "$TLS_DIR/ca.pem"; printf '%s\n' '-----BEGIN CERTIFICATE-----' \
	    'MIIB!!!!' '-----END CERTIFICATE-----'; } >"$d/broken.pem"
	run -0 --separate-stderr drv -C "$d/broken.pem" "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial "error setting certificate file: $d/broken.pem"
}

@test "insecure skips verification" {
	run -0 --separate-stderr drv -k "$FLAKYS_URL/seq/200" GET 1 1
	assert_line -n 0 --partial '0 rc=0 status=200 attempts=1 '
}

@test "SIGINT ends the requests waiting for a retry with interrupted" {
	local out=$BATS_TEST_TMPDIR/out pid
	$V2K_VALGRIND "$TOP/tests/unit/test_http_live" \
	    "$FLAKY_URL/seq/503-ra10" GET 4 4 >"$out" 2>&1 3>&- &
	pid=$!
	wait_requests 4
	kill -INT "$pid"
	wait "$pid"
	run cat "$out"
	assert_equal "$(grep -c ' rc=-1 status=0 attempts=1 ra=10000 ms=[0-9]* err="interrupted"$' <<<"$output")" 4
	[ "$(stat_of elapsed_ms)" -lt 5000 ]
}

@test "requests on the wire at SIGINT are abandoned at once, the queued ones do not start" {
	local out=$BATS_TEST_TMPDIR/out pid t0
	$V2K_VALGRIND "$TOP/tests/unit/test_http_live" -i 2 \
	    "$FLAKY_URL/seq/200?hold=5000" GET 4 4 >"$out" 2>&1 3>&- &
	pid=$!
	wait_requests 2
	t0=$(date +%s%N)
	kill -INT "$pid"
	wait "$pid"
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000 ]
	run cat "$out"
	assert_equal "$(grep -c ' rc=-1 status=0 attempts=1 .* err="interrupted"$' <<<"$output")" 2
	assert_equal "$(grep -c ' rc=-1 status=0 attempts=0 .* err="interrupted"$' <<<"$output")" 2
	run -0 server_stats
	assert_output --partial '"requests": 2}'
}

@test "sixteen in flight over sixteen connections for two thousand requests" {
	run -0 --separate-stderr drv "$FLAKY_URL/seq/200" GET 2000 16
	assert_equal "$(grep -c ' rc=0 status=200 attempts=1 ' <<<"$output")" 2000
	echo "# http engine: $(stat_of rate) requests/s with 16 in flight" >&3
	run -0 server_stats
	# At most sixteen connections of the engine's, and the one asking.
	assert_output --regexp '^\{"connections": ([1-9]|1[0-7]), .*"max_inflight": ([1-9]|1[0-6]), "requests": 2000\}$'
}
