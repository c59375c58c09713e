/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl ic: the integration-component devices and their drivers.
 *
 *   bind SERVICE   hand the service's VMBus device to uio_hv_generic, so a
 *                  user-space daemon can open its channel (kernels >= 6.10
 *                  no longer serve file copy in hv_utils, PROTOCOL.md §7.3):
 *                  the class GUID goes to the driver's new_id
 *                  (transport/uio.h, hv_uio_bind_class()); the kernel then
 *                  binds every unclaimed device of the class, now and when
 *                  one is offered later.
 *
 * Only "fcopy" for now: the other ICs are hv_utils's until their daemons
 * can serve them over uio.  Binding twice is fine (the kernel's EEXIST is
 * success).  After the write the device is looked up to say what came of
 * it: bound (and as which /dev/uioN), not offered by the host (yet), or
 * still held by another driver (hv_utils on kernels <= 6.9, which also
 * provide /dev/vmbus/hv_fcopy, so nothing needs binding there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "base/path.h"
#include "hvctl.h"
#include "platform/sysfs.h"
#include "printer.h"
#include "proto/guid.h"
#include "proto/vmbus-class.h"
#include "transport/uio.h"

#define UIO_DRIVER "uio_hv_generic"
#define UIO_DRIVER_DIR "/sys/bus/vmbus/drivers/" UIO_DRIVER

/* Services `ic bind` accepts and the class each names. */
static const struct {
	const char *service;
	const char *class_name; /* proto/vmbus-class.h */
} bindable[] = {
	{ "fcopy", "HV_FCOPY" },
};

static int lookup_service(const char *service, struct hv_guid *ret_class, const char **ret_guid)
{
	for (size_t i = 0; i < ELEMENTSOF(bindable); i++) {
		const struct hv_vmbus_class *cls;

		if (strcmp(bindable[i].service, service) != 0)
			continue;
		cls = hv_vmbus_class_by_name(bindable[i].class_name);
		if (!cls || hv_guid_from_string(cls->guid, ret_class) < 0)
			return -ENOTRECOVERABLE;
		*ret_guid = cls->guid;
		return 0;
	}
	return -ENOENT;
}

/* The first device of the class, or NULL (the list stays the caller's). */
static const struct hv_vmbus_device *find_device(const struct hv_vmbus_device_list *l, const char *class_guid)
{
	for (size_t i = 0; l && i < l->n_devices; i++)
		if (strcmp(l->devices[i].class_id, class_guid) == 0)
			return &l->devices[i];
	return NULL;
}

static int verb_bind(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hv_vmbus_device_list_freep) struct hv_vmbus_device_list *l = NULL;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	const char *service = argv[1], *class_guid = NULL, *driver = NULL, *uio = NULL;
	const struct hv_vmbus_device *dev;
	struct hv_uio_device udev;
	struct hv_guid cls;
	char text[512];
	int r;

	r = lookup_service(service, &cls, &class_guid);
	if (r == -ENOENT)
		return hvctl_usage_error("ic bind: unknown service '%s' (only fcopy can be bound)", service);
	if (r < 0)
		return hvctl_error(r, "ic bind: internal error: %m");

	if (hv_path_access(ctx->path, HV_VMBUS_SYSFS_BUS, F_OK) < 0)
		return hvctl_error(-ENODEV, "no VMBus found (%s does not exist): this is not a Hyper-V guest",
				   HV_VMBUS_SYSFS_BUS);
	if (hv_path_access(ctx->path, UIO_DRIVER_DIR, F_OK) < 0)
		return hvctl_error(-ENODEV, "%s is not loaded (no %s): run 'modprobe %s' first", UIO_DRIVER,
				   UIO_DRIVER_DIR, UIO_DRIVER);

	r = hv_uio_bind_class(ctx->path, &cls);
	if (r == -EACCES || r == -EPERM)
		return hvctl_error(r, "cannot write %s/new_id: %m (run as root)", UIO_DRIVER_DIR);
	if (r < 0)
		return hvctl_error(r, "cannot register %s (%s) with %s: %m", class_guid, service, UIO_DRIVER);

	/* What came of it (the kernel binds at once, from the write). */
	r = hv_vmbus_device_list_load(ctx->path, &l);
	if (r < 0)
		return hvctl_error(r, "registered %s with %s, but cannot list the VMBus devices: %m", service,
				   UIO_DRIVER);
	dev = find_device(l, class_guid);
	if (dev)
		driver = dev->driver;
	if (dev && driver && strcmp(driver, UIO_DRIVER) == 0 && hv_uio_find(ctx->path, NULL, &cls, &udev) == 0)
		uio = udev.uio;

	p = hvctl_printer_for(ctx);
	if (!p)
		return hvctl_error(-ENOMEM, "out of memory");
	hvctl_print_open_object(p, NULL);
	hvctl_print_string(p, "service", NULL, service);
	snprintf(text, sizeof(text), "%s (%s) is registered with %s.\n", class_guid, service, UIO_DRIVER);
	hvctl_print_text(p, text);
	hvctl_print_string(p, "class_id", NULL, class_guid);
	hvctl_print_string(p, "device_id", NULL, dev && dev->device_id[0] ? dev->device_id : NULL);
	hvctl_print_string(p, "driver", NULL, driver);
	hvctl_print_string(p, "uio", NULL, uio);
	hvctl_print_bool(p, "bound", NULL, uio != NULL);
	if (!dev)
		snprintf(text, sizeof(text),
			 "The host offers no %s device now; it is bound when it is offered.\n", service);
	else if (uio)
		snprintf(text, sizeof(text), "Device %s is bound to %s as /dev/%s.\n", dev->device_id, UIO_DRIVER, uio);
	else if (driver)
		snprintf(text, sizeof(text),
			 "Device %s stays with %s (kernels before 6.10 serve it there, through /dev/vmbus/hv_%s).\n",
			 dev->device_id, driver, service);
	else
		snprintf(text, sizeof(text),
			 "Device %s is still unbound: %s refused it (kernels before 6.10 cannot bind it).\n",
			 dev->device_id, UIO_DRIVER);
	hvctl_print_text(p, text);
	hvctl_print_close_object(p);
	r = hvctl_printer_finish(p);
	if (r < 0)
		return r;
	return dev && !uio && !driver ? HVCTL_EXIT_UNAVAILABLE : HVCTL_EXIT_OK;
}

static const struct hvctl_verb ic_verbs[] = {
	{ "bind", 1, 1, 0, verb_bind, "SERVICE",
	  "Hand SERVICE's device (fcopy) to uio_hv_generic for its daemon" },
};

int hvctl_verb_ic(int argc, char *argv[], void *userdata)
{
	return hvctl_dispatch(ic_verbs, ELEMENTSOF(ic_verbs), "ic", argc - 1, argv + 1, userdata);
}
