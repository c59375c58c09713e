/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GUID text shape check and normalisation.  See guid-text.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/guid-text.h"

int hv_guid_text_normalize(const char *s, char ret[static HV_GUID_TEXT_MAX])
{
	char buf[HV_GUID_TEXT_MAX];
	size_t n = strlen(s);

	if (n == HV_GUID_TEXT_MAX + 1 && s[0] == '{' && s[n - 1] == '}') {
		s++;
		n -= 2;
	}
	if (n != HV_GUID_TEXT_MAX - 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
		buf[i] = (char)tolower((unsigned char)s[i]);
	}
	buf[n] = '\0';
	memcpy(ret, buf, sizeof(buf));
	return 0;
}
