/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pool loader: any bytes as a .kvp_pool_1 file (and, when the input
 * is long enough, a journal beside it) must load, enumerate and accept a
 * SET without crashing or reading out of bounds.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/kvp-store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *name, const uint8_t *d, size_t n)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	if (n && write(fd, d, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void cleanup(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/.kvp_pool_1", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/.hvutils-kvp-journal-1", dir);
	unlink(p);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_kvp_store *s = NULL;
	const char *k, *v;
	size_t split;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-kvp-pool-%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
	/* First byte chooses how much of the input is journal. */
	split = size ? (size_t)data[0] * size / 256 : 0;
	if (size)
		data++, size--;
	if (split > size)
		split = size;
	put(".kvp_pool_1", data + split, size - split);
	put(".hvutils-kvp-journal-1", data, split);

	if (hv_kvp_store_open(dir, 1, NULL, &s) < 0)
		return 0;
	for (uint32_t i = 0; hv_kvp_store_enumerate(s, i, &k, &v) == 0; i++)
		if (strlen(k) > 511 || strlen(v) > 2047)
			abort();
	(void)hv_kvp_store_set(s, "fuzz", 4, "value", 5);
	(void)hv_kvp_store_get(s, "fuzz", 4, &v);
	(void)hv_kvp_store_delete(s, "fuzz", 4);
	hv_kvp_store_free(s);
	return 0;
}
