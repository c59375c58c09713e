/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/fcopy-service: a whole copy over both encodings (host wire and
 * the char-device daemon ABI), then the hostile-input matrix: operations
 * out of order, a second START, oversize and overflowing WRITEs, data past
 * the announced size, short and garbage packets, bad names, unknown
 * operations, a lost channel.  Each must answer a failure status, leave no
 * partial file and keep the service usable.  Then the statuses of §7.1,
 * the counters, a reload during a copy and the [fcopy] section.
 *
 * Copies go to T/root (the only root) in a temporary directory T.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "platform/config.h"
#include "proto/fcopy.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/wire.h"
#include "services/fcopy-service.h"

#define BUF_SIZE (HV_ICMSG_HDR_SIZE + HV_FCOPY_DO_SIZE + 64)

static char T[] = "/tmp/hv-test-fcopys-XXXXXX";
static char root[256];
static struct hv_fcopy_service *s;
static uint64_t clock_usec;

static char logbuf[16384];

static void capture(void *userdata, int level, const char *file, int line, const char *func,
		    const char *format, va_list ap)
{
	size_t n = strlen(logbuf);

	vsnprintf(logbuf + n, sizeof(logbuf) - n, format, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

static uint64_t fake_now(void *userdata)
{
	return clock_usec;
}

static void new_service(char *const *roots)
{
	struct hv_fcopy_service_options o = { .now_usec = fake_now };

	hv_fcopy_service_free(s);
	s = NULL;
	hv_fcopy_writer_options_init(&o.writer);
	o.writer.roots = roots;
	cr_assert_eq(hv_fcopy_service_new(&o, &s), 0);
}

static void setup(void)
{
	char *roots[] = { root, NULL };

	cr_assert_not_null(mkdtemp(T));
	snprintf(root, sizeof(root), "%s/root", T);
	cr_assert_eq(mkdir(root, 0755), 0);
	logbuf[0] = '\0';
	hv_log_set_sink(capture, NULL);
	hv_log_set_max_level(HV_LOG_INFO);
	clock_usec = 1000000;
	new_service(roots);
}

static void teardown(void)
{
	char cmd[400];

	s = hv_fcopy_service_free(s);
	hv_log_set_sink(NULL, NULL);
	(void)umount2(root, MNT_DETACH); /* disk_full's */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(fcopy_service, .init = setup, .fini = teardown);

/* ---- messages ---- */

static struct hv_fcopy_msg start_msg(const char *dir, const char *name, uint32_t flags, uint64_t size)
{
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_START_FILE_COPY };

	snprintf(m.start.path_name, sizeof(m.start.path_name), "%s", dir);
	snprintf(m.start.file_name, sizeof(m.start.file_name), "%s", name);
	m.start.copy_flags = flags;
	m.start.file_size = size;
	return m;
}

static struct hv_fcopy_msg write_msg(uint64_t offset, const char *data)
{
	return (struct hv_fcopy_msg){
		.op = HV_FCOPY_OP_WRITE_TO_FILE,
		.write = { .offset = offset, .size = (uint32_t)strlen(data), .data = (const uint8_t *)data },
	};
}

static struct hv_fcopy_msg op_msg(uint32_t op)
{
	return (struct hv_fcopy_msg){ .op = op };
}

/* The host's payload for m (28-byte header included). */
static size_t wire(const struct hv_fcopy_msg *m, uint8_t *buf)
{
	struct hv_icmsg_hdr h;
	int n;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_FCOPY, HV_UTIL_FW_VERSION, HV_IC_VERSION(1, 1), 0, 7);
	n = hv_fcopy_wire_encode_request(m, &h, buf, BUF_SIZE);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

static uint32_t send_wire(const struct hv_fcopy_msg *m)
{
	uint8_t buf[BUF_SIZE];
	size_t n = wire(m, buf);

	return hv_fcopy_service_process_wire(s, buf, n);
}

static uint32_t send_daemon(const struct hv_fcopy_msg *m)
{
	uint8_t buf[HV_FCOPY_DO_SIZE];
	int n = hv_fcopy_daemon_encode(m, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	return hv_fcopy_service_process_daemon(s, buf, (size_t)n);
}

static uint32_t start(const char *name, uint32_t flags, uint64_t size)
{
	struct hv_fcopy_msg m = start_msg(root, name, flags, size);

	return send_wire(&m);
}

static uint32_t put(uint64_t offset, const char *data)
{
	struct hv_fcopy_msg m = write_msg(offset, data);

	return send_wire(&m);
}

static uint32_t op(uint32_t o)
{
	struct hv_fcopy_msg m = op_msg(o);

	return send_wire(&m);
}

static char *read_file(const char *name)
{
	static char buf[65536];
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return buf;
}

static unsigned count_entries(void)
{
	DIR *d = opendir(root);
	struct dirent *e;
	unsigned n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct hv_fcopy_service_stats stats(void)
{
	struct hv_fcopy_service_stats st;

	hv_fcopy_service_get_stats(s, &st);
	return st;
}

/* ---- a whole copy ---- */

Test(fcopy_service, copy_over_the_wire)
{
	struct hv_fcopy_copy_info info;
	char big[HV_FCOPY_DATA_FRAGMENT + 1];

	memset(big, 'b', HV_FCOPY_DATA_FRAGMENT);
	big[HV_FCOPY_DATA_FRAGMENT] = '\0';
	cr_assert_eq(start("f.bin", 0, HV_FCOPY_DATA_FRAGMENT + 3), HV_S_OK);
	cr_assert(hv_fcopy_service_is_open(s));
	cr_assert_eq(hv_fcopy_service_get_current(s, &info), 0);
	cr_assert_eq(strncmp(info.target, root, strlen(root)), 0, "%s", info.target);
	cr_assert_str_eq(info.target + strlen(root), "/f.bin");
	cr_assert_eq(info.file_size, HV_FCOPY_DATA_FRAGMENT + 3);
	cr_assert_eq(put(0, big), HV_S_OK, "a full 6144-byte fragment");
	clock_usec += 250000;
	cr_assert_eq(put(HV_FCOPY_DATA_FRAGMENT, "end"), HV_S_OK);
	cr_assert_null(read_file("f.bin"), "visible before COMPLETE");
	cr_assert_eq(hv_fcopy_service_get_current(s, &info), 0);
	cr_assert_eq(info.bytes, HV_FCOPY_DATA_FRAGMENT + 3);
	cr_assert_eq(info.fragments, 2);
	cr_assert_eq(info.duration_usec, 250000);
	clock_usec += 250000;
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);

	cr_assert_not(hv_fcopy_service_is_open(s));
	cr_assert_eq(hv_fcopy_service_get_current(s, &info), -ENOENT);
	cr_assert_eq(strlen(read_file("f.bin")), HV_FCOPY_DATA_FRAGMENT + 3);
	cr_assert_str_eq(read_file("f.bin") + HV_FCOPY_DATA_FRAGMENT, "end");
	cr_assert_eq(count_entries(), 1);
	cr_assert_eq(hv_fcopy_service_get_last(s, &info), 0);
	cr_assert_eq(info.status, HV_S_OK);
	cr_assert_eq(info.bytes, HV_FCOPY_DATA_FRAGMENT + 3);
	cr_assert_eq(info.fragments, 2);
	cr_assert_eq(info.duration_usec, 500000);
	cr_assert_eq(stats().copies_ok, 1);
	cr_assert_eq(stats().bytes, HV_FCOPY_DATA_FRAGMENT + 3);
	cr_assert_eq(stats().requests, 4);
	cr_assert_eq(stats().rejected, 0);
	cr_assert_not_null(strstr(logbuf, "Copied "), "%s", logbuf);
	cr_assert_not_null(strstr(logbuf, "6147 bytes in 2 fragments, 0.500 s"), "%s", logbuf);
}

Test(fcopy_service, copy_over_the_char_device)
{
	struct hv_fcopy_msg m = start_msg(root, "d.txt", HV_FCOPY_OVER_WRITE, 0);

	cr_assert_eq(send_daemon(&m), HV_S_OK);
	m = write_msg(0, "via the kernel");
	cr_assert_eq(send_daemon(&m), HV_S_OK);
	m = op_msg(HV_FCOPY_OP_COMPLETE_FCOPY);
	cr_assert_eq(send_daemon(&m), HV_S_OK);
	cr_assert_str_eq(read_file("d.txt"), "via the kernel");

	/* What the kernel would really hand over: its conversion of a host START. */
	{
		uint8_t host[BUF_SIZE], out[HV_FCOPY_DO_SIZE];
		struct hv_fcopy_msg h = start_msg(root, "k.txt", 0, 0);
		size_t n = wire(&h, host);
		int k = hv_fcopy_kernel_request_to_daemon(host, n, out, sizeof(out));

		cr_assert_gt(k, 0);
		cr_assert_eq(hv_fcopy_service_process_daemon(s, out, (size_t)k), HV_S_OK);
		h = op_msg(HV_FCOPY_OP_COMPLETE_FCOPY);
		n = wire(&h, host);
		k = hv_fcopy_kernel_request_to_daemon(host, n, out, sizeof(out));
		cr_assert_gt(k, 0);
		cr_assert_eq(hv_fcopy_service_process_daemon(s, out, (size_t)k), HV_S_OK);
		cr_assert_str_eq(read_file("k.txt"), "");
	}
}

/* ---- the hostile-input matrix ---- */

/* After each case: failure answered, nothing open, no partial file, and
 * the service still copies. */
static void check_aftermath(uint32_t status, unsigned entries_before)
{
	cr_assert_eq(status, HV_E_FAIL, "status 0x%08x", status);
	cr_assert_not(hv_fcopy_service_is_open(s));
	cr_assert_eq(count_entries(), entries_before, "a partial file was left");
	cr_assert_eq(start("after", HV_FCOPY_OVER_WRITE, 0), HV_S_OK, "the service is stuck");
	cr_assert_eq(put(0, "ok"), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_str_eq(read_file("after"), "ok");
}

Test(fcopy_service, out_of_order_with_nothing_open)
{
	cr_assert_eq(put(0, "x"), HV_E_FAIL, "WRITE before START");
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_E_FAIL, "COMPLETE with nothing open");
	cr_assert_eq(op(HV_FCOPY_OP_CANCEL_FCOPY), HV_E_FAIL, "CANCEL with nothing open");
	cr_assert_eq(op(9), HV_E_FAIL, "unknown op");
	cr_assert_eq(op(0xffffffffu), HV_E_FAIL, "unknown op");
	cr_assert_eq(stats().rejected, 5);
	cr_assert_eq(stats().copies_failed, 0, "no copy was involved");
	check_aftermath(HV_E_FAIL, 0);
}

/* Each hostile message arrives while a copy (with data) is open. */
enum hostile {
	SECOND_START,
	OVERSIZE_DECODED,
	OVERSIZE_WIRE,
	SIZE_BEYOND_PACKET,
	OFFSET_OVERFLOW,
	PAST_FILE_SIZE,
	UNKNOWN_OP,
	SHORT_PACKET,
	HEADER_ONLY,
	TRUNCATED_START,
	BAD_UTF16_NAME,
	UNTERMINATED_NAME,
	BAD_NAME,
	DAEMON_SHORT,
	DAEMON_BAD_UTF8,
	LOST_CHANNEL,
	_HOSTILE_MAX,
};

static uint32_t send_hostile(enum hostile h)
{
	uint8_t buf[BUF_SIZE];
	struct hv_fcopy_msg m;
	size_t n;

	memset(buf, 0, sizeof(buf));
	switch (h) {
	case SECOND_START:
		m = start_msg(root, "other", 0, 0);
		return send_wire(&m);
	case OVERSIZE_DECODED:
		m = write_msg(0, "x");
		m.write.size = HV_FCOPY_DATA_FRAGMENT + 1;
		m.write.data = buf;
		return hv_fcopy_service_handle(s, &m);
	case OVERSIZE_WIRE:
		m = write_msg(0, "x");
		n = wire(&m, buf);
		hv_put_le32(buf + HV_ICMSG_HDR_SIZE + HV_FCOPY_OFF_SIZE, HV_FCOPY_DATA_FRAGMENT + 1);
		return hv_fcopy_service_process_wire(s, buf, n);
	case SIZE_BEYOND_PACKET:
		/* size 100, but only 10 data bytes in the packet (§11.16). */
		m = write_msg(0, "x");
		(void)wire(&m, buf);
		hv_put_le32(buf + HV_ICMSG_HDR_SIZE + HV_FCOPY_OFF_SIZE, 100);
		return hv_fcopy_service_process_wire(s, buf, HV_ICMSG_HDR_SIZE + HV_FCOPY_OFF_DATA + 10);
	case OFFSET_OVERFLOW:
		m = write_msg(UINT64_MAX - 1, "xyz");
		return send_wire(&m);
	case PAST_FILE_SIZE:
		m = write_msg(98, "xyz"); /* START announced 100 bytes */
		return send_wire(&m);
	case UNKNOWN_OP:
		return op(4);
	case SHORT_PACKET:
		return hv_fcopy_service_process_wire(s, buf, 10);
	case HEADER_ONLY:
		m = op_msg(HV_FCOPY_OP_COMPLETE_FCOPY);
		n = wire(&m, buf);
		return hv_fcopy_service_process_wire(s, buf, HV_ICMSG_HDR_SIZE + HV_FCOPY_HDR_SIZE - 1);
	case TRUNCATED_START:
		m = start_msg(root, "t", 0, 0);
		n = wire(&m, buf);
		return hv_fcopy_service_process_wire(s, buf, n - 1);
	case BAD_UTF16_NAME:
		m = start_msg(root, "u", 0, 0);
		n = wire(&m, buf);
		hv_put_le16(buf + HV_ICMSG_HDR_SIZE + HV_FCOPY_OFF_FILE_NAME, 0xd800); /* lone surrogate */
		return hv_fcopy_service_process_wire(s, buf, n);
	case UNTERMINATED_NAME:
		m = start_msg(root, "u", 0, 0);
		n = wire(&m, buf);
		for (size_t i = 0; i < HV_FCOPY_W_MAX_PATH; i++)
			hv_put_le16(buf + HV_ICMSG_HDR_SIZE + HV_FCOPY_OFF_FILE_NAME + 2 * i, 'a');
		return hv_fcopy_service_process_wire(s, buf, n);
	case BAD_NAME:
		m = start_msg(root, "..", HV_FCOPY_OVER_WRITE, 0);
		return send_wire(&m);
	case DAEMON_SHORT:
		m = write_msg(0, "x");
		n = (size_t)hv_fcopy_daemon_encode(&m, buf, sizeof(buf));
		return hv_fcopy_service_process_daemon(s, buf, n - 1);
	case DAEMON_BAD_UTF8:
		m = start_msg(root, "u", 0, 0);
		n = (size_t)hv_fcopy_daemon_encode(&m, buf, sizeof(buf));
		buf[HV_FCOPY_OFF_FILE_NAME] = 0xff;
		return hv_fcopy_service_process_daemon(s, buf, n);
	case LOST_CHANNEL:
		cr_assert(hv_fcopy_service_cancel(s, "the channel was rescinded"));
		cr_assert_not(hv_fcopy_service_cancel(s, "again"), "nothing open any more");
		return HV_E_FAIL;
	case _HOSTILE_MAX:
		break;
	}
	cr_assert_fail("unknown case");
	return 0;
}

static enum hostile hostile_cases[_HOSTILE_MAX];

ParameterizedTestParameters(fcopy_service, hostile_while_open)
{
	for (int i = 0; i < _HOSTILE_MAX; i++)
		hostile_cases[i] = (enum hostile)i;
	return cr_make_param_array(enum hostile, hostile_cases, _HOSTILE_MAX);
}

ParameterizedTest(enum hostile *h, fcopy_service, hostile_while_open)
{
	uint32_t status;

	/* An existing file the copy would replace must survive. */
	cr_assert_eq(start("victim", 0, 0), HV_S_OK);
	cr_assert_eq(put(0, "original"), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);

	cr_assert_eq(start("victim", HV_FCOPY_OVER_WRITE, 100), HV_S_OK);
	cr_assert_eq(put(0, "partial"), HV_S_OK);
	cr_assert_eq(count_entries(), 2, "victim and the temporary file");
	status = send_hostile(*h);
	cr_assert_str_eq(read_file("victim"), "original", "case %d touched the target", *h);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_E_FAIL, "case %d: a broken copy completed", *h);
	cr_assert_geq(stats().copies_failed + stats().copies_cancelled, 1);
	check_aftermath(status, 1);
}

/* The same messages with nothing open: refused, nothing created. */
ParameterizedTestParameters(fcopy_service, hostile_while_idle)
{
	for (int i = 0; i < _HOSTILE_MAX; i++)
		hostile_cases[i] = (enum hostile)i;
	/* A lost channel with nothing open is no message at all. */
	return cr_make_param_array(enum hostile, hostile_cases, LOST_CHANNEL);
}

ParameterizedTest(enum hostile *h, fcopy_service, hostile_while_idle)
{
	uint32_t status = send_hostile(*h);

	if (*h == SECOND_START) {
		/* With nothing open it is a plain START. */
		cr_assert_eq(status, HV_S_OK);
		cr_assert_eq(op(HV_FCOPY_OP_CANCEL_FCOPY), HV_S_OK);
		status = HV_E_FAIL;
	}
	check_aftermath(status, 0);
}

Test(fcopy_service, second_start_fails_both)
{
	struct hv_fcopy_copy_info info;

	cr_assert_eq(start("one", 0, 0), HV_S_OK);
	cr_assert_eq(start("two", 0, 0), HV_E_FAIL);
	cr_assert_not(hv_fcopy_service_is_open(s));
	cr_assert_eq(count_entries(), 0);
	cr_assert_eq(stats().copies_failed, 2);
	cr_assert_eq(hv_fcopy_service_get_last(s, &info), 0);
	cr_assert_not_null(strstr(info.target, "/two"));
	cr_assert_eq(info.status, HV_E_FAIL);
	cr_assert_eq(put(0, "x"), HV_E_FAIL, "neither is open");
}

Test(fcopy_service, file_size_zero_sets_no_limit)
{
	cr_assert_eq(start("z", 0, 0), HV_S_OK);
	cr_assert_eq(put(1000, "late"), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_eq(start("exact", 0, 4), HV_S_OK);
	cr_assert_eq(put(0, "four"), HV_S_OK, "up to the announced size is fine");
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_str_eq(read_file("exact"), "four");
}

Test(fcopy_service, garbage_never_crashes)
{
	uint8_t buf[BUF_SIZE];
	unsigned seed = 12345;

	for (unsigned i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		uint32_t st;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		/* Valid operations half of the time, so the handlers run too. */
		if (len >= HV_ICMSG_HDR_SIZE + 4 && (i & 1))
			hv_put_le32(buf + HV_ICMSG_HDR_SIZE, (uint32_t)(rand_r(&seed) % 5));
		st = (i & 2) ? hv_fcopy_service_process_wire(s, buf, len)
			     : hv_fcopy_service_process_daemon(s, buf, len);
		cr_assert(st == HV_S_OK || st == HV_E_FAIL || st == HV_ERROR_ALREADY_EXISTS, "0x%08x", st);
	}
	hv_fcopy_service_cancel(s, "test over");
	cr_assert_eq(count_entries(), 0);
}

/* ---- statuses ---- */

Test(fcopy_service, statuses)
{
	struct hv_fcopy_msg m;

	cr_assert_eq(start("e", 0, 0), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_eq(start("e", 0, 0), HV_ERROR_ALREADY_EXISTS);
	cr_assert_eq(start("e", HV_FCOPY_CREATE_PATH, 0), HV_ERROR_ALREADY_EXISTS);
	cr_assert_eq(start("e", HV_FCOPY_OVER_WRITE | 0x80, 0), HV_S_OK, "unknown flags are ignored");
	cr_assert_eq(op(HV_FCOPY_OP_CANCEL_FCOPY), HV_S_OK);
	cr_assert_eq(stats().copies_cancelled, 1);

	/* ENOENT must not become HV_S_CONT, the table's KVP meaning. */
	m = start_msg(root, "x", 0, 0);
	strcat(m.start.path_name, "/missing/dir");
	cr_assert_eq(send_wire(&m), HV_E_FAIL);
	m.start.copy_flags = HV_FCOPY_CREATE_PATH;
	cr_assert_eq(send_wire(&m), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);

	m = start_msg("/etc", "passwd", HV_FCOPY_OVER_WRITE, 0);
	cr_assert_eq(send_wire(&m), HV_E_FAIL, "outside the roots");
	cr_assert_not_null(strstr(logbuf, "not below any of the configured roots"), "%s", logbuf);
}

Test(fcopy_service, disk_full)
{
	char *roots[] = { root, NULL };
	char block[HV_FCOPY_DATA_FRAGMENT + 1];
	uint32_t st = HV_S_OK;

	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("cannot make a mount namespace: %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("tmpfs", root, "tmpfs", 0, "size=32k"), 0, "%m");
	new_service(roots);
	memset(block, 'x', HV_FCOPY_DATA_FRAGMENT);
	block[HV_FCOPY_DATA_FRAGMENT] = '\0';
	cr_assert_eq(start("full", 0, 0), HV_S_OK);
	for (uint64_t off = 0; st == HV_S_OK && off < 1024 * 1024; off += HV_FCOPY_DATA_FRAGMENT)
		st = put(off, block);
	cr_assert_eq(st, HV_ERROR_DISK_FULL, "0x%08x", st);
	cr_assert_not(hv_fcopy_service_is_open(s));
	cr_assert_eq(count_entries(), 0);
	cr_assert_eq(stats().copies_failed, 1);
}

Test(fcopy_service, control_characters_are_not_logged)
{
	cr_assert_eq(start("evil\nForged: line", 0, 0), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_not_null(strstr(logbuf, "evil?Forged: line"), "%s", logbuf);
	cr_assert_null(strstr(logbuf, "\nForged"), "%s", logbuf);
}

Test(fcopy_service, reload_during_a_copy)
{
	char other[300];
	char *roots[] = { other, NULL };
	struct hv_fcopy_writer_options o;
	struct hv_fcopy_msg m;

	snprintf(other, sizeof(other), "%s/other", T);
	cr_assert_eq(mkdir(other, 0755), 0);
	cr_assert_eq(start("r", 0, 0), HV_S_OK);
	hv_fcopy_writer_options_init(&o);
	o.roots = roots;
	cr_assert_eq(hv_fcopy_service_reconfigure(s, &o), 0);
	cr_assert(hv_fcopy_service_is_open(s), "the open copy goes on");
	cr_assert_eq(put(0, "old root"), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
	cr_assert_str_eq(read_file("r"), "old root");
	cr_assert_eq(start("r2", 0, 0), HV_E_FAIL, "the old root is no root any more");
	m = start_msg(other, "r3", 0, 0);
	cr_assert_eq(send_wire(&m), HV_S_OK);
	cr_assert_eq(op(HV_FCOPY_OP_COMPLETE_FCOPY), HV_S_OK);
}

Test(fcopy_service, free_cancels)
{
	cr_assert_eq(start("f", 0, 0), HV_S_OK);
	cr_assert_eq(put(0, "data"), HV_S_OK);
	s = hv_fcopy_service_free(s);
	cr_assert_eq(count_entries(), 0);
}

/* ---- [fcopy] ---- */

static int load(const char *text, struct hv_config **ret)
{
	/* The config keeps the array: it must outlive it. */
	static const struct hv_config_section *sections[] = { &hv_fcopy_service_config_sections[0] };
	struct hv_config_source src = { .file = NULL };
	char file[400];
	FILE *f;

	snprintf(file, sizeof(file), "%s/hvutils.conf", T);
	f = fopen(file, "we");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	src.file = file;
	return hv_config_load(sections, 1, &src, ret);
}

Test(fcopy_service, config_section)
{
	const struct hv_fcopy_service_config *cfg;
	struct hv_fcopy_writer_options o;
	struct hv_config *c = NULL;
	char *dump = NULL;

	cr_assert_null(hv_fcopy_service_config_sections[1].name, "terminated");
	cr_assert_eq(load("[fcopy]\n", &c), 0);
	cfg = hv_config_get(c, &hv_fcopy_service_config_sections[0]);
	cr_assert_eq(cfg->transport, HV_FCOPY_TRANSPORT_AUTO);
	cr_assert_str_eq(cfg->roots[0], "/");
	cr_assert_null(cfg->roots[1]);
	cr_assert_eq(cfg->file_mode, 0644);
	cr_assert_eq(cfg->directory_mode, 0755);
	cr_assert_str_eq(cfg->owner, "root");
	cr_assert_eq(hv_fcopy_service_writer_options_from_config(cfg, NULL, &o), 0);
	cr_assert_eq(o.uid, 0);
	cr_assert_eq(o.gid, 0);
	cr_assert_eq(o.file_mode, 0644);
	hv_config_free(c);

	cr_assert_eq(load("[fcopy]\ntransport = UIO\nroots = /srv//in/ /home,/tmp/./x\nfile-mode = 600\n"
			  "directory-mode = 0700\nowner = 1000\ngroup = 100\n",
			  &c),
		     0);
	cfg = hv_config_get(c, &hv_fcopy_service_config_sections[0]);
	cr_assert_eq(cfg->transport, HV_FCOPY_TRANSPORT_UIO);
	cr_assert_str_eq(cfg->roots[0], "/srv/in");
	cr_assert_str_eq(cfg->roots[1], "/home");
	cr_assert_str_eq(cfg->roots[2], "/tmp/x");
	cr_assert_null(cfg->roots[3]);
	cr_assert_eq(cfg->file_mode, 0600);
	cr_assert_eq(cfg->directory_mode, 0700);
	cr_assert_eq(hv_fcopy_service_writer_options_from_config(cfg, NULL, &o), 0);
	cr_assert_eq(o.uid, 1000);
	cr_assert_eq(o.gid, 100);
	cr_assert_eq(o.roots, cfg->roots);
	cr_assert_eq(hv_config_dump(c, &dump), 0);
	cr_assert_not_null(strstr(dump, "roots = /srv/in /home /tmp/x"), "%s", dump);
	cr_assert_not_null(strstr(dump, "file-mode = 0600"), "%s", dump);
	free(dump);
	hv_config_free(c);

	cr_assert_eq(load("[fcopy]\nowner = no-such-user-hvtest\n", &c), 0, "checked when used");
	cfg = hv_config_get(c, &hv_fcopy_service_config_sections[0]);
	cr_assert_eq(hv_fcopy_service_writer_options_from_config(cfg, NULL, &o), -ENOENT);
	cr_assert_not_null(strstr(logbuf, "no such user"), "%s", logbuf);
	hv_config_free(c);

	static const char *const bad[] = {
		"[fcopy]\nfile-mode = 0999\n",   "[fcopy]\nfile-mode = 4755\n", "[fcopy]\nfile-mode = -1\n",
		"[fcopy]\nroots = relative\n",   "[fcopy]\nroots = /a/../b\n",  "[fcopy]\ntransport = pipe\n",
		"[fcopy]\nowner = a/b\n",        "[fcopy]\ngroup = -x\n",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		cr_assert_lt(load(bad[i], &c), 0, "accepted: %s", bad[i]);
}
