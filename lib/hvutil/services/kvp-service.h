/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP service: what hv-kvpd does with one kernel request (PROTOCOL.md §5.3),
 * kept out of the daemon so it can be tested without a device.
 *
 * Input is a decoded struct hv_kvp_msg (proto/kvp.h), output the reply
 * struct hv_kvp_msg whose `error` is the host status, converted from
 * -errno in exactly one place (proto/hv-status.h).  Pools 0..4 are pool
 * files (services/kvp-store.h) in one directory (default /var/lib/hyperv,
 * created 0755); pool 2 ENUMERATE answers the ten intrinsic items instead
 * of the file, as the reference does (SET/GET/DELETE on pool 2 still use
 * .kvp_pool_2, so the file layout stays the reference's).
 *
 * Intrinsic items are computed when the host asks, never cached from
 * start-up: a hostname change shows at once (the reference caches the FQDN
 * once, §11.9).  Only the canonical-name lookup is cached, per hostname and
 * for fqdn_ttl_usec, to bound what a host enumerating pool 2 in a loop can
 * make us spend on DNS.  When that lookup fails the FQDN is the plain
 * hostname, not the reference's "getaddrinfo failed: ..." text.
 *
 * Where the reference is wrong this module does it right:
 *  - a request that does not decode (pool >= 5, index >= 2^31, oversize
 *    sizes, no NUL, bad UTF-8: -EBADMSG from hv_kvp_msg_decode) is answered
 *    HV_E_FAIL and changes nothing (§11.1, §11.2);
 *  - a GET reply carries the value where the kernel reads it, the
 *    kvp_enum_data value offset 532 (§5.2, §11.3), so the host gets the
 *    real value instead of "" (hv_kvp_service_encode_reply()).
 *
 * GET_IP_INFO is answered by services/kvp-ipinfo.h (netlink and the
 * network manager's state, no fork; exact MAC match, gateways of that
 * interface only, see there for every difference from the reference).  A
 * malformed adapter id or family is HV_E_FAIL, counted as rejected, and
 * logged; an unknown MAC is HV_E_FAIL as with the reference.
 *
 * SET_IP_INFO is applied by services/kvp-setip.h through the network
 * manager's own configuration (back-end chosen by set-ip-backend or
 * detected); its result is the host status, and nothing is reported as
 * applied unless it was.  It may block up to two set-ip-timeout steps; the
 * kernel serialises KVP requests, so nothing else waits behind it.
 *
 * [kvp] keys (hv_kvp_service_config_sections):
 *   pool-directory        default /var/lib/hyperv
 *   max-records-per-pool  default 100000
 *   report-interfaces     globs, default "*"
 *   exclude-interfaces    globs, default the host side of containers and
 *                         local virtualisation (docker* br-* veth* virbr*
 *                         lxcbr* lxdbr* cni* flannel* cali* cilium*
 *                         podman* kube-*): addresses the Hyper-V host can
 *                         do nothing with.  A list cannot be empty, so to
 *                         exclude nothing name a pattern no interface
 *                         matches.
 * The two interface keys decide which interfaces GET_IP_INFO and the
 * pool-2 NetworkAddressIPv4/IPv6 items report; loopback never, and a VF
 * paired with a netvsc interface never on its own.
 *
 * The OS facts (hostname, canonical name, interface addresses) go through
 * struct hv_kvp_service_sysinfo so tests can inject them; NULL members use
 * the system (for addresses: kvp-ipinfo's filtered list).  The library
 * never prints: messages go to the log sink.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "platform/netlink.h"
#include "proto/kvp.h"
#include "services/kvp-setip.h"

struct hv_path;
struct hv_kvp_service;

#define HV_KVP_SERVICE_DEFAULT_POOL_DIRECTORY "/var/lib/hyperv"
#define HV_KVP_SERVICE_DEFAULT_FQDN_TTL_USEC (60 * UINT64_C(1000000))
#define HV_KVP_SERVICE_N_INTRINSICS 10
/* What IntegrationServicesVersion says before the kernel gave one (§5.3). */
#define HV_KVP_SERVICE_UNKNOWN_VERSION "Unknown version"

/* OS facts, each returning 0 or -errno; a NULL member means the system's. */
struct hv_kvp_service_sysinfo {
	/* NUL-terminated hostname into buf (size bytes). */
	int (*hostname)(void *userdata, char *buf, size_t size);
	/* Canonical name of host (getaddrinfo AI_CANONNAME); *ret malloc'd. */
	int (*canonical_name)(void *userdata, const char *host, char **ret);
	/* Non-loopback addresses of family (AF_INET, AF_INET6), ';'-separated,
	 * no trailing ';'; "" when there are none; *ret malloc'd. */
	int (*addresses)(void *userdata, int family, char **ret);
};

struct hv_kvp_service_options {
	const struct hv_path *path;     /* NULL: the real root; borrowed */
	const char *pool_directory;     /* NULL: the default; resolved through path */
	uint32_t max_records;           /* per pool; 0: the store's default */
	uint64_t fqdn_ttl_usec;         /* 0: the default */
	const struct hv_kvp_service_sysinfo *sysinfo; /* NULL: the system */
	void *sysinfo_userdata;
	/* Interfaces, links, addresses and routes (services/kvp-ipinfo.h). */
	const struct hv_netlink_ops *netlink;  /* NULL: the kernel */
	void *netlink_userdata;
	char *const *report_interfaces;        /* globs; NULL: the default ("*") */
	char *const *exclude_interfaces;       /* globs; NULL: the default list */
	/* How SET_IP_INFO is applied (services/kvp-setip.h); copied.  NULL:
	 * backend auto, no legacy fallback, the system's managers. */
	const struct hv_kvp_setip_options *setip;
};

/* [kvp] in hvutils.conf. */
struct hv_kvp_service_config {
	char *pool_directory;
	unsigned max_records_per_pool;
	char **report_interfaces;  /* NULL-terminated globs */
	char **exclude_interfaces;
	int set_ip_backend;        /* enum hv_kvp_setip_backend */
	bool set_ip_legacy_fallback;
	char *set_ip_legacy_script;
	char *set_ip_staging_directory;
	char *set_ip_netplan_command;
	uint64_t set_ip_timeout_usec;
};
/* The schema: [0] is [kvp], [1] the terminator (a daemon's ops->sections);
 * look the values up with &hv_kvp_service_config_sections[0]. */
extern const struct hv_config_section hv_kvp_service_config_sections[2];

/* The SET_IP_INFO options a [kvp] section asks for; the strings point into
 * cfg (borrowed), path and the system's managers are left to the caller. */
void hv_kvp_service_setip_options_from_config(const struct hv_kvp_service_config *cfg,
					      struct hv_kvp_setip_options *ret);
/* Replace the SET_IP_INFO options (a reload); copied.  -ENOMEM. */
int hv_kvp_service_set_setip_options(struct hv_kvp_service *s, const struct hv_kvp_setip_options *o);

/* Creates the pool directory (0755) if missing and opens the five pool
 * files.  -errno (logged) on failure. */
int hv_kvp_service_new(const struct hv_kvp_service_options *opts, struct hv_kvp_service **ret);
struct hv_kvp_service *hv_kvp_service_free(struct hv_kvp_service *s);

/* The version string from the kernel's handshake (§5.3 step 4); copied.
 * NULL or "" reverts to HV_KVP_SERVICE_UNKNOWN_VERSION. */
void hv_kvp_service_set_version(struct hv_kvp_service *s, const char *version);

/*
 * Handle one decoded request.  ret_reply is filled completely: op and pool
 * echoed, error = the host status, and the op's reply fields (ENUMERATE
 * key/value, GET value).  Returns the result as 0 or -errno (-ENOENT for a
 * missing key or the end of an enumeration, -EBADMSG for a malformed
 * GET_IP_INFO, -ENODEV for an unknown MAC, SET_IP_INFO's results as listed
 * in services/kvp-setip.h);
 * ret_reply->error is hv_status_from_errno() of it, except that an unknown
 * op is answered HV_S_OK as the reference does.
 */
int hv_kvp_service_handle(struct hv_kvp_service *s, const struct hv_kvp_msg *req,
			  struct hv_kvp_msg *ret_reply);

/*
 * Encode a reply for the kernel (HV_KVP_MSG_SIZE bytes into buf).  Like
 * hv_kvp_msg_encode_reply(), except that a GET reply is laid out at the
 * kvp_enum_data positions (value at offset 532), which is where the
 * kernel's GET conversion reads it (§5.2, §11.3).  Same returns.
 */
int hv_kvp_service_encode_reply(const struct hv_kvp_msg *reply, uint8_t *buf, size_t len);

/*
 * One raw kernel message in, one raw reply out: decode, handle, encode.
 * A message that does not decode is answered HV_E_FAIL with nothing
 * changed, and logged.  Returns HV_KVP_MSG_SIZE, or -ENOBUFS when out is
 * short (a bug of the caller, not of the host).
 */
int hv_kvp_service_process(struct hv_kvp_service *s, const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_len);

/* Replace the interface globs (copied; NULL: the default), e.g. on a
 * configuration reload.  -ENOMEM keeps the old ones. */
int hv_kvp_service_set_interface_filter(struct hv_kvp_service *s, char *const *report_interfaces,
					char *const *exclude_interfaces);

/* Requests answered so far, and how many of them did not decode. */
uint64_t hv_kvp_service_get_requests(const struct hv_kvp_service *s);
uint64_t hv_kvp_service_get_rejected(const struct hv_kvp_service *s);
