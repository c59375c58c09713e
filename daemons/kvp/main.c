/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv-kvpd: the KVP (Data Exchange) daemon.  Thin on purpose (STYLE.md rule
 * 2): the skeleton (daemons/common/daemon.h) runs options, config, the loop
 * and signals; daemon-chardev.h opens /dev/vmbus/hv_kvp, registers
 * (REGISTER1, §5.3) and sends READY=1 once registered; every message is
 * handed to the KVP service (lib/hvutil/services/kvp-service.h), which
 * decodes, answers and encodes, and the reply is written back whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/macros.h"
#include "daemons/common/daemon-chardev.h"
#include "daemons/common/daemon.h"
#include "services/kvp-service.h"

struct kvpd {
	struct hv_daemon *daemon;
	struct hv_kvp_service *service;
	struct hv_chardev *chardev;
	struct hv_daemon_chardev *attached;
	/* Filled by the registration on every (re)open (§5.3 step 4). */
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	uint8_t reply[HV_KVP_MSG_SIZE];
};

static struct kvpd kvpd;

static const struct hv_kvp_service_config *config_of(const struct hv_config *c)
{
	return hv_config_get(c, &hv_kvp_service_config_sections[0]);
}

static int on_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	struct kvpd *k = userdata;
	int r;

	hv_kvp_service_set_version(k->service, k->version);
	r = hv_kvp_service_process(k->service, msg, size, k->reply, sizeof(k->reply));
	if (r < 0)
		return hv_log_err_errno(r, "Failed to build a KVP reply: %m");
	hv_daemon_touch_status(k->daemon);
	r = hv_chardev_write(c, k->reply, sizeof(k->reply));
	if (r == -ECONNRESET) {
		/* Reopened and registered again; the kernel failed this request. */
		hv_log_warning("The KVP device was reset, a reply was lost");
		return 0;
	}
	return r;
}

static const struct hv_chardev_callbacks callbacks = {
	.on_message = on_message,
};

static int kvpd_start(struct hv_daemon *d)
{
	const struct hv_kvp_service_config *cfg = config_of(hv_daemon_get_config(d));
	struct hv_kvp_setip_options setip;
	struct hv_kvp_service_options opts = {
		.path = hv_daemon_get_path(d),
		.pool_directory = cfg->pool_directory,
		.max_records = cfg->max_records_per_pool,
		.report_interfaces = cfg->report_interfaces,
		.exclude_interfaces = cfg->exclude_interfaces,
		.setip = &setip,
	};
	int r;

	hv_kvp_service_setip_options_from_config(cfg, &setip);

	hv_daemon_set_userdata(d, &kvpd);
	kvpd.daemon = d;
	r = hv_kvp_service_new(&opts, &kvpd.service);
	if (r < 0)
		return r; /* logged */
	r = hv_daemon_chardev_new_kvp(hv_daemon_get_path(d), kvpd.version, &kvpd.chardev);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to set up the KVP device: %m");
	hv_chardev_set_callbacks(kvpd.chardev, &callbacks, &kvpd);
	/* READY=1 is sent by the helper once registered with the kernel. */
	return hv_daemon_chardev_start(d, kvpd.chardev, 0, &kvpd.attached);
}

static void kvpd_stop(struct hv_daemon *d)
{
	kvpd.attached = hv_daemon_chardev_free(kvpd.attached);
	kvpd.chardev = hv_chardev_free(kvpd.chardev);
	kvpd.service = hv_kvp_service_free(kvpd.service);
}

static int kvpd_reload(struct hv_daemon *d, const struct hv_config *new_config)
{
	const struct hv_kvp_service_config *old = config_of(hv_daemon_get_config(d));
	const struct hv_kvp_service_config *cfg = config_of(new_config);

	struct hv_kvp_setip_options setip;
	int r;

	/* Interfaces and IP injection apply at once ... */
	r = hv_kvp_service_set_interface_filter(kvpd.service, cfg->report_interfaces, cfg->exclude_interfaces);
	if (r < 0)
		return r;
	hv_kvp_service_setip_options_from_config(cfg, &setip);
	r = hv_kvp_service_set_setip_options(kvpd.service, &setip);
	if (r < 0)
		return r;
	/* ... the pools stay open where they are: those keys need a restart. */
	if (strcmp(old->pool_directory, cfg->pool_directory) != 0 ||
	    old->max_records_per_pool != cfg->max_records_per_pool)
		hv_log_notice("pool-directory and max-records-per-pool take effect when hv-kvpd restarts");
	return 0;
}

/* /run/hvutils/hv-kvpd.json: what the kernel said and what the host asked. */
static int kvpd_status_extra(struct hv_daemon *d, json_object *extra)
{
	struct kvpd *k = hv_daemon_get_userdata(d);

	if (!k || !k->service)
		return 0;
	if (json_object_object_add(extra, "kernel_version",
				   k->version[0] ? json_object_new_string(k->version) : NULL) < 0 ||
	    json_object_object_add(extra, "requests",
				   json_object_new_int64((int64_t)hv_kvp_service_get_requests(k->service))) < 0 ||
	    json_object_object_add(extra, "rejected",
				   json_object_new_int64((int64_t)hv_kvp_service_get_rejected(k->service))) < 0)
		return -ENOMEM;
	return 0;
}

static const struct hv_daemon_ops kvpd_ops = {
	.name = "hv-kvpd",
	.description = "Hyper-V KVP (Data Exchange) daemon.",
	.sections = hv_kvp_service_config_sections,
	.start = kvpd_start,
	.stop = kvpd_stop,
	.reload = kvpd_reload,
	.status_file = true,
	.status_extra = kvpd_status_extra,
};

int main(int argc, char **argv)
{
	return hv_daemon_main(argc, argv, &kvpd_ops);
}
