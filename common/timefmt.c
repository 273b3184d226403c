/* timefmt.c: times as text: timestamps, durations and timeouts. */

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* Exactly n decimal digits at s, as a number; -1 if not. */
static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm;
	long off = 0;
	int hh, mm;
	time_t t;

	/* "YYYY-MM-DDTHH:MM:SS", 'T' or ' ' between date and time */
	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((tm.tm_year = digits(s, 4)) < 0 ||
	    (tm.tm_mon = digits(s + 5, 2)) < 1 || tm.tm_mon > 12 ||
	    (tm.tm_mday = digits(s + 8, 2)) < 1 || tm.tm_mday > 31 ||
	    (tm.tm_hour = digits(s + 11, 2)) < 0 || tm.tm_hour > 23 ||
	    (tm.tm_min = digits(s + 14, 2)) < 0 || tm.tm_min > 59 ||
	    (tm.tm_sec = digits(s + 17, 2)) < 0 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return -1;
		for (s++; isdigit((unsigned char)*s); s++)
			;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		if ((hh = digits(s + 1, 2)) < 0 || s[3] != ':' ||
		    (mm = digits(s + 4, 2)) < 0 || hh > 23 || mm > 59)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*s == '-' ? -1 : 1);
		s += 6;
	} else if (*s != '\0')
		return -1;
	if (*s != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

/* Go's limit: a time.Duration is an int64 of nanoseconds. */
#define DURATION_MAX_S	9223372036.854775807

/*
 * Go's time.ParseDuration (src/time/format.go): an optional sign, then
 * "0" or one or more decimal numbers, each with an optional fraction and
 * a unit: ns, us (or µs, μs), ms, s, m, h.  Digits are read one by one
 * into a double, so no number overflows here; the total is checked
 * against Go's range instead.
 */
static int
go_duration(const char *s, double *secs)
{
	static const struct {
		const char	*unit;
		double		 sec;
	} units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
		{ "\xce\xbcs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
		{ "m", 60 }, { "h", 3600 },
	};
	double total = 0, v, scale;
	size_t i, best, len, n;
	int neg = 0, digits;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		v = 0;
		digits = 0;
		for (; isdigit((unsigned char)*s); s++, digits++)
			v = v * 10 + (*s - '0');
		if (*s == '.')
			for (s++, scale = 0.1; isdigit((unsigned char)*s);
			    s++, digits++, scale /= 10)
				v += (*s - '0') * scale;
		if (digits == 0)
			return -1;
		best = sizeof(units) / sizeof(units[0]);
		len = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			n = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, n) == 0 && n > len) {
				best = i;
				len = n;
			}
		}
		if (best == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[best].sec;
		if (!(total <= DURATION_MAX_S))
			return -1;
		s += len;
	}
	*secs = neg ? -total : total;
	return 0;
}

int
time_parse_duration(const char *s, int plain, double *secs)
{
	double v = 0;
	size_t n;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	/* parseutil.ParseDurationSecond: strconv.ParseInt, then "Nd". */
	if (plain) {
		p = s + (*s == '-' || *s == '+');
		n = strspn(p, "0123456789");
		if (n > 0 && (p[n] == '\0' || (p[n] == 'd' && p[n + 1] ==
		    '\0'))) {
			for (; isdigit((unsigned char)*p); p++)
				v = v * 10 + (*p - '0');
			if (*p == 'd')
				v *= 86400;
			if (!(v <= DURATION_MAX_S))
				return -1;
			*secs = *s == '-' ? -v : v;
			return 0;
		}
	}
	return go_duration(s, secs);
}

/* The CLI's expiresOn: local time without a zone. */
int
time_parse_local(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p != '\0')
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/*
 * A timeout as the Vault CLI reads VAULT_CLIENT_TIMEOUT (hashicorp/vault
 * api/client.go ReadEnvironment uses go-secure-stdlib's
 * parseutil.ParseDurationSecond): whole seconds ("30"), days ("2d"), or
 * a Go duration ("1m30s", "1.5s", "500ms").  Milliseconds in *ms, at
 * least 1; -1 with *err if s is none of these, zero, negative, or more
 * than 30 days (a longer wait is no timeout).
 */
int
time_parse_timeout(const char *s, long *ms, char **err)
{
	double secs;

	if (time_parse_duration(s, 1, &secs) == -1) {
		*err = xasprintf("\"%s\" is not a duration (\"30s\", \"1m\", "
		    "or seconds)", s);
		return -1;
	}
	if (!(secs > 0) || secs > 30 * 86400) {
		*err = xasprintf("\"%s\" is not between 1 ms and 30 days", s);
		return -1;
	}
	*ms = (long)ceil(secs * 1000);
	return 0;
}
