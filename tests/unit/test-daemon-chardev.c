/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemons/common/daemon-chardev: the KVP, VSS and fcopy descriptors built
 * from proto/, run through the real transport against the fake kernel whose
 * registration side is proto's model of the kernel (hv_*_kernel_handshake):
 * the daemon side and the kernel side of PROTOCOL.md §5.3, §6.3 and §7.2 must
 * agree, and messages of every size the kernel sends must pass whole.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "base/path.h"
#include "daemons/common/daemon-chardev.h"
#include "proto/fcopy.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"
#include "transport/chardev-fake.h"

enum kind {
	KIND_KVP,
	KIND_VSS,
	KIND_FCOPY,
	_KIND_MAX,
};

static int kvp_kernel(const void *buf, size_t len, void *reply, size_t reply_size, void *userdata)
{
	uint8_t op = 0;

	return hv_kvp_kernel_handshake(buf, len, reply, reply_size, &op);
}

static int vss_kernel(const void *buf, size_t len, void *reply, size_t reply_size, void *userdata)
{
	int r = hv_vss_kernel_classify_daemon_write(buf, len);

	if (r < 0)
		return r;
	if (r != HV_VSS_WRITE_REGISTER)
		return -EINVAL;
	return hv_vss_kernel_handshake(((const uint8_t *)buf)[0], reply, reply_size);
}

static int fcopy_kernel(const void *buf, size_t len, void *reply, size_t reply_size, void *userdata)
{
	return hv_fcopy_kernel_handshake(buf, len, reply, reply_size, NULL);
}

struct kind_info {
	struct hv_chardev_fake_kernel kernel;
	const char *device;
	size_t messages[4]; /* sizes the kernel sends; 0 ends */
	size_t reply;       /* what the daemon writes back */
};

static const struct kind_info kinds[_KIND_MAX] = {
	[KIND_KVP] = {
		.kernel = { .handshake = kvp_kernel, .reply_min = HV_KVP_MSG_SIZE, .reply_max = HV_KVP_MSG_SIZE },
		.device = HV_DEVICE_KVP,
		.messages = { HV_KVP_MSG_SIZE },
		.reply = HV_KVP_MSG_SIZE,
	},
	[KIND_VSS] = {
		.kernel = { .handshake = vss_kernel, .reply_min = HV_VSS_MSG_SIZE, .reply_max = HV_VSS_MSG_SIZE },
		.device = HV_DEVICE_VSS,
		.messages = { HV_VSS_MSG_SIZE },
		.reply = HV_VSS_MSG_SIZE,
	},
	[KIND_FCOPY] = {
		.kernel = { .handshake = fcopy_kernel, .reply_min = HV_FCOPY_REPLY_SIZE,
			    .reply_max = HV_FCOPY_REPLY_SIZE },
		.device = HV_DEVICE_FCOPY,
		.messages = { HV_FCOPY_START_SIZE, HV_FCOPY_DO_SIZE, HV_FCOPY_HDR_SIZE },
		.reply = HV_FCOPY_REPLY_SIZE,
	},
};

static char version[HV_KVP_REGISTER_VERSION_SIZE];

static struct hv_chardev *new_chardev(enum kind k, struct hv_path *p)
{
	struct hv_chardev *c = NULL;

	switch (k) {
	case KIND_KVP:
		cr_assert_eq(hv_daemon_chardev_new_kvp(p, version, &c), 0);
		break;
	case KIND_VSS:
		cr_assert_eq(hv_daemon_chardev_new_vss(p, &c), 0);
		break;
	case KIND_FCOPY:
		cr_assert_eq(hv_daemon_chardev_new_fcopy(p, &c), 0);
		break;
	case _KIND_MAX:
		break;
	}
	cr_assert_not_null(c);
	return c;
}

struct seen {
	size_t size;
	int messages;
};

static int on_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	struct seen *s = userdata;

	s->size = size;
	s->messages++;
	return 0;
}

static const struct hv_chardev_callbacks callbacks = { .on_message = on_message };

ParameterizedTestParameters(daemon_chardev, agrees_with_the_kernel_model)
{
	static enum kind all[] = { KIND_KVP, KIND_VSS, KIND_FCOPY };

	return cr_make_param_array(enum kind, all, ELEMENTSOF(all));
}

ParameterizedTest(enum kind *k, daemon_chardev, agrees_with_the_kernel_model)
{
	const struct kind_info *info = &kinds[*k];
	struct hv_chardev_fake *f = NULL;
	struct hv_chardev_fake_stats st;
	struct hv_path *p = hv_path_new("/nonexistent-root");
	struct hv_chardev *c = new_chardev(*k, p);
	static uint8_t msg[HV_CHARDEV_MAX_MSG_SIZE], reply[HV_CHARDEV_MAX_MSG_SIZE];
	struct seen seen = { 0 };

	memset(version, 0, sizeof(version));
	cr_assert_eq(hv_chardev_fake_new(&info->kernel, &f), 0);
	hv_chardev_set_io(c, &hv_chardev_fake_io, f);
	hv_chardev_set_callbacks(c, &callbacks, &seen);

	cr_assert_eq(hv_chardev_open(c), 0, "%s", hv_chardev_get_error(c) ?: "");
	hv_chardev_fake_get_stats(f, &st);
	cr_assert(st.registered);
	cr_assert_not(st.pending, "the kernel's answer was consumed by the handshake");
	cr_assert_eq(strncmp(hv_chardev_fake_get_path(f), "/nonexistent-root/dev/vmbus/", 28), 0);
	if (*k == KIND_KVP)
		cr_assert_str_eq(version, HV_KVP_KERNEL_VERSION_STRING);

	for (size_t i = 0; i < ELEMENTSOF(info->messages) && info->messages[i]; i++) {
		memset(msg, (int)i + 1, info->messages[i]);
		cr_assert_eq(hv_chardev_fake_send(f, msg, info->messages[i]), 0);
		cr_assert_eq(hv_chardev_dispatch(c), 1);
		cr_assert_eq(seen.size, info->messages[i]);
		memset(reply, 0, info->reply);
		cr_assert_eq(hv_chardev_write(c, reply, info->reply), 0);
		cr_assert_eq(hv_chardev_fake_recv(f, msg, sizeof(msg)), (ssize_t)info->reply);
	}
	hv_chardev_free(c);
	hv_chardev_fake_free(f);
	hv_path_free(p);
}

Test(daemon_chardev, device_paths)
{
	struct hv_chardev_fake *f = NULL;
	struct hv_path *p = hv_path_new("/r");

	for (enum kind k = 0; k < _KIND_MAX; k++) {
		struct hv_chardev *c = new_chardev(k, p);
		char want[64];

		cr_assert_eq(hv_chardev_fake_new(&kinds[k].kernel, &f), 0);
		hv_chardev_set_io(c, &hv_chardev_fake_io, f);
		cr_assert_eq(hv_chardev_open(c), 0);
		snprintf(want, sizeof(want), "/r%s", kinds[k].device);
		cr_assert_str_eq(hv_chardev_fake_get_path(f), want);
		hv_chardev_free(c);
		f = hv_chardev_fake_free(f);
	}
	hv_path_free(p);
}
