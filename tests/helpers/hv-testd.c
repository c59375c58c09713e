/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv-testd: the smallest daemon on the shared skeleton, for
 * tests/unit/test-daemon.c.  Its [test] section drives what it does:
 *
 *   greeting      reported as "STATUS=greeting=<value>" once started and
 *                 after every accepted reload
 *   refuse-reload its reload hook refuses the new configuration
 *   fail-start    its start hook fails (exit status 1)
 *   status-file   write RUNSTATEDIR/hvutils/hv-testd.json when ready
 *   chardev       "kvp": register on /dev/vmbus/hv_kvp (under $HV_SYSROOT)
 *                 before READY=1, waiting for it to appear; "none": ready at once
 *   retry         how often to look for a missing device
 *
 * SIGUSR1 makes it report the configuration it is running with, as
 * "STATUS=active greeting=<value>", so a test can tell which one is in use.
 * SIGRTMIN+1 (queued, never merged) counts a "request" and touches the status file.
 *
 * With HV_TESTD_MANAGED_STATUS=1 in the environment the skeleton keeps the
 * status file itself (ops->status_file), adding {"requests": N}.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/macros.h"
#include "daemons/common/daemon-chardev.h"
#include "daemons/common/daemon.h"
#include "platform/config.h"

struct testd_config {
	char *greeting;
	bool refuse_reload;
	bool fail_start;
	bool status_file;
	int chardev;
	uint64_t retry;
};

enum testd_chardev {
	TESTD_CHARDEV_NONE,
	TESTD_CHARDEV_KVP,
	_TESTD_CHARDEV_MAX,
};

static const char *const testd_chardev_table[_TESTD_CHARDEV_MAX] = {
	[TESTD_CHARDEV_NONE] = "none",
	[TESTD_CHARDEV_KVP] = "kvp",
};

static const struct hv_config_item testd_items[] = {
	HV_CONFIG_STRING("greeting", struct testd_config, greeting, "hello", "Reported in STATUS="),
	HV_CONFIG_BOOL("refuse-reload", struct testd_config, refuse_reload, "no", "Refuse new configurations"),
	HV_CONFIG_BOOL("fail-start", struct testd_config, fail_start, "no", "Fail to start"),
	HV_CONFIG_BOOL("status-file", struct testd_config, status_file, "no", "Write a status file"),
	HV_CONFIG_ENUM("chardev", struct testd_config, chardev, "none", "Device to register on",
		       testd_chardev_table),
	HV_CONFIG_DURATION("retry", struct testd_config, retry, "100ms", "Retry interval for a missing device",
			   1000, 60 * HV_USEC_PER_SEC),
};

static const struct hv_config_section testd_sections[] = {
	{
		.name = "test",
		.size = sizeof(struct testd_config),
		.items = testd_items,
		.n_items = ELEMENTSOF(testd_items),
	},
	{},
};

struct testd {
	struct hv_chardev *chardev;
	struct hv_daemon_chardev *attached;
	char kvp_version[HV_KVP_REGISTER_VERSION_SIZE];
};

static struct testd testd;

static const struct testd_config *config_of(struct hv_daemon *d)
{
	return hv_daemon_get_section(d, &testd_sections[0]);
}

static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct hv_daemon *d = userdata;

	return hv_daemon_status(d, "active greeting=%s", config_of(d)->greeting);
}

static unsigned requests;

static int on_request(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct hv_daemon *d = userdata;

	requests++;
	hv_daemon_touch_status(d);
	return 0;
}

static int testd_status_extra(struct hv_daemon *d, json_object *extra)
{
	return json_object_object_add(extra, "requests", json_object_new_int((int)requests));
}

static int testd_start(struct hv_daemon *d)
{
	const struct testd_config *cfg = config_of(d);
	sigset_t mask;
	int r;

	hv_daemon_set_userdata(d, &testd);
	if (cfg->fail_start)
		return -EIO;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGRTMIN + 1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r = sd_event_add_signal(hv_daemon_get_event(d), NULL, SIGUSR1, on_usr1, d);
	if (r < 0)
		return r;
	r = sd_event_add_signal(hv_daemon_get_event(d), NULL, SIGRTMIN + 1, on_request, d);
	if (r < 0)
		return r;
	(void)hv_daemon_status(d, "greeting=%s", cfg->greeting);

	switch ((enum testd_chardev)cfg->chardev) {
	case TESTD_CHARDEV_NONE:
		hv_daemon_ready(d);
		break;
	case TESTD_CHARDEV_KVP:
		r = hv_daemon_chardev_new_kvp(hv_daemon_get_path(d), testd.kvp_version, &testd.chardev);
		if (r < 0)
			return r;
		r = hv_daemon_chardev_start(d, testd.chardev, cfg->retry, &testd.attached);
		if (r < 0)
			return r;
		break;
	case _TESTD_CHARDEV_MAX:
		return -EINVAL;
	}
	if (cfg->status_file && hv_daemon_is_ready(d)) {
		r = hv_daemon_write_status_file(d, NULL);
		if (r < 0)
			return hv_log_err_errno(r, "Failed to write the status file: %m");
	}
	return 0;
}

static void testd_stop(struct hv_daemon *d)
{
	testd.attached = hv_daemon_chardev_free(testd.attached);
	testd.chardev = hv_chardev_free(testd.chardev);
}

static int testd_reload(struct hv_daemon *d, const struct hv_config *new_config)
{
	const struct testd_config *cfg = hv_config_get(new_config, &testd_sections[0]);

	if (cfg->refuse_reload)
		return -EPERM;
	(void)hv_daemon_status(d, "greeting=%s", cfg->greeting);
	return 0;
}

static const struct hv_daemon_ops testd_ops = {
	.name = "hv-testd",
	.description = "Test daemon for the hvutils daemon skeleton.",
	.sections = testd_sections,
	.start = testd_start,
	.stop = testd_stop,
	.reload = testd_reload,
};

static const struct hv_daemon_ops testd_managed_ops = {
	.name = "hv-testd",
	.description = "Test daemon for the hvutils daemon skeleton.",
	.sections = testd_sections,
	.start = testd_start,
	.stop = testd_stop,
	.reload = testd_reload,
	.status_file = true,
	.status_extra = testd_status_extra,
};

int main(int argc, char **argv)
{
	const char *managed = getenv("HV_TESTD_MANAGED_STATUS");

	return hv_daemon_main(argc, argv, managed && managed[0] == '1' ? &testd_managed_ops : &testd_ops);
}
