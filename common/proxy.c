/* proxy.c: which proxy a request goes through. */

/*
 * The rule is Go's ProxyFromEnvironment, which the Vault CLI and the
 * Azure SDK for Go use (golang.org/x/net/http/httpproxy, proxy.go:
 * FromEnvironment, useProxy, config.init), so that vault2kv goes where
 * they go whatever libcurl's own reading of the environment would do.
 */

#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common.h"

static char *
env_any(const char *upper, const char *lower)
{
	const char *s = getenv(upper);

	if (s == NULL || *s == '\0')
		s = getenv(lower);
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

void
proxy_env_init(struct proxy_env *pe)
{
	const char *s = getenv("REQUEST_METHOD");

	/* The upper-case name first, as FromEnvironment reads them. */
	pe->http = env_any("HTTP_PROXY", "http_proxy");
	pe->https = env_any("HTTPS_PROXY", "https_proxy");
	pe->no = env_any("NO_PROXY", "no_proxy");
	pe->cgi = s != NULL && *s != '\0';
}

void
proxy_env_release(struct proxy_env *pe)
{
	wipe_free(pe->http);	/* may hold the proxy's user:password */
	wipe_free(pe->https);
	free(pe->no);
	memset(pe, 0, sizeof(*pe));
}

char *
proxy_url(const char *value)
{
	const char *p;
	size_t n;

	if (value == NULL || *value == '\0')
		return NULL;
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return NULL;
	if ((p = strstr(value, "://")) == NULL)
		/* "host:port": http is assumed, as parseProxy does. */
		return xasprintf("http://%s", value);
	n = (size_t)(p - value);
	if ((n == 4 && strncasecmp(value, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(value, "https", 5) == 0) ||
	    (n == 6 && strncasecmp(value, "socks5", 6) == 0))
		return p[3] != '\0' ? xstrdup(value) : NULL;
	return NULL;
}

/* An IP address: 4 (IPv4, also an IPv4-mapped IPv6) or 16, else 0. */
static int
parse_ip(const char *s, unsigned char ip[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (inet_pton(AF_INET, s, ip) == 1)
		return 4;
	if (strchr(s, '%') != NULL || inet_pton(AF_INET6, s, ip) != 1)
		return 0;
	if (memcmp(ip, mapped, 12) == 0) {
		memmove(ip, ip + 12, 4);
		return 4;
	}
	return 16;
}

static int
is_loopback(const unsigned char *ip, int len)
{
	static const unsigned char one[16] = { [15] = 1 };

	return (len == 4 && ip[0] == 127) ||
	    (len == 16 && memcmp(ip, one, 16) == 0);
}

/* "1.2.3.0/24", "fd00::/8": does ip fall in it?  -1 when s is no CIDR. */
static int
cidr_match(const char *s, const unsigned char *ip, int iplen)
{
	unsigned char net[16];
	char addr[64], *end;
	const char *slash;
	long bits;
	int len, i;

	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	bits = strtol(slash + 1, &end, 10);
	if (*end != '\0')
		return -1;
	if (inet_pton(AF_INET, addr, net) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, addr, net) == 1)
		len = 16;
	else
		return -1;
	if (bits < 0 || bits > len * 8)
		return -1;
	if (iplen != len)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (ip[i] != net[i])
			return 0;
	return bits == 0 || ((ip[i] ^ net[i]) & (0xff << (8 - bits))) == 0;
}

int
proxy_bypass(const char *no_proxy, const char *host, const char *port)
{
	unsigned char ip[16], eip[16];
	const char *p, *e;
	char ent[256], *eh, *ep, *c;
	size_t n, hl;
	int iplen, eiplen, r, match;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	iplen = parse_ip(host, ip);
	if (iplen != 0 && is_loopback(ip, iplen))
		return 1;
	if (no_proxy == NULL)
		return 0;
	hl = strlen(host);
	for (p = no_proxy; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = p + strcspn(p, ",");
		while (p < e && isspace((unsigned char)*p))
			p++;
		n = (size_t)(e - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || n >= sizeof(ent))
			continue;
		for (c = ent; n > 0; n--)
			*c++ = (char)tolower((unsigned char)*p++);
		*c = '\0';
		if (strcmp(ent, "*") == 0)
			return 1;
		if ((r = cidr_match(ent, ip, iplen)) != -1) {
			if (r == 1)
				return 1;
			continue;
		}
		/* "host:port", "[v6]:port"; more colons: an IPv6 address. */
		eh = ent;
		ep = NULL;
		if (ent[0] == '[' && (c = strchr(ent, ']')) != NULL &&
		    c[1] == ':') {
			*c = '\0';
			eh = ent + 1;
			ep = c + 2;
		} else if ((c = strchr(ent, ':')) != NULL &&
		    strchr(c + 1, ':') == NULL) {
			*c = '\0';
			ep = c + 1;
		}
		if (*eh == '\0')
			continue;
		if (ep != NULL && *ep == '\0')
			ep = NULL;
		if ((eiplen = parse_ip(eh, eip)) != 0) {
			if (eiplen == iplen && memcmp(eip, ip, iplen) == 0 &&
			    (ep == NULL || strcmp(ep, port) == 0))
				return 1;
			continue;
		}
		/*
		 * "example.com" matches it and every name below it;
		 * ".example.com" and "*.example.com" only the names below.
		 */
		if (eh[0] == '*' && eh[1] == '.')
			eh++;
		n = strlen(eh);
		if (eh[0] == '.')
			match = hl > n && strcasecmp(host + hl - n, eh) == 0;
		else
			match = strcasecmp(host, eh) == 0 || (hl > n &&
			    host[hl - n - 1] == '.' &&
			    strcasecmp(host + hl - n, eh) == 0);
		if (match && (ep == NULL || strcmp(ep, port) == 0))
			return 1;
	}
	return 0;
}

int
proxy_for(const struct proxy_env *pe, const char *url, char **proxy,
    char *err, size_t errsz)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *h;
	const char *value, *name;
	CURLU *u;
	size_t n;
	int rc = -1;

	*proxy = NULL;
	if ((u = curl_url()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		snprintf(err, errsz, "invalid URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		value = pe->https;
		name = "HTTPS_PROXY";
	} else {
		value = pe->http;
		name = "HTTP_PROXY";
	}
	rc = 0;
	if (value == NULL)
		goto out;
	/* IPv6 literals come in brackets; the rules see the address. */
	h = host;
	n = strlen(h);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h[n - 1] = '\0';
		h++;
	}
	if (proxy_bypass(pe->no, h, port))
		goto out;
	/* golang.org/s/cgihttpproxy: a CGI client may set HTTP_PROXY. */
	if (pe->cgi && value == pe->http) {
		snprintf(err, errsz, "refusing to use HTTP_PROXY in a CGI "
		    "environment (REQUEST_METHOD is set)");
		rc = -1;
		goto out;
	}
	if ((*proxy = proxy_url(value)) == NULL) {
		/* Never the value: it may hold a user:password. */
		snprintf(err, errsz, "%s: not a proxy URL (http://, https:// "
		    "or socks5://HOST:PORT)", name);
		rc = -1;
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}
