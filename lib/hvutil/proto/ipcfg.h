/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's SET_IP_INFO lists (PROTOCOL.md §5.6) as a validated model.
 * Pure: no I/O, no logging, no allocation; fuzzed (tests/fuzz/fuzz-ipcfg.c).
 *
 * List syntax, as the reference reads it: elements separated by ';',
 * leading spaces of an element trimmed, and the first empty element ends
 * the list (so "a;b;" is two elements and in "a;;b" the "b" is never
 * read).  What the reference does NOT do and this parser does: every
 * element of every list is checked with inet_pton() before anything is
 * written, and any element that does not parse makes the whole request
 * -EINVAL.  The reference writes its files element by element and stops
 * at the first bad one, leaving a partial ifcfg file behind (§5.6).
 *
 * Address i is paired with subnet element i (the reference's keyfile
 * writer walks both lists together).  For an IPv4 address the subnet is a
 * dotted mask (contiguous; turned into a prefix length), for an IPv6
 * address a decimal prefix length ("64"; a leading '/' as in GET_IP_INFO
 * replies is accepted).  Unlike the reference, the two lists must have the
 * same length, and a prefix of 0 is refused: an interface address
 * covering the whole address space is never what the host meant.
 *
 * addr_family is not used: the reference ignores it for SET_IP_INFO, and
 * each element says its own family.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per list: more than this is refused (-EINVAL), never allocated. */
#define HV_IPCFG_MAX_ENTRIES 32
/* INET6_ADDRSTRLEN: the longest element text we accept, with the NUL. */
#define HV_IPCFG_TEXT_MAX 46
/* "xxxx:...:xxxx" (8 groups of 4) plus the NUL. */
#define HV_IPCFG_IPV6_EXPANDED_MAX 40
/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" plus the NUL. */
#define HV_IPCFG_ADAPTER_ID_MAX 39
/* Linux interface names: IFNAMSIZ - 1 characters. */
#define HV_IPCFG_IFNAME_MAX 15

struct hv_ipcfg_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; 4 used for AF_INET */
	/* The element as the host sent it (leading spaces trimmed), which is
	 * what the reference writes into its files. */
	char text[HV_IPCFG_TEXT_MAX];
	/* inet_ntop() of bytes: the canonical form the native writers use. */
	char canonical[HV_IPCFG_TEXT_MAX];
};

struct hv_ipcfg_ifaddr {
	struct hv_ipcfg_addr addr;
	unsigned prefixlen;
	/* The subnet element as the host sent it ("255.255.255.0", "64"). */
	char subnet_text[HV_IPCFG_TEXT_MAX];
};

/* Every list in host order, both families mixed, as the host sent them. */
struct hv_ipcfg {
	bool dhcp;
	struct hv_ipcfg_ifaddr addresses[HV_IPCFG_MAX_ENTRIES];
	size_t n_addresses;
	struct hv_ipcfg_addr gateways[HV_IPCFG_MAX_ENTRIES];
	size_t n_gateways;
	struct hv_ipcfg_addr dns[HV_IPCFG_MAX_ENTRIES];
	size_t n_dns;
};

/*
 * Parse and validate the four lists (NUL-terminated strings; NULL reads as
 * "") into *ret, which is written only on success.  -EINVAL for any element
 * that is not an address of its list's kind, a non-contiguous or zero
 * mask, a prefix out of range, a subnet list whose length differs from the
 * address list's, or more than HV_IPCFG_MAX_ENTRIES elements in a list.
 */
int hv_ipcfg_parse(bool dhcp, const char *ip_addr, const char *sub_net, const char *gate_way,
		   const char *dns_addr, struct hv_ipcfg *ret);

/* Entries of one family. */
size_t hv_ipcfg_count_addresses(const struct hv_ipcfg *c, int family);
size_t hv_ipcfg_count_list(const struct hv_ipcfg_addr *list, size_t n, int family);

/* Dotted IPv4 mask -> prefix length (0..32); -EINVAL when not a
 * contiguous mask or not dotted-quad. */
int hv_ipcfg_mask_to_prefix(const char *mask, unsigned *ret);
/* "a.b.c.d" for a prefix length 0..32; -EINVAL above 32.  buf holds 16. */
int hv_ipcfg_prefix_to_mask(unsigned prefixlen, char buf[static 16]);

/* 8 groups of 4 lower-case hex digits, as the reference writes IPv6
 * addresses into ifcfg files. */
void hv_ipcfg_ipv6_expand(const uint8_t bytes[static 16], char buf[static HV_IPCFG_IPV6_EXPANDED_MAX]);

/*
 * The adapter id the host sends ("{lower-case-guid}", §5.6) -> the form the
 * kernel prints in /sys/class/net/<if>/device/device_id: braces, lower case.
 * Braces are optional and either case is accepted on input (the reference
 * compares byte for byte, so a host that got the case wrong gets
 * HV_GUID_NOTFOUND there; here the GUID is the same GUID).  -EINVAL when the
 * text is not a GUID.
 */
int hv_ipcfg_adapter_id_normalize(const char *s, char ret[static HV_IPCFG_ADAPTER_ID_MAX]);

/*
 * An interface name we are willing to put into a file name, a config file
 * and an argv: 1..15 characters of [A-Za-z0-9_.-], not starting with '.'
 * or '-'.  The kernel allows far more (anything but '/', ':', whitespace),
 * and the reference passes whatever sysfs says to system() (§11.10).
 */
bool hv_ipcfg_ifname_is_safe(const char *s);

/* "xx:xx:xx:xx:xx:xx" (either case) -> upper-case or lower-case copy;
 * -EINVAL for anything else.  buf holds 18. */
int hv_ipcfg_mac_normalize(const char *s, bool upper, char buf[static 18]);
