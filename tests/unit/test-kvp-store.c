/* SPDX-License-Identifier: GPL-2.0-or-later */
/* services/kvp-store: file format, order, index, outside writers, locks,
 * caps and the redo journal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/macros.h"
#include "services/kvp-store.h"

#define REC HV_KVP_STORE_RECORD_SIZE

static char dir[] = "/tmp/hv-test-kvp-XXXXXX";
static char path[300];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.kvp_pool_1", dir);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(kvp_store, .init = setup, .fini = teardown);

static struct hv_kvp_store *open_pool(uint32_t max)
{
	struct hv_kvp_store_options o = { .max_records = max };
	struct hv_kvp_store *p = NULL;

	cr_assert_eq(hv_kvp_store_open(dir, 1, &o, &p), 0);
	return p;
}

static int set(struct hv_kvp_store *p, const char *k, const char *v)
{
	return hv_kvp_store_set(p, k, strlen(k), v, strlen(v));
}

static size_t read_file(uint8_t **ret)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b;

	cr_assert_not_null(f);
	fstat(fileno(f), &st);
	b = calloc(1, (size_t)st.st_size + 1);
	cr_assert_eq(fread(b, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*ret = b;
	return (size_t)st.st_size;
}

/* Record i of the file holds exactly key and value, zero-filled after. */
static void assert_record(const uint8_t *file, size_t i, const char *k, const char *v)
{
	const uint8_t *r = file + i * REC;

	cr_assert_str_eq((const char *)r, k, "record %zu key", i);
	cr_assert_str_eq((const char *)r + 512, v, "record %zu value", i);
	for (size_t j = strlen(k); j < 512; j++)
		cr_assert_eq(r[j], 0, "record %zu key tail byte %zu", i, j);
	for (size_t j = strlen(v); j < 2048; j++)
		cr_assert_eq(r[512 + j], 0, "record %zu value tail byte %zu", i, j);
}

Test(kvp_store, append_update_delete_keep_order)
{
	struct hv_kvp_store *p = open_pool(0);
	_cleanup_free_ uint8_t *f = NULL;
	const char *v;

	cr_assert_eq(set(p, "a", "1"), 1);
	cr_assert_eq(set(p, "b", "2"), 1);
	cr_assert_eq(set(p, "c", "3"), 1);
	cr_assert_eq(set(p, "b", "a much longer value than before"), 0, "update in place");
	cr_assert_eq(set(p, "b", "x"), 0, "shorter again: no stale tail");
	cr_assert_eq(hv_kvp_store_delete(p, "a", 1), 0);
	cr_assert_eq(set(p, "d", "4"), 1);

	cr_assert_eq(read_file(&f), 3 * REC);
	assert_record(f, 0, "b", "x");
	assert_record(f, 1, "c", "3");
	assert_record(f, 2, "d", "4");
	cr_assert_eq(hv_kvp_store_get(p, "c", 1, &v), 0);
	cr_assert_str_eq(v, "3");
	cr_assert_eq(hv_kvp_store_get(p, "a", 1, &v), -ENOENT);
	cr_assert_eq(hv_kvp_store_delete(p, "a", 1), -ENOENT);
	cr_assert_eq(hv_kvp_store_count(p), 3);
	hv_kvp_store_free(p);
}

Test(kvp_store, enumerate_in_file_order)
{
	struct hv_kvp_store *p = open_pool(0);
	const char *k, *v;

	set(p, "z", "26");
	set(p, "m", "13");
	cr_assert_eq(hv_kvp_store_enumerate(p, 0, &k, &v), 0);
	cr_assert_str_eq(k, "z");
	cr_assert_eq(hv_kvp_store_enumerate(p, 1, &k, &v), 0);
	cr_assert_str_eq(v, "13");
	cr_assert_eq(hv_kvp_store_enumerate(p, 2, &k, &v), -ENOENT);
	cr_assert_eq(hv_kvp_store_enumerate(p, 0x80000000u, &k, &v), -ENOENT);
	hv_kvp_store_free(p);
}

struct bad_input {
	char key[600];
	size_t key_len;
	size_t value_len;
	int want;
};

static const struct bad_input bad_inputs[] = {
	{ "", 0, 1, -EINVAL },
	{ "a\0b", 3, 1, -EINVAL },
	{ "k", 1, 2048, -E2BIG },
	{ "k", 1, 2047, 1 },
	{ { [0 ... 510] = 'k' }, 511, 1, 1 },
	{ { [0 ... 511] = 'k' }, 512, 1, -E2BIG },
};

Test(kvp_store, bad_sizes_change_nothing)
{
	struct hv_kvp_store *p = open_pool(0);
	static char value[4096];
	struct stat st;

	memset(value, 'v', sizeof(value));
	for (size_t i = 0; i < ELEMENTSOF(bad_inputs); i++) {
		const struct bad_input *b = &bad_inputs[i];
		int r = hv_kvp_store_set(p, b->key, b->key_len, value, b->value_len);

		cr_assert_eq(r, b->want, "case %zu: %d", i, r);
	}
	stat(path, &st);
	cr_assert_eq(st.st_size, 2 * REC, "only the two valid SETs were written");
	hv_kvp_store_free(p);
}

Test(kvp_store, record_cap)
{
	struct hv_kvp_store *p = open_pool(2);

	cr_assert_eq(set(p, "a", "1"), 1);
	cr_assert_eq(set(p, "b", "1"), 1);
	cr_assert_eq(set(p, "c", "1"), -ENOSPC);
	cr_assert_eq(set(p, "a", "2"), 0, "updates still work at the cap");
	cr_assert_eq(hv_kvp_store_delete(p, "a", 1), 0);
	cr_assert_eq(set(p, "c", "1"), 1);
	hv_kvp_store_free(p);
}

static void append_raw(const char *k, const char *v)
{
	uint8_t rec[REC] = { 0 };
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	strcpy((char *)rec, k);
	strcpy((char *)rec + 512, v);
	cr_assert_eq(write(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	close(fd);
}

Test(kvp_store, sees_outside_appends_and_replacement)
{
	struct hv_kvp_store *p = open_pool(0);
	struct hv_kvp_store_stats st;
	const char *v;
	char tmp[320];
	FILE *f;

	set(p, "mine", "1");
	append_raw("cloud-init", "report");
	cr_assert_eq(hv_kvp_store_get(p, "cloud-init", 10, &v), 0);
	cr_assert_str_eq(v, "report");
	cr_assert_eq(set(p, "after", "2"), 1, "append goes after the outside record");
	hv_kvp_store_get_stats(p, &st);
	cr_assert_geq(st.reloads, 1);

	/* Replaced by rename: the store follows the path. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "wb");
	fclose(f);
	cr_assert_eq(rename(tmp, path), 0);
	cr_assert_eq(hv_kvp_store_count(p), 0);
	cr_assert_eq(set(p, "fresh", "1"), 1);
	cr_assert_eq(hv_kvp_store_count(p), 1);
	hv_kvp_store_free(p);
}

Test(kvp_store, loads_damaged_files)
{
	struct hv_kvp_store *p;
	struct hv_kvp_store_stats st;
	uint8_t rec[REC];
	const char *k, *v;
	int fd;

	append_raw("dup", "first");
	append_raw("dup", "second");
	memset(rec, 'x', sizeof(rec)); /* no terminator anywhere */
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_eq(write(fd, rec, sizeof(rec)), REC);
	cr_assert_eq(write(fd, "partial", 7), 7);
	close(fd);

	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_eq(st.records, 3);
	cr_assert_eq(st.duplicates, 1);
	cr_assert_eq(st.bad_records, 1);
	cr_assert_eq(st.trailing_bytes, 7);
	cr_assert_eq(hv_kvp_store_get(p, "dup", 3, &v), 0);
	cr_assert_str_eq(v, "first", "the first record wins, as in the reference");
	cr_assert_eq(hv_kvp_store_enumerate(p, 2, &k, &v), 0);
	cr_assert_eq(strlen(k), 511, "unterminated key cut in memory");
	/* A write drops the partial trailing record, as the reference does. */
	cr_assert_eq(set(p, "new", "1"), 1);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_eq(st.trailing_bytes, 0);
	{
		struct stat sb;

		stat(path, &sb);
		cr_assert_eq(sb.st_size, 4 * REC);
	}
	hv_kvp_store_free(p);
}

/* A journal as a writer killed right after writing it leaves it: the
 * header from the store's own encoder over the pool as it is now. */
static void write_journal(uint64_t new_size, uint64_t off, const uint8_t *data, uint32_t len,
			  bool corrupt)
{
	uint8_t hdr[HV_KVP_STORE_JOURNAL_HDR];
	char jp[320];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	FILE *f;

	cr_assert_geq(fd, 0);
	cr_assert_eq(hv_kvp_store_journal_header(hdr, fd, off, data, len, new_size), 0);
	close(fd);
	if (corrupt)
		hdr[28] ^= 1;
	snprintf(jp, sizeof(jp), "%s/.hvutils-kvp-journal-1", dir);
	f = fopen(jp, "wb");
	cr_assert_not_null(f);
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(data, 1, len, f);
	fclose(f);
}

static void make_rec(uint8_t rec[REC], const char *k, const char *v)
{
	memset(rec, 0, REC);
	strcpy((char *)rec, k);
	strcpy((char *)rec + 512, v);
}

/* Keys of the pool file in order, ';'-joined, read directly. */
static const char *file_keys(void)
{
	static char out[4096];
	uint8_t rec[REC];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	cr_assert_geq(fd, 0);
	while (read(fd, rec, REC) == REC) {
		size_t n = strlen(out);

		snprintf(out + n, sizeof(out) - n, "%s%.64s", n ? ";" : "", (char *)rec);
	}
	close(fd);
	return out;
}

/* Killed after journaling "append b=2", before touching the pool; then
 * cloud-init appended two reports before the daemon came back.  The append
 * was never acknowledged, and finishing it now would overwrite a report:
 * it is dropped, the reports stay. */
Test(kvp_store, journal_never_overwrites_later_appends)
{
	struct hv_kvp_store *p;
	struct hv_kvp_store_stats st;
	uint8_t rec[REC];

	append_raw("a", "1");
	make_rec(rec, "b", "2");
	write_journal(2 * REC, REC, rec, REC, false);
	append_raw("CLOUD_INIT|x", "{}");
	append_raw("CLOUD_INIT|y", "{}");
	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_not(st.journal_replayed);
	cr_assert_str_eq(file_keys(), "a;CLOUD_INIT|x;CLOUD_INIT|y");
	hv_kvp_store_free(p);
}

/* Killed in the middle of "delete a" (the shift written, the truncate not
 * done); then one report was appended.  Finishing the delete keeps the
 * report, moved down. */
Test(kvp_store, journal_finishes_a_delete_and_keeps_appends)
{
	struct hv_kvp_store *p;
	uint8_t recs[2 * REC];
	int fd;

	append_raw("a", "1");
	append_raw("b", "2");
	append_raw("c", "3");
	make_rec(recs, "b", "2");
	make_rec(recs + REC, "c", "3");
	write_journal(2 * REC, 0, recs, 2 * REC, false);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert_eq(pwrite(fd, recs, REC, 0), REC); /* half of the shift */
	close(fd);
	append_raw("report", "{}");
	p = open_pool(0);
	cr_assert_str_eq(file_keys(), "b;c;report");
	cr_assert_eq(hv_kvp_store_count(p), 3);
	hv_kvp_store_free(p);
}

/* Killed after "delete a" was complete but before the journal was
 * invalidated; then one report was appended (same size as before the
 * delete).  The guard shows the delete is done: nothing is re-done. */
Test(kvp_store, journal_leaves_a_finished_delete_alone)
{
	struct hv_kvp_store *p;
	struct hv_kvp_store_stats st;
	uint8_t recs[REC];

	append_raw("a", "1");
	append_raw("b", "2");
	make_rec(recs, "b", "2");
	write_journal(REC, 0, recs, REC, false);
	cr_assert_eq(truncate(path, 0), 0);
	append_raw("b", "2");
	append_raw("report", "{}");
	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_not(st.journal_replayed);
	cr_assert_str_eq(file_keys(), "b;report");
	hv_kvp_store_free(p);
}

/* An update in place is re-done even after appends, keeping them. */
Test(kvp_store, journal_redoes_an_update_and_keeps_appends)
{
	struct hv_kvp_store *p;
	uint8_t rec[REC];
	const char *v;

	append_raw("a", "1");
	make_rec(rec, "a", "new");
	write_journal(REC, 0, rec, REC, false);
	append_raw("report", "{}");
	p = open_pool(0);
	cr_assert_eq(hv_kvp_store_get(p, "a", 1, &v), 0);
	cr_assert_str_eq(v, "new");
	cr_assert_str_eq(file_keys(), "a;report");
	hv_kvp_store_free(p);
}

Test(kvp_store, journal_finishes_interrupted_change)
{
	struct hv_kvp_store *p;
	struct hv_kvp_store_stats st;
	uint8_t rec[REC] = { 0 };
	const char *v;

	append_raw("a", "1");
	/* Killed after journaling "append b=2" but before touching the pool. */
	make_rec(rec, "b", "2");
	write_journal(2 * REC, REC, rec, REC, false);
	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert(st.journal_replayed);
	cr_assert_eq(hv_kvp_store_get(p, "b", 1, &v), 0);
	cr_assert_str_eq(v, "2");
	cr_assert_eq(hv_kvp_store_count(p), 2);
	hv_kvp_store_free(p);
	/* Replayed once: a second open finds nothing to do. */
	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_not(st.journal_replayed);
	hv_kvp_store_free(p);
}

Test(kvp_store, torn_journal_is_ignored)
{
	struct hv_kvp_store *p;
	struct hv_kvp_store_stats st;
	uint8_t rec[REC] = { 'b' };

	append_raw("a", "1");
	write_journal(2 * REC, REC, rec, REC, true);
	p = open_pool(0);
	hv_kvp_store_get_stats(p, &st);
	cr_assert_not(st.journal_replayed);
	cr_assert_eq(hv_kvp_store_count(p), 1);
	hv_kvp_store_free(p);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child holds one kind of lock for 300 ms; a SET must wait for it. */
static void check_waits_for(bool use_flock)
{
	struct hv_kvp_store *p = open_pool(0);
	int pipefd[2];
	double t0;
	pid_t pid;
	char c;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		if (use_flock ? flock(fd, LOCK_EX) : fcntl(fd, F_SETLKW, &fl))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		_exit(0);
	}
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	t0 = now_s();
	cr_assert_eq(set(p, "k", "v"), 1);
	cr_assert_geq(now_s() - t0, 0.25, "SET did not wait for the %s lock", use_flock ? "flock" : "fcntl");
	waitpid(pid, NULL, 0);
	hv_kvp_store_free(p);
}

Test(kvp_store, waits_for_fcntl_lock)
{
	check_waits_for(false);
}

Test(kvp_store, waits_for_flock)
{
	check_waits_for(true);
}

Test(kvp_store, read_only_and_bad_pool)
{
	struct hv_kvp_store_options ro = { .read_only = true };
	struct hv_kvp_store *p = NULL;

	cr_assert_eq(hv_kvp_store_open(dir, 5, NULL, &p), -EINVAL);
	cr_assert_null(p);
	cr_assert_eq(hv_kvp_store_open(dir, 3, &ro, &p), 0, "missing file reads as empty");
	cr_assert_eq(hv_kvp_store_count(p), 0);
	cr_assert_eq(set(p, "a", "b"), -EROFS);
	hv_kvp_store_free(p);
}

Test(kvp_store, many_keys_index)
{
	struct hv_kvp_store *p = open_pool(0);
	char k[32], v[32];
	const char *got;

	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		snprintf(v, sizeof(v), "%d", i);
		cr_assert_eq(set(p, k, v), 1);
	}
	for (int i = 0; i < 3000; i += 7) {
		snprintf(k, sizeof(k), "key%d", i);
		cr_assert_eq(hv_kvp_store_delete(p, k, strlen(k)), 0);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		snprintf(v, sizeof(v), "%d", i);
		if (i % 7 == 0) {
			cr_assert_eq(hv_kvp_store_get(p, k, strlen(k), &got), -ENOENT);
		} else {
			cr_assert_eq(hv_kvp_store_get(p, k, strlen(k), &got), 0, "%s", k);
			cr_assert_str_eq(got, v);
		}
	}
	hv_kvp_store_free(p);
}

Test(kvp_store, clear)
{
	struct hv_kvp_store *p = open_pool(0);
	struct stat st;

	set(p, "a", "1");
	cr_assert_eq(hv_kvp_store_clear(p), 0);
	stat(path, &st);
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(hv_kvp_store_count(p), 0);
	hv_kvp_store_free(p);
}
