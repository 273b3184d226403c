/* timefmt.c: the timestamp formats the services answer with. */

#include <ctype.h>
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
