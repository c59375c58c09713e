/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpora of the proto fuzz targets (well-formed messages
 * of every kind, built with the codecs themselves) into
 * corpus/<target>/.  Not a fuzz target.  Rebuild the seeds with:
 *
 *   cc -I lib/hvutil -include BUILDDIR/config.h tests/fuzz/gen-proto-seeds.c \
 *      lib/hvutil/proto/[a-z]*.c lib/hvutil/base/[a-z]*.c -o /tmp/gen
 *   /tmp/gen tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/fcopy.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"

static const char *root;

static void seed(const char *target, const char *name, const void *a, size_t na, const void *b, size_t nb)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, target);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		abort();
	snprintf(p, sizeof(p), "%s/%s/%s", root, target, name);
	f = fopen(p, "we");
	if (!f || fwrite(a, 1, na, f) != na || (nb && fwrite(b, 1, nb, f) != nb) || fclose(f) != 0)
		abort();
}

static uint8_t buf[HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE + HV_KVP_MSG_SIZE];

static struct hv_icmsg_hdr hdr(enum hv_icmsg_type t)
{
	struct hv_icmsg_hdr h;

	hv_icmsg_hdr_init_request(&h, t, HV_IC_VERSION(3, 0), HV_IC_VERSION(4, 0), 0, 1);
	return h;
}

static void icmsg_seeds(void)
{
	static const struct hv_ic_version fw[] = { { 3, 0 }, { 1, 0 } };
	static const struct hv_ic_version srv[] = { { 4, 0 }, { 3, 0 }, { 1, 0 }, { 5, 0 }, { 1, 1 }, { 3, 2 } };
	uint8_t sel = 3;
	int n;

	n = hv_icmsg_negotiate_request(buf, sizeof(buf), 1, fw, 2, srv, 6);
	seed("fuzz-icmsg", "negotiate-kvp", &sel, 1, buf, (size_t)n);
	sel = 5;
	n = hv_icmsg_negotiate_request(buf, sizeof(buf), 1, fw, 1, srv + 4, 1);
	seed("fuzz-icmsg", "negotiate-fcopy", &sel, 1, buf, (size_t)n);
	sel = 4;
	n = hv_icmsg_negotiate_request(buf, sizeof(buf), 1, fw, 2, srv + 3, 1);
	hv_put_le16(buf + HV_ICMSG_HDR_SIZE, 101);
	seed("fuzz-icmsg", "negotiate-count-101", &sel, 1, buf, (size_t)n);
}

static void kvp_seeds(void)
{
	static struct hv_kvp_ip_info ip = { .addr_family = 1, .dhcp_enabled = 1 };
	struct hv_kvp_wire_request reqs[] = {
		{ .op = HV_KVP_OP_GET, .pool = 0, .key = "VirtualMachineName" },
		{ .op = HV_KVP_OP_SET, .pool = 1, .value_type = HV_KVP_REG_SZ, .key = "Key", .value = "Välue" },
		{ .op = HV_KVP_OP_SET, .pool = 0, .value_type = HV_KVP_REG_U64, .key = "n", .value_u64 = 42 },
		{ .op = HV_KVP_OP_DELETE, .pool = 1, .key = "Key" },
		{ .op = HV_KVP_OP_ENUMERATE, .pool = 2, .index = 3 },
		{ .op = HV_KVP_OP_GET_IP_INFO, .ip = &ip },
		{ .op = HV_KVP_OP_SET_IP_INFO, .ip = &ip },
	};
	struct hv_icmsg_hdr h = hdr(HV_ICMSG_TYPE_KVPEXCHANGE);
	struct hv_kvp_msg reply = { .op = HV_KVP_OP_ENUMERATE };
	uint8_t daemon[HV_KVP_MSG_SIZE], sel = 1;
	char name[32];

	strcpy(ip.adapter_id, "00:15:5D:01:02:03");
	strcpy(ip.ip_addr, "192.0.2.5");
	strcpy(ip.sub_net, "255.255.255.0");
	strcpy(ip.gate_way, "192.0.2.1");
	strcpy(ip.dns_addr, "192.0.2.53");
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int n = hv_kvp_wire_encode_request(&reqs[i], &h, buf, sizeof(buf));

		if (n < 0)
			abort();
		snprintf(name, sizeof(name), "host-op%u-%zu", reqs[i].op, i);
		seed("fuzz-kvp-kernel", name, &sel, 1, buf, (size_t)n);
		if (hv_kvp_kernel_request_to_daemon(buf, (size_t)n, daemon, sizeof(daemon)) < 0)
			abort();
		snprintf(name, sizeof(name), "daemon-op%u-%zu", reqs[i].op, i);
		seed("fuzz-kvp", name, daemon, sizeof(daemon), NULL, 0);
	}
	/* ENUMERATE request followed by a daemon reply. */
	strcpy(reply.key, "OSName");
	strcpy(reply.value, "Debian GNU/Linux");
	if (hv_kvp_wire_encode_request(&reqs[4], &h, buf, sizeof(buf)) < 0 ||
	    hv_kvp_msg_encode_reply(&reply, daemon, sizeof(daemon)) < 0)
		abort();
	{
		/* the request, then the daemon reply the harness answers with */
		uint8_t both[HV_ICMSG_HDR_SIZE + 2 * HV_KVP_MSG_SIZE];

		memcpy(both, buf, HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE);
		memcpy(both + HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE, daemon, sizeof(daemon));
		seed("fuzz-kvp-kernel", "enumerate-with-reply", &sel, 1, both, sizeof(both));
	}
	if (hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, buf, sizeof(buf)) < 0 ||
	    hv_kvp_kernel_handshake(buf, HV_KVP_MSG_SIZE, daemon, sizeof(daemon), &sel) < 0)
		abort();
	seed("fuzz-kvp", "register-reply", daemon, sizeof(daemon), NULL, 0);
}

static void record_seeds(void)
{
	uint8_t recs[2 * HV_KVP_RECORD_SIZE];

	if (hv_kvp_record_encode(recs, HV_KVP_RECORD_SIZE, "HostName", 8, "host-1", 6) < 0 ||
	    hv_kvp_record_encode(recs + HV_KVP_RECORD_SIZE, HV_KVP_RECORD_SIZE, "Ключ", 8, "значение", 16) < 0)
		abort();
	seed("fuzz-kvp-record", "two-records", recs, sizeof(recs), NULL, 0);
}

static void vss_seeds(void)
{
	struct hv_icmsg_hdr h = hdr(HV_ICMSG_TYPE_VSS);
	char name[32];

	for (uint8_t op = 0; op < _HV_VSS_OP_MAX; op++) {
		int n = hv_vss_wire_encode_request(&h, op, 0, op == HV_VSS_OP_FREEZE ? 64 : 12, buf, sizeof(buf));

		if (n < 0)
			abort();
		snprintf(name, sizeof(name), "host-op%u", op);
		seed("fuzz-vss", name, buf, (size_t)n, NULL, 0);
	}
}

static void fcopy_seeds(void)
{
	static uint8_t data[HV_FCOPY_DATA_FRAGMENT];
	struct hv_icmsg_hdr h = hdr(HV_ICMSG_TYPE_FCOPY);
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_START_FILE_COPY };
	int n;

	strcpy(m.start.file_name, "file.bin");
	strcpy(m.start.path_name, "/tmp/dir");
	m.start.copy_flags = HV_FCOPY_OVER_WRITE | HV_FCOPY_CREATE_PATH;
	m.start.file_size = 12345;
	n = hv_fcopy_wire_encode_request(&m, &h, buf, sizeof(buf));
	seed("fuzz-fcopy", "host-start", buf, (size_t)n, NULL, 0);
	n = hv_fcopy_daemon_encode(&m, buf, sizeof(buf));
	seed("fuzz-fcopy", "daemon-start", buf, (size_t)n, NULL, 0);
	memset(data, 'd', sizeof(data));
	m = (struct hv_fcopy_msg){ .op = HV_FCOPY_OP_WRITE_TO_FILE,
				   .write = { .offset = 4096, .size = 100, .data = data } };
	n = hv_fcopy_wire_encode_request(&m, &h, buf, sizeof(buf));
	seed("fuzz-fcopy", "host-write", buf, (size_t)n, NULL, 0);
	m.op = HV_FCOPY_OP_COMPLETE_FCOPY;
	n = hv_fcopy_wire_encode_request(&m, &h, buf, sizeof(buf));
	seed("fuzz-fcopy", "host-complete", buf, (size_t)n, NULL, 0);
}

int main(int argc, char **argv)
{
	root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
	icmsg_seeds();
	kvp_seeds();
	record_seeds();
	vss_seeds();
	fcopy_seeds();
	return 0;
}
