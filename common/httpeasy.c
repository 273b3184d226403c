/* httpeasy.c: one attempt's libcurl easy handle: its options, the answer. */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "common.h"
#include "http_int.h"

#define RESP_MAX	(64 * 1024 * 1024)	/* a longer body is an error */

static int
hdr_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Header lines of the response; a new status line forgets the last one's. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	struct http_req *r = j->req;
	char *colon, *v, *end, *s;
	long ms;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(r->www_authenticate);
		free(r->location);
		r->www_authenticate = r->location = NULL;
		j->ra = j->ra_ms = -1;
		return n;
	}
	if ((colon = memchr(p, ':', n)) == NULL)
		return n;
	for (v = colon + 1; v < p + n && (*v == ' ' || *v == '\t'); v++)
		;
	for (end = p + n; end > v && isspace((unsigned char)end[-1]); end--)
		;
	v = xstrndup(v, end - v);
	if (hdr_is(p, colon - p, "www-authenticate")) {
		/* Several challenges: one list, as RFC 9110 5.3 allows. */
		if (r->www_authenticate != NULL) {
			s = xasprintf("%s, %s", r->www_authenticate, v);
			free(r->www_authenticate);
			free(v);
			v = s;
		}
		r->www_authenticate = v;
		v = NULL;
	} else if (hdr_is(p, colon - p, "location")) {
		free(r->location);
		r->location = v;
		v = NULL;
	} else if (hdr_is(p, colon - p, "retry-after")) {
		j->ra = http_retry_after_ms(v, time(NULL));
	} else if (hdr_is(p, colon - p, "retry-after-ms") ||
	    hdr_is(p, colon - p, "x-ms-retry-after-ms")) {
		if ((ms = http_retry_ms(v)) >= 0)
			j->ra_ms = ms;
	}
	free(v);
	return n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct job *j = arg;

	if (j->req->resp.len + n > RESP_MAX)
		return 0;
	buf_add(&j->req->resp, p, n);
	return n;
}

/* Authorization headers travel in the list: wipe it before freeing. */
void
http_slist_wipe_free(struct curl_slist *l)
{
	struct curl_slist *s;

	for (s = l; s != NULL; s = s->next)
		wipe(s->data, strlen(s->data));
	curl_slist_free_all(l);
}

/*
 * Trust named by the request replaces the defaults entirely; the
 * defaults are the environment's file and directory, each else
 * libcurl's own.  Over https, the connection gets the engine's store of
 * that setting (httptrust.c): libcurl loads nothing, and is told only a
 * CA path that stands for the setting.  Through an https:// proxy (whose
 * handshake would get the same store) and without verification, libcurl
 * is told the setting itself, as before.  -1, with j->errbuf, when the
 * store cannot be loaded.
 */
static int
set_trust(struct http *h, CURL *e, struct job *j)
{
	struct http_req *r = j->req;
	const char *file, *path, *id, *why;
	char *dflt = NULL;
	struct curl_blob blob;
	X509_STORE *st;

	if (r->cablob != NULL) {
		file = path = NULL;
	} else if (r->cafile != NULL || r->capath != NULL) {
		file = r->cafile;
		path = r->capath;
	} else {
		/* Else libcurl's built-in ones (CURLINFO_CAINFO, _CAPATH). */
		if ((file = h->cafile) == NULL &&
		    curl_easy_getinfo(e, CURLINFO_CAINFO, &dflt) == CURLE_OK)
			file = dflt;
		if ((path = h->capath) == NULL &&
		    curl_easy_getinfo(e, CURLINFO_CAPATH, &dflt) == CURLE_OK)
			path = dflt;
	}
	if (strncasecmp(r->url, "https:", 6) == 0 && !r->insecure &&
	    (j->proxy == NULL || strncasecmp(j->proxy, "https:", 6) != 0) &&
	    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION,
	    http_trust_use) == CURLE_OK) {
		if (http_trust(h, file, path, r->cablob, r->cabloblen, &st,
		    &id, &why) == -1) {
			snprintf(j->errbuf, sizeof(j->errbuf), "%.100s: %s",
			    strstr(j->key, "://") + 3, why);
			return -1;
		}
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, st);
		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(e, CURLOPT_CAPATH, id);
		return 0;
	}
	curl_easy_setopt(e, CURLOPT_CAINFO, file);
	curl_easy_setopt(e, CURLOPT_CAPATH, path);
	if (r->cablob != NULL) {
		blob.data = (void *)r->cablob;
		blob.len = r->cabloblen;
		blob.flags = CURL_BLOB_COPY;
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob) !=
		    CURLE_OK)
			return -1;
	}
	return 0;
}

int
http_easy_set(struct http *h, CURL *e, struct job *j)
{
	struct http_req *r = j->req;
	const char *const *hp;
	struct curl_slist *l;
	double left;
	int body;

	for (hp = r->headers; hp != NULL && *hp != NULL; hp++) {
		if ((l = curl_slist_append(j->hdrs, *hp)) == NULL)
			return -1;
		j->hdrs = l;
	}
	if (j->host_hdr != NULL) {
		if ((l = curl_slist_append(j->hdrs, j->host_hdr)) == NULL)
			return -1;
		j->hdrs = l;
	}
	/* No 100-continue round trip before a body. */
	if ((l = curl_slist_append(j->hdrs, "Expect:")) == NULL)
		return -1;
	j->hdrs = l;

	curl_easy_setopt(e, CURLOPT_URL, j->sni_url != NULL ? j->sni_url :
	    r->url);
	if (j->connect_to != NULL)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, j->connect_to);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Wait to multiplex over HTTP/2 rather than open more connections. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT,
	    strncasecmp(r->url, "https:", 6) == 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * libcurl copies an HTTPS request into an upload buffer, 64 KB per
	 * handle by default; at 16 KB, its least, a larger request (a
	 * secret of up to 25 KB) goes out in pieces, and each of -j handles
	 * holds 48 KB less (#17: peak RSS).  curl.se/libcurl/c/
	 * CURLOPT_UPLOAD_BUFFERSIZE.html: "The minimum buffer size allowed
	 * to be set is 16 kilobytes."
	 */
	curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    h->opts.connect_timeout_ms);
	/* Each attempt gets what is left of the request's budget. */
	left = j->deadline - http_now_ms();
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left >= h->opts.timeout_ms ?
	    h->opts.timeout_ms : left >= 1 ? (long)left : 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vault2kv/" V2K_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);

	if (set_trust(h, e, j) == -1)
		return -1;
	/*
	 * Always set: "" keeps libcurl from reading http_proxy, all_proxy
	 * and no_proxy itself, by rules that are not Go's (lower-case
	 * http_proxy only, no CIDR in no_proxy).  An empty NOPROXY list
	 * keeps its no_proxy from exempting a host from our choice.
	 */
	curl_easy_setopt(e, CURLOPT_PROXY, j->proxy != NULL ? j->proxy : "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r->insecure ? 0L : 2L);
	/* Mutual TLS: the client certificate and its key, PEM files. */
	if (r->sslcert != NULL) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, r->sslcert);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY, r->sslkey);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}

	/* Without a body, a method other than POST, PUT, PATCH sends none. */
	body = r->body != NULL || strcmp(r->method, "POST") == 0 ||
	    strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0;
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->bodylen);
	}
	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, body ? "POST" : "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	return 0;
}

/*
 * A TLS server name other than the URL's host, as Go's tls.Config
 * ServerName (hashicorp/vault api/client.go, ConfigureTLS: TLSServerName):
 * the name sent in SNI and verified in the certificate, while the
 * connection goes to the URL's host and port and the Host header stays
 * the URL's (Go's request keeps URL.Host).  libcurl verifies and sends
 * the URL's host, so the URL is put on the name and CURLOPT_CONNECT_TO
 * sends the connection to the real host.  Only https:// URLs have a
 * handshake: others are left as they are.
 */
int
http_sni_rewrite(struct job *j, const char *url, const char *name)
{
	const char *auth, *end, *at, *h, *he, *port;
	struct curl_slist *l;
	char *ct;
	size_t hn;

	if (strncasecmp(url, "https://", 8) != 0)
		return 0;
	auth = url + 8;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	h = at;
	if (*h == '[') {
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL)
			return -1;
		he++;
	} else if ((he = memchr(h, ':', (size_t)(end - h))) == NULL)
		he = end;
	hn = (size_t)(he - h);
	if (hn == 0)
		return -1;
	port = he < end && *he == ':' && he + 1 < end ? he + 1 : "443";
	if (port != he + 1) {
		j->sni_url = xasprintf("https://%.*s%s:443%s",
		    (int)(at - auth), auth, name, end);
		ct = xasprintf("%s:443:%.*s:443", name, (int)hn, h);
	} else {
		j->sni_url = xasprintf("https://%.*s%s:%.*s%s",
		    (int)(at - auth), auth, name, (int)(end - port), port, end);
		ct = xasprintf("%s:%.*s:%.*s:%.*s", name, (int)(end - port),
		    port, (int)hn, h, (int)(end - port), port);
	}
	l = curl_slist_append(NULL, ct);
	free(ct);
	if (l == NULL)
		return -1;
	j->connect_to = l;
	j->host_hdr = xasprintf("Host: %.*s", (int)(end - at), at);
	return 0;
}

void
http_sni_free(struct job *j)
{
	wipe_free(j->sni_url);		/* may hold a user:password */
	curl_slist_free_all(j->connect_to);
	free(j->host_hdr);
	j->sni_url = j->host_hdr = NULL;
	j->connect_to = NULL;
}
