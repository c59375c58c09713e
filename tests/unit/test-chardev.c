/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport/chardev against the fake kernel (chardev-fake.c): the three
 * registration handshakes and their failure modes (table-driven), ENOENT
 * reported distinctly, EBUSY naming the holder from a fixture /proc and from
 * the real one, whole-message dispatch and write, and reopen plus
 * re-registration after every kind of read or write failure.
 *
 * The kernel side here restates PROTOCOL.md §5.3, §6.3 and §7.2 with literal
 * numbers on purpose: transport/ does not see proto/, and an independent
 * restatement cross-checks the descriptors the daemons build from proto/
 * (tested in test-daemon-chardev.c against proto's kernel-side functions).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "transport/chardev-fake.h"
#include "transport/chardev.h"

#define KVP_MSG 7432
#define KVP_REGISTER1 100
#define KVP_REGISTER 4
#define VSS_MSG 12
#define VSS_REGISTER1 129
#define VSS_REGISTER 128

/* ---- kernel sides (what write() and the answer look like) ---- */

enum kernel_kind {
	K_KVP,
	K_KVP_WRONG_OP,    /* answers with op 4 to a REGISTER1 */
	K_KVP_OLD,         /* refuses REGISTER1 (EINVAL) */
	K_VSS,
	K_VSS_WRONG_VALUE, /* answers 128 */
	K_VSS_LONG_ANSWER, /* answers a 12-byte message instead of 4 bytes */
	K_FCOPY,
	K_FCOPY_SILENT,    /* accepts version 1 without answering */
	_K_MAX,
};

static void put_u32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
}

static uint32_t get_u32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int kernel_handshake(const void *buf, size_t len, void *reply, size_t reply_size, void *userdata)
{
	enum kernel_kind k = (enum kernel_kind)(intptr_t)userdata;
	const uint8_t *b = buf;

	switch (k) {
	case K_KVP:
	case K_KVP_WRONG_OP:
	case K_KVP_OLD:
		if (len < KVP_MSG || (b[0] != KVP_REGISTER && b[0] != KVP_REGISTER1))
			return -EINVAL;
		if (k == K_KVP_OLD && b[0] == KVP_REGISTER1)
			return -EINVAL;
		memset(reply, 0, KVP_MSG);
		((uint8_t *)reply)[0] = k == K_KVP_WRONG_OP ? KVP_REGISTER : b[0];
		strcpy((char *)reply + 4, "3.1");
		return KVP_MSG;
	case K_VSS:
	case K_VSS_WRONG_VALUE:
	case K_VSS_LONG_ANSWER:
		if (len != VSS_MSG)
			return -EINVAL;
		if (b[0] == VSS_REGISTER)
			return 0;
		if (b[0] != VSS_REGISTER1)
			return -EINVAL;
		if (k == K_VSS_LONG_ANSWER) {
			memset(reply, 0, VSS_MSG);
			((uint8_t *)reply)[0] = VSS_REGISTER1;
			return VSS_MSG;
		}
		put_u32(reply, k == K_VSS_WRONG_VALUE ? VSS_REGISTER : VSS_REGISTER1);
		return 4;
	case K_FCOPY:
	case K_FCOPY_SILENT:
		if (len != 4 || get_u32(b) > 1)
			return -EINVAL;
		if (get_u32(b) == 0 || k == K_FCOPY_SILENT)
			return 0;
		put_u32(reply, 1);
		return 4;
	case _K_MAX:
		break;
	}
	return -EINVAL;
}

static struct hv_chardev_fake *new_fake(enum kernel_kind k)
{
	struct hv_chardev_fake_kernel kernel = {
		.handshake = kernel_handshake,
		.userdata = (void *)(intptr_t)k,
	};
	struct hv_chardev_fake *f = NULL;

	switch (k) {
	case K_KVP:
	case K_KVP_WRONG_OP:
	case K_KVP_OLD:
		kernel.reply_min = kernel.reply_max = KVP_MSG;
		break;
	case K_VSS:
	case K_VSS_WRONG_VALUE:
	case K_VSS_LONG_ANSWER:
		kernel.reply_min = kernel.reply_max = VSS_MSG;
		break;
	case K_FCOPY:
	case K_FCOPY_SILENT:
	case _K_MAX:
		kernel.reply_min = kernel.reply_max = 4;
		break;
	}
	cr_assert_eq(hv_chardev_fake_new(&kernel, &f), 0);
	return f;
}

/* ---- daemon sides (what the daemons build from proto/) ---- */

enum desc_kind {
	D_KVP,
	D_VSS,
	D_VSS_LEGACY,
	D_FCOPY_V1,
	D_FCOPY_V0,
	_D_MAX,
};

static char kvp_version[512];
static uint8_t request[KVP_MSG];

static int check_kvp(const void *reply, size_t size, void *userdata)
{
	const uint8_t *b = reply;

	if (size != KVP_MSG || b[0] != KVP_REGISTER1 || !memchr(b + 4, '\0', 512))
		return -EPROTO;
	snprintf(userdata, sizeof(kvp_version), "%s", (const char *)b + 4);
	return 0;
}

static int check_u32(const void *reply, size_t size, void *userdata)
{
	return size == 4 && get_u32(reply) == (uint32_t)(uintptr_t)userdata ? 0 : -EPROTO;
}

static struct hv_chardev_desc make_desc(enum desc_kind d)
{
	struct hv_chardev_desc desc = { 0 };

	memset(request, 0, sizeof(request));
	switch (d) {
	case D_KVP:
		request[0] = KVP_REGISTER1;
		desc = (struct hv_chardev_desc){
			.name = "kvp", .device = "/dev/vmbus/hv_kvp",
			.min_msg_size = KVP_MSG, .max_msg_size = KVP_MSG,
			.handshake = { .request = request, .request_size = KVP_MSG, .reply_size = KVP_MSG,
				       .check_reply = check_kvp, .userdata = kvp_version },
		};
		break;
	case D_VSS:
	case D_VSS_LEGACY:
		request[0] = d == D_VSS ? VSS_REGISTER1 : VSS_REGISTER;
		desc = (struct hv_chardev_desc){
			.name = "vss", .device = "/dev/vmbus/hv_vss",
			.min_msg_size = VSS_MSG, .max_msg_size = VSS_MSG,
			.handshake = { .request = request, .request_size = VSS_MSG,
				       .reply_size = d == D_VSS ? 4 : 0, .check_reply = check_u32,
				       .userdata = (void *)(uintptr_t)VSS_REGISTER1 },
		};
		break;
	case D_FCOPY_V1:
	case D_FCOPY_V0:
		put_u32(request, d == D_FCOPY_V1 ? 1 : 0);
		desc = (struct hv_chardev_desc){
			.name = "fcopy", .device = "/dev/vmbus/hv_fcopy",
			.min_msg_size = 4, .max_msg_size = 6196,
			.handshake = { .request = request, .request_size = 4,
				       .reply_size = d == D_FCOPY_V1 ? 4 : 0, .check_reply = check_u32,
				       .userdata = (void *)(uintptr_t)1 },
		};
		break;
	case _D_MAX:
		break;
	}
	return desc;
}

/* ---- fixtures ---- */

static char root[128];
static struct hv_path *path;

static void setup(void)
{
	strcpy(root, "/tmp/hv-test-chardev-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	path = hv_path_new(root);
	kvp_version[0] = '\0';
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)system(cmd);
	hv_path_free(path);
}

static struct hv_chardev *new_chardev(enum desc_kind d, struct hv_chardev_fake *f)
{
	struct hv_chardev_desc desc = make_desc(d);
	struct hv_chardev *c = NULL;

	cr_assert_eq(hv_chardev_new(&desc, path, &c), 0);
	/* The request bytes were copied: scribbling on ours changes nothing. */
	memset(request, 0xee, sizeof(request));
	hv_chardev_set_io(c, &hv_chardev_fake_io, f);
	return c;
}

static struct hv_chardev_fake_stats stats_of(const struct hv_chardev_fake *f)
{
	struct hv_chardev_fake_stats s;

	hv_chardev_fake_get_stats(f, &s);
	return s;
}

/* ---- handshakes, table-driven ---- */

struct hs_case {
	enum desc_kind desc;
	enum kernel_kind kernel;
	int result;
	char error_part[64]; /* in hv_chardev_get_error() when result < 0 */
};

static const struct hs_case hs_cases[] = {
	{ D_KVP, K_KVP, 0, "" },
	{ D_VSS, K_VSS, 0, "" },
	{ D_VSS_LEGACY, K_VSS, 0, "" },
	{ D_FCOPY_V1, K_FCOPY, 0, "" },
	{ D_FCOPY_V0, K_FCOPY, 0, "" },
	{ D_KVP, K_KVP_WRONG_OP, -EPROTO, "unexpected message" },
	{ D_KVP, K_KVP_OLD, -EINVAL, "refused the registration" },
	{ D_VSS, K_VSS_WRONG_VALUE, -EPROTO, "unexpected message" },
	{ D_VSS, K_VSS_LONG_ANSWER, -EPROTO, "with 12 bytes, expected 4" },
	{ D_FCOPY_V1, K_FCOPY_SILENT, -EAGAIN, "no answer to the registration" },
	/* A VSS registration on the KVP device: the kernel refuses it. */
	{ D_VSS, K_KVP, -EINVAL, "refused the registration" },
};

ParameterizedTestParameters(chardev, handshake)
{
	return cr_make_param_array(struct hs_case, hs_cases, ELEMENTSOF(hs_cases));
}

ParameterizedTest(struct hs_case *hc, chardev, handshake, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(hc->kernel);
	struct hv_chardev *c = new_chardev(hc->desc, f);
	struct hv_chardev_fake_stats s;

	cr_assert_eq(hv_chardev_open(c), hc->result, "desc %d kernel %d: %s", hc->desc, hc->kernel,
		     hv_chardev_get_error(c) ?: "");
	s = stats_of(f);
	if (hc->result == 0) {
		cr_assert_geq(hv_chardev_get_fd(c), 0);
		cr_assert(s.open && s.registered);
		cr_assert_not(s.pending, "the kernel's answer must have been read");
		cr_assert_null(hv_chardev_get_error(c));
		cr_assert_eq(hv_chardev_get_generation(c), 1);
		if (hc->desc == D_KVP)
			cr_assert_str_eq(kvp_version, "3.1");
		/* Opening again is a no-op. */
		cr_assert_eq(hv_chardev_open(c), 0);
		cr_assert_eq(stats_of(f).opens, 1);
	} else {
		cr_assert_lt(hv_chardev_get_fd(c), 0);
		cr_assert_not(s.open, "a failed registration closes the device");
		cr_assert_not_null(hv_chardev_get_error(c));
		cr_assert_not_null(strstr(hv_chardev_get_error(c), hc->error_part), "%s",
				   hv_chardev_get_error(c));
	}
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

/* ---- open failures ---- */

Test(chardev, device_path_goes_through_the_path_context, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_KVP);
	struct hv_chardev *c = new_chardev(D_KVP, f);
	char want[256];

	cr_assert_eq(hv_chardev_open(c), 0);
	snprintf(want, sizeof(want), "%s/dev/vmbus/hv_kvp", root);
	cr_assert_str_eq(hv_chardev_fake_get_path(f), want);
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, missing_device_is_reported_distinctly, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_VSS);
	struct hv_chardev *c = new_chardev(D_VSS, f);

	hv_chardev_fake_set_present(f, false);
	cr_assert_eq(hv_chardev_open(c), -ENOENT);
	cr_assert_str_eq(hv_chardev_get_error(c), "/dev/vmbus/hv_vss does not exist (yet)");
	/* The device appears later (6.13+ creates it once the channel is open). */
	hv_chardev_fake_set_present(f, true);
	cr_assert_eq(hv_chardev_open(c), 0);
	cr_assert_null(hv_chardev_get_error(c));
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, other_open_errors_are_named, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_VSS);
	struct hv_chardev *c = new_chardev(D_VSS, f);

	hv_chardev_fake_fail_next_open(f, -EACCES);
	cr_assert_eq(hv_chardev_open(c), -EACCES);
	cr_assert_str_eq(hv_chardev_get_error(c), "cannot open /dev/vmbus/hv_vss: Permission denied");
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

static void mkdirs(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, arg);
	(void)fmt;
	cr_assert_eq(system(cmd), 0);
}

static void fake_process(const char *pid, const char *comm, const char *fd, const char *target)
{
	char p[512], dir[300];
	FILE *fp;

	snprintf(dir, sizeof(dir), "proc/%s/fd", pid);
	mkdirs("%s", dir);
	snprintf(p, sizeof(p), "%s/proc/%s/fd/%s", root, pid, fd);
	cr_assert_eq(symlink(target, p), 0);
	if (comm) {
		snprintf(p, sizeof(p), "%s/proc/%s/comm", root, pid);
		fp = fopen(p, "we");
		cr_assert_not_null(fp);
		fprintf(fp, "%s\n", comm);
		fclose(fp);
	}
}

Test(chardev, busy_device_names_the_holder, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_KVP);
	struct hv_chardev *c = new_chardev(D_KVP, f);

	fake_process("99", "bash", "0", "/dev/pts/0");
	fake_process("1234", "hv_kvp_daemon", "3", "/dev/vmbus/hv_kvp");
	fake_process("777", "hv_vss_daemon", "3", "/dev/vmbus/hv_vss");
	mkdirs("%s", "proc/self/fd");
	mkdirs("%s", "proc/sys");
	hv_chardev_fake_set_busy(f, true);
	cr_assert_eq(hv_chardev_open(c), -EBUSY);
	cr_assert_str_eq(hv_chardev_get_error(c), "/dev/vmbus/hv_kvp is busy: held by pid 1234 (hv_kvp_daemon)");
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, busy_device_without_visible_holder, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_KVP);
	struct hv_chardev *c = new_chardev(D_KVP, f);

	fake_process("777", "hv_vss_daemon", "3", "/dev/vmbus/hv_vss");
	hv_chardev_fake_set_busy(f, true);
	cr_assert_eq(hv_chardev_open(c), -EBUSY);
	cr_assert_str_eq(hv_chardev_get_error(c), "/dev/vmbus/hv_kvp is busy: held by another process");
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, holder_without_comm_still_named, .init = setup, .fini = teardown)
{
	pid_t pid = 0;
	char *comm = NULL;

	fake_process("4321", NULL, "9", "/dev/vmbus/hv_fcopy");
	cr_assert_eq(hv_chardev_find_holder(path, "/dev/vmbus/hv_fcopy", 0, &pid, &comm), 0);
	cr_assert_eq(pid, 4321);
	cr_assert_str_eq(comm, "?");
	free(comm);
	/* The excluded pid (normally ourselves) is never reported. */
	cr_assert_eq(hv_chardev_find_holder(path, "/dev/vmbus/hv_fcopy", 4321, &pid, &comm), -ESRCH);
}

Test(chardev, holder_found_in_the_real_proc, .init = setup, .fini = teardown)
{
	char file[256], go;
	int ready[2], done[2];
	pid_t child, pid = 0;
	char *comm = NULL;

	snprintf(file, sizeof(file), "%s/device", root);
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(done), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		int fd = open(file, O_RDWR);

		prctl(PR_SET_NAME, "hv-holder");
		(void)!write(ready[1], "x", 1);
		(void)!read(done[0], &go, 1);
		close(fd);
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &go, 1), 1);
	cr_assert_eq(hv_chardev_find_holder(NULL, file, getpid(), &pid, &comm), 0);
	cr_assert_eq(pid, child);
	cr_assert_str_eq(comm, "hv-holder");
	free(comm);
	(void)!write(done[1], "x", 1);
	waitpid(child, NULL, 0);
}

/* ---- messages ---- */

struct recorder {
	int messages;
	int resets;
	size_t last_size;
	uint8_t last[KVP_MSG];
	int reply;          /* write a reply from on_message: 1 */
	int write_result;   /* what hv_chardev_write returned */
	int hibernate;      /* hibernate the fake before replying */
	int fail;           /* on_message returns this when < 0 */
	struct hv_chardev_fake *fake;
};

static int rec_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	struct recorder *r = userdata;

	r->messages++;
	r->last_size = size;
	memcpy(r->last, msg, HV_MIN(size, sizeof(r->last)));
	if (r->fail < 0)
		return r->fail;
	if (r->reply) {
		if (r->hibernate)
			hv_chardev_fake_hibernate(r->fake);
		/* Reply in place, as the KVP service does (error in bytes 0..3). */
		put_u32(msg, 0);
		r->write_result = hv_chardev_write(c, msg, size);
	}
	return 0;
}

static void rec_reset(struct hv_chardev *c, void *userdata)
{
	((struct recorder *)userdata)->resets++;
}

static const struct hv_chardev_callbacks rec_callbacks = {
	.on_message = rec_message,
	.on_reset = rec_reset,
};

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

Test(chardev, dispatch_hands_over_whole_messages_and_writes_replies, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_KVP);
	struct hv_chardev *c = new_chardev(D_KVP, f);
	struct recorder rec = { .reply = 1, .fake = f };
	static uint8_t msg[KVP_MSG], reply[KVP_MSG];

	hv_chardev_set_callbacks(c, &rec_callbacks, &rec);
	cr_assert_eq(hv_chardev_open(c), 0);
	cr_assert_eq(hv_chardev_dispatch(c), 0, "nothing pending: nothing to do");
	cr_assert_eq(rec.messages, 0);

	for (int i = 0; i < 3; i++) {
		fill(msg, sizeof(msg), (uint8_t)i);
		msg[0] = 1; /* SET */
		cr_assert_eq(hv_chardev_fake_send(f, msg, sizeof(msg)), 0);
		cr_assert_eq(hv_chardev_dispatch(c), 1);
		cr_assert_eq(rec.messages, i + 1);
		cr_assert_eq(rec.last_size, KVP_MSG);
		cr_assert_arr_eq(rec.last, msg, KVP_MSG);
		cr_assert_eq(rec.write_result, 0);
		cr_assert_eq(hv_chardev_fake_recv(f, reply, sizeof(reply)), KVP_MSG);
		cr_assert_eq(get_u32(reply), 0);
		cr_assert_arr_eq(reply + 4, msg + 4, KVP_MSG - 4);
	}
	cr_assert_eq(rec.resets, 0);
	cr_assert_eq(hv_chardev_get_reopens(c), 0);
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, variable_size_messages_within_bounds, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_FCOPY);
	struct hv_chardev *c = new_chardev(D_FCOPY_V1, f);
	struct recorder rec = { .fake = f };
	static const size_t sizes[] = { 4, 36, 1088, 6196 };
	static uint8_t msg[6196];

	hv_chardev_set_callbacks(c, &rec_callbacks, &rec);
	cr_assert_eq(hv_chardev_open(c), 0);
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		fill(msg, sizes[i], (uint8_t)i);
		cr_assert_eq(hv_chardev_fake_send(f, msg, sizes[i]), 0);
		cr_assert_eq(hv_chardev_dispatch(c), 1);
		cr_assert_eq(rec.last_size, sizes[i]);
		cr_assert_arr_eq(rec.last, msg, HV_MIN(sizes[i], sizeof(rec.last)));
		/* fcopy replies with a 4-byte status. */
		cr_assert_eq(hv_chardev_write(c, "\0\0\0\0", 4), 0);
	}
	cr_assert_eq(rec.resets, 0);
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

/* ---- failures that must end in reopen + re-registration ---- */

enum fault {
	F_READ_EINVAL,    /* the kernel's answer to a too-small read */
	F_READ_EBADF,     /* device destroyed and recreated */
	F_READ_EIO,
	F_SHORT_READ,
	F_OVERSIZED,      /* a message larger than our buffer: EINVAL from read */
	F_WRITE_HIBERNATE, /* transaction dropped across hibernation: write EINVAL */
	F_WRITE_EIO,
	_F_MAX,
};

struct fault_case {
	enum fault fault;
	enum desc_kind desc;
	enum kernel_kind kernel;
};

static const struct fault_case fault_cases[] = {
	{ F_READ_EINVAL, D_KVP, K_KVP },      { F_READ_EBADF, D_KVP, K_KVP },
	{ F_READ_EIO, D_VSS, K_VSS },         { F_SHORT_READ, D_KVP, K_KVP },
	{ F_SHORT_READ, D_VSS, K_VSS },       { F_OVERSIZED, D_VSS, K_VSS },
	{ F_WRITE_HIBERNATE, D_KVP, K_KVP },  { F_WRITE_HIBERNATE, D_VSS, K_VSS },
	{ F_WRITE_HIBERNATE, D_FCOPY_V1, K_FCOPY }, { F_WRITE_EIO, D_VSS, K_VSS },
};

ParameterizedTestParameters(chardev, reopen_after_failure)
{
	return cr_make_param_array(struct fault_case, fault_cases, ELEMENTSOF(fault_cases));
}

static size_t msg_size(enum desc_kind d)
{
	return d == D_KVP ? KVP_MSG : d == D_VSS ? VSS_MSG : 4;
}

ParameterizedTest(struct fault_case *fc, chardev, reopen_after_failure, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(fc->kernel);
	struct hv_chardev *c = new_chardev(fc->desc, f);
	struct recorder rec = { .fake = f };
	size_t size = msg_size(fc->desc);
	static uint8_t msg[8192], reply[8192];
	uint64_t gen;
	int r;

	hv_chardev_set_callbacks(c, &rec_callbacks, &rec);
	cr_assert_eq(hv_chardev_open(c), 0);
	gen = hv_chardev_get_generation(c);
	fill(msg, sizeof(msg), 3);
	msg[0] = 5;

	switch (fc->fault) {
	case F_READ_EINVAL:
	case F_READ_EBADF:
	case F_READ_EIO:
		cr_assert_eq(hv_chardev_fake_send(f, msg, size), 0);
		hv_chardev_fake_fail_next_read(f, fc->fault == F_READ_EINVAL ? -EINVAL :
						  fc->fault == F_READ_EBADF ? -EBADF : -EIO);
		cr_assert_eq(hv_chardev_dispatch(c), 0);
		cr_assert_eq(rec.messages, 0);
		break;
	case F_SHORT_READ:
		cr_assert_eq(hv_chardev_fake_send(f, msg, size), 0);
		hv_chardev_fake_short_next_read(f);
		cr_assert_eq(hv_chardev_dispatch(c), 0);
		cr_assert_eq(rec.messages, 0, "a short message is never handed over");
		break;
	case F_OVERSIZED:
		cr_assert_eq(hv_chardev_fake_send(f, msg, size + 100), 0);
		cr_assert_eq(hv_chardev_dispatch(c), 0);
		cr_assert_eq(rec.messages, 0);
		break;
	case F_WRITE_HIBERNATE:
	case F_WRITE_EIO:
		rec.reply = 1;
		rec.hibernate = fc->fault == F_WRITE_HIBERNATE;
		if (fc->fault == F_WRITE_EIO)
			hv_chardev_fake_fail_next_write(f, -EIO);
		cr_assert_eq(hv_chardev_fake_send(f, msg, size), 0);
		cr_assert_eq(hv_chardev_dispatch(c), 1);
		cr_assert_eq(rec.messages, 1);
		cr_assert_eq(rec.write_result, -ECONNRESET);
		cr_assert_eq(hv_chardev_fake_recv(f, reply, sizeof(reply)), -EAGAIN);
		break;
	case _F_MAX:
		break;
	}

	/* Reopened and registered again, and the service was told. */
	cr_assert_eq(rec.resets, 1);
	cr_assert_eq(hv_chardev_get_reopens(c), 1);
	cr_assert_eq(hv_chardev_get_generation(c), gen + 1);
	cr_assert_eq(stats_of(f).opens, 2);
	cr_assert_eq(stats_of(f).closes, 1);
	cr_assert_eq(stats_of(f).registrations, 2);
	cr_assert(stats_of(f).registered);

	/* And it works again. */
	rec.reply = 1;
	rec.hibernate = 0;
	r = hv_chardev_fake_send(f, msg, size);
	cr_assert_eq(r, 0);
	cr_assert_eq(hv_chardev_dispatch(c), 1);
	cr_assert_eq(rec.write_result, 0);
	cr_assert_eq(hv_chardev_fake_recv(f, reply, sizeof(reply)), (ssize_t)size);
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, failed_reopen_is_reported_and_closes, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_KVP);
	struct hv_chardev *c = new_chardev(D_KVP, f);
	struct recorder rec = { .fake = f };
	static uint8_t msg[KVP_MSG];

	hv_chardev_set_callbacks(c, &rec_callbacks, &rec);
	cr_assert_eq(hv_chardev_open(c), 0);
	cr_assert_eq(hv_chardev_fake_send(f, msg, sizeof(msg)), 0);
	hv_chardev_fake_fail_next_read(f, -EBADF);
	hv_chardev_fake_set_present(f, false);
	cr_assert_eq(hv_chardev_dispatch(c), -ENOENT);
	cr_assert_lt(hv_chardev_get_fd(c), 0);
	cr_assert_str_eq(hv_chardev_get_error(c), "/dev/vmbus/hv_kvp does not exist (yet)");
	cr_assert_eq(hv_chardev_dispatch(c), -ENOTCONN);
	cr_assert_eq(hv_chardev_write(c, msg, sizeof(msg)), -ENOTCONN);
	/* The caller may retry later. */
	hv_chardev_fake_set_present(f, true);
	cr_assert_eq(hv_chardev_open(c), 0);
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, service_errors_are_returned, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_VSS);
	struct hv_chardev *c = new_chardev(D_VSS, f);
	struct recorder rec = { .fail = -EBADMSG, .fake = f };
	static uint8_t msg[VSS_MSG];

	hv_chardev_set_callbacks(c, &rec_callbacks, &rec);
	cr_assert_eq(hv_chardev_open(c), 0);
	cr_assert_eq(hv_chardev_fake_send(f, msg, sizeof(msg)), 0);
	cr_assert_eq(hv_chardev_dispatch(c), -EBADMSG);
	cr_assert_eq(rec.resets, 0, "a service error is not a transport error");
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
}

Test(chardev, loop_interface, .init = setup, .fini = teardown)
{
	struct hv_chardev_fake *f = new_fake(K_VSS);
	struct hv_chardev *c = new_chardev(D_VSS, f);

	cr_assert_lt(hv_chardev_get_fd(c), 0);
	cr_assert_eq(hv_chardev_get_events(c), 0x001 /* POLLIN */);
	cr_assert_eq(hv_chardev_get_generation(c), 0);
	cr_assert_str_eq(hv_chardev_get_name(c), "vss");
	cr_assert_eq(hv_chardev_dispatch(c), -ENOTCONN);
	cr_assert_eq(hv_chardev_open(c), 0);
	cr_assert_geq(hv_chardev_get_fd(c), 0);
	hv_chardev_close(c);
	cr_assert_lt(hv_chardev_get_fd(c), 0);
	cr_assert_not(stats_of(f).open);
	cr_assert_null(hv_chardev_free(c));
	cr_assert_null(hv_chardev_free(NULL));
	hv_chardev_fake_free(f);
}

/* ---- descriptor validation ---- */

struct bad_desc_case {
	char name[8];
	char device[32];
	size_t min, max, request_size, reply_size;
	bool null_request;
};

static const struct bad_desc_case bad_desc_cases[] = {
	{ "", "/dev/x", 1, 1, 0, 0, false },               /* no name (empty = NULL below) */
	{ "x", "dev/x", 1, 1, 0, 0, false },               /* relative device */
	{ "x", "/dev/x", 0, 1, 0, 0, false },              /* min 0 */
	{ "x", "/dev/x", 8, 4, 0, 0, false },              /* min > max */
	{ "x", "/dev/x", 1, 65537, 0, 0, false },          /* max too big */
	{ "x", "/dev/x", 1, 1, 4, 0, true },               /* request size without bytes */
	{ "x", "/dev/x", 1, 1, 0, 65537, false },          /* reply too big */
};

ParameterizedTestParameters(chardev, bad_descriptors)
{
	return cr_make_param_array(struct bad_desc_case, bad_desc_cases, ELEMENTSOF(bad_desc_cases));
}

ParameterizedTest(struct bad_desc_case *bc, chardev, bad_descriptors)
{
	static const uint8_t bytes[4];
	struct hv_chardev_desc d = {
		.name = bc->name[0] ? bc->name : NULL,
		.device = bc->device,
		.min_msg_size = bc->min,
		.max_msg_size = bc->max,
		.handshake = { .request = bc->null_request ? NULL : bytes, .request_size = bc->request_size,
			       .reply_size = bc->reply_size },
	};
	struct hv_chardev *c = NULL;

	cr_assert_eq(hv_chardev_new(&d, NULL, &c), -EINVAL);
	cr_assert_null(c);
}
