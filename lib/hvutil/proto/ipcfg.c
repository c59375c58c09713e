/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SET_IP_INFO list parsing (see ipcfg.h, PROTOCOL.md §5.6).  Everything is
 * decided on copies in fixed buffers: nothing the host sends is longer
 * than an address can be, so an element longer than INET6_ADDRSTRLEN is
 * simply wrong.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/ipcfg.h"

/*
 * The next element of a list.  1 with the element (leading spaces trimmed)
 * in out, 0 at the end (end of string or an empty element, §5.6), -EINVAL
 * for an element too long to be an address.
 */
static int next_element(const char **cursor, char out[static HV_IPCFG_TEXT_MAX])
{
	const char *start = *cursor, *end;
	size_t n;

	end = strchr(start, ';');
	if (!end)
		end = start + strlen(start);
	if (end == start)
		return 0;
	*cursor = *end ? end + 1 : end;
	while (start < end && *start == ' ')
		start++;
	n = (size_t)(end - start);
	if (n >= HV_IPCFG_TEXT_MAX)
		return -EINVAL;
	memcpy(out, start, n);
	out[n] = '\0';
	return 1;
}

static int parse_addr(const char *text, struct hv_ipcfg_addr *ret)
{
	struct hv_ipcfg_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	if (!inet_ntop(a.family, a.bytes, a.canonical, sizeof(a.canonical)))
		return -EINVAL;
	/* text is shorter than HV_IPCFG_TEXT_MAX (next_element checked). */
	snprintf(a.text, sizeof(a.text), "%s", text);
	*ret = a;
	return 0;
}

int hv_ipcfg_mask_to_prefix(const char *mask, unsigned *ret)
{
	uint8_t b[4];
	uint32_t m;
	unsigned n = 0;

	if (!mask || inet_pton(AF_INET, mask, b) != 1)
		return -EINVAL;
	m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	while (n < 32 && (m & (UINT32_C(1) << (31 - n))))
		n++;
	/* Contiguous: nothing may be set below the first zero bit. */
	if (n < 32 && (m & (UINT32_MAX >> n)) != 0)
		return -EINVAL;
	*ret = n;
	return 0;
}

int hv_ipcfg_prefix_to_mask(unsigned prefixlen, char buf[static 16])
{
	uint32_t m;

	if (prefixlen > 32)
		return -EINVAL;
	m = prefixlen == 0 ? 0 : UINT32_MAX << (32 - prefixlen);
	snprintf(buf, 16, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
	return 0;
}

/* "64" or "/64": 1..128, digits only. */
static int parse_ipv6_prefix(const char *s, unsigned *ret)
{
	unsigned v = 0;
	size_t i;

	if (*s == '/')
		s++;
	if (!*s || strlen(s) > 3)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 128)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A list of plain addresses (gateways, DNS servers). */
static int parse_list(const char *list, struct hv_ipcfg_addr *out, size_t *ret_n)
{
	char el[HV_IPCFG_TEXT_MAX];
	size_t n = 0;
	int r;

	if (!list)
		list = "";
	while ((r = next_element(&list, el)) > 0) {
		if (n >= HV_IPCFG_MAX_ENTRIES)
			return -EINVAL;
		r = parse_addr(el, &out[n]);
		if (r < 0)
			return r;
		n++;
	}
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

int hv_ipcfg_parse(bool dhcp, const char *ip_addr, const char *sub_net, const char *gate_way,
		   const char *dns_addr, struct hv_ipcfg *ret)
{
	/* static would make this non-reentrant; 7 KiB on the stack is fine. */
	struct hv_ipcfg c;
	char el[HV_IPCFG_TEXT_MAX];
	const char *cur;
	size_t n_subnets = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.dhcp = dhcp;

	cur = ip_addr ? ip_addr : "";
	while ((r = next_element(&cur, el)) > 0) {
		if (c.n_addresses >= HV_IPCFG_MAX_ENTRIES)
			return -EINVAL;
		r = parse_addr(el, &c.addresses[c.n_addresses].addr);
		if (r < 0)
			return r;
		c.n_addresses++;
	}
	if (r < 0)
		return r;

	cur = sub_net ? sub_net : "";
	while ((r = next_element(&cur, el)) > 0) {
		struct hv_ipcfg_ifaddr *a;

		if (n_subnets >= c.n_addresses)
			return -EINVAL; /* more subnets than addresses */
		a = &c.addresses[n_subnets];
		if (a->addr.family == AF_INET)
			r = hv_ipcfg_mask_to_prefix(el, &a->prefixlen);
		else
			r = parse_ipv6_prefix(el, &a->prefixlen);
		if (r < 0 || a->prefixlen == 0)
			return -EINVAL;
		snprintf(a->subnet_text, sizeof(a->subnet_text), "%s", el);
		n_subnets++;
	}
	if (r < 0)
		return r;
	if (n_subnets != c.n_addresses)
		return -EINVAL; /* an address without a subnet */

	r = parse_list(gate_way, c.gateways, &c.n_gateways);
	if (r < 0)
		return r;
	r = parse_list(dns_addr, c.dns, &c.n_dns);
	if (r < 0)
		return r;

	*ret = c;
	return 0;
}

size_t hv_ipcfg_count_list(const struct hv_ipcfg_addr *list, size_t n, int family)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += list[i].family == family;
	return k;
}

size_t hv_ipcfg_count_addresses(const struct hv_ipcfg *c, int family)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n_addresses; i++)
		k += c->addresses[i].addr.family == family;
	return k;
}

void hv_ipcfg_ipv6_expand(const uint8_t bytes[static 16], char buf[static HV_IPCFG_IPV6_EXPANDED_MAX])
{
	size_t k = 0;

	for (size_t i = 0; i < 16; i += 2)
		k += (size_t)snprintf(buf + k, HV_IPCFG_IPV6_EXPANDED_MAX - k, "%s%02x%02x", i ? ":" : "",
				      bytes[i], bytes[i + 1]);
}

int hv_ipcfg_adapter_id_normalize(const char *s, char ret[static HV_IPCFG_ADAPTER_ID_MAX])
{
	char buf[HV_IPCFG_ADAPTER_ID_MAX];
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n = 36;
	}
	if (n != 36)
		return -EINVAL;
	buf[0] = '{';
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
		buf[i + 1] = (char)tolower((unsigned char)s[i]);
	}
	buf[37] = '}';
	buf[38] = '\0';
	memcpy(ret, buf, sizeof(buf));
	return 0;
}

bool hv_ipcfg_ifname_is_safe(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > HV_IPCFG_IFNAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '_' || c == '.' || c == '-') || c >= 0x80)
			return false;
	}
	return true;
}

int hv_ipcfg_mac_normalize(const char *s, bool upper, char buf[static 18])
{
	char out[18];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (size_t i = 0; i < 17; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i % 3 == 2 ? c != ':' : !isxdigit(c))
			return -EINVAL;
		out[i] = (char)(upper ? toupper(c) : tolower(c));
	}
	out[17] = '\0';
	memcpy(buf, out, sizeof(out));
	return 0;
}
