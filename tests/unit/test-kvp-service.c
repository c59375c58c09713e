/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/kvp-service: the daemon's answers to every op on every pool,
 * pool 2 intrinsics computed when asked (with injected hostname, lookup and
 * address sources), malformed host input refused without touching the
 * pools, the GET reply that really reaches the host (through the kernel's
 * conversion, §5.2, §11.3), the [kvp] configuration section.
 *
 * Parameter structs hold arrays, never pointers: Criterion re-executes its
 * workers, so pointers into static data would not survive.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/config.h"
#include "platform/netlink-fake.h"
#include "platform/netmgr-fake.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"
#include "proto/wire.h"
#include "services/kvp-service.h"

#define REC HV_KVP_RECORD_SIZE
#define PAYLOAD (HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE)

static char dir[] = "/tmp/hv-test-kvpsvc-XXXXXX";
static char pools[300];

/* --- injected OS facts ----------------------------------------------------- */

static struct {
	char hostname[64];
	unsigned lookups;
	char ipv4[128];
	char ipv6[128];
} fake;

static int fake_hostname(void *userdata, char *buf, size_t size)
{
	snprintf(buf, size, "%s", fake.hostname);
	return 0;
}

/* Hosts named "good-*" resolve to "<host>.example.com", others fail. */
static int fake_canonical_name(void *userdata, const char *host, char **ret)
{
	fake.lookups++;
	if (strncmp(host, "good-", 5) != 0)
		return -EADDRNOTAVAIL;
	cr_assert_gt(asprintf(ret, "%s.example.com", host), 0);
	return 0;
}

static int fake_addresses(void *userdata, int family, char **ret)
{
	*ret = strdup(family == AF_INET ? fake.ipv4 : fake.ipv6);
	return *ret ? 0 : -ENOMEM;
}

static const struct hv_kvp_service_sysinfo fake_sysinfo = {
	.hostname = fake_hostname,
	.canonical_name = fake_canonical_name,
	.addresses = fake_addresses,
};

/* --- captured log ------------------------------------------------------------ */

static char logbuf[8192];
static unsigned log_lines;

static void capture(void *userdata, int level, const char *file, int line, const char *func,
		    const char *format, va_list ap)
{
	size_t n = strlen(logbuf);

	vsnprintf(logbuf + n, sizeof(logbuf) - n, format, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
	log_lines++;
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(pools, sizeof(pools), "%s/var/lib/hyperv", dir);
	memset(&fake, 0, sizeof(fake));
	strcpy(fake.hostname, "good-vm");
	strcpy(fake.ipv4, "10.0.0.4;192.168.1.7");
	strcpy(fake.ipv6, "fe80::1;2001:db8::4");
	logbuf[0] = '\0';
	log_lines = 0;
	hv_log_set_sink(capture, NULL);
	hv_log_set_max_level(HV_LOG_INFO);
}

static void teardown(void)
{
	char cmd[400];

	hv_log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(kvp_service, .init = setup, .fini = teardown);

static struct hv_kvp_service *new_service_full(const struct hv_path *path, uint32_t max_records)
{
	struct hv_kvp_service_options o = {
		.path = path,
		.pool_directory = path ? "/var/lib/hyperv" : pools,
		.max_records = max_records,
		.sysinfo = &fake_sysinfo,
	};
	struct hv_kvp_service *s = NULL;

	cr_assert_eq(hv_kvp_service_new(&o, &s), 0);
	return s;
}

static struct hv_kvp_service *new_service(void)
{
	return new_service_full(NULL, 0);
}

/* Run one request through hv_kvp_service_handle(); returns the status. */
static uint32_t call(struct hv_kvp_service *s, uint8_t op, uint8_t pool, const char *key, const char *value,
		     uint32_t index, struct hv_kvp_msg *reply)
{
	static struct hv_kvp_msg req, scratch;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.pool = pool;
	req.index = index;
	if (key) {
		snprintf(req.key, sizeof(req.key), "%s", key);
		req.key_size = strlen(key) + 1;
	}
	if (value) {
		snprintf(req.value, sizeof(req.value), "%s", value);
		req.value_size = strlen(value) + 1;
		req.value_type = HV_KVP_REG_SZ;
	}
	(void)hv_kvp_service_handle(s, &req, reply ?: &scratch);
	return (reply ?: &scratch)->error;
}

static off_t pool_size(unsigned pool)
{
	char p[400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/.kvp_pool_%u", pools, pool);
	cr_assert_eq(stat(p, &st), 0, "%s", p);
	return st.st_size;
}

/* --- set/get/delete/enumerate on every pool ------------------------------------ */

struct pool_case {
	unsigned pool;
	char key[16];
	char value[32];
};

ParameterizedTestParameters(kvp_service, pool_ops)
{
	static struct pool_case cases[] = {
		{ 0, "external", "from the host" },
		{ 1, "guest", "published by the guest" },
		{ 2, "auto", "stored in .kvp_pool_2" },
		{ 3, "autoext", "HostName" },
		{ 4, "autoint", "rarely used" },
	};
	return cr_make_param_array(struct pool_case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct pool_case *pc, kvp_service, pool_ops)
{
	struct hv_kvp_service *s = new_service();
	struct hv_kvp_msg r;

	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		cr_assert_eq(pool_size(p), 0, "pool %u created empty", p);

	cr_assert_eq(call(s, HV_KVP_OP_SET, pc->pool, pc->key, "first", 0, NULL), HV_S_OK);
	cr_assert_eq(call(s, HV_KVP_OP_SET, pc->pool, "second", "2", 0, NULL), HV_S_OK);
	cr_assert_eq(call(s, HV_KVP_OP_SET, pc->pool, pc->key, pc->value, 0, NULL), HV_S_OK, "modify");
	cr_assert_eq(pool_size(pc->pool), 2 * REC, "modified in place, not appended");

	cr_assert_eq(call(s, HV_KVP_OP_GET, pc->pool, pc->key, NULL, 0, &r), HV_S_OK);
	cr_assert_str_eq(r.value, pc->value, "GET answers the real value");
	cr_assert_eq(call(s, HV_KVP_OP_GET, pc->pool, "missing", NULL, 0, NULL), HV_S_CONT);

	if (pc->pool != HV_KVP_POOL_AUTO) {
		cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, pc->pool, NULL, NULL, 0, &r), HV_S_OK);
		cr_assert_str_eq(r.key, pc->key);
		cr_assert_str_eq(r.value, pc->value);
		cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, pc->pool, NULL, NULL, 1, &r), HV_S_OK);
		cr_assert_str_eq(r.key, "second");
		cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, pc->pool, NULL, NULL, 2, NULL), HV_S_CONT,
			     "index past the end ends the enumeration");
	} else {
		cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, pc->pool, NULL, NULL, 0, &r), HV_S_OK);
		cr_assert_str_eq(r.key, "FullyQualifiedDomainName", "pool 2 enumerates intrinsics, not the file");
	}

	cr_assert_eq(call(s, HV_KVP_OP_DELETE, pc->pool, pc->key, NULL, 0, NULL), HV_S_OK);
	cr_assert_eq(call(s, HV_KVP_OP_DELETE, pc->pool, pc->key, NULL, 0, NULL), HV_S_CONT, "second delete");
	cr_assert_eq(call(s, HV_KVP_OP_GET, pc->pool, pc->key, NULL, 0, NULL), HV_S_CONT);
	cr_assert_eq(pool_size(pc->pool), REC, "the gap is closed");
	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		if (p != pc->pool)
			cr_assert_eq(pool_size(p), 0, "pool %u untouched", p);
	hv_kvp_service_free(s);
}

Test(kvp_service, record_cap_from_options)
{
	struct hv_kvp_service *s = new_service_full(NULL, 2);

	cr_assert_eq(call(s, HV_KVP_OP_SET, 1, "a", "1", 0, NULL), HV_S_OK);
	cr_assert_eq(call(s, HV_KVP_OP_SET, 1, "b", "2", 0, NULL), HV_S_OK);
	cr_assert_eq(call(s, HV_KVP_OP_SET, 1, "c", "3", 0, NULL), HV_ERROR_DISK_FULL, "past the cap");
	cr_assert_eq(call(s, HV_KVP_OP_SET, 1, "a", "4", 0, NULL), HV_S_OK, "updates still work");
	cr_assert_eq(pool_size(1), 2 * REC);
	hv_kvp_service_free(s);
}

Test(kvp_service, pool_directory_created_0755)
{
	struct hv_kvp_service *s = new_service();
	struct stat st;

	cr_assert_eq(stat(pools, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0755);
	hv_kvp_service_free(s);
}

/* --- pool 2 intrinsics ------------------------------------------------------------ */

static const char *intrinsic(struct hv_kvp_service *s, uint32_t index, struct hv_kvp_msg *r)
{
	cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, HV_KVP_POOL_AUTO, NULL, NULL, index, r), HV_S_OK, "index %u",
		     index);
	return r->value;
}

Test(kvp_service, intrinsic_table)
{
	static const char *const keys[] = {
		"FullyQualifiedDomainName", "IntegrationServicesVersion", "NetworkAddressIPv4",
		"NetworkAddressIPv6", "OSBuildNumber", "OSName", "OSMajorVersion", "OSMinorVersion",
		"OSVersion", "ProcessorArchitecture",
	};
	struct hv_kvp_service *s = new_service();
	struct hv_kvp_msg r;
	struct utsname u;
	char release[sizeof(u.release)];

	cr_assert_eq(uname(&u), 0);
	for (uint32_t i = 0; i < ELEMENTSOF(keys); i++) {
		(void)intrinsic(s, i, &r);
		cr_assert_str_eq(r.key, keys[i]);
		cr_assert_eq(r.value_type, HV_KVP_REG_SZ);
	}
	cr_assert_str_eq(intrinsic(s, 0, &r), "good-vm.example.com");
	cr_assert_str_eq(intrinsic(s, 1, &r), HV_KVP_SERVICE_UNKNOWN_VERSION, "before the handshake");
	hv_kvp_service_set_version(s, "3.1");
	cr_assert_str_eq(intrinsic(s, 1, &r), "3.1", "the handshake's version");
	cr_assert_str_eq(intrinsic(s, 2, &r), "10.0.0.4;192.168.1.7");
	cr_assert_str_eq(intrinsic(s, 3, &r), "fe80::1;2001:db8::4");
	cr_assert_str_eq(intrinsic(s, 4, &r), u.release);
	snprintf(release, sizeof(release), "%s", u.release);
	release[strcspn(release, "-")] = '\0';
	cr_assert_str_eq(intrinsic(s, 8, &r), release);
	cr_assert_str_eq(intrinsic(s, 9, &r), u.machine);
	cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, 2, NULL, NULL, 10, NULL), HV_S_CONT, "past the table");
	cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, 2, NULL, NULL, INT32_MAX, NULL), HV_S_CONT);
	hv_kvp_service_free(s);
}

Test(kvp_service, hostname_change_shows_at_once)
{
	struct hv_kvp_service *s = new_service();
	struct hv_kvp_msg r;

	cr_assert_str_eq(intrinsic(s, 0, &r), "good-vm.example.com");
	cr_assert_str_eq(intrinsic(s, 0, &r), "good-vm.example.com");
	cr_assert_eq(fake.lookups, 1, "the lookup is cached per hostname (bounded cost)");
	/* The reference caches the FQDN once at start (§11.9): we do not. */
	strcpy(fake.hostname, "good-renamed");
	cr_assert_str_eq(intrinsic(s, 0, &r), "good-renamed.example.com", "no restart needed");
	cr_assert_eq(fake.lookups, 2);
	hv_kvp_service_free(s);
}

Test(kvp_service, fqdn_lookup_failure_is_the_plain_hostname)
{
	struct hv_kvp_service *s = new_service();
	struct hv_kvp_msg r;

	/*
	 * Difference from the reference (§11.9): it sends the host the text
	 * "getaddrinfo failed: 0x<code> <msg>" as the FQDN; we send the
	 * hostname.
	 */
	strcpy(fake.hostname, "isolated");
	cr_assert_str_eq(intrinsic(s, 0, &r), "isolated");
	cr_assert_null(strstr(r.value, "getaddrinfo failed"));
	hv_kvp_service_free(s);
}

Test(kvp_service, system_sources_are_sane)
{
	struct hv_kvp_service_options o = { .pool_directory = pools };
	struct hv_kvp_service *s = NULL;
	struct hv_kvp_msg r;
	char host[256];

	cr_assert_eq(hv_kvp_service_new(&o, &s), 0);
	cr_assert_eq(gethostname(host, sizeof(host)), 0);
	cr_assert_neq(intrinsic(s, 0, &r)[0], '\0');
	cr_assert_eq(strncmp(r.value, host, strlen(host)), 0, "the FQDN starts with the hostname");
	for (uint32_t i = 2; i <= 3; i++) {
		const char *v = intrinsic(s, i, &r);
		size_t n = strlen(v);

		cr_assert_null(strstr(v, "127.0.0.1"), "no loopback");
		cr_assert(strcmp(v, "::1") != 0 && strncmp(v, "::1;", 4) != 0 && !strstr(v, ";::1"), "no loopback");
		cr_assert(n == 0 || (v[0] != ';' && v[n - 1] != ';'), "no stray ';': '%s'", v);
	}
	hv_kvp_service_free(s);
}

/* OSName, OSMajorVersion, OSMinorVersion from a sysroot. */
struct os_case {
	char name[24];
	char os_release[160];
	char legacy_file[32];
	char legacy[96];
	char want_name[48];
	char want_major[16];
	char want_minor[16];
};

ParameterizedTestParameters(kvp_service, os_info)
{
	static struct os_case cases[] = {
		{ "os-release", "PRETTY_NAME=\"x\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n", "", "",
		  "Debian GNU/Linux", "12", "" },
		{ "unquoted+escapes", "NAME=Fancy\\ \\\"OS\\\"\nVERSION_ID=3.4\n", "", "", "Fancy \"OS\"", "3.4",
		  "" },
		{ "single quotes", "NAME='Alpine Linux'\nVERSION_ID='3.19.1'", "", "", "Alpine Linux", "3.19.1",
		  "" },
		{ "no VERSION_ID", "NAME=Arch\n", "", "", "Arch", "", "" },
		{ "redhat-release", "", "/etc/redhat-release", "CentOS release\n6\n10\n", "CentOS release", "6",
		  "10" },
		{ "SuSE-release", "", "/etc/SuSE-release", "SUSE Linux Enterprise Server 11\nVERSION = 11\n",
		  "SUSE Linux Enterprise Server 11", "VERSION = 11", "" },
		{ "nothing", "", "", "", "", "", "" },
	};
	return cr_make_param_array(struct os_case, cases, ELEMENTSOF(cases));
}

static void write_file(const char *root, const char *rel, const char *content)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(content, f);
	fclose(f);
}

ParameterizedTest(struct os_case *oc, kvp_service, os_info)
{
	char etc[400];
	struct hv_path *path;
	struct hv_kvp_service *s;
	struct hv_kvp_msg r;
	struct utsname u;

	snprintf(etc, sizeof(etc), "%s/etc", dir);
	cr_assert_eq(mkdir(etc, 0755), 0);
	if (oc->os_release[0])
		write_file(dir, "/etc/os-release", oc->os_release);
	if (oc->legacy_file[0])
		write_file(dir, oc->legacy_file, oc->legacy);
	path = hv_path_new(dir);
	cr_assert_not_null(path);
	s = new_service_full(path, 0);
	cr_assert_eq(uname(&u), 0);

	cr_assert_str_eq(intrinsic(s, 5, &r), oc->want_name[0] ? oc->want_name : u.sysname, "%s", oc->name);
	cr_assert_str_eq(intrinsic(s, 6, &r), oc->want_major, "%s", oc->name);
	cr_assert_str_eq(intrinsic(s, 7, &r), oc->want_minor, "%s", oc->name);
	hv_kvp_service_free(s);
	hv_path_free(path);
}

/* --- untrusted input ----------------------------------------------------------------- */

/* A request built by the kernel encoder, then one field patched. */
struct bad_case {
	char name[40];
	uint8_t op;
	uint8_t pool;
	uint32_t patch_off; /* 0: no le32 patch */
	uint32_t patch_val;
};

ParameterizedTestParameters(kvp_service, bad_input)
{
	static struct bad_case cases[] = {
		{ "SET pool 5", HV_KVP_OP_SET, 5, 0, 0 },
		{ "SET pool 0xff", HV_KVP_OP_SET, 0xff, 0, 0 },
		{ "GET pool 5", HV_KVP_OP_GET, 5, 0, 0 },
		{ "DELETE pool 0xff", HV_KVP_OP_DELETE, 0xff, 0, 0 },
		{ "ENUMERATE pool 5", HV_KVP_OP_ENUMERATE, 5, 0, 0 },
		{ "ENUMERATE index 2^31", HV_KVP_OP_ENUMERATE, 1, HV_KVP_OFF_ENUM_INDEX, 0x80000000u },
		{ "ENUMERATE index 2^32-1", HV_KVP_OP_ENUMERATE, 2, HV_KVP_OFF_ENUM_INDEX, 0xffffffffu },
		{ "SET key_size 513", HV_KVP_OP_SET, 1, HV_KVP_OFF_SET_KEY_SIZE, 513 },
		{ "SET key_size 0", HV_KVP_OP_SET, 1, HV_KVP_OFF_SET_KEY_SIZE, 0 },
		{ "SET value_size 2049", HV_KVP_OP_SET, 1, HV_KVP_OFF_SET_VALUE_SIZE, 2049 },
		{ "SET value_size 2^32-1", HV_KVP_OP_SET, 1, HV_KVP_OFF_SET_VALUE_SIZE, 0xffffffffu },
		{ "SET key without NUL", HV_KVP_OP_SET, 1, HV_KVP_OFF_SET_KEY, 0x41414141u },
		{ "GET key_size 600", HV_KVP_OP_GET, 1, HV_KVP_OFF_SET_KEY_SIZE, 600 },
		{ "DELETE key_size 513", HV_KVP_OP_DELETE, 1, HV_KVP_OFF_DELETE_KEY_SIZE, 513 },
		{ "DELETE key bad UTF-8", HV_KVP_OP_DELETE, 1, HV_KVP_OFF_DELETE_KEY, 0x00ffffffu },
	};
	return cr_make_param_array(struct bad_case, cases, ELEMENTSOF(cases));
}

static size_t snapshot(uint8_t *buf, size_t size)
{
	size_t total = 0;

	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++) {
		char path[400];
		FILE *f;

		snprintf(path, sizeof(path), "%s/.kvp_pool_%u", pools, p);
		f = fopen(path, "rb");
		cr_assert_not_null(f);
		total += fread(buf + total, 1, size - total, f);
		fclose(f);
	}
	return total;
}

ParameterizedTest(struct bad_case *bc, kvp_service, bad_input)
{
	static uint8_t in[HV_KVP_MSG_SIZE], out[HV_KVP_MSG_SIZE], before[6 * REC], after[6 * REC];
	struct hv_kvp_service *s = new_service();
	struct hv_kvp_msg m = { .op = bc->op, .pool = 0, .value_type = HV_KVP_REG_SZ };
	size_t n_before;

	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		cr_assert_eq(call(s, HV_KVP_OP_SET, p, "key", "kept", 0, NULL), HV_S_OK);
	n_before = snapshot(before, sizeof(before));
	cr_assert_eq(n_before, 5 * REC);

	strcpy(m.key, "key");
	strcpy(m.value, "overwritten?");
	cr_assert_eq(hv_kvp_msg_encode_request(&m, in, sizeof(in)), HV_KVP_MSG_SIZE);
	in[HV_KVP_OFF_POOL] = bc->pool;
	if (bc->patch_off)
		hv_put_le32(in + bc->patch_off, bc->patch_val);

	logbuf[0] = '\0';
	log_lines = 0;
	cr_assert_eq(hv_kvp_service_process(s, in, sizeof(in), out, sizeof(out)), HV_KVP_MSG_SIZE, "%s",
		     bc->name);
	cr_assert_eq(hv_get_le32(out + HV_KVP_OFF_ERROR), HV_E_FAIL, "%s: answered HV_E_FAIL", bc->name);
	cr_assert_eq(hv_kvp_service_get_rejected(s), 1, "%s", bc->name);
	cr_assert_eq(log_lines, 1, "%s: logged once: %s", bc->name, logbuf);
	cr_assert_eq(snapshot(after, sizeof(after)), n_before, "%s: no file changed size", bc->name);
	cr_assert_eq(memcmp(before, after, n_before), 0, "%s: no file changed", bc->name);
	hv_kvp_service_free(s);
}

Test(kvp_service, handle_refuses_bad_pool_too)
{
	struct hv_kvp_service *s = new_service();

	/* hv_kvp_service_handle() is public: it does not rely on the decoder. */
	for (unsigned pool = HV_KVP_POOL_COUNT; pool <= 0xff; pool += 50) {
		cr_assert_eq(call(s, HV_KVP_OP_SET, (uint8_t)pool, "k", "v", 0, NULL), HV_E_FAIL);
		cr_assert_eq(call(s, HV_KVP_OP_ENUMERATE, (uint8_t)pool, NULL, NULL, 0, NULL), HV_E_FAIL);
	}
	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		cr_assert_eq(pool_size(p), 0);
	hv_kvp_service_free(s);
}

Test(kvp_service, short_message_is_refused)
{
	static uint8_t in[HV_KVP_MSG_SIZE], out[HV_KVP_MSG_SIZE];
	struct hv_kvp_service *s = new_service();

	in[0] = HV_KVP_OP_SET;
	cr_assert_eq(hv_kvp_service_process(s, in, 100, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out), HV_E_FAIL);
	cr_assert_eq(hv_kvp_service_process(s, in, sizeof(in), out, 10), -ENOBUFS, "caller's short buffer");
	cr_assert_eq(pool_size(1), 0);
	hv_kvp_service_free(s);
}

/* A service over the netlink fake, with no injected address source. */
static struct hv_kvp_service *new_service_netlink(struct hv_netlink_fake *f)
{
	struct hv_kvp_service_options o = {
		.pool_directory = pools,
		.sysinfo = NULL,
		.netlink = &hv_netlink_fake_ops,
		.netlink_userdata = f,
	};
	struct hv_kvp_service *s = NULL;

	cr_assert_eq(hv_kvp_service_new(&o, &s), 0);
	return s;
}

static struct hv_netlink_fake *two_nics(void)
{
	struct hv_netlink_fake *f = hv_netlink_fake_new();

	cr_assert_not_null(f);
	cr_assert_eq(hv_netlink_fake_add_link(f, 1, "lo", NULL, NULL, 0, IFF_LOOPBACK | IFF_UP, NULL, false), 0);
	cr_assert_eq(hv_netlink_fake_add_link(f, 2, "eth1", "00:15:5d:00:00:01", NULL, 0, IFF_UP, "hv_netvsc", false),
		     0);
	cr_assert_eq(hv_netlink_fake_add_link(f, 3, "eth10", "00:15:5d:00:00:10", NULL, 0, IFF_UP, "hv_netvsc", false),
		     0);
	cr_assert_eq(hv_netlink_fake_add_link(f, 4, "docker0", "02:42:00:00:00:04", NULL, 0, IFF_UP, NULL, false), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 1, "127.0.0.1/8", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 2, "192.0.2.5/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 3, "10.10.0.4/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 4, "172.17.0.1/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 2, "2001:db8::5/64", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_route(f, "default", "192.0.2.1", 2, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(f, "default", "10.10.0.1", 3, 0), 0);
	return f;
}

static uint32_t get_ip_info(struct hv_kvp_service *s, const char *adapter, uint8_t family, struct hv_kvp_msg *r)
{
	static struct hv_kvp_msg req;

	memset(&req, 0, sizeof(req));
	req.op = HV_KVP_OP_GET_IP_INFO;
	snprintf(req.ip.adapter_id, sizeof(req.ip.adapter_id), "%s", adapter);
	req.ip.addr_family = family;
	(void)hv_kvp_service_handle(s, &req, r);
	return r->error;
}

Test(kvp_service, get_ip_info_answered_natively)
{
	struct hv_netlink_fake *f = two_nics();
	struct hv_kvp_service *s = new_service_netlink(f);
	static struct hv_kvp_msg r;

	cr_assert_eq(get_ip_info(s, "00:15:5D:00:00:01", HV_KVP_ADDR_FAMILY_IPV4, &r), HV_S_OK, "%s", logbuf);
	cr_assert_eq(r.op, HV_KVP_OP_GET_IP_INFO);
	cr_assert_str_eq(r.ip.adapter_id, "00:15:5D:00:00:01");
	/* eth1 only: the reference's prefix match would add eth10's address
	 * and its gateway-of-everything would add 10.10.0.1 (§5.5, §11.8). */
	cr_assert_str_eq(r.ip.ip_addr, "192.0.2.5");
	cr_assert_str_eq(r.ip.sub_net, "255.255.255.0");
	cr_assert_str_eq(r.ip.gate_way, "192.0.2.1");
	cr_assert_eq(r.ip.addr_family, HV_KVP_ADDR_FAMILY_IPV4);
	cr_assert_eq(hv_kvp_service_get_rejected(s), 0);

	cr_assert_eq(get_ip_info(s, "00:15:5D:00:00:99", 0, &r), HV_E_FAIL, "unknown MAC, as the reference");
	cr_assert_eq(hv_kvp_service_get_rejected(s), 0, "a well-formed request");
	cr_assert_eq(get_ip_info(s, "not a mac", 0, &r), HV_E_FAIL);
	cr_assert_eq(hv_kvp_service_get_rejected(s), 1, "malformed host input is counted");
	cr_assert_not_null(strstr(logbuf, "not a MAC"), "%s", logbuf);
	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		cr_assert_eq(pool_size(p), 0, "pool %u untouched", p);
	hv_kvp_service_free(s);
	hv_netlink_fake_free(f);
}

Test(kvp_service, get_ip_info_through_the_kernel_layout)
{
	static uint8_t in[HV_KVP_MSG_SIZE], out[HV_KVP_MSG_SIZE];
	static struct hv_kvp_msg req;
	struct hv_netlink_fake *f = two_nics();
	struct hv_kvp_service *s = new_service_netlink(f);

	req.op = HV_KVP_OP_GET_IP_INFO;
	snprintf(req.ip.adapter_id, sizeof(req.ip.adapter_id), "00:15:5D:00:00:10");
	cr_assert_eq(hv_kvp_msg_encode_request(&req, in, sizeof(in)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_service_process(s, in, sizeof(in), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out), HV_S_OK);
	cr_assert_str_eq((const char *)out + HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_IP_ADDR, "10.10.0.4");
	cr_assert_str_eq((const char *)out + HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_GATE_WAY, "10.10.0.1");
	hv_kvp_service_free(s);
	hv_netlink_fake_free(f);
}

Test(kvp_service, pool2_addresses_are_the_filtered_list)
{
	struct hv_netlink_fake *f = two_nics();
	struct hv_kvp_service *s = new_service_netlink(f);
	struct hv_kvp_msg r;
	char *eth1_only[] = { "eth1", NULL };

	/* No loopback, no docker0 (the default exclude list). */
	cr_assert_str_eq(intrinsic(s, 2, &r), "192.0.2.5;10.10.0.4");
	cr_assert_str_eq(intrinsic(s, 3, &r), "2001:db8::5");
	cr_assert_eq(hv_kvp_service_set_interface_filter(s, eth1_only, NULL), 0);
	cr_assert_str_eq(intrinsic(s, 2, &r), "192.0.2.5", "a new filter applies at once");
	hv_kvp_service_free(s);
	hv_netlink_fake_free(f);
}

/* --- SET_IP_INFO through services/kvp-setip.h (§5.6) ------------------------------- */

static void put_file(const char *rel, const char *text)
{
	char p[600], cmd[700];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	cr_assert_eq(system(cmd), 0);
	f = fopen(p, "we");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static uint32_t set_ip(struct hv_kvp_service *s, const char *adapter, const char *ip, const char *mask)
{
	static struct hv_kvp_msg req, reply;

	memset(&req, 0, sizeof(req));
	req.op = HV_KVP_OP_SET_IP_INFO;
	snprintf(req.ip.adapter_id, sizeof(req.ip.adapter_id), "%s", adapter);
	snprintf(req.ip.ip_addr, sizeof(req.ip.ip_addr), "%s", ip);
	snprintf(req.ip.sub_net, sizeof(req.ip.sub_net), "%s", mask);
	req.ip.addr_family = HV_KVP_ADDR_FAMILY_IPV4;
	(void)hv_kvp_service_handle(s, &req, &reply);
	return reply.error;
}

#define ETH0_GUID "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}"

/* Never the machine's own NetworkManager or networkd: a fake that has no
 * bus, and records whether it was asked anything. */
static struct hv_netmgr_fake mgr;

static struct hv_kvp_service *setip_service(struct hv_path **ret_path, enum hv_kvp_setip_backend backend)
{
	struct hv_kvp_setip_options so = { .backend = backend, .mgr = &hv_netmgr_fake_ops, .mgr_userdata = &mgr };
	struct hv_kvp_service_options o = {
		.pool_directory = "/var/lib/hyperv",
		.sysinfo = &fake_sysinfo,
		.setip = &so,
	};
	struct hv_kvp_service *s = NULL;

	hv_netmgr_fake_init(&mgr);
	mgr.networkd_result = -ENOTCONN;
	put_file("/sys/class/net/eth0/address", "00:15:5d:01:02:03\n");
	put_file("/sys/class/net/eth0/ifindex", "2\n");
	put_file("/sys/class/net/eth0/device/device_id", ETH0_GUID "\n");
	*ret_path = hv_path_new(dir);
	cr_assert_not_null(*ret_path);
	o.path = *ret_path;
	cr_assert_eq(hv_kvp_service_new(&o, &s), 0);
	return s;
}

Test(kvp_service, set_ip_info_unknown_adapter_is_guid_not_found)
{
	struct hv_path *p;
	struct hv_kvp_service *s = setip_service(&p, HV_KVP_SETIP_NETWORKD);

	cr_assert_eq(set_ip(s, "{11111111-2222-3333-4444-555555555555}", "192.0.2.9", "255.255.255.0"),
		     HV_GUID_NOTFOUND, "the reference's answer for an adapter no NIC has");
	hv_kvp_service_free(s);
	hv_path_free(p);
}

Test(kvp_service, set_ip_info_bad_address_is_invalidarg_and_rejected)
{
	struct hv_path *p;
	struct hv_kvp_service *s = setip_service(&p, HV_KVP_SETIP_NETWORKD);
	char f[600];

	cr_assert_eq(set_ip(s, ETH0_GUID, "192.0.2.999", "255.255.255.0"), HV_INVALIDARG);
	cr_assert_eq(hv_kvp_service_get_rejected(s), 1);
	cr_assert_eq(mgr.n_networkd, 0);
	snprintf(f, sizeof(f), "%s/etc/systemd/network/10-hvutils-eth0.network", dir);
	cr_assert_neq(access(f, F_OK), 0, "nothing is written for a bad request");
	hv_kvp_service_free(s);
	hv_path_free(p);
}

Test(kvp_service, set_ip_info_disabled_is_not_supported)
{
	struct hv_path *p;
	struct hv_kvp_service *s = setip_service(&p, HV_KVP_SETIP_NONE);

	cr_assert_eq(set_ip(s, ETH0_GUID, "192.0.2.9", "255.255.255.0"), HV_ERROR_NOT_SUPPORTED);
	cr_assert_eq(mgr.n_networkd + mgr.n_nm_activate + mgr.n_spawn, 0);
	hv_kvp_service_free(s);
	hv_path_free(p);
}

Test(kvp_service, set_ip_info_written_but_not_applied_is_a_failure)
{
	struct hv_path *p;
	struct hv_kvp_service *s = setip_service(&p, HV_KVP_SETIP_NETWORKD);
	char f[600];

	/* No networkd on a bus here: the file is written, the host is told it
	 * failed, and the log says what was written where. */
	cr_assert_eq(set_ip(s, ETH0_GUID, "192.0.2.9", "255.255.255.0"), HV_E_FAIL);
	cr_assert_eq(mgr.n_networkd, 1, "networkd was asked to apply it");
	cr_assert_eq(mgr.networkd_ifindex, 2);
	snprintf(f, sizeof(f), "%s/etc/systemd/network/10-hvutils-eth0.network", dir);
	cr_assert_eq(access(f, F_OK), 0, "the profile is written: %s", logbuf);
	cr_assert_not_null(strstr(logbuf, "10-hvutils-eth0.network"), "%s", logbuf);
	hv_kvp_service_free(s);
	hv_path_free(p);
}

Test(kvp_service, set_ip_options_follow_the_config)
{
	struct hv_kvp_service_config cfg = {
		.set_ip_backend = HV_KVP_SETIP_LEGACY,
		.set_ip_legacy_fallback = true,
		.set_ip_legacy_script = (char *)"/x/hv_set_ifconfig",
		.set_ip_staging_directory = (char *)"/x/stage",
		.set_ip_netplan_command = (char *)"/x/netplan",
		.set_ip_timeout_usec = 3 * HV_USEC_PER_SEC,
	};
	struct hv_kvp_setip_options o;

	hv_kvp_service_setip_options_from_config(&cfg, &o);
	cr_assert_eq(o.backend, HV_KVP_SETIP_LEGACY);
	cr_assert(o.legacy_fallback);
	cr_assert_str_eq(o.legacy_script, "/x/hv_set_ifconfig");
	cr_assert_str_eq(o.staging_directory, "/x/stage");
	cr_assert_str_eq(o.netplan_command, "/x/netplan");
	cr_assert_eq(o.timeout_usec, 3 * HV_USEC_PER_SEC);
}

Test(kvp_service, unknown_op_is_ok_as_the_reference)
{
	static uint8_t in[HV_KVP_MSG_SIZE], out[HV_KVP_MSG_SIZE];
	struct hv_kvp_service *s = new_service();

	in[HV_KVP_OFF_OPERATION] = 42;
	in[HV_KVP_OFF_POOL] = 9;
	cr_assert_eq(hv_kvp_service_process(s, in, sizeof(in), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out), HV_S_OK);
	cr_assert_eq(hv_kvp_service_get_rejected(s), 0);
	hv_kvp_service_free(s);
}

/* --- GET through the kernel's conversion (§5.2, §11.3) ------------------------------ */

/* Host GET -> kernel -> daemon reply bytes (from encode) -> kernel -> host reply. */
static void host_get(struct hv_kvp_service *s, const char *key, bool reference_layout,
		     struct hv_kvp_wire_reply *ret)
{
	static uint8_t host[PAYLOAD], daemon_req[HV_KVP_MSG_SIZE], daemon_reply[HV_KVP_MSG_SIZE];
	static struct hv_kvp_msg req, reply;
	struct hv_kvp_wire_request w = { .op = HV_KVP_OP_GET, .pool = 1, .key = key };
	struct hv_icmsg_hdr h;
	uint32_t status;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_KVPEXCHANGE, HV_IC_VERSION(3, 0), HV_IC_VERSION(4, 0), 0, 1);
	cr_assert_eq(hv_kvp_wire_encode_request(&w, &h, host, sizeof(host)), PAYLOAD);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(host, sizeof(host), daemon_req, sizeof(daemon_req)),
		     HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_msg_decode(daemon_req, sizeof(daemon_req), &req), 0);
	cr_assert_eq(req.value_size, 0, "the kernel sends GET with value_size 0");
	(void)hv_kvp_service_handle(s, &req, &reply);
	if (reference_layout)
		cr_assert_eq(hv_kvp_msg_encode_reply(&reply, daemon_reply, sizeof(daemon_reply)), HV_KVP_MSG_SIZE);
	else
		cr_assert_eq(hv_kvp_service_encode_reply(&reply, daemon_reply, sizeof(daemon_reply)),
			     HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), daemon_reply, sizeof(daemon_reply),
						 HV_KVP_OP_REGISTER1, &status),
		     0);
	cr_assert_eq(hv_kvp_wire_decode_reply(host, sizeof(host), ret), 0);
	cr_assert_eq(ret->status, status);
}

struct get_case {
	char value[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];
	unsigned repeat; /* value = `value` repeated, for long ones */
	char want_reference[64]; /* what the reference layout delivers (prefix) */
};

ParameterizedTestParameters(kvp_service, get_reaches_the_host)
{
	static struct get_case cases[] = {
		{ "hello world", 1, "o world" },
		{ "abcd", 1, "" },
		{ "ab", 1, "" },
		{ "", 1, "" },
		{ "värde ✓ 日本", 1, "de ✓ 日本" },
		{ "0123456789", 100, "" }, /* 1000 bytes */
		{ "v", 1022, "" },        /* the kernel's 1022-unit limit, whole */
	};
	return cr_make_param_array(struct get_case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct get_case *gc, kvp_service, get_reaches_the_host)
{
	static char value[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];
	static struct hv_kvp_wire_reply got;
	struct hv_kvp_service *s = new_service();

	value[0] = '\0';
	for (unsigned i = 0; i < gc->repeat; i++)
		strcat(value, gc->value);
	cr_assert_eq(call(s, HV_KVP_OP_SET, 1, "the-key", value, 0, NULL), HV_S_OK);

	/* The fix: the host gets the whole value. */
	host_get(s, "the-key", false, &got);
	cr_assert_eq(got.status, HV_S_OK);
	cr_assert_str_eq(got.value, value, "GET delivers the full value to the host");

	/*
	 * The reference's layout (value at 528, read at 532) loses the first
	 * four bytes, which is why we do not use it (§11.3).
	 */
	if (gc->repeat == 1) {
		host_get(s, "the-key", true, &got);
		cr_assert_eq(got.status, HV_S_OK);
		cr_assert_str_eq(got.value, gc->want_reference, "reference layout");
	}

	host_get(s, "no-such-key", false, &got);
	cr_assert_eq(got.status, HV_S_CONT);
	hv_kvp_service_free(s);
}

/* --- [kvp] configuration ------------------------------------------------------------- */

Test(kvp_service, config_section)
{
	const struct hv_config_section *sections[] = { &hv_kvp_service_config_sections[0] };
	const struct hv_kvp_service_config *cfg;
	struct hv_config_source src = { .file = NULL };
	struct hv_config *c = NULL;
	char file[400];

	cr_assert_null(hv_kvp_service_config_sections[1].name, "terminated");
	snprintf(file, sizeof(file), "%s/hvutils.conf", dir);
	src.file = file;
	write_file("", file, "[kvp]\n");
	cr_assert_eq(hv_config_load(sections, 1, &src, &c), 0);
	cfg = hv_config_get(c, &hv_kvp_service_config_sections[0]);
	cr_assert_not_null(cfg);
	cr_assert_str_eq(cfg->pool_directory, "/var/lib/hyperv");
	cr_assert_eq(cfg->max_records_per_pool, 100000);
	cr_assert_not_null(cfg->report_interfaces);
	cr_assert_str_eq(cfg->report_interfaces[0], "*");
	cr_assert_null(cfg->report_interfaces[1]);
	cr_assert_not_null(cfg->exclude_interfaces);
	cr_assert_str_eq(cfg->exclude_interfaces[0], "docker*");
	hv_config_free(c);

	write_file("", file, "[kvp]\nreport-interfaces = eth* ens*\nexclude-interfaces = eth9\n");
	cr_assert_eq(hv_config_load(sections, 1, &src, &c), 0);
	cfg = hv_config_get(c, &hv_kvp_service_config_sections[0]);
	cr_assert_str_eq(cfg->report_interfaces[1], "ens*");
	cr_assert_str_eq(cfg->exclude_interfaces[0], "eth9");
	cr_assert_null(cfg->exclude_interfaces[1]);
	hv_config_free(c);

	write_file("", file, "[kvp]\npool-directory = /srv/kvp\nmax-records-per-pool = 42\n");
	cr_assert_eq(hv_config_load(sections, 1, &src, &c), 0);
	cfg = hv_config_get(c, &hv_kvp_service_config_sections[0]);
	cr_assert_str_eq(cfg->pool_directory, "/srv/kvp");
	cr_assert_eq(cfg->max_records_per_pool, 42);
	hv_config_free(c);

	write_file("", file, "[kvp]\nmax-records-per-pool = 0\n");
	cr_assert_lt(hv_config_load(sections, 1, &src, &c), 0, "0 records is refused");
}
