/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP service (see kvp-service.h for the contract).
 *
 * Design: one struct hv_kvp_service owns the five pool stores and the small
 * state the intrinsic items need (the handshake version and the FQDN
 * lookup cache).  hv_kvp_service_handle() is a switch over the op that
 * returns -errno; the reply status is derived from that result in one line
 * through proto/hv-status (STYLE.md rule 8).  Nothing is cached from
 * start-up except the canonical-name lookup, and that one is keyed by the
 * hostname it was made for, so a rename is seen on the next request.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/utf16.h"
#include "proto/hv-status.h"
#include "services/kvp-ipinfo.h"
#include "services/kvp-service.h"
#include "services/kvp-store.h"

struct hv_kvp_service {
	const struct hv_path *path;
	struct hv_kvp_store *stores[HV_KVP_POOL_COUNT];
	struct hv_kvp_ipinfo *ipinfo;
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	const struct hv_kvp_service_sysinfo *sysinfo;
	void *sysinfo_userdata;
	uint64_t fqdn_ttl_usec;
	/* The last canonical-name lookup: for which hostname, when, result
	 * (NULL when it failed: the plain hostname is used). */
	char fqdn_host[HOST_NAME_MAX + 1];
	char *fqdn;
	uint64_t fqdn_when;
	bool fqdn_valid;
	uint64_t requests;
	uint64_t rejected;
	/* SET_IP_INFO: options with the strings below owned. */
	struct hv_kvp_setip_options setip;
	char *setip_legacy_script;
	char *setip_staging_directory;
	char *setip_netplan_command;
};

static const struct hv_config_item kvp_config_items[] = {
	HV_CONFIG_PATH("pool-directory", struct hv_kvp_service_config, pool_directory,
		       HV_KVP_SERVICE_DEFAULT_POOL_DIRECTORY, "Directory of the .kvp_pool_N files"),
	HV_CONFIG_UINT("max-records-per-pool", struct hv_kvp_service_config, max_records_per_pool, "100000",
		       "Most records a pool file may hold; a SET of a new key past it fails", 1, 10000000),
	HV_CONFIG_GLOBS("report-interfaces", struct hv_kvp_service_config, report_interfaces,
			HV_KVP_IPINFO_DEFAULT_REPORT_INTERFACES,
			"Interfaces whose addresses the host is told (GET_IP_INFO, NetworkAddressIPv4/IPv6); loopback never"),
	HV_CONFIG_GLOBS("exclude-interfaces", struct hv_kvp_service_config, exclude_interfaces,
			HV_KVP_IPINFO_DEFAULT_EXCLUDE_INTERFACES,
			"Interfaces never reported, even when report-interfaces matches them"),
	HV_CONFIG_ENUM("set-ip-backend", struct hv_kvp_service_config, set_ip_backend, "auto",
		       "How SET_IP_INFO is applied: auto, networkmanager, networkd, netplan, ifcfg, legacy or none",
		       hv_kvp_setip_backend_table),
	HV_CONFIG_BOOL("set-ip-legacy-fallback", struct hv_kvp_service_config, set_ip_legacy_fallback, "no",
		       "Let auto end in the legacy hv_set_ifconfig script when no network manager is found"),
	HV_CONFIG_PATH("set-ip-legacy-script", struct hv_kvp_service_config, set_ip_legacy_script,
		       HV_KVP_SETIP_DEFAULT_LEGACY_SCRIPT, "The script the legacy back-end runs"),
	HV_CONFIG_PATH("set-ip-staging-directory", struct hv_kvp_service_config, set_ip_staging_directory,
		       HV_KVP_SETIP_DEFAULT_STAGING_DIRECTORY, "Where the legacy back-end writes its two files"),
	HV_CONFIG_PATH("set-ip-netplan-command", struct hv_kvp_service_config, set_ip_netplan_command,
		       HV_KVP_SETIP_DEFAULT_NETPLAN_COMMAND, "The netplan program, run as '<command> apply'"),
	HV_CONFIG_DURATION("set-ip-timeout", struct hv_kvp_service_config, set_ip_timeout_usec, "10s",
			   "Longest wait for one apply step (the kernel gives a KVP answer 30 s)",
			   HV_USEC_PER_SEC / 10, 25 * HV_USEC_PER_SEC),
};

const struct hv_config_section hv_kvp_service_config_sections[2] = {
	{
		.name = "kvp",
		.size = sizeof(struct hv_kvp_service_config),
		.items = kvp_config_items,
		.n_items = ELEMENTSOF(kvp_config_items),
	},
	{},
};

/* --- system implementations of the OS facts ------------------------------ */

static int system_hostname(void *userdata, char *buf, size_t size)
{
	if (gethostname(buf, size) < 0)
		return -errno;
	buf[size - 1] = '\0';
	return 0;
}

static int system_canonical_name(void *userdata, const char *host, char **ret)
{
	/* AF_INET as the reference does (§5.3 table, index 0). */
	struct addrinfo hints = { .ai_family = AF_INET, .ai_flags = AI_CANONNAME };
	struct addrinfo *info = NULL;
	char *name;
	int r;

	r = getaddrinfo(host, NULL, &hints, &info);
	if (r != 0)
		return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	if (!info || !info->ai_canonname || !info->ai_canonname[0]) {
		freeaddrinfo(info);
		return -EADDRNOTAVAIL;
	}
	name = strdup(info->ai_canonname);
	freeaddrinfo(info);
	if (!name)
		return -ENOMEM;
	*ret = name;
	return 0;
}

static int sysinfo_hostname(struct hv_kvp_service *s, char *buf, size_t size)
{
	if (s->sysinfo && s->sysinfo->hostname)
		return s->sysinfo->hostname(s->sysinfo_userdata, buf, size);
	return system_hostname(NULL, buf, size);
}

static int sysinfo_canonical_name(struct hv_kvp_service *s, const char *host, char **ret)
{
	if (s->sysinfo && s->sysinfo->canonical_name)
		return s->sysinfo->canonical_name(s->sysinfo_userdata, host, ret);
	return system_canonical_name(NULL, host, ret);
}

static int sysinfo_addresses(struct hv_kvp_service *s, int family, char **ret)
{
	if (s->sysinfo && s->sysinfo->addresses)
		return s->sysinfo->addresses(s->sysinfo_userdata, family, ret);
	/* The filtered list: same interfaces as GET_IP_INFO reports. */
	return hv_kvp_ipinfo_addresses(s->ipinfo, family, ret);
}

/* --- construction ---------------------------------------------------------- */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000;
}

struct hv_kvp_service *hv_kvp_service_free(struct hv_kvp_service *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < HV_KVP_POOL_COUNT; i++)
		hv_kvp_store_free(s->stores[i]);
	hv_kvp_ipinfo_free(s->ipinfo);
	free(s->fqdn);
	free(s->setip_legacy_script);
	free(s->setip_staging_directory);
	free(s->setip_netplan_command);
	free(s);
	return NULL;
}

void hv_kvp_service_setip_options_from_config(const struct hv_kvp_service_config *cfg,
					      struct hv_kvp_setip_options *ret)
{
	*ret = (struct hv_kvp_setip_options){
		.backend = (enum hv_kvp_setip_backend)cfg->set_ip_backend,
		.legacy_fallback = cfg->set_ip_legacy_fallback,
		.legacy_script = cfg->set_ip_legacy_script,
		.staging_directory = cfg->set_ip_staging_directory,
		.netplan_command = cfg->set_ip_netplan_command,
		.timeout_usec = cfg->set_ip_timeout_usec,
	};
}

static int strdup_or_null(const char *s, char **ret)
{
	char *c = NULL;

	if (s) {
		c = strdup(s);
		if (!c)
			return -ENOMEM;
	}
	free(*ret);
	*ret = c;
	return 0;
}

int hv_kvp_service_set_setip_options(struct hv_kvp_service *s, const struct hv_kvp_setip_options *o)
{
	static const struct hv_kvp_setip_options defaults = { .backend = HV_KVP_SETIP_AUTO };
	_cleanup_free_ char *script = NULL, *staging = NULL, *netplan = NULL;

	if (!o)
		o = &defaults;
	if (strdup_or_null(o->legacy_script, &script) < 0 ||
	    strdup_or_null(o->staging_directory, &staging) < 0 ||
	    strdup_or_null(o->netplan_command, &netplan) < 0)
		return -ENOMEM;
	free(s->setip_legacy_script);
	free(s->setip_staging_directory);
	free(s->setip_netplan_command);
	s->setip_legacy_script = TAKE_PTR(script);
	s->setip_staging_directory = TAKE_PTR(staging);
	s->setip_netplan_command = TAKE_PTR(netplan);
	s->setip = *o;
	s->setip.path = s->path;
	s->setip.legacy_script = s->setip_legacy_script;
	s->setip.staging_directory = s->setip_staging_directory;
	s->setip.netplan_command = s->setip_netplan_command;
	return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_kvp_service *, hv_kvp_service_free);

int hv_kvp_service_new(const struct hv_kvp_service_options *opts, struct hv_kvp_service **ret)
{
	static const struct hv_kvp_service_options defaults = {};
	_cleanup_(hv_kvp_service_freep) struct hv_kvp_service *s = NULL;
	_cleanup_free_ char *dir = NULL;
	struct hv_kvp_store_options store_opts = {};
	struct hv_kvp_ipinfo_options ipinfo_opts = {};
	int r;

	if (!ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = opts->path;
	s->sysinfo = opts->sysinfo;
	s->sysinfo_userdata = opts->sysinfo_userdata;
	s->fqdn_ttl_usec = opts->fqdn_ttl_usec ?: HV_KVP_SERVICE_DEFAULT_FQDN_TTL_USEC;
	hv_kvp_service_set_version(s, NULL);

	ipinfo_opts.path = opts->path;
	ipinfo_opts.netlink = opts->netlink;
	ipinfo_opts.netlink_userdata = opts->netlink_userdata;
	ipinfo_opts.report_interfaces = opts->report_interfaces;
	ipinfo_opts.exclude_interfaces = opts->exclude_interfaces;
	r = hv_kvp_ipinfo_new(&ipinfo_opts, &s->ipinfo);
	if (r < 0)
		return r;
	r = hv_kvp_service_set_setip_options(s, opts->setip);
	if (r < 0)
		return r;

	dir = hv_path_get(opts->path, opts->pool_directory ?: HV_KVP_SERVICE_DEFAULT_POOL_DIRECTORY);
	if (!dir)
		return -ENOMEM;
	r = hv_mkdir_p(dir, 0755); /* each new component 0755 (§5.4) */
	if (r < 0)
		return hv_log_err_errno(r, "Failed to create the pool directory '%s': %m", dir);

	store_opts.max_records = opts->max_records;
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		r = hv_kvp_store_open(dir, pool, &store_opts, &s->stores[pool]);
		if (r < 0)
			return hv_log_err_errno(r, "Failed to open pool %u in '%s': %m", pool, dir);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

void hv_kvp_service_set_version(struct hv_kvp_service *s, const char *version)
{
	if (!version || !version[0])
		version = HV_KVP_SERVICE_UNKNOWN_VERSION;
	snprintf(s->version, sizeof(s->version), "%s", version);
}

int hv_kvp_service_set_interface_filter(struct hv_kvp_service *s, char *const *report_interfaces,
					char *const *exclude_interfaces)
{
	return hv_kvp_ipinfo_set_filter(s->ipinfo, report_interfaces, exclude_interfaces);
}

uint64_t hv_kvp_service_get_requests(const struct hv_kvp_service *s)
{
	return s->requests;
}

uint64_t hv_kvp_service_get_rejected(const struct hv_kvp_service *s)
{
	return s->rejected;
}

/* --- intrinsic items (pool 2, §5.3 table) ---------------------------------- */

enum intrinsic {
	INTRINSIC_FQDN,
	INTRINSIC_INTEGRATION_SERVICES_VERSION,
	INTRINSIC_NETWORK_ADDRESS_IPV4,
	INTRINSIC_NETWORK_ADDRESS_IPV6,
	INTRINSIC_OS_BUILD_NUMBER,
	INTRINSIC_OS_NAME,
	INTRINSIC_OS_MAJOR_VERSION,
	INTRINSIC_OS_MINOR_VERSION,
	INTRINSIC_OS_VERSION,
	INTRINSIC_PROCESSOR_ARCHITECTURE,
	_INTRINSIC_MAX,
};

static const char *const intrinsic_keys[_INTRINSIC_MAX] = {
	[INTRINSIC_FQDN] = "FullyQualifiedDomainName",
	[INTRINSIC_INTEGRATION_SERVICES_VERSION] = "IntegrationServicesVersion",
	[INTRINSIC_NETWORK_ADDRESS_IPV4] = "NetworkAddressIPv4",
	[INTRINSIC_NETWORK_ADDRESS_IPV6] = "NetworkAddressIPv6",
	[INTRINSIC_OS_BUILD_NUMBER] = "OSBuildNumber",
	[INTRINSIC_OS_NAME] = "OSName",
	[INTRINSIC_OS_MAJOR_VERSION] = "OSMajorVersion",
	[INTRINSIC_OS_MINOR_VERSION] = "OSMinorVersion",
	[INTRINSIC_OS_VERSION] = "OSVersion",
	[INTRINSIC_PROCESSOR_ARCHITECTURE] = "ProcessorArchitecture",
};

_Static_assert(_INTRINSIC_MAX == HV_KVP_SERVICE_N_INTRINSICS, "intrinsic table size");

/* Copy src into the reply value, cut at a UTF-8 character boundary. */
static void set_value(struct hv_kvp_msg *m, const char *src)
{
	size_t n = strnlen(src, sizeof(m->value) - 1);

	while (n > 0 && !hv_utf8_is_valid(src, n))
		n--;
	memcpy(m->value, src, n);
	m->value[n] = '\0';
}

static int intrinsic_fqdn(struct hv_kvp_service *s, struct hv_kvp_msg *m)
{
	char host[HOST_NAME_MAX + 1] = "";
	uint64_t now = now_usec();
	char *canon = NULL;
	int r;

	r = sysinfo_hostname(s, host, sizeof(host));
	if (r < 0)
		return hv_log_warning_errno(r, "Failed to get the hostname: %m");
	if (!s->fqdn_valid || strcmp(s->fqdn_host, host) != 0 || now - s->fqdn_when >= s->fqdn_ttl_usec) {
		r = sysinfo_canonical_name(s, host, &canon);
		if (r < 0)
			hv_log_debug_errno(r, "No canonical name for '%s', using the hostname: %m", host);
		free(s->fqdn);
		s->fqdn = r < 0 ? NULL : canon;
		snprintf(s->fqdn_host, sizeof(s->fqdn_host), "%s", host);
		s->fqdn_when = now;
		s->fqdn_valid = true;
	}
	/* §11.9: on failure the plain hostname, never an error text. */
	set_value(m, s->fqdn ?: host);
	return 0;
}

/* Undo os-release quoting: surrounding quotes removed, "\x" -> "x". */
static void unquote(char *v)
{
	char *w = v, q = 0;

	if (*v == '"' || *v == '\'')
		q = *v++;
	for (; *v; v++) {
		if (q && *v == q && v[1] == '\0')
			break;
		if (*v == '\\' && v[1])
			v++;
		*w++ = *v;
	}
	*w = '\0';
}

/* Value of KEY= in os-release text, unquoted, into out; false if absent. */
static bool os_release_field(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *end = strchrnul(line, '\n');

		if ((size_t)(end - line) <= klen || strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		snprintf(out, size, "%.*s", (int)(end - line - klen - 1), line + klen + 1);
		unquote(out);
		return true;
	}
	return false;
}

/* Line n (0-based) of text into out; false if there is none. */
static bool nth_line(const char *text, unsigned n, char *out, size_t size)
{
	const char *line = text;

	for (; n > 0 && line; n--) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line || !*line)
		return false;
	snprintf(out, size, "%.*s", (int)(strchrnul(line, '\n') - line), line);
	return true;
}

/*
 * OSName, OSMajorVersion, OSMinorVersion with the reference's sources and
 * fallbacks (§5.3 table): os-release NAME and VERSION_ID; else lines 1..3
 * of /etc/SuSE-release or /etc/redhat-release; else sysname, "", "".
 * /usr/lib/os-release is also tried after /etc/os-release, as os-release(5)
 * asks of every reader.
 */
static int intrinsic_os(struct hv_kvp_service *s, enum intrinsic which, struct hv_kvp_msg *m)
{
	static const char *const os_release[] = { "/etc/os-release", "/usr/lib/os-release" };
	static const char *const legacy[] = { "/etc/SuSE-release", "/etc/redhat-release" };
	_cleanup_free_ char *text = NULL;
	struct utsname u;
	int r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(os_release) && r < 0; i++)
		r = hv_path_read_text(s->path, os_release[i], 0, &text);
	if (r >= 0) {
		switch (which) {
		case INTRINSIC_OS_NAME:
			if (os_release_field(text, "NAME", m->value, sizeof(m->value)))
				return 0;
			break;
		case INTRINSIC_OS_MAJOR_VERSION:
			(void)os_release_field(text, "VERSION_ID", m->value, sizeof(m->value));
			return 0;
		case INTRINSIC_OS_MINOR_VERSION:
			return 0;
		default:
			return -EINVAL;
		}
	} else {
		for (size_t i = 0; i < ELEMENTSOF(legacy) && r < 0; i++)
			r = hv_path_read_text(s->path, legacy[i], 0, &text);
		if (r >= 0 && nth_line(text, which - INTRINSIC_OS_NAME, m->value, sizeof(m->value)))
			return 0;
		if (which != INTRINSIC_OS_NAME)
			return 0;
	}
	if (uname(&u) < 0)
		return -errno;
	set_value(m, u.sysname);
	return 0;
}

static int intrinsic_value(struct hv_kvp_service *s, enum intrinsic which, struct hv_kvp_msg *m)
{
	_cleanup_free_ char *list = NULL;
	struct utsname u;
	int r;

	switch (which) {
	case INTRINSIC_FQDN:
		return intrinsic_fqdn(s, m);
	case INTRINSIC_INTEGRATION_SERVICES_VERSION:
		set_value(m, s->version);
		return 0;
	case INTRINSIC_NETWORK_ADDRESS_IPV4:
	case INTRINSIC_NETWORK_ADDRESS_IPV6:
		r = sysinfo_addresses(s, which == INTRINSIC_NETWORK_ADDRESS_IPV4 ? AF_INET : AF_INET6, &list);
		if (r < 0)
			return hv_log_warning_errno(r, "Failed to list the interface addresses: %m");
		set_value(m, list);
		return 0;
	case INTRINSIC_OS_NAME:
	case INTRINSIC_OS_MAJOR_VERSION:
	case INTRINSIC_OS_MINOR_VERSION:
		return intrinsic_os(s, which, m);
	case INTRINSIC_OS_BUILD_NUMBER:
	case INTRINSIC_OS_VERSION:
	case INTRINSIC_PROCESSOR_ARCHITECTURE:
		if (uname(&u) < 0)
			return -errno;
		if (which == INTRINSIC_PROCESSOR_ARCHITECTURE)
			set_value(m, u.machine);
		else
			set_value(m, u.release);
		if (which == INTRINSIC_OS_VERSION)
			m->value[strcspn(m->value, "-")] = '\0';
		return 0;
	case _INTRINSIC_MAX:
		break;
	}
	return -ENOENT;
}

/* --- the ops --------------------------------------------------------------- */

static int do_set(struct hv_kvp_service *s, const struct hv_kvp_msg *req)
{
	int r;

	r = hv_kvp_store_set(s->stores[req->pool], req->key, strlen(req->key), req->value, strlen(req->value));
	if (r < 0)
		return hv_log_warning_errno(r, "Failed to set '%s' in pool %u: %m", req->key, req->pool);
	hv_log_debug("Pool %u: %s '%s'", req->pool, r > 0 ? "added" : "modified", req->key);
	return 0;
}

static int do_get(struct hv_kvp_service *s, const struct hv_kvp_msg *req, struct hv_kvp_msg *reply)
{
	const char *value;
	int r;

	r = hv_kvp_store_get(s->stores[req->pool], req->key, strlen(req->key), &value);
	if (r < 0)
		return r;
	memcpy(reply->key, req->key, sizeof(reply->key));
	set_value(reply, value);
	reply->value_type = HV_KVP_REG_SZ;
	return 0;
}

static int do_delete(struct hv_kvp_service *s, const struct hv_kvp_msg *req)
{
	int r;

	r = hv_kvp_store_delete(s->stores[req->pool], req->key, strlen(req->key));
	if (r < 0)
		return r;
	hv_log_debug("Pool %u: deleted '%s'", req->pool, req->key);
	return 0;
}

static int do_get_ip_info(struct hv_kvp_service *s, const struct hv_kvp_msg *req, struct hv_kvp_msg *reply)
{
	int r;

	r = hv_kvp_ipinfo_get(s->ipinfo, &req->ip, &reply->ip);
	if (r == -EBADMSG)
		s->rejected++; /* logged by kvp-ipinfo */
	return r;
}

static int do_enumerate(struct hv_kvp_service *s, const struct hv_kvp_msg *req, struct hv_kvp_msg *reply)
{
	const char *key, *value;
	int r;

	reply->index = req->index;
	reply->value_type = HV_KVP_REG_SZ;
	if (req->pool == HV_KVP_POOL_AUTO) {
		if (req->index >= _INTRINSIC_MAX)
			return -ENOENT;
		r = intrinsic_value(s, (enum intrinsic)req->index, reply);
		if (r < 0)
			return r;
		snprintf(reply->key, sizeof(reply->key), "%s", intrinsic_keys[req->index]);
		return 0;
	}
	r = hv_kvp_store_enumerate(s->stores[req->pool], req->index, &key, &value);
	if (r < 0)
		return r;
	snprintf(reply->key, sizeof(reply->key), "%s", key);
	set_value(reply, value);
	return 0;
}

int hv_kvp_service_handle(struct hv_kvp_service *s, const struct hv_kvp_msg *req,
			  struct hv_kvp_msg *ret_reply)
{
	struct hv_kvp_msg *reply = ret_reply;
	int r;

	memset(reply, 0, sizeof(*reply));
	reply->op = req->op;
	reply->pool = req->pool;
	s->requests++;

	/* hv_kvp_msg_decode() already refuses pool >= 5 for the four pool ops;
	 * checked again because this function is public (§11.1). */
	if (req->op <= HV_KVP_OP_ENUMERATE && req->pool >= HV_KVP_POOL_COUNT) {
		s->rejected++;
		reply->error = HV_E_FAIL;
		return hv_log_warning_errno(-EBADMSG, "KVP request for pool %u refused: %m", req->pool);
	}

	switch (req->op) {
	case HV_KVP_OP_SET:
		r = do_set(s, req);
		break;
	case HV_KVP_OP_GET:
		r = do_get(s, req, reply);
		break;
	case HV_KVP_OP_DELETE:
		r = do_delete(s, req);
		break;
	case HV_KVP_OP_ENUMERATE:
		r = do_enumerate(s, req, reply);
		break;
	case HV_KVP_OP_GET_IP_INFO:
		r = do_get_ip_info(s, req, reply);
		break;
	case HV_KVP_OP_SET_IP_INFO:
		/* Every outcome is logged inside, once. */
		r = hv_kvp_setip_apply(&s->setip, &req->ip, NULL);
		if (r == -EINVAL)
			s->rejected++;
		break;
	default:
		/* The reference answers unknown ops with success (§5.3). */
		hv_log_debug("Unknown KVP operation %u, answering HV_S_OK", req->op);
		reply->error = HV_S_OK;
		return 0;
	}
	reply->error = hv_status_from_errno(r);
	return r;
}

int hv_kvp_service_encode_reply(const struct hv_kvp_msg *reply, uint8_t *buf, size_t len)
{
	struct hv_kvp_msg layout;

	if (reply->op != HV_KVP_OP_GET)
		return hv_kvp_msg_encode_reply(reply, buf, len);
	/*
	 * §5.2, §11.3: the kernel copies a GET reply's value from the
	 * kvp_enum_data value offset (532), not from the kvp_get offset (528)
	 * where hv_kvp_msg_encode_reply() and the reference put it.  Laying the
	 * reply out as ENUMERATE puts the value exactly where it is read; the
	 * op byte itself is overwritten by error and the kernel uses its own
	 * saved op, so nothing else changes.
	 */
	layout = *reply;
	layout.op = HV_KVP_OP_ENUMERATE;
	layout.index = 0;
	return hv_kvp_msg_encode_reply(&layout, buf, len);
}

int hv_kvp_service_process(struct hv_kvp_service *s, const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_len)
{
	_cleanup_free_ struct hv_kvp_msg *req = NULL, *reply = NULL;
	int r;

	if (!out || out_len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	req = calloc(1, sizeof(*req));
	reply = calloc(1, sizeof(*reply));
	if (!req || !reply)
		return -ENOMEM;

	r = hv_kvp_msg_decode(in, in_len, req);
	if (r < 0) {
		/* Untrusted host input (§11.1, §11.2): refuse, change nothing. */
		s->requests++;
		s->rejected++;
		hv_log_warning_errno(r, "Malformed KVP request (op %u, pool %u), answering HV_E_FAIL: %m",
				     in_len > 0 ? in[HV_KVP_OFF_OPERATION] : 0,
				     in_len > 1 ? in[HV_KVP_OFF_POOL] : 0);
		reply->op = in_len > 0 ? in[HV_KVP_OFF_OPERATION] : 0;
		reply->pool = in_len > 1 ? in[HV_KVP_OFF_POOL] : 0;
		reply->error = hv_status_from_errno(r);
		/* No body for a request we could not read: the kernel sends the
		 * host only the status when it is not HV_S_OK (§5.2), and 0xff is
		 * an op the encoder gives no body. */
		reply->op = 0xff;
		return hv_kvp_msg_encode_reply(reply, out, out_len);
	}
	(void)hv_kvp_service_handle(s, req, reply);
	return hv_kvp_service_encode_reply(reply, out, out_len);
}
