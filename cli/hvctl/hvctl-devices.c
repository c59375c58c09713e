/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl devices: what lsvmbus shows, from platform/sysfs (the devices)
 * joined with proto/vmbus-class (what their class GUIDs mean).
 *
 * Text keeps lsvmbus's layout, so people and scripts that know it can
 * switch: "VMBUS ID nn: <description>" sorted by id; -v adds the class
 * GUID and one "Rel_ID=<relid>, target_cpu=<cpu>" line per channel and a
 * blank line after each device; -vv adds the instance GUID and the sysfs
 * path.  Unlike lsvmbus, ids are aligned however many digits they have,
 * an unknown class shows its GUID, and a device with unreadable
 * attributes is still listed ("?" for what is unknown).
 *
 * JSON is an array with every field of every device whatever -v says;
 * the schema is in hvctl(8) and only ever grows.
 */
#include <errno.h>
#include <stdio.h>

#include "base/macros.h"
#include "hvctl.h"
#include "platform/sysfs.h"
#include "printer.h"
#include "proto/vmbus-class.h"

static void print_channel(struct hvctl_printer *p, const struct hv_vmbus_channel *c)
{
	bool v = arg_verbose >= 1;

	hvctl_print_open_object(p, NULL);
	hvctl_print_uint(p, "relid", v ? "\tRel_ID=%s, " : NULL, c->relid);
	hvctl_print_uint_or_null(p, "target_cpu", v ? "target_cpu=%s\n" : NULL, c->target_cpu);
	hvctl_print_uint_or_null(p, "subchannel_id", NULL, c->subchannel_id);
	hvctl_print_uint_or_null(p, "interrupts", NULL, c->interrupts);
	hvctl_print_uint_or_null(p, "events", NULL, c->events);
	hvctl_print_close_object(p);
}

static void print_device(struct hvctl_printer *p, const struct hv_vmbus_device *d)
{
	const struct hv_vmbus_class *cls = d->class_id[0] ? hv_vmbus_class_by_guid_string(d->class_id) : NULL;
	const char *type = d->device_type >= 0 ? hv_vmbus_dev_type_to_string(d->device_type) : NULL;
	const char *class_id = d->class_id[0] ? d->class_id : NULL;
	const char *device_id = d->device_id[0] ? d->device_id : NULL;
	char unknown[64];

	hvctl_print_open_object(p, NULL);
	hvctl_print_uint_or_null(p, "vmbus_id", "VMBUS ID %>2s: ", d->id);
	hvctl_print_string(p, "class_id", arg_verbose >= 1 ? "Class_ID = {%s} - " : NULL, class_id);
	if (cls)
		hvctl_print_string(p, "description", "%s\n", cls->description);
	else {
		/* Not in the table: the text names the GUID so there is
		 * something to search for; JSON has it in class_id already. */
		if (class_id)
			snprintf(unknown, sizeof(unknown), "Unknown class {%s}", class_id);
		else
			snprintf(unknown, sizeof(unknown), "Unknown class");
		hvctl_print_null(p, "description", "%s\n", unknown);
	}
	hvctl_print_string(p, "device_id", arg_verbose >= 2 ? "\tDevice_ID = {%s}\n" : NULL, device_id);
	hvctl_print_string(p, "sysfs_path", arg_verbose >= 2 ? "\tSysfs path: %s\n" : NULL, d->sysfs_path);
	hvctl_print_string(p, "device_type", NULL, type);
	hvctl_print_string(p, "driver", NULL, d->driver);
	if (d->numa_node >= 0)
		hvctl_print_int(p, "numa_node", NULL, d->numa_node);
	else
		hvctl_print_null(p, "numa_node", NULL, NULL);

	hvctl_print_open_array(p, "channels");
	for (size_t i = 0; i < d->n_channels; i++)
		print_channel(p, &d->channels[i]);
	hvctl_print_close_array(p);
	if (arg_verbose >= 1)
		hvctl_print_text(p, "\n");
	hvctl_print_close_object(p);
}

int hvctl_verb_devices(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hv_vmbus_device_list_freep) struct hv_vmbus_device_list *l = NULL;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	int r;

	r = hv_vmbus_device_list_load(ctx->path, &l);
	if (r == -ENODEV)
		return hvctl_error(r, "no VMBus found (%s does not exist): this is not a Hyper-V guest",
				   HV_VMBUS_SYSFS_BUS);
	if (r < 0)
		return hvctl_error(r, "cannot list VMBus devices in %s: %m", HV_VMBUS_SYSFS_DEVICES);

	p = hvctl_printer_for(ctx);
	if (!p)
		return hvctl_error(-ENOMEM, "out of memory");
	hvctl_print_open_array(p, NULL);
	for (size_t i = 0; i < l->n_devices; i++)
		print_device(p, &l->devices[i]);
	hvctl_print_close_array(p);
	return hvctl_printer_finish(p);
}
