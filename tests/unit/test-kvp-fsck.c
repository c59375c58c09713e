/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/kvp-fsck: every defect kind found where it is, the repair byte
 * for byte (first record wins, order kept, tails zeroed, idempotent), and
 * the file layer: check leaves the file alone, repair rewrites it under
 * the store's locks, and an interrupted repair is finished by the store.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/macros.h"
#include "services/kvp-fsck.h"
#include "services/kvp-store.h"

#define REC 2560
#define KEYSZ 512

/* ---- building pool images ---- */

struct image {
	uint8_t *b;
	size_t len;
};

static uint8_t *add_record(struct image *im)
{
	im->b = realloc(im->b, im->len + REC);
	cr_assert_not_null(im->b);
	memset(im->b + im->len, 0, REC);
	im->len += REC;
	return im->b + im->len - REC;
}

/* A clean record. */
static void add(struct image *im, const char *k, const char *v)
{
	uint8_t *r = add_record(im);

	memcpy(r, k, strlen(k));
	memcpy(r + KEYSZ, v, strlen(v));
}

static void add_bytes(struct image *im, const void *p, size_t n)
{
	im->b = realloc(im->b, im->len + n);
	cr_assert_not_null(im->b);
	memcpy(im->b + im->len, p, n);
	im->len += n;
}

static struct hv_kvp_fsck_report *analyze(const struct image *im)
{
	struct hv_kvp_fsck_report *r = NULL;

	cr_assert_eq(hv_kvp_fsck_analyze(im->b, im->len, &r), 0);
	cr_assert_not_null(r);
	return r;
}

static struct image repair(const struct image *im)
{
	struct image out = {};

	cr_assert_eq(hv_kvp_fsck_repair(im->b, im->len, &out.b, &out.len), 0);
	cr_assert_eq(out.len % REC, 0);
	return out;
}

static void assert_issue(const struct hv_kvp_fsck_report *r, size_t i, enum hv_kvp_fsck_kind kind,
			 uint32_t record, uint32_t first)
{
	cr_assert_lt(i, r->n_issues, "issue %zu missing (%zu issues)", i, r->n_issues);
	cr_assert_eq(r->issues[i].kind, kind, "issue %zu: kind %s, want %s", i,
		     hv_kvp_fsck_kind_to_string(r->issues[i].kind), hv_kvp_fsck_kind_to_string(kind));
	cr_assert_eq(r->issues[i].record, record, "issue %zu record", i);
	cr_assert_eq(r->issues[i].first_record, first, "issue %zu first_record", i);
}

static void assert_same(const struct image *a, const struct image *b)
{
	cr_assert_eq(a->len, b->len, "sizes %zu and %zu", a->len, b->len);
	cr_assert(a->len == 0 || memcmp(a->b, b->b, a->len) == 0, "bytes differ");
}

/* ---- names ---- */

Test(kvp_fsck, kind_names_round_trip)
{
	for (int k = 0; k < _HV_KVP_FSCK_KIND_MAX; k++) {
		const char *s = hv_kvp_fsck_kind_to_string(k);

		cr_assert_not_null(s, "kind %d has no name", k);
		cr_assert_eq(hv_kvp_fsck_kind_from_string(s), k);
	}
	cr_assert_eq(hv_kvp_fsck_kind_from_string("nonsense"), -EINVAL);
	cr_assert(hv_kvp_fsck_kind_is_error(HV_KVP_FSCK_DUPLICATE_KEY));
	cr_assert(hv_kvp_fsck_kind_is_error(HV_KVP_FSCK_PARTIAL_RECORD));
	cr_assert_not(hv_kvp_fsck_kind_is_error(HV_KVP_FSCK_STALE_BYTES));
	cr_assert_not(hv_kvp_fsck_kind_is_error(HV_KVP_FSCK_HOST_UNREADABLE));
}

/* ---- analysis, one kind at a time ---- */

Test(kvp_fsck, clean_pool)
{
	struct image im = {};
	struct hv_kvp_fsck_report *r;
	struct image fixed;

	add(&im, "HostName", "HOST01");
	add(&im, "VirtualMachineName", "vm-1");
	add(&im, "ключ", "значение ✓");
	r = analyze(&im);
	cr_assert_eq(r->records, 3);
	cr_assert_eq(r->errors, 0);
	cr_assert_eq(r->warnings, 0);
	cr_assert_eq(r->n_issues, 0);
	cr_assert_not(r->needs_repair);
	cr_assert_eq(r->records_after, 3);
	cr_assert_eq(r->size_after, 3 * REC);
	fixed = repair(&im);
	assert_same(&im, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(im.b);
}

Test(kvp_fsck, empty_pool)
{
	struct hv_kvp_fsck_report *r = NULL;
	uint8_t *out = (uint8_t *)1;
	size_t len = 1;

	cr_assert_eq(hv_kvp_fsck_analyze(NULL, 0, &r), 0);
	cr_assert_eq(r->records, 0);
	cr_assert_eq(r->n_issues, 0);
	cr_assert_not(r->needs_repair);
	cr_assert_eq(hv_kvp_fsck_repair(NULL, 0, &out, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_null(out);
	hv_kvp_fsck_report_free(r);
}

Test(kvp_fsck, partial_trailing_record)
{
	struct image im = {}, want = {}, fixed;
	struct hv_kvp_fsck_report *r;
	uint8_t junk[100];

	memset(junk, 'x', sizeof(junk));
	add(&im, "a", "1");
	add(&im, "b", "2");
	add_bytes(&im, junk, sizeof(junk));
	r = analyze(&im);
	cr_assert_eq(r->records, 2);
	cr_assert_eq(r->trailing_bytes, 100);
	cr_assert_eq(r->errors, 1);
	cr_assert_eq(r->counts[HV_KVP_FSCK_PARTIAL_RECORD], 1);
	assert_issue(r, 0, HV_KVP_FSCK_PARTIAL_RECORD, 2, 2);
	cr_assert_eq(r->issues[0].bytes, 100);
	cr_assert(r->needs_repair);
	cr_assert_eq(r->size_after, 2 * REC);

	add(&want, "a", "1");
	add(&want, "b", "2");
	fixed = repair(&im);
	assert_same(&want, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck, duplicates_first_wins_and_order_kept)
{
	struct image im = {}, want = {}, fixed;
	struct hv_kvp_fsck_report *r;

	add(&im, "a", "first a");
	add(&im, "b", "first b");
	add(&im, "a", "second a");
	add(&im, "c", "c");
	add(&im, "b", "second b");
	add(&im, "a", "third a");
	r = analyze(&im);
	cr_assert_eq(r->errors, 3);
	cr_assert_eq(r->counts[HV_KVP_FSCK_DUPLICATE_KEY], 3);
	assert_issue(r, 0, HV_KVP_FSCK_DUPLICATE_KEY, 2, 0);
	assert_issue(r, 1, HV_KVP_FSCK_DUPLICATE_KEY, 4, 1);
	assert_issue(r, 2, HV_KVP_FSCK_DUPLICATE_KEY, 5, 0);
	cr_assert_str_eq(r->issues[0].key, "a");
	cr_assert_str_eq(r->issues[1].key, "b");
	cr_assert_eq(r->records_after, 3);

	add(&want, "a", "first a");
	add(&want, "b", "first b");
	add(&want, "c", "c");
	fixed = repair(&im);
	assert_same(&want, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(want.b);
	free(im.b);
}

/* A record of each undecodable kind between two good ones: each found at
 * its index, and the repair keeps only the good ones. */
struct bad_case {
	char name[24];
	enum hv_kvp_fsck_kind kind;
};

static struct bad_case bad_cases[] = {
	{ "key-unterminated", HV_KVP_FSCK_KEY_UNTERMINATED },
	{ "value-unterminated", HV_KVP_FSCK_VALUE_UNTERMINATED },
	{ "key-bad-utf8", HV_KVP_FSCK_KEY_BAD_UTF8 },
	{ "value-bad-utf8", HV_KVP_FSCK_VALUE_BAD_UTF8 },
	{ "empty-key", HV_KVP_FSCK_EMPTY_KEY },
};

ParameterizedTestParameters(kvp_fsck, undecodable_record)
{
	return cr_make_param_array(struct bad_case, bad_cases, ELEMENTSOF(bad_cases));
}

static void add_bad(struct image *im, enum hv_kvp_fsck_kind kind)
{
	uint8_t *r = add_record(im);

	switch (kind) {
	case HV_KVP_FSCK_KEY_UNTERMINATED:
		memset(r, 'k', KEYSZ);
		memcpy(r + KEYSZ, "v", 1);
		break;
	case HV_KVP_FSCK_VALUE_UNTERMINATED:
		memcpy(r, "k", 1);
		memset(r + KEYSZ, 'v', REC - KEYSZ);
		break;
	case HV_KVP_FSCK_KEY_BAD_UTF8:
		memcpy(r, "k\xc3(", 3); /* a lead byte without its continuation */
		memcpy(r + KEYSZ, "v", 1);
		break;
	case HV_KVP_FSCK_VALUE_BAD_UTF8:
		memcpy(r, "k", 1);
		memcpy(r + KEYSZ, "\xed\xa0\x80", 3); /* a UTF-16 surrogate */
		break;
	case HV_KVP_FSCK_EMPTY_KEY:
		memcpy(r + KEYSZ, "orphan", 6);
		break;
	default:
		cr_assert_fail("not an undecodable kind");
	}
}

ParameterizedTest(struct bad_case *c, kvp_fsck, undecodable_record)
{
	struct image im = {}, want = {}, fixed;
	struct hv_kvp_fsck_report *r;

	add(&im, "before", "1");
	add_bad(&im, c->kind);
	add(&im, "after", "2");
	r = analyze(&im);
	cr_assert_eq(r->errors, 1, "%s: %u errors", c->name, r->errors);
	cr_assert_eq(r->counts[c->kind], 1, "%s", c->name);
	assert_issue(r, 0, c->kind, 1, 1);
	cr_assert_str_eq(hv_kvp_fsck_kind_to_string(c->kind), c->name);
	cr_assert_eq(r->records_after, 2);

	add(&want, "before", "1");
	add(&want, "after", "2");
	fixed = repair(&im);
	assert_same(&want, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck, first_decodable_record_wins)
{
	struct image im = {}, want = {}, fixed;
	struct hv_kvp_fsck_report *r;
	uint8_t *rec;

	/* Record 0 has key "a" but a value that is not UTF-8: it goes, and
	 * record 1 is then the first "a", not a duplicate. */
	rec = add_record(&im);
	memcpy(rec, "a", 1);
	memcpy(rec + KEYSZ, "\xff", 1);
	add(&im, "a", "good");
	add(&im, "a", "dup");
	r = analyze(&im);
	cr_assert_eq(r->n_issues, 2);
	assert_issue(r, 0, HV_KVP_FSCK_VALUE_BAD_UTF8, 0, 0);
	assert_issue(r, 1, HV_KVP_FSCK_DUPLICATE_KEY, 2, 1);
	add(&want, "a", "good");
	fixed = repair(&im);
	assert_same(&want, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck, stale_bytes_are_a_warning_and_zeroed)
{
	struct image im = {}, want = {}, fixed;
	struct hv_kvp_fsck_report *r;
	uint8_t *rec;

	add(&im, "clean", "1");
	/* What the reference leaves: the old, longer value after the NUL. */
	rec = add_record(&im);
	memcpy(rec, "k\0old-key-bytes", 15);
	memcpy(rec + KEYSZ, "new\0er value that was longer", 29);
	r = analyze(&im);
	cr_assert_eq(r->errors, 0);
	cr_assert_eq(r->warnings, 1);
	assert_issue(r, 0, HV_KVP_FSCK_STALE_BYTES, 1, 1);
	cr_assert(r->needs_repair, "zeroing the tail is a change");
	cr_assert_eq(r->records_after, 2);

	add(&want, "clean", "1");
	add(&want, "k", "new");
	fixed = repair(&im);
	assert_same(&want, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck, host_unreadable_is_a_warning_and_kept)
{
	struct image im = {}, fixed;
	struct hv_kvp_fsck_report *r;
	char key[300], value[1100];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	add(&im, key, "short");
	add(&im, "short", value);
	add(&im, "ok", "ok");
	r = analyze(&im);
	cr_assert_eq(r->errors, 0);
	cr_assert_eq(r->warnings, 2);
	assert_issue(r, 0, HV_KVP_FSCK_HOST_UNREADABLE, 0, 0);
	assert_issue(r, 1, HV_KVP_FSCK_HOST_UNREADABLE, 1, 1);
	cr_assert_not(r->needs_repair);
	fixed = repair(&im);
	assert_same(&im, &fixed);
	hv_kvp_fsck_report_free(r);
	free(fixed.b);
	free(im.b);
}

/* Everything at once: a repair is clean and repairing again is a no-op. */
static struct image messy(void)
{
	struct image im = {};
	uint8_t *rec;
	uint8_t junk[7] = "partial";

	add(&im, "a", "1");
	add_bad(&im, HV_KVP_FSCK_KEY_BAD_UTF8);
	add(&im, "b", "2");
	add(&im, "a", "dup");
	add_bad(&im, HV_KVP_FSCK_VALUE_UNTERMINATED);
	rec = add_record(&im);
	memcpy(rec, "c\0stale", 7);
	memcpy(rec + KEYSZ, "3", 1);
	add_bad(&im, HV_KVP_FSCK_EMPTY_KEY);
	add(&im, "b", "dup");
	add_bytes(&im, junk, sizeof(junk));
	return im;
}

Test(kvp_fsck, repair_is_clean_and_idempotent)
{
	struct image im = messy(), want = {}, once, twice;
	struct hv_kvp_fsck_report *r, *r2;

	r = analyze(&im);
	cr_assert_eq(r->records, 8);
	cr_assert_eq(r->errors, 6);
	cr_assert_eq(r->warnings, 1);
	cr_assert_eq(r->records_after, 3);

	add(&want, "a", "1");
	add(&want, "b", "2");
	add(&want, "c", "3");
	once = repair(&im);
	assert_same(&want, &once);
	r2 = analyze(&once);
	cr_assert_eq(r2->n_issues, 0);
	cr_assert_not(r2->needs_repair);
	twice = repair(&once);
	assert_same(&once, &twice);
	hv_kvp_fsck_report_free(r);
	hv_kvp_fsck_report_free(r2);
	free(once.b);
	free(twice.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck, size_cap)
{
	uint8_t b[1] = {};
	struct hv_kvp_fsck_report *r = NULL;
	uint8_t *out = NULL;
	size_t len;

	cr_assert_eq(hv_kvp_fsck_analyze(b, (size_t)HV_KVP_FSCK_MAX_SIZE + 1, &r), -EFBIG);
	cr_assert_eq(hv_kvp_fsck_repair(b, (size_t)HV_KVP_FSCK_MAX_SIZE + 1, &out, &len), -EFBIG);
	cr_assert_null(r);
}

/* ---- the file layer ---- */

static char dir[] = "/tmp/hv-test-kvp-fsck-XXXXXX";
static char path[300], jpath[300];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.kvp_pool_1", dir);
	snprintf(jpath, sizeof(jpath), "%s/.hvutils-kvp-journal-1", dir);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void write_file(const struct image *im)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(im->b, 1, im->len, f), im->len);
	cr_assert_eq(fclose(f), 0);
}

static struct image read_file(void)
{
	struct image im = {};
	FILE *f = fopen(path, "rb");
	uint8_t buf[4096];
	size_t n;

	cr_assert_not_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		add_bytes(&im, buf, n);
	fclose(f);
	return im;
}

TestSuite(kvp_fsck_file, .init = setup, .fini = teardown);

Test(kvp_fsck_file, check_leaves_the_file_alone)
{
	struct image im = messy(), now;
	struct hv_kvp_fsck_report *r = NULL;

	write_file(&im);
	cr_assert_eq(hv_kvp_fsck_file(dir, 1, NULL, &r), 0);
	cr_assert(r->exists);
	cr_assert_not(r->repaired);
	cr_assert_eq(r->errors, 6);
	now = read_file();
	assert_same(&im, &now);
	cr_assert_eq(access(jpath, F_OK), -1, "a check writes no journal");
	hv_kvp_fsck_report_free(r);
	free(now.b);
	free(im.b);
}

Test(kvp_fsck_file, repair_rewrites_in_place)
{
	struct image im = messy(), want, now;
	struct hv_kvp_fsck_options o = { .repair = true };
	struct hv_kvp_fsck_report *r = NULL;
	struct stat before, after;

	write_file(&im);
	want = repair(&im);
	cr_assert_eq(stat(path, &before), 0);
	cr_assert_eq(hv_kvp_fsck_file(dir, 1, &o, &r), 0);
	cr_assert(r->repaired);
	cr_assert_eq(r->errors, 6, "the report describes the file before the repair");
	now = read_file();
	assert_same(&want, &now);
	cr_assert_eq(stat(path, &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino, "same inode: appenders keep writing to it");
	hv_kvp_fsck_report_free(r);

	/* Clean now: a second repair does not touch it. */
	cr_assert_eq(hv_kvp_fsck_file(dir, 1, &o, &r), 0);
	cr_assert_not(r->repaired);
	cr_assert_eq(r->n_issues, 0);
	hv_kvp_fsck_report_free(r);
	free(now.b);
	free(want.b);
	free(im.b);
}

Test(kvp_fsck_file, missing_file_and_directory)
{
	struct hv_kvp_fsck_report *r = NULL;
	char nodir[400];

	cr_assert_eq(hv_kvp_fsck_file(dir, 3, NULL, &r), 0);
	cr_assert_not(r->exists);
	cr_assert_eq(r->records, 0);
	hv_kvp_fsck_report_free(r);
	r = NULL;
	snprintf(nodir, sizeof(nodir), "%s/nope", dir);
	cr_assert_eq(hv_kvp_fsck_file(nodir, 1, NULL, &r), -ENOENT);
	cr_assert_eq(hv_kvp_fsck_file(dir, 5, NULL, &r), -EINVAL);
	cr_assert_null(r);
}

/* Killed after the journal, before the pool: the store finishes it. */
Test(kvp_fsck_file, interrupted_repair_is_finished_by_the_store)
{
	struct image im = messy(), want, now;
	struct hv_kvp_fsck_options o = { .repair = true, .stop_after_journal = true };
	struct hv_kvp_fsck_report *r = NULL;
	struct hv_kvp_store *s = NULL;
	struct hv_kvp_store_stats st;

	write_file(&im);
	want = repair(&im);
	cr_assert_eq(hv_kvp_fsck_file(dir, 1, &o, &r), 0);
	cr_assert_not(r->repaired);
	hv_kvp_fsck_report_free(r);
	now = read_file();
	assert_same(&im, &now);
	free(now.b);

	cr_assert_eq(hv_kvp_store_open(dir, 1, NULL, &s), 0);
	hv_kvp_store_get_stats(s, &st);
	cr_assert(st.journal_replayed, "the store replays the fsck journal");
	cr_assert_eq(hv_kvp_store_count(s), 3);
	hv_kvp_store_free(s);
	now = read_file();
	assert_same(&want, &now);
	free(now.b);
	free(want.b);
	free(im.b);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child holds one kind of lock for 300 ms; the repair must wait. */
static void repair_waits_for(int kind)
{
	struct image im = messy();
	struct hv_kvp_fsck_options o = { .repair = true };
	struct hv_kvp_fsck_report *r = NULL;
	int ready[2];
	double t0;
	pid_t pid;
	char c;

	write_file(&im);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		if (kind == 0 ? flock(fd, LOCK_EX) < 0 : fcntl(fd, F_SETLKW, &fl) < 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		usleep(300000);
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	t0 = now_s();
	cr_assert_eq(hv_kvp_fsck_file(dir, 1, &o, &r), 0);
	cr_assert_geq(now_s() - t0, 0.2, "the repair did not wait for the lock");
	cr_assert(r->repaired);
	hv_kvp_fsck_report_free(r);
	waitpid(pid, NULL, 0);
	free(im.b);
}

Test(kvp_fsck_file, repair_waits_for_flock)
{
	repair_waits_for(0);
}

Test(kvp_fsck_file, repair_waits_for_a_classic_fcntl_lock)
{
	repair_waits_for(1);
}
