/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mountinfo parser and the freeze planner (base/mountinfo.h,
 * services/vss-plan.h): any text as /proc/self/mountinfo must either be
 * rejected with a message naming a line or planned, and the plan must keep
 * its promises: every entry frozen or skipped with a reason, the freeze
 * order a permutation of the frozen entries, one frozen entry per
 * superblock, and a loop file system before the one holding its backing
 * file unless the plan says the chain was a cycle.  The facts are a
 * deterministic fake that makes loop chains, cycles and unknowns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "base/mountinfo.h"
#include "services/vss-plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_nodev(void *u, const char *t)
{
	(void)u;
	return (int)(strlen(t) % 3) - 1; /* -1 unknown, 0, 1 */
}

static int fake_loop(void *u, unsigned major, unsigned minor, dev_t *ret)
{
	(void)u;
	if (major == 7) {
		if (minor % 5 == 4)
			return -ENOENT;
		*ret = makedev(minor % 2 ? 7 : 8, minor / 2 + minor % 3);
		return 1;
	}
	if (major == 253) {
		if (minor % 2)
			return -EXDEV;
		*ret = makedev(7, minor);
		return 1;
	}
	return 0;
}

static int fake_is_dir(void *u, const char *mp)
{
	(void)u;
	return strlen(mp) % 4 ? 1 : 0;
}

static void check(const struct hv_vss_plan *plan, const struct hv_vss_plan_facts *facts)
{
	uint8_t *seen = calloc(plan->n_entries + 1, 1);
	size_t n_frozen = 0;

	if (!seen)
		return;
	if (plan->n_freeze > plan->n_entries)
		abort();
	for (size_t k = 0; k < plan->n_freeze; k++) {
		size_t i = plan->freeze[k];

		if (i >= plan->n_entries || seen[i]++ || plan->entries[i].order != (int)k ||
		    plan->entries[i].skip != HV_VSS_SKIP_NONE)
			abort();
	}
	for (size_t i = 0; i < plan->n_entries; i++) {
		const struct hv_vss_plan_entry *e = &plan->entries[i];

		if (!e->mountpoint || !e->fstype || !e->source || !hv_vss_skip_to_string(e->skip))
			abort();
		if (e->skip == HV_VSS_SKIP_NONE) {
			n_frozen++;
			if (!seen[i])
				abort();
		} else if (e->order != -1 || !e->detail)
			abort();
	}
	if (n_frozen != plan->n_freeze)
		abort();
	for (size_t a = 0; a < plan->n_freeze; a++) {
		const struct hv_vss_plan_entry *e = &plan->entries[plan->freeze[a]];
		dev_t d;

		for (size_t b = a + 1; b < plan->n_freeze; b++) {
			const struct hv_vss_plan_entry *o = &plan->entries[plan->freeze[b]];

			if (o->major == e->major && o->minor == e->minor)
				abort();
		}
		if (facts->loop_backing_dev(NULL, e->major, e->minor, &d) != 1 || (e->detail && strstr(e->detail, "cycle")))
			continue;
		for (size_t b = 0; b < plan->n_freeze; b++) {
			const struct hv_vss_plan_entry *o = &plan->entries[plan->freeze[b]];

			if (makedev(o->major, o->minor) == d && o != e && o->order < e->order)
				abort();
		}
	}
	free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char glob1[] = "/mnt/*", glob2[] = "*x*", glob3[] = "[";
	char *const exclude[] = { glob1, glob2, glob3, NULL };
	const struct hv_vss_plan_facts facts = {
		.fs_is_nodev = fake_nodev,
		.loop_backing_dev = fake_loop,
		.mountpoint_is_dir = fake_is_dir,
	};
	struct hv_vss_plan *plan = NULL;
	struct hv_mountinfo *mi = NULL;
	char *text, *err = NULL;
	int r, rm;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rm = hv_mountinfo_parse(text, &mi, NULL);
	r = hv_vss_plan_build(text, &facts, size % 2 ? exclude : NULL, &plan, &err);
	if (r != rm)
		abort();
	if (r == 0) {
		if (!plan || err || plan->n_entries != mi->n_entries)
			abort();
		check(plan, &facts);
	} else if (r == -EINVAL && (!err || strncmp(err, "mountinfo line ", 15) != 0))
		abort();
	free(err);
	hv_vss_plan_free(plan);
	hv_mountinfo_free(mi);
	free(text);
	return 0;
}
