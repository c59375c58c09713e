/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/fcopy-writer: copies land only below the roots (symlinks and
 * ".." cannot lead out, with openat2 and with the O_NOFOLLOW walk), the
 * target appears only at COMPLETE and whole, an existing target survives
 * everything but a completed OVER_WRITE copy, CREATE_PATH, modes and
 * owners, write failures (file too large, disk full in a private tmpfs),
 * reserving the announced size, gathered sequential writes, big copies
 * past the page cache, names the host may send.  Everything happens in a temporary directory:
 * T/root is the one root, T/outside what must never be touched.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/path.h"
#include "proto/fcopy.h"
#include "services/fcopy-writer.h"

static char T[] = "/tmp/hv-test-fcopyw-XXXXXX";
static char root[256], outside[256];
static struct hv_fcopy_writer *w;

static void make_dir(const char *p)
{
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %m", p);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "%s: %m", path);
	fputs(content, f);
	cr_assert_eq(fclose(f), 0);
}

/* The whole file, or NULL when it does not exist. */
static char *read_file(const char *path)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return buf;
}

static char *pathf(const char *fmt, ...) _printf_(1, 2);
static char *pathf(const char *fmt, ...)
{
	/* Enough buffers that a test's results stay valid while it runs. */
	static char bufs[64][1024];
	static unsigned k;
	char *b = bufs[k++ % 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* Entries of dir other than "." and "..". */
static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	cr_assert_not_null(d, "%s: %m", dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void new_writer(bool no_openat2, mode_t file_mode, mode_t dir_mode, uid_t uid, gid_t gid)
{
	char *roots[] = { root, NULL };
	struct hv_fcopy_writer_options o;

	hv_fcopy_writer_free(w);
	w = NULL;
	hv_fcopy_writer_options_init(&o);
	o.roots = roots;
	o.no_openat2 = no_openat2;
	o.file_mode = file_mode;
	o.dir_mode = dir_mode;
	o.uid = uid;
	o.gid = gid;
	cr_assert_eq(hv_fcopy_writer_new(&o, &w), 0);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(T));
	snprintf(root, sizeof(root), "%s/root", T);
	snprintf(outside, sizeof(outside), "%s/outside", T);
	make_dir(root);
	make_dir(outside);
	make_dir(pathf("%s/dest", root));
	umask(022);
	new_writer(false, 0644, 0755, (uid_t)-1, (gid_t)-1);
}

static void teardown(void)
{
	char cmd[400];

	w = hv_fcopy_writer_free(w);
	(void)umount2(pathf("%s/dest", root), MNT_DETACH); /* write_error_disk_full's */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(fcopy_writer, .init = setup, .fini = teardown);

static int put(uint64_t off, const char *s)
{
	return hv_fcopy_writer_write(w, off, s, strlen(s));
}

Test(fcopy_writer, new_file_appears_only_at_complete)
{
	const char *dest = pathf("%s/dest", root);
	char temp[NAME_MAX + 1];
	struct stat st;

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", 0), 0);
	cr_assert(hv_fcopy_writer_is_open(w));
	cr_assert_str_eq(hv_fcopy_writer_get_target(w), pathf("%s/a.txt", dest));
	snprintf(temp, sizeof(temp), "%s", hv_fcopy_writer_get_temp_name(w));
	cr_assert_eq(strncmp(temp, ".a.txt.hvfcopy-", 15), 0, "temp name %s", temp);
	cr_assert_eq(strlen(temp), 21);

	/* Out of order, as the host may send them. */
	cr_assert_eq(put(6, "world"), 0);
	cr_assert_eq(put(0, "hello "), 0);
	cr_assert_null(read_file(pathf("%s/a.txt", dest)), "the target exists before COMPLETE");
	cr_assert_eq(stat(pathf("%s/%s", dest, temp), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "a partial file is private");

	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_not(hv_fcopy_writer_is_open(w));
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "hello world");
	cr_assert_eq(stat(pathf("%s/a.txt", dest), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(count_entries(dest), 1, "the temporary file is gone");
}

Test(fcopy_writer, exists_without_overwrite)
{
	const char *dest = pathf("%s/dest", root);

	write_file(pathf("%s/a.txt", dest), "old");
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", HV_FCOPY_CREATE_PATH), -EEXIST);
	cr_assert_not(hv_fcopy_writer_is_open(w));
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "old");
	cr_assert_eq(count_entries(dest), 1);
}

Test(fcopy_writer, overwrite_replaces_at_complete_only)
{
	const char *dest = pathf("%s/dest", root);

	write_file(pathf("%s/a.txt", dest), "old content");
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", HV_FCOPY_OVER_WRITE), 0);
	cr_assert_eq(put(0, "new"), 0);
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "old content", "touched before COMPLETE");
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "new", "no stale tail: a new file, not O_TRUNC");
	cr_assert_eq(count_entries(dest), 1);
}

Test(fcopy_writer, cancel_keeps_old_target)
{
	const char *dest = pathf("%s/dest", root);

	write_file(pathf("%s/a.txt", dest), "old");
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", HV_FCOPY_OVER_WRITE), 0);
	cr_assert_eq(put(0, "partial"), 0);
	cr_assert_eq(count_entries(dest), 2);
	cr_assert_eq(hv_fcopy_writer_cancel(w), 0);
	cr_assert_not(hv_fcopy_writer_is_open(w));
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "old");
	cr_assert_eq(count_entries(dest), 1, "the temporary file is removed");
	cr_assert_eq(hv_fcopy_writer_cancel(w), -EBADF, "nothing open any more");
	cr_assert_eq(put(0, "x"), -EBADF);
	cr_assert_eq(hv_fcopy_writer_complete(w), -EBADF);
}

Test(fcopy_writer, free_removes_temp)
{
	const char *dest = pathf("%s/dest", root);

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", 0), 0);
	cr_assert_eq(put(0, "partial"), 0);
	w = hv_fcopy_writer_free(w);
	cr_assert_eq(count_entries(dest), 0);
}

Test(fcopy_writer, second_start_is_busy)
{
	const char *dest = pathf("%s/dest", root);

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a", 0), 0);
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "b", 0), -EBUSY);
	cr_assert_str_eq(hv_fcopy_writer_get_target(w), pathf("%s/a", dest), "the open copy is untouched");
}

Test(fcopy_writer, file_appeared_meanwhile)
{
	const char *dest = pathf("%s/dest", root);

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a.txt", 0), 0);
	cr_assert_eq(put(0, "ours"), 0);
	write_file(pathf("%s/a.txt", dest), "theirs");
	cr_assert_eq(hv_fcopy_writer_complete(w), -EEXIST);
	cr_assert_str_eq(read_file(pathf("%s/a.txt", dest)), "theirs", "not clobbered");
	cr_assert_eq(count_entries(dest), 1);
}

Test(fcopy_writer, missing_directory_without_create_path)
{
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/dest/x/y", root), "a", 0), -ENOENT);
	cr_assert_eq(access(pathf("%s/dest/x", root), F_OK), -1);
}

Test(fcopy_writer, create_path_with_mode_and_owner)
{
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root for chown");
	new_writer(false, 0640, 0750, 1234, 2345);
	umask(077);
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/dest/x/y/", root), "a", HV_FCOPY_CREATE_PATH), 0);
	cr_assert_eq(put(0, "data"), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(stat(i ? pathf("%s/dest/x/y", root) : pathf("%s/dest/x", root), &st), 0);
		cr_assert(S_ISDIR(st.st_mode));
		cr_assert_eq(st.st_mode & 07777, 0750, "umask does not matter: %o", st.st_mode & 07777);
		cr_assert_eq(st.st_uid, 1234);
		cr_assert_eq(st.st_gid, 2345);
	}
	cr_assert_eq(stat(pathf("%s/dest", root), &st), 0);
	cr_assert_eq(st.st_uid, 0, "an existing directory keeps its owner");
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_eq(stat(pathf("%s/dest/x/y/a", root), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 2345);
	cr_assert_str_eq(read_file(pathf("%s/dest/x/y/a", root)), "data");
}

Test(fcopy_writer, create_path_of_the_root_itself)
{
	cr_assert_eq(hv_fcopy_writer_start(w, root, "top", HV_FCOPY_CREATE_PATH), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/top", root)), "", "an empty file is a file too");
}

/* Each way out of the root, with openat2 and with the O_NOFOLLOW walk. */
static void check_escapes(bool no_openat2)
{
	static const uint32_t flag_sets[] = { 0, HV_FCOPY_CREATE_PATH, HV_FCOPY_CREATE_PATH | HV_FCOPY_OVER_WRITE };

	new_writer(no_openat2, 0644, 0755, (uid_t)-1, (gid_t)-1);
	cr_assert_eq(symlink(outside, pathf("%s/abs", root)), 0);
	cr_assert_eq(symlink("../outside", pathf("%s/rel", root)), 0);
	cr_assert_eq(symlink("../../outside", pathf("%s/dest/deep", root)), 0);
	for (size_t i = 0; i < ELEMENTSOF(flag_sets); i++) {
		uint32_t f = flag_sets[i];
		int r;

		r = hv_fcopy_writer_start(w, pathf("%s/abs", root), "x", f);
		cr_assert(r == -EXDEV || r == -ELOOP || r == -ENOTDIR, "absolute symlink out: %d", r);
		r = hv_fcopy_writer_start(w, pathf("%s/rel", root), "x", f);
		cr_assert(r == -EXDEV || r == -ELOOP || r == -ENOTDIR, "relative symlink out: %d", r);
		r = hv_fcopy_writer_start(w, pathf("%s/dest/deep/new/dir", root), "x", f);
		cr_assert(r == -EXDEV || r == -ELOOP || r == -ENOTDIR, "nested symlink out: %d", r);
		cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/dest/../../outside", root), "x", f), -EINVAL);
		cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/..", root), "x", f), -EINVAL);
		cr_assert_eq(hv_fcopy_writer_start(w, outside, "x", f), -EACCES, "not below the root");
		cr_assert_eq(hv_fcopy_writer_start(w, pathf("%sx", root), "x", f), -EACCES, "a prefix is not a root");
		cr_assert_eq(hv_fcopy_writer_start(w, "/etc", "x", f), -EACCES);
	}
	cr_assert_eq(count_entries(outside), 0, "nothing landed outside the root");
	cr_assert_not(hv_fcopy_writer_is_open(w));
}

Test(fcopy_writer, symlinks_never_leave_the_root)
{
	check_escapes(false);
}

Test(fcopy_writer, symlinks_never_leave_the_root_without_openat2)
{
	check_escapes(true);
}

Test(fcopy_writer, symlink_inside_the_root)
{
	cr_assert_eq(symlink("dest", pathf("%s/alias", root)), 0);
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/alias", root), "a", 0), 0);
	cr_assert_eq(put(0, "via alias"), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/dest/a", root)), "via alias");

	/* The walk (no openat2) follows no symlink at all. */
	new_writer(true, 0644, 0755, (uid_t)-1, (gid_t)-1);
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/alias", root), "b", 0), -ELOOP);
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/dest", root), "b", 0), 0, "real directories are fine");
}

Test(fcopy_writer, target_symlink_is_replaced_not_followed)
{
	const char *dest = pathf("%s/dest", root);
	struct stat st;

	write_file(pathf("%s/secret", outside), "keep");
	cr_assert_eq(symlink(pathf("%s/secret", outside), pathf("%s/a", dest)), 0);
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a", 0), -EEXIST, "a symlink is an existing target");
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "a", HV_FCOPY_OVER_WRITE), 0);
	cr_assert_eq(put(0, "new"), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/secret", outside)), "keep");
	cr_assert_eq(lstat(pathf("%s/a", dest), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_str_eq(read_file(pathf("%s/a", dest)), "new");
}

Test(fcopy_writer, target_directory)
{
	make_dir(pathf("%s/dest/sub", root));
	cr_assert_eq(hv_fcopy_writer_start(w, pathf("%s/dest", root), "sub", HV_FCOPY_OVER_WRITE), -EISDIR);
}

Test(fcopy_writer, bad_names)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/" };
	char longname[NAME_MAX + 2];
	const char *dest = pathf("%s/dest", root);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		cr_assert_eq(hv_fcopy_writer_check_name(bad[i]), -EINVAL, "'%s'", bad[i]);
		cr_assert_eq(hv_fcopy_writer_start(w, dest, bad[i], HV_FCOPY_OVER_WRITE), -EINVAL, "'%s'", bad[i]);
	}
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(hv_fcopy_writer_start(w, dest, longname, 0), -ENAMETOOLONG);
	cr_assert_eq(hv_fcopy_writer_check_name("..."), 0, "only . and .. are special");
	cr_assert_eq(count_entries(dest), 0);
}

Test(fcopy_writer, non_ascii_names)
{
	/* "Grüße — 日本語 🐧.txt" and a name of 84 three-byte characters (252
	 * bytes), whose temporary name must be shortened on a character
	 * boundary. */
	static const char nice[] = "Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x90\xa7.txt";
	char big[253];
	const char *temp;
	const char *dest = pathf("%s/dest/\xc3\xa4rger", root);

	for (size_t i = 0; i < 84; i++)
		memcpy(big + 3 * i, "\xe6\x97\xa5", 3);
	big[252] = '\0';

	cr_assert_eq(hv_fcopy_writer_start(w, dest, nice, HV_FCOPY_CREATE_PATH), 0);
	cr_assert_eq(put(0, "1"), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/%s", dest, nice)), "1");

	cr_assert_eq(hv_fcopy_writer_start(w, dest, big, 0), 0);
	temp = hv_fcopy_writer_get_temp_name(w);
	cr_assert_leq(strlen(temp), NAME_MAX);
	/* ".": 1 byte, then whole characters only, then the infix. */
	cr_assert_eq((strlen(temp) - 1 - 15) % 3, 0, "cut inside a character: %s", temp);
	cr_assert_eq(put(0, "2"), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_str_eq(read_file(pathf("%s/%s", dest, big)), "2");
}

Test(fcopy_writer, write_error_file_too_large)
{
	const char *dest = pathf("%s/dest", root);
	struct rlimit rl = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };
	char block[4096];

	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	memset(block, 'x', sizeof(block));
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "big", 0), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, 0, block, sizeof(block)), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, 4096, block, sizeof(block)), 0, "gathered, not written yet");
	cr_assert_eq(hv_fcopy_writer_complete(w), -EFBIG, "COMPLETE writes it and fails");
	cr_assert_not(hv_fcopy_writer_is_open(w), "a failed write ends the copy");
	cr_assert_eq(count_entries(dest), 0, "and removes the temporary file");
	cr_assert_eq(hv_fcopy_writer_write(w, 0, block, 1), -EBADF);

	/* Data that does not continue the gathered run writes it out: the
	 * error comes with that WRITE. */
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "big", 0), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, 0, block, sizeof(block)), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, 4096, block, sizeof(block)), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, 0, block, 1), -EFBIG);
	cr_assert_not(hv_fcopy_writer_is_open(w));
	cr_assert_eq(count_entries(dest), 0);

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "off", 0), 0);
	cr_assert_eq(hv_fcopy_writer_write(w, UINT64_MAX - 2, block, 8), -EFBIG, "offset out of range");
	cr_assert_eq(count_entries(dest), 0);
}

/* A 64 KiB tmpfs in a mount namespace of this test's own. */
Test(fcopy_writer, write_error_disk_full)
{
	char block[6144];
	const char *mnt = pathf("%s/dest", root);
	int r = 0;

	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("cannot make a mount namespace: %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=64k"), 0, "%m");
	/* Descriptors opened before unshare() see the old namespace's mounts. */
	new_writer(false, 0644, 0755, (uid_t)-1, (gid_t)-1);
	memset(block, 'x', sizeof(block));
	cr_assert_eq(hv_fcopy_writer_start(w, mnt, "full", 0), 0);
	for (uint64_t off = 0; r == 0 && off < 1024 * 1024; off += sizeof(block))
		r = hv_fcopy_writer_write(w, off, block, sizeof(block));
	cr_assert_eq(r, -ENOSPC, "%d", r);
	cr_assert_not(hv_fcopy_writer_is_open(w));
	cr_assert_eq(count_entries(mnt), 0, "the partial file is gone, the space is free again");
	umount2(mnt, MNT_DETACH);
}

/* Reserving the announced size: refused on a file system without room,
 * the file's size unchanged otherwise. */
Test(fcopy_writer, reserve)
{
	const char *mnt = pathf("%s/dest", root);
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("cannot make a mount namespace: %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("tmpfs", mnt, "tmpfs", 0, "size=64k"), 0, "%m");
	new_writer(false, 0644, 0755, (uid_t)-1, (gid_t)-1);
	cr_assert_eq(hv_fcopy_writer_reserve(w, 10), -EBADF, "nothing open");
	cr_assert_eq(hv_fcopy_writer_start(w, mnt, "huge", 0), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, 1024 * 1024), -ENOSPC);
	cr_assert_not(hv_fcopy_writer_is_open(w), "a copy that cannot fit ends at once");
	cr_assert_eq(count_entries(mnt), 0);
	cr_assert_eq(hv_fcopy_writer_start(w, mnt, "huge", 0), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, UINT64_MAX), -EFBIG);
	cr_assert_eq(count_entries(mnt), 0);

	cr_assert_eq(hv_fcopy_writer_start(w, mnt, "fits", 0), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, 32 * 1024), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, 0), 0, "nothing to reserve");
	cr_assert_eq(put(0, "0123456789"), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);
	cr_assert_eq(stat(pathf("%s/fits", mnt), &st), 0);
	cr_assert_eq(st.st_size, 10, "the file is as long as its data");
	umount2(mnt, MNT_DETACH);
}

/* Gathered runs: sequential data across many pieces and past the first
 * writeback chunk, then data out of order and overwriting what was
 * gathered or written, all in its place. */
Test(fcopy_writer, gathered_writes_land_in_place)
{
	const size_t size = 9 * 1024 * 1024 + 4321;
	const char *dest = pathf("%s/dest", root);
	unsigned char *src = malloc(size), *got = malloc(size);
	unsigned seed = 12345;
	size_t off;
	FILE *f;

	cr_assert(src && got);
	for (size_t i = 0; i < size; i++)
		src[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
	cr_assert_eq(hv_fcopy_writer_start(w, dest, "seq", 0), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, size), 0);
	for (off = 0; off < size; off += HV_FCOPY_DATA_FRAGMENT)
		cr_assert_eq(hv_fcopy_writer_write(w, off, src + off, HV_MIN(size - off, (size_t)HV_FCOPY_DATA_FRAGMENT)),
			     0);
	/* Rewrite a stretch inside the first, already written piece and one
	 * inside the run still gathered, then the end again. */
	memset(src + 100, 'a', 5000);
	cr_assert_eq(hv_fcopy_writer_write(w, 100, src + 100, 5000), 0);
	memset(src + size - 3000, 'b', 2000);
	cr_assert_eq(hv_fcopy_writer_write(w, size - 3000, src + size - 3000, 2000), 0);
	memset(src + size - 10, 'c', 10);
	cr_assert_eq(hv_fcopy_writer_write(w, size - 10, src + size - 10, 10), 0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);

	f = fopen(pathf("%s/seq", dest), "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(got, 1, size, f), size);
	cr_assert_eq(fgetc(f), EOF, "no more than was written");
	fclose(f);
	cr_assert_eq(memcmp(src, got, size), 0, "the file is what was written, in order");
	cr_assert_eq(count_entries(dest), 1);
	free(src);
	free(got);
}

Test(fcopy_writer, roots_through_the_path_context)
{
	char *roots[] = { "/root/dest", "/root", NULL };
	struct hv_fcopy_writer_options o;
	struct hv_path *p = hv_path_new(T);
	struct hv_fcopy_writer *pw = NULL;

	cr_assert_not_null(p);
	hv_fcopy_writer_options_init(&o);
	o.path = p;
	o.roots = roots;
	cr_assert_eq(hv_fcopy_writer_new(&o, &pw), 0);
	/* The host names the guest's paths; the prefix is the test's. */
	cr_assert_eq(hv_fcopy_writer_start(pw, "/root/dest/", "a", 0), 0);
	cr_assert_str_eq(hv_fcopy_writer_get_root(pw), "/root/dest", "the longest root wins");
	cr_assert_str_eq(hv_fcopy_writer_get_target(pw), "/root/dest/a");
	cr_assert_eq(hv_fcopy_writer_complete(pw), 0);
	cr_assert_str_eq(read_file(pathf("%s/dest/a", root)), "");
	cr_assert_eq(hv_fcopy_writer_start(pw, "root//./", "b", 0), 0, "relative and untidy: from /");
	cr_assert_str_eq(hv_fcopy_writer_get_root(pw), "/root");
	cr_assert_str_eq(hv_fcopy_writer_get_target(pw), "/root/b");
	hv_fcopy_writer_free(pw);
	hv_path_free(p);
}

Test(fcopy_writer, root_missing_at_start_is_tried_again)
{
	char *roots[] = { pathf("%s/later", T), NULL };
	struct hv_fcopy_writer_options o;
	struct hv_fcopy_writer *lw = NULL;

	hv_fcopy_writer_options_init(&o);
	o.roots = roots;
	cr_assert_eq(hv_fcopy_writer_new(&o, &lw), 0);
	cr_assert_eq(hv_fcopy_writer_start(lw, roots[0], "a", HV_FCOPY_CREATE_PATH), -ENOENT);
	make_dir(pathf("%s/later", T));
	cr_assert_eq(hv_fcopy_writer_start(lw, roots[0], "a", 0), 0);
	hv_fcopy_writer_free(lw);
}

Test(fcopy_writer, bad_options)
{
	char *relative[] = { "srv", NULL };
	char *dotdot[] = { "/srv/../etc", NULL };
	struct hv_fcopy_writer_options o;
	struct hv_fcopy_writer *bw = NULL;

	hv_fcopy_writer_options_init(&o);
	o.roots = relative;
	cr_assert_eq(hv_fcopy_writer_new(&o, &bw), -EINVAL);
	o.roots = dotdot;
	cr_assert_eq(hv_fcopy_writer_new(&o, &bw), -EINVAL);
	o.roots = NULL;
	o.file_mode = 04755;
	cr_assert_eq(hv_fcopy_writer_new(&o, &bw), -EINVAL, "no set-id bits from the configuration");
	cr_assert_null(bw);
}

/* A big copy (announced >= 8 MiB) goes past the page cache where the file
 * system has O_DIRECT: afterwards at most the last piece (1 MiB) is in
 * memory, where a copy through the page cache leaves all of it.  The length
 * set at START is put right when the host sent less than it announced. */
Test(fcopy_writer, big_copies_bypass_the_page_cache)
{
	const size_t size = 16 * 1024 * 1024 + 100, announced = 20 * 1024 * 1024;
	const char *dest = pathf("%s/dest", root);
	unsigned char *src = malloc(size), *got = malloc(size), *map;
	unsigned char *vec = malloc(size / 4096 + 2);
	size_t resident = 0, pages = (size + 4095) / 4096;
	unsigned seed = 777;
	bool direct;
	struct stat st;
	int fd;

	cr_assert(src && got && vec);
	for (size_t i = 0; i < size; i++)
		src[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
	/* Does this file system have direct I/O at all? */
	fd = open(pathf("%s/probe", dest), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
	direct = fd >= 0;
	cr_assert(direct || errno == EINVAL, "probe: %m");
	if (fd >= 0) {
		close(fd);
		unlink(pathf("%s/probe", dest));
	}

	cr_assert_eq(hv_fcopy_writer_start(w, dest, "big", 0), 0);
	cr_assert_eq(hv_fcopy_writer_reserve(w, announced), 0);
	for (size_t off = 0; off < size; off += HV_FCOPY_DATA_FRAGMENT)
		cr_assert_eq(hv_fcopy_writer_write(w, off, src + off, HV_MIN(size - off, (size_t)HV_FCOPY_DATA_FRAGMENT)),
			     0);
	cr_assert_eq(hv_fcopy_writer_complete(w), 0);

	fd = open(pathf("%s/big", dest), O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq((size_t)st.st_size, size, "as long as the data, not as announced (%zu)", announced);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(map, MAP_FAILED);
	cr_assert_eq(mincore(map, size, vec), 0);
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	munmap(map, size);
	cr_assert_eq(pread(fd, got, size, 0), (ssize_t)size);
	close(fd);
	cr_assert_eq(memcmp(src, got, size), 0, "the file is what was written");
	if (direct)
		cr_assert_leq(resident, 1024 * 1024 / 4096 + 1,
			      "%zu of %zu pages in the page cache: the copy did not go past it", resident, pages);
	else
		cr_log_warn("no O_DIRECT on %s: the copy went through the page cache (%zu pages)", dest, resident);
	free(src);
	free(got);
	free(vec);
}
