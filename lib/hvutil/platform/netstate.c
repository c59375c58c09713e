/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DNS and DHCP state from the network managers' files (see netstate.h).
 *
 * Design: pure text parsers (fuzzed) under thin readers that go through
 * the path context.  A file that is missing, unreadable or oversized
 * counts as "this source does not know", never as an error of the whole
 * question: the host gets what the other sources say.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/netstate.h"

#define RESOLVED_RESOLV_CONF "/run/systemd/resolve/resolv.conf"
#define RESOLVED_LINK_DIR "/run/systemd/resolve/netif"
#define NETWORKD_LINK_DIR "/run/systemd/netif/links"
#define NM_DEVICE_DIR "/run/NetworkManager/devices"
#define IFUPDOWN_STATE_DIR "/run/network"
#define IFUPDOWN_INTERFACES "/etc/network/interfaces"
#define IFUPDOWN_MAX_DEPTH 4

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

static int strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

/* --- DNS tokens ------------------------------------------------------------------ */

bool hv_netstate_dns_add(struct hv_netstate_dns *dns, const char *token)
{
	char buf[128], *s = buf, *e;
	uint8_t bin[16];
	struct hv_netstate_dns_server srv = {};

	if (!token || snprintf(buf, sizeof(buf), "%s", token) >= (int)sizeof(buf))
		return false;
	/* "#server-name" (DNS-over-TLS) and "%scope" are not part of the address. */
	buf[strcspn(buf, "#")] = '\0';
	if (*s == '[') {
		s++;
		e = strchr(s, ']');
		if (!e)
			return false;
		*e = '\0';
	} else if (strchr(s, '.') && (e = strchr(s, ':')) && !strchr(e + 1, ':')) {
		*e = '\0'; /* "192.0.2.53:53" */
	}
	s[strcspn(s, "%")] = '\0';
	if (inet_pton(AF_INET, s, bin) == 1)
		srv.family = AF_INET;
	else if (inet_pton(AF_INET6, s, bin) == 1)
		srv.family = AF_INET6;
	else
		return false;
	if (!inet_ntop(srv.family, bin, srv.text, sizeof(srv.text)))
		return false;
	for (size_t i = 0; i < dns->n; i++)
		if (strcmp(dns->servers[i].text, srv.text) == 0)
			return true;
	if (dns->n >= HV_NETSTATE_MAX_DNS)
		return false;
	dns->servers[dns->n++] = srv;
	return true;
}

void hv_netstate_parse_dns_list(const char *value, struct hv_netstate_dns *dns)
{
	for (const char *p = value; p && *p;) {
		size_t n = strcspn(p, " \t\n");
		char tok[128];

		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			(void)hv_netstate_dns_add(dns, tok);
		}
		p += n;
		p += strspn(p, " \t\n");
	}
}

/* Every line of text as (line, len), without its newline.  No `break`
 * inside: it would only leave the inner one-shot loop. */
#define FOREACH_LINE(text, line, len)                                                                   \
	for (const char *line = (text), *_nl = NULL; line && *line; line = _nl ? _nl + 1 : NULL)                  \
		for (size_t len = (size_t)((_nl = strchr(line, '\n')) ? _nl - line : (ptrdiff_t)strlen(line)), \
			    _once = 1;                                                                          \
		     _once; _once = 0)

void hv_netstate_parse_resolv_conf(const char *text, struct hv_netstate_dns *dns)
{
	FOREACH_LINE(text, line, len)
	{
		char buf[256], *p, *tok;

		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		p = buf + strspn(buf, " \t");
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10;
		p += strspn(p, " \t");
		tok = p;
		p[strcspn(p, " \t\r#;")] = '\0';
		(void)hv_netstate_dns_add(dns, tok);
	}
}

/* --- KEY=VALUE and keyfile text ---------------------------------------------------- */

static char *strip_dup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		s++, n -= 2;
	return strndup(s, n);
}

int hv_netstate_env_get(const char *text, const char *key, char **ret)
{
	size_t klen = strlen(key);

	FOREACH_LINE(text, line, len)
	{
		char *v;

		if (len <= klen || strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v = strip_dup(line + klen + 1, len - klen - 1);
		if (!v)
			return -ENOMEM;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

/* Is line "[group]" (surrounding blanks allowed)? */
static bool is_group(const char *line, size_t len, const char *group)
{
	size_t glen = strlen(group);

	while (len > 0 && isspace((unsigned char)*line))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	return len == glen + 2 && line[0] == '[' && line[len - 1] == ']' && strncmp(line + 1, group, glen) == 0;
}

static bool is_any_group(const char *line, size_t len)
{
	while (len > 0 && isspace((unsigned char)*line))
		line++, len--;
	return len > 0 && line[0] == '[';
}

int hv_netstate_keyfile_get(const char *text, const char *group, const char *key, char **ret)
{
	size_t klen = strlen(key);
	bool in = false;

	FOREACH_LINE(text, line, len)
	{
		const char *p = line, *eq;
		size_t n = len;
		char *v;

		if (is_any_group(line, len)) {
			in = is_group(line, len, group);
			continue;
		}
		if (!in)
			continue;
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		eq = memchr(p, '=', n);
		if (!eq)
			continue;
		/* "key = value": blanks around '=' are allowed by GLib. */
		{
			size_t kn = (size_t)(eq - p);

			while (kn > 0 && isspace((unsigned char)p[kn - 1]))
				kn--;
			if (kn != klen || strncmp(p, key, klen) != 0)
				continue;
		}
		v = strip_dup(eq + 1, n - (size_t)(eq - p) - 1);
		if (!v)
			return -ENOMEM;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

bool hv_netstate_keyfile_has_group(const char *text, const char *group)
{
	FOREACH_LINE(text, line, len)
	if (is_group(line, len, group))
		return true;
	return false;
}

/* --- /etc/network/interfaces ------------------------------------------------------ */

/* The next blank-separated word of *p (advanced), copied into buf. */
static bool next_word(const char **p, const char *end, char *buf, size_t size)
{
	const char *s = *p;
	size_t n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	n = 0;
	while (s + n < end && s[n] != ' ' && s[n] != '\t')
		n++;
	*p = s + n;
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

int hv_netstate_parse_interfaces(const char *text, const char *iface, struct hv_netstate_dhcp *dhcp,
				 char ***ret_includes)
{
	_cleanup_(strv_freep) char **inc = NULL;
	size_t n_inc = 0;
	int r;

	FOREACH_LINE(text, line, len)
	{
		const char *p = line, *end = line + len;
		char w[256], name[256], fam[16], method[64];

		if (!next_word(&p, end, w, sizeof(w)) || w[0] == '#')
			continue;
		if (strcmp(w, "iface") == 0) {
			int v;

			if (!next_word(&p, end, name, sizeof(name)) || !next_word(&p, end, fam, sizeof(fam)) ||
			    !next_word(&p, end, method, sizeof(method)) || strcmp(name, iface) != 0)
				continue;
			v = strcmp(method, "dhcp") == 0 ? HV_NETSTATE_YES : HV_NETSTATE_NO;
			if (strcmp(fam, "inet") == 0)
				dhcp->v4 = v;
			else if (strcmp(fam, "inet6") == 0)
				dhcp->v6 = v;
		} else if (ret_includes && (strcmp(w, "source") == 0 || strcmp(w, "source-directory") == 0)) {
			bool dir = w[6] == '-';
			char *s;

			if (!next_word(&p, end, name, sizeof(name)))
				continue;
			if (n_inc >= 64)
				continue; /* a cap: nobody includes more */
			if (dir)
				r = asprintf(&s, "%s/*", name) < 0 ? -ENOMEM : 0;
			else
				r = (s = strdup(name)) ? 0 : -ENOMEM;
			if (r < 0)
				return r;
			r = strv_push(&inc, &n_inc, s);
			if (r < 0)
				return r;
		}
	}
	if (ret_includes)
		*ret_includes = TAKE_PTR(inc);
	return 0;
}

/* --- readers ------------------------------------------------------------------------ */

static char *read_file(const struct hv_path *path, const char *abs)
{
	char *text = NULL;

	if (hv_path_read_text(path, abs, HV_NETSTATE_MAX_FILE, &text) < 0)
		return NULL;
	return text;
}

static char *read_filef(const struct hv_path *path, const char *fmt, ...) _printf_(2, 3);
static char *read_filef(const struct hv_path *path, const char *fmt, ...)
{
	_cleanup_free_ char *abs = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&abs, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	return read_file(path, abs);
}

int hv_netstate_get_dns(const struct hv_path *path, int ifindex, struct hv_netstate_dns *ret)
{
	_cleanup_free_ char *text = NULL, *value = NULL;
	struct hv_netstate_dns dns = {};

	text = read_file(path, RESOLVED_RESOLV_CONF);
	if (text) {
		_cleanup_free_ char *link = read_filef(path, RESOLVED_LINK_DIR "/%d", ifindex);

		if (link && hv_netstate_env_get(link, "SERVERS", &value) >= 0)
			hv_netstate_parse_dns_list(value, &dns);
		if (dns.n == 0) {
			_cleanup_free_ char *nd = read_filef(path, NETWORKD_LINK_DIR "/%d", ifindex);
			_cleanup_free_ char *v = NULL;

			if (nd && hv_netstate_env_get(nd, "DNS", &v) >= 0)
				hv_netstate_parse_dns_list(v, &dns);
		}
		dns.source = "systemd-resolved (link)";
		if (dns.n == 0) {
			hv_netstate_parse_resolv_conf(text, &dns);
			dns.source = "systemd-resolved";
		}
		if (dns.n > 0) {
			*ret = dns;
			return 0;
		}
	}
	free(text);
	text = read_file(path, "/etc/resolv.conf");
	if (text)
		hv_netstate_parse_resolv_conf(text, &dns);
	dns.source = dns.n > 0 ? "/etc/resolv.conf" : NULL;
	*ret = dns;
	return 0;
}

static bool parse_bool(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0);
}

/* systemd-networkd; 1 when it manages the link (ret filled), 0 when not. */
static int dhcp_networkd(const struct hv_path *path, int ifindex, struct hv_netstate_dhcp *ret)
{
	_cleanup_free_ char *text = read_filef(path, NETWORKD_LINK_DIR "/%d", ifindex);
	_cleanup_free_ char *admin = NULL, *lease = NULL, *network = NULL;

	if (!text)
		return 0;
	if (hv_netstate_env_get(text, "ADMIN_STATE", &admin) < 0 || strcmp(admin, "unmanaged") == 0 ||
	    strcmp(admin, "pending") == 0 || hv_netstate_env_get(text, "NETWORK_FILE", &network) < 0)
		return 0;
	ret->v4 = hv_netstate_env_get(text, "DHCP_LEASE", &lease) >= 0 && lease[0] ? HV_NETSTATE_YES : HV_NETSTATE_NO;
	ret->source = "systemd-networkd";
	return 1;
}

/* The NetworkManager profile with that uuid: its text, or NULL. */
static char *nm_profile(const struct hv_path *path, const char *uuid)
{
	static const char *const dirs[] = { "/etc/NetworkManager/system-connections",
					    "/run/NetworkManager/system-connections" };

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		DIR *d = hv_path_opendir(path, dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			_cleanup_free_ char *v = NULL;
			char *text;

			if (de->d_name[0] == '.')
				continue;
			text = read_filef(path, "%s/%s", dirs[i], de->d_name);
			if (!text)
				continue;
			if (hv_netstate_keyfile_get(text, "connection", "uuid", &v) >= 0 && strcasecmp(v, uuid) == 0) {
				closedir(d);
				return text;
			}
			free(text);
		}
		closedir(d);
	}
	return NULL;
}

static int dhcp_networkmanager(const struct hv_path *path, int ifindex, struct hv_netstate_dhcp *ret)
{
	_cleanup_free_ char *text = read_filef(path, NM_DEVICE_DIR "/%d", ifindex);
	_cleanup_free_ char *managed = NULL, *uuid = NULL, *profile = NULL;

	if (!text)
		return 0;
	if (hv_netstate_keyfile_get(text, "device", "managed", &managed) < 0 || !parse_bool(managed))
		return 0;
	ret->source = "NetworkManager";
	if (hv_netstate_keyfile_has_group(text, "dhcp4"))
		ret->v4 = HV_NETSTATE_YES;
	if (hv_netstate_keyfile_has_group(text, "dhcp6"))
		ret->v6 = HV_NETSTATE_YES;
	if (hv_netstate_keyfile_get(text, "device", "connection-uuid", &uuid) >= 0)
		profile = nm_profile(path, uuid);
	if (profile) {
		_cleanup_free_ char *m4 = NULL, *m6 = NULL;

		if (ret->v4 == HV_NETSTATE_UNKNOWN)
			ret->v4 = hv_netstate_keyfile_get(profile, "ipv4", "method", &m4) >= 0 && strcmp(m4, "auto") != 0
					  ? HV_NETSTATE_NO
					  : HV_NETSTATE_YES; /* auto is the keyfile default */
		if (ret->v6 == HV_NETSTATE_UNKNOWN && hv_netstate_keyfile_get(profile, "ipv6", "method", &m6) >= 0)
			ret->v6 = strcmp(m6, "dhcp") == 0 ? HV_NETSTATE_YES : HV_NETSTATE_NO;
	}
	return 1;
}

static bool include_name_ok(const char *name)
{
	/* ifupdown's source-directory takes only names of [A-Za-z0-9_-]. */
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return false;
	return *name != '\0';
}

static int ifupdown_file(const struct hv_path *path, const char *abs, const char *iface, struct hv_netstate_dhcp *d,
			 unsigned depth)
{
	_cleanup_free_ char *text = read_file(path, abs);
	_cleanup_(strv_freep) char **inc = NULL;
	int r;

	if (!text)
		return 0;
	r = hv_netstate_parse_interfaces(text, iface, d, depth < IFUPDOWN_MAX_DEPTH ? &inc : NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; inc && inc[i]; i++) {
		_cleanup_free_ char *pattern = NULL;
		size_t plen = strlen(inc[i]);
		bool dir = plen >= 2 && strcmp(inc[i] + plen - 2, "/*") == 0;
		glob_t g;

		/* Relative names are relative to /etc/network (interfaces(5)). */
		pattern = inc[i][0] == '/' ? hv_path_get(path, inc[i]) : hv_path_getf(path, "/etc/network/%s", inc[i]);
		if (!pattern)
			return -ENOMEM;
		if (glob(pattern, GLOB_NOSORT | GLOB_NOCHECK, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++) {
			const char *full = g.gl_pathv[k], *base = strrchr(full, '/');
			const char *root = hv_path_root(path);
			size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);

			if (dir && !include_name_ok(base ? base + 1 : full))
				continue;
			if (strncmp(full, root, rl) != 0)
				continue;
			r = ifupdown_file(path, full + rl, iface, d, depth + 1);
			if (r < 0)
				break;
		}
		globfree(&g);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dhcp_ifupdown(const struct hv_path *path, const char *ifname, struct hv_netstate_dhcp *ret)
{
	_cleanup_free_ char *one = read_filef(path, IFUPDOWN_STATE_DIR "/ifstate.%s", ifname);
	_cleanup_free_ char *all = NULL, *logical = NULL;
	struct hv_netstate_dhcp d = { HV_NETSTATE_UNKNOWN, HV_NETSTATE_UNKNOWN, NULL };
	int r;

	/* "<if>=<logical>" in either file; the stanza is the logical name's. */
	if (one && hv_netstate_env_get(one, ifname, &logical) < 0)
		logical = NULL;
	if (!logical) {
		all = read_file(path, IFUPDOWN_STATE_DIR "/ifstate");
		if (!all || hv_netstate_env_get(all, ifname, &logical) < 0)
			return 0;
	}
	if (!logical[0])
		return 0;
	r = ifupdown_file(path, IFUPDOWN_INTERFACES, logical, &d, 0);
	if (r < 0)
		return r;
	if (d.v4 == HV_NETSTATE_UNKNOWN && d.v6 == HV_NETSTATE_UNKNOWN)
		return 0;
	*ret = d;
	ret->source = "ifupdown";
	return 1;
}

/* A pid file naming a live process whose comm starts with prog. */
static bool pidfile_alive(const struct hv_path *path, const char *pidfile, const char *prog)
{
	_cleanup_free_ char *text = read_file(path, pidfile), *comm = NULL;
	char *end;
	long pid;

	if (!text)
		return false;
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || end == text || pid <= 0 || pid > INT32_MAX)
		return false;
	comm = read_filef(path, "/proc/%ld/comm", pid);
	return comm && strncmp(comm, prog, strlen(prog)) == 0;
}

static int dhcp_dhclient(const struct hv_path *path, const char *ifname, struct hv_netstate_dhcp *ret)
{
	_cleanup_free_ char *p4 = NULL, *p6 = NULL;

	if (asprintf(&p4, "/run/dhclient.%s.pid", ifname) < 0 || asprintf(&p6, "/run/dhclient6.%s.pid", ifname) < 0)
		return -ENOMEM;
	if (pidfile_alive(path, p4, "dhclient"))
		ret->v4 = HV_NETSTATE_YES;
	if (pidfile_alive(path, p6, "dhclient"))
		ret->v6 = HV_NETSTATE_YES;
	if (ret->v4 == HV_NETSTATE_UNKNOWN && ret->v6 == HV_NETSTATE_UNKNOWN)
		return 0;
	ret->source = "dhclient";
	return 1;
}

int hv_netstate_get_dhcp(const struct hv_path *path, int ifindex, const char *ifname, struct hv_netstate_dhcp *ret)
{
	struct hv_netstate_dhcp d = { HV_NETSTATE_UNKNOWN, HV_NETSTATE_UNKNOWN, NULL };
	int r;

	if (!ifname || !ifname[0] || strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	r = dhcp_networkd(path, ifindex, &d);
	if (r == 0)
		r = dhcp_networkmanager(path, ifindex, &d);
	if (r == 0)
		r = dhcp_ifupdown(path, ifname, &d);
	if (r == 0)
		r = dhcp_dhclient(path, ifname, &d);
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}
