/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake network managers (see netmgr-fake.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/netmgr-fake.h"

void hv_netmgr_fake_init(struct hv_netmgr_fake *f)
{
	memset(f, 0, sizeof(*f));
	f->manages[HV_NETMGR_NETWORKMANAGER] = -ENOTCONN;
	f->manages[HV_NETMGR_NETWORKD] = -ENOTCONN;
	f->networkd_ifindex = -1;
}

static int fake_manages(void *userdata, enum hv_netmgr_kind k, const char *ifname, int ifindex)
{
	struct hv_netmgr_fake *f = userdata;

	(void)ifname;
	(void)ifindex;
	f->n_manages++;
	return k >= 0 && k < _HV_NETMGR_KIND_MAX ? f->manages[k] : -EINVAL;
}

static int fake_nm_activate(void *userdata, const char *const *files, const char *uuid, const char *ifname,
			    uint64_t timeout_usec)
{
	struct hv_netmgr_fake *f = userdata;

	f->n_nm_activate++;
	f->n_nm_files = 0;
	for (size_t i = 0; files && files[i] && i < HV_NETMGR_FAKE_MAX_ARGS; i++)
		snprintf(f->nm_files[f->n_nm_files++], PATH_MAX, "%s", files[i]);
	snprintf(f->nm_uuid, sizeof(f->nm_uuid), "%s", uuid ? uuid : "");
	snprintf(f->nm_ifname, sizeof(f->nm_ifname), "%s", ifname);
	f->last_timeout_usec = timeout_usec;
	return f->nm_activate_result;
}

static int fake_networkd_apply(void *userdata, int ifindex, uint64_t timeout_usec)
{
	struct hv_netmgr_fake *f = userdata;

	f->n_networkd++;
	f->networkd_ifindex = ifindex;
	f->last_timeout_usec = timeout_usec;
	return f->networkd_result;
}

static int fake_spawn(void *userdata, char *const argv[], uint64_t timeout_usec)
{
	struct hv_netmgr_fake *f = userdata;

	f->n_spawn++;
	f->spawn_argc = 0;
	for (size_t i = 0; argv[i] && i < HV_NETMGR_FAKE_MAX_ARGS; i++)
		snprintf(f->spawn_argv[f->spawn_argc++], PATH_MAX, "%s", argv[i]);
	f->last_timeout_usec = timeout_usec;
	if (f->spawn_real)
		return hv_netmgr_spawn(argv, timeout_usec);
	return f->spawn_result;
}

const struct hv_netmgr_ops hv_netmgr_fake_ops = {
	.manages = fake_manages,
	.nm_activate = fake_nm_activate,
	.networkd_apply = fake_networkd_apply,
	.spawn = fake_spawn,
};
