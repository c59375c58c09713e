/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/fsfreeze: the careful open of a mountpoint (no links on the way,
 * the right mount) on directories of a temporary tree, and the EBUSY/EINVAL
 * tolerance through the fake.  Nothing here calls FIFREEZE or FITHAW on a
 * real file system.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/fsfreeze-fake.h"
#include "platform/fsfreeze.h"

static char root[] = "/tmp/hv-test-fsfreeze-XXXXXX";
static char dir[300], link_path[300], file[300], via_link[300];

static void setup(void)
{
	int fd;

	cr_assert_not_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/mnt", root);
	snprintf(link_path, sizeof(link_path), "%s/link", root);
	snprintf(file, sizeof(file), "%s/file", root);
	snprintf(via_link, sizeof(via_link), "%s/link/sub", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(symlink("mnt", link_path), 0);
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mkdir(via_link, 0755), 0); /* creates mnt/sub through the link */
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(fsfreeze, .init = setup, .fini = teardown);

static int mount_id_of(const char *path)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return -1;
	return (int)stx.stx_mnt_id;
}

Test(fsfreeze, opens_a_directory_read_only_with_cloexec)
{
	int fd = hv_fsfreeze_open_mountpoint(dir, -1);

	cr_assert_geq(fd, 0, "open: %s", strerror(-fd));
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

Test(fsfreeze, refuses_links_relative_paths_and_files)
{
	int r = hv_fsfreeze_open_mountpoint(link_path, -1);

	/* O_NOFOLLOW|O_DIRECTORY on a link: ENOTDIR (or ELOOP). */
	cr_assert(r == -ELOOP || r == -ENOTDIR, "a link as the last component: %d", r);
	cr_assert_eq(hv_fsfreeze_open_mountpoint(via_link, -1), -ELOOP, "a link on the way");
	cr_assert_eq(hv_fsfreeze_open_mountpoint("tmp", -1), -EINVAL);
	cr_assert_eq(hv_fsfreeze_open_mountpoint(NULL, -1), -EINVAL);
	cr_assert_eq(hv_fsfreeze_open_mountpoint(file, -1), -ENOTDIR);
	cr_assert_eq(hv_fsfreeze_open_mountpoint("/nonexistent-hvutils-test", -1), -ENOENT);
}

Test(fsfreeze, checks_the_mount_id)
{
	int id = mount_id_of(dir), fd;

	if (id < 0)
		cr_skip_test("the kernel reports no mount id (statx STATX_MNT_ID)");
	fd = hv_fsfreeze_open_mountpoint(dir, id);
	cr_assert_geq(fd, 0, "the right mount: %s", strerror(-fd));
	close(fd);
	cr_assert_eq(hv_fsfreeze_open_mountpoint(dir, id + 100000), -ESTALE, "another mount");
}

Test(fsfreeze, fake_models_the_kernel_and_the_tolerance)
{
	struct hv_fsfreeze_fake fake;
	struct hv_fsfreeze ff;
	int fd;

	hv_fsfreeze_fake_init(&fake);
	ff = hv_fsfreeze_fake_get(&fake);
	fd = hv_fsfreeze_open(&ff, "/data", 7);
	cr_assert_geq(fd, 0);
	cr_assert_eq(hv_fsfreeze_freeze(&ff, fd), HV_FSFREEZE_DONE);
	cr_assert(hv_fsfreeze_fake_is_frozen(&fake, "/data"));
	cr_assert_eq(hv_fsfreeze_freeze(&ff, fd), HV_FSFREEZE_ALREADY, "EBUSY is frozen already");
	cr_assert_eq(hv_fsfreeze_thaw(&ff, fd), HV_FSFREEZE_DONE);
	cr_assert_eq(hv_fsfreeze_thaw(&ff, fd), HV_FSFREEZE_ALREADY, "EINVAL is not frozen");
	hv_fsfreeze_fake_set_error(&fake, "/data", HV_FSFREEZE_FAKE_FREEZE, -EOPNOTSUPP);
	cr_assert_eq(hv_fsfreeze_freeze(&ff, fd), -EOPNOTSUPP);
	hv_fsfreeze_fake_set_error(&fake, "/data", HV_FSFREEZE_FAKE_FREEZE, 0);
	hv_fsfreeze_fake_set_error(&fake, "/data", HV_FSFREEZE_FAKE_THAW, -EIO);
	cr_assert_eq(hv_fsfreeze_freeze(&ff, fd), HV_FSFREEZE_DONE);
	cr_assert_eq(hv_fsfreeze_thaw(&ff, fd), -EIO);
	cr_assert_str_eq(fake.log, "open /data\nfreeze /data\nfreeze /data\nthaw /data\nthaw /data\n"
				   "freeze /data\nfreeze /data\nthaw /data\n");
	close(fd);

	hv_fsfreeze_fake_set_error(&fake, "/gone", HV_FSFREEZE_FAKE_OPEN, -ENOENT);
	cr_assert_eq(hv_fsfreeze_open(&ff, "/gone", -1), -ENOENT);
}
