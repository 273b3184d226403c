/* test_http.c: the engine's pure helpers, and its failures without a server. */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "unit.h"

static void
test_retry_after(void)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT, the example of RFC 9110 5.6.7. */
	time_t t0 = 784111777;

	CHECK_EQ(http_retry_after_ms("0", t0), 0);
	CHECK_EQ(http_retry_after_ms("1", t0), 1000);
	CHECK_EQ(http_retry_after_ms("120", t0), 120000);
	CHECK_EQ(http_retry_after_ms(" 7 ", t0), 7000);
	CHECK_EQ(http_retry_after_ms("1.5", t0), 1500);
	CHECK_EQ(http_retry_after_ms("0.25", t0), 250);
	CHECK_EQ(http_retry_after_ms("0.0001", t0), 1);	/* never early */
	CHECK(http_retry_after_ms("99999999999999999999", t0) > 0);

	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", t0), 0);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", t0),
	    10000);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:48:37 GMT", t0), 0);
	CHECK_EQ(http_retry_after_ms("Sat, 01 Jan 1994 00:00:00 GMT", t0), 0);
	CHECK_EQ(http_retry_after_ms("Mon, 07 Nov 1994 08:49:37 GMT", t0),
	    86400000);
	/* The obsolete forms a recipient must still accept. */
	CHECK_EQ(http_retry_after_ms("Sunday, 06-Nov-94 08:49:39 GMT", t0),
	    2000);
	CHECK_EQ(http_retry_after_ms("Sun Nov  6 08:49:40 1994", t0), 3000);

	CHECK_EQ(http_retry_after_ms(NULL, t0), -1);
	CHECK_EQ(http_retry_after_ms("", t0), -1);
	CHECK_EQ(http_retry_after_ms("soon", t0), -1);
	CHECK_EQ(http_retry_after_ms("-1", t0), -1);
	CHECK_EQ(http_retry_after_ms("-0.5", t0), -1);
	CHECK_EQ(http_retry_after_ms("1s", t0), -1);
	CHECK_EQ(http_retry_after_ms("0x10", t0), -1);
	CHECK_EQ(http_retry_after_ms("1e3", t0), -1);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37", t0), -1);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT x", t0),
	    -1);
	CHECK_EQ(http_retry_after_ms("Sun, 32 Foo 1994 08:49:37 GMT", t0), -1);
	/* retry-after-ms: milliseconds already, rounded up. */
	CHECK_EQ(http_retry_ms("250"), 250);
	CHECK_EQ(http_retry_ms(" 1.5 "), 2);
	CHECK_EQ(http_retry_ms("0"), 0);
	CHECK_EQ(http_retry_ms("-1"), -1);
	CHECK_EQ(http_retry_ms("1s"), -1);
	CHECK_EQ(http_retry_ms(NULL), -1);
}

static void
test_backoff(void)
{
	long b, prev = 0, base = 500, cap = 32000, ceiling;
	int n;

	for (n = 0; n < 200; n++) {
		ceiling = n < 7 ? base << n : cap;
		CHECK_EQ(http_backoff_ms(n, base, cap, 1.0), ceiling);
		CHECK_EQ(http_backoff_ms(n, base, cap, 0.0), 0);
		b = http_backoff_ms(n, base, cap, 0.37);
		CHECK(b >= 0 && b <= ceiling);
		CHECK(http_backoff_ms(n, base, cap, 1.0) >= prev);
		prev = http_backoff_ms(n, base, cap, 1.0);
	}
	CHECK_EQ(http_backoff_ms(0, base, cap, 0.5), 250);
	CHECK_EQ(http_backoff_ms(3, base, cap, 0.5), 2000);
	CHECK_EQ(http_backoff_ms(INT_MAX, base, cap, 1.0), cap);
	CHECK_EQ(http_backoff_ms(INT_MAX, LONG_MAX, LONG_MAX / 2, 1.0) > 0, 1);
	CHECK_EQ(http_backoff_ms(-3, base, cap, 1.0), base);
	CHECK_EQ(http_backoff_ms(5, base, cap, 7.0), 16000);
	CHECK_EQ(http_backoff_ms(5, base, cap, -1.0), 0);
	CHECK_EQ(http_backoff_ms(5, 0, cap, 1.0), 0);
}

static void
test_bucket(void)
{
	struct http_bucket *b;
	double t = 1000.0;
	int i, taken;

	/* Burst of 3 at 2/s: three now, then one every 500 ms. */
	b = http_bucket_new(2, 3);
	for (i = 0; i < 3; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK_EQ(http_bucket_take(b, t), 500);
	CHECK_EQ(http_bucket_take(b, t + 0.25), 250);
	CHECK_EQ(http_bucket_take(b, t + 0.5), 0);
	CHECK_EQ(http_bucket_take(b, t + 0.5), 500);
	/* A clock that goes back refunds nothing and breaks nothing. */
	CHECK_EQ(http_bucket_take(b, t), 500);
	/* Idle for long: the bucket holds no more than the burst. */
	t += 100;
	for (i = 0; i < 3; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK(http_bucket_take(b, t) > 0);
	/* 10.2 s of steady demand from empty yield 20 tokens. */
	for (taken = 0, i = 1; i <= 1020; i++)
		if (http_bucket_take(b, t + i * 0.01) == 0)
			taken++;
	CHECK_EQ(taken, 20);
	http_bucket_free(b);

	b = http_bucket_new(0, 1);	/* no rate: no pacing */
	for (i = 0; i < 100; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	http_bucket_free(b);
	http_bucket_free(NULL);
}

/* Failures that need no server: bad URLs, a closed port, msg_stop. */
static void
test_engine(void)
{
	struct http_opts o;
	struct http_req r;
	struct http *h;
	long sent, retried, throttled;

	http_opts_init(&o);
	CHECK_EQ(o.max_inflight, 16);
	CHECK_EQ(o.max_retries, 8);
	o.backoff_base_ms = 1;
	o.max_retries = 2;
	o.connect_timeout_ms = 2000;
	h = http_new(&o);
	CHECK(h != NULL);

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = "ftp://127.0.0.1/x";
	CHECK_EQ(http_do(h, &r), -1);
	CHECK(strstr(r.err, "not an http or https URL") != NULL);
	r.url = "http://[::1";
	CHECK_EQ(http_do(h, &r), -1);
	CHECK(strcmp(r.err, "invalid URL") == 0);

	/* Port 1 on loopback: refused, retried twice, then reported. */
	r.url = "http://127.0.0.1:1/v1/sys/health";
	CHECK_EQ(http_do(h, &r), -1);
	CHECK_EQ(r.status, 0);
	CHECK_EQ(r.attempts, 3);
	CHECK(strncmp(r.err, "127.0.0.1:1: ", 13) == 0);
	r.no_retry = 1;
	CHECK_EQ(http_do(h, &r), -1);
	CHECK_EQ(r.attempts, 1);

	msg_stop = 1;
	CHECK_EQ(http_do(h, &r), -1);
	CHECK(strcmp(r.err, "interrupted") == 0);
	CHECK_EQ(r.attempts, 0);
	msg_stop = 0;

	http_stats(h, &sent, &retried, &throttled);
	CHECK_EQ(sent, 4);
	CHECK_EQ(retried, 2);
	CHECK_EQ(throttled, 0);
	http_req_release(&r);
	http_free(h);
	http_free(NULL);
}

/* NO_PROXY as golang.org/x/net/http/httpproxy reads it. */
static void
test_proxy_bypass(void)
{
	/* localhost and loopback never go through a proxy. */
	CHECK_EQ(proxy_bypass(NULL, "localhost", "80"), 1);
	CHECK_EQ(proxy_bypass(NULL, "LocalHost", "80"), 1);
	CHECK_EQ(proxy_bypass(NULL, "127.0.0.1", "8200"), 1);
	CHECK_EQ(proxy_bypass(NULL, "127.8.9.10", "443"), 1);
	CHECK_EQ(proxy_bypass(NULL, "::1", "443"), 1);
	CHECK_EQ(proxy_bypass(NULL, "::ffff:127.0.0.1", "443"), 1);
	CHECK_EQ(proxy_bypass(NULL, "vault.example.com", "443"), 0);
	CHECK_EQ(proxy_bypass(NULL, "10.0.0.1", "443"), 0);
	CHECK_EQ(proxy_bypass("", "vault.example.com", "443"), 0);
	/* "*" exempts everything. */
	CHECK_EQ(proxy_bypass("*", "vault.example.com", "443"), 1);
	CHECK_EQ(proxy_bypass(" a.org , * ", "vault.example.com", "443"), 1);
	/* A name exempts itself and the names below it, label-wise. */
	CHECK_EQ(proxy_bypass("example.com", "example.com", "443"), 1);
	CHECK_EQ(proxy_bypass("example.com", "vault.example.com", "443"), 1);
	CHECK_EQ(proxy_bypass("example.com", "badexample.com", "443"), 0);
	CHECK_EQ(proxy_bypass("EXAMPLE.com", "Vault.Example.COM", "443"), 1);
	/* A leading "." or "*." exempts only the names below. */
	CHECK_EQ(proxy_bypass(".example.com", "example.com", "443"), 0);
	CHECK_EQ(proxy_bypass(".example.com", "a.example.com", "443"), 1);
	CHECK_EQ(proxy_bypass("*.example.com", "example.com", "443"), 0);
	CHECK_EQ(proxy_bypass("*.example.com", "a.b.example.com", "443"), 1);
	/* A port narrows it. */
	CHECK_EQ(proxy_bypass("example.com:8200", "v.example.com", "8200"), 1);
	CHECK_EQ(proxy_bypass("example.com:8200", "v.example.com", "443"), 0);
	CHECK_EQ(proxy_bypass("10.1.2.3:8200", "10.1.2.3", "8200"), 1);
	CHECK_EQ(proxy_bypass("10.1.2.3:8200", "10.1.2.3", "443"), 0);
	CHECK_EQ(proxy_bypass("[fd00::1]:443", "fd00::1", "443"), 1);
	/* Addresses and CIDR blocks. */
	CHECK_EQ(proxy_bypass("10.1.2.3", "10.1.2.3", "443"), 1);
	CHECK_EQ(proxy_bypass("10.1.2.3", "10.1.2.4", "443"), 0);
	CHECK_EQ(proxy_bypass("10.0.0.0/8", "10.200.3.4", "443"), 1);
	CHECK_EQ(proxy_bypass("10.0.0.0/8", "11.0.0.1", "443"), 0);
	CHECK_EQ(proxy_bypass("192.168.4.0/22", "192.168.7.255", "443"), 1);
	CHECK_EQ(proxy_bypass("192.168.4.0/22", "192.168.8.0", "443"), 0);
	CHECK_EQ(proxy_bypass("fd00::/8", "fd12::5", "443"), 1);
	CHECK_EQ(proxy_bypass("fd00::/8", "fe80::1", "443"), 0);
	CHECK_EQ(proxy_bypass("0.0.0.0/0", "vault.example.com", "443"), 0);
	CHECK_EQ(proxy_bypass("fd00::1", "fd00::1", "443"), 1);
	/* Empty and malformed entries are skipped. */
	CHECK_EQ(proxy_bypass(",, ,:80,", "vault.example.com", "80"), 0);
	CHECK_EQ(proxy_bypass(",,example.com", "a.example.com", "80"), 1);
}

static void
test_proxy_for(void)
{
	struct proxy_env pe;
	char err[256], *p;

	memset(&pe, 0, sizeof(pe));
	pe.http = "proxy.corp:3128";
	pe.https = "https://user:pw@sproxy.corp:3129";
	pe.no = "internal.corp";
	CHECK_EQ(proxy_for(&pe, "http://vault.example.com/v1/x", &p, err,
	    sizeof(err)), 0);
	CHECK_STR(p != NULL ? p : "(direct)", "http://proxy.corp:3128");
	free(p);
	CHECK_EQ(proxy_for(&pe, "https://kv.vault.azure.net/", &p, err,
	    sizeof(err)), 0);
	CHECK_STR(p != NULL ? p : "(direct)",
	    "https://user:pw@sproxy.corp:3129");
	free(p);
	CHECK_EQ(proxy_for(&pe, "https://v.internal.corp:8200/", &p, err,
	    sizeof(err)), 0);
	CHECK(p == NULL);
	CHECK_EQ(proxy_for(&pe, "http://127.0.0.1:8200/", &p, err,
	    sizeof(err)), 0);
	CHECK(p == NULL);
	CHECK_EQ(proxy_for(&pe, "https://[::1]:8200/", &p, err,
	    sizeof(err)), 0);
	CHECK(p == NULL);
	/* In a CGI program HTTP_PROXY may come from a client's Proxy:. */
	pe.cgi = 1;
	CHECK_EQ(proxy_for(&pe, "http://vault.example.com/", &p, err,
	    sizeof(err)), -1);
	CHECK(p == NULL);
	CHECK_EQ(proxy_for(&pe, "https://kv.vault.azure.net/", &p, err,
	    sizeof(err)), 0);
	free(p);
	/* A value that is no proxy URL fails, and is not repeated. */
	pe.cgi = 0;
	pe.https = "ftp://user:secret-pw@x:1";
	CHECK_EQ(proxy_for(&pe, "https://kv.vault.azure.net/", &p, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "secret-pw") == NULL);
	CHECK(strstr(err, "HTTPS_PROXY") != NULL);
	p = proxy_url("socks5://h:1080");
	CHECK_STR(p != NULL ? p : "(null)", "socks5://h:1080");
	free(p);
	CHECK(proxy_url("http://") == NULL);
	CHECK(proxy_url("http://a b:1") == NULL);
}

/* The resources a Key Vault challenge may ask a token for. */
static void
test_scope_ok(void)
{
	static const struct {
		const char *host, *scopes;
		int ok;
	} t[] = {
		{ "kv.vault.azure.net", "https://vault.azure.net", 1 },
		{ "kv.vault.azure.net", "https://vault.azure.net/.default", 1 },
		{ "kv.vault.azure.net", "https://kv.vault.azure.net", 1 },
		{ "kv.vault.azure.net", "https://azure.net/.default", 1 },
		{ "kv.vault.azure.net", "https://ault.azure.net", 0 },
		{ "kv.vault.azure.net", "https://evilvault.azure.net", 0 },
		{ "kv.vault.azure.net", "https://net", 0 },
		{ "kv.vault.azure.net", "https://.net", 0 },
		{ "kv.vault.azure.net", "https://vault.azure.net.", 0 },
		{ "kv.vault.azure.net", "http://vault.azure.net", 0 },
		{ "kv.vault.azure.net", "https://management.azure.com", 0 },
		{ "kv.vault.azure.net", "https://vault.azure.net.evil.com", 0 },
		{ "kv.vault.azure.net", "https://x.kv.vault.azure.net", 0 },
		{ "kv.vault.azure.net",
		    "https://vault.azure.net/.default "
		    "https://graph.microsoft.com/.default", 0 },
		{ "kv.vault.azure.net",
		    " https://vault.azure.net/.default  "
		    "https://azure.net/x ", 1 },
		{ "kv.vault.azure.net", "", 0 },
		{ "kv.vault.azure.net", "   ", 0 },
		{ "kv.vault.azure.net", "vault.azure.net", 0 },
		{ "kv.vault.azure.net", "https://user@vault.azure.net", 1 },
		{ "10.1.2.3", "https://10.1.2.3", 1 },
		{ "10.1.2.3", "https://10.1.2.4", 0 },
		{ "10.1.2.3", "https://2.3", 0 },
		{ "10.1.2.3", "https://1.2.3", 0 },
		{ "fd00::1", "https://[fd00::1]/.default", 1 },
		{ "fd00::1", "https://[fd00::2]/.default", 0 },
		{ "1.2.3.4.nip.io", "https://1.2.3.4", 0 },
	};
	size_t i;
	char *bad;
	int ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = kv_scope_ok(t[i].host, t[i].scopes, &bad);
		if (ok != t[i].ok) {
			fprintf(stderr, "scope_ok(%s, %s) = %d\n", t[i].host,
			    t[i].scopes, ok);
			failures++;
		}
		CHECK(ok ? bad == NULL : bad != NULL);
		free(bad);
	}
}

/* VAULT_CLIENT_TIMEOUT as parseutil.ParseDurationSecond reads it. */
static void
test_timeout(void)
{
	const char *bad[] = { "", "x", "-1", "0", "0s", "1y", "30sec", "s",
	    "1e300", "inf", "nan", "1h30", ".s", "99999999999999999999h",
	    "2562048h", "31d", "9999999999999999999999", NULL };
	double secs;
	char *err;
	long ms;
	int i;

	CHECK(time_parse_timeout("30", &ms, &err) == 0 && ms == 30000);
	CHECK(time_parse_timeout("30s", &ms, &err) == 0 && ms == 30000);
	CHECK(time_parse_timeout("1m30s", &ms, &err) == 0 && ms == 90000);
	CHECK(time_parse_timeout("1.5s", &ms, &err) == 0 && ms == 1500);
	CHECK(time_parse_timeout("500ms", &ms, &err) == 0 && ms == 500);
	CHECK(time_parse_timeout("2d", &ms, &err) == 0 && ms == 172800000);
	CHECK(time_parse_timeout(".5s", &ms, &err) == 0 && ms == 500);
	for (i = 0; bad[i] != NULL; i++) {
		err = NULL;
		CHECK(time_parse_timeout(bad[i], &ms, &err) == -1);
		CHECK(err != NULL);
		free(err);
	}
	/* Go's own limits: 2562047h47m16.854775807s fits, an hour more not. */
	CHECK(time_parse_duration("2562047h", 0, &secs) == 0);
	CHECK(time_parse_duration("2562048h", 0, &secs) == -1);
	CHECK(time_parse_duration("-1h", 0, &secs) == 0 && secs == -3600);
	CHECK(time_parse_duration("0", 0, &secs) == 0 && secs == 0);
	CHECK(time_parse_duration("30", 0, &secs) == -1);
	CHECK(time_parse_duration("30", 1, &secs) == 0 && secs == 30);
	CHECK(time_parse_duration("1\xc2\xb5s", 0, &secs) == 0);
}

int
main(void)
{
	test_proxy_bypass();
	test_proxy_for();
	test_scope_ok();
	test_timeout();
	test_retry_after();
	test_backoff();
	test_bucket();
	test_engine();
	return unit_result("test_http");
}
