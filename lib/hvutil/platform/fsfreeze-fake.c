/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake file system freezer for tests (see fsfreeze-fake.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/fsfreeze-fake.h"

static const char *const op_names[_HV_FSFREEZE_FAKE_OP_MAX] = {
	[HV_FSFREEZE_FAKE_OPEN] = "open",
	[HV_FSFREEZE_FAKE_FREEZE] = "freeze",
	[HV_FSFREEZE_FAKE_THAW] = "thaw",
};

void hv_fsfreeze_fake_init(struct hv_fsfreeze_fake *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < HV_FSFREEZE_FAKE_MAX_FDS; i++)
		f->fd_fs[i] = -1;
}

struct hv_fsfreeze hv_fsfreeze_fake_get(struct hv_fsfreeze_fake *f)
{
	return (struct hv_fsfreeze){ .ops = &hv_fsfreeze_fake_ops, .userdata = f };
}

/* The file system of a mountpoint, added on first sight; NULL when full. */
static struct hv_fsfreeze_fake_fs *fs_get(struct hv_fsfreeze_fake *f, const char *mountpoint)
{
	struct hv_fsfreeze_fake_fs *fs;

	for (size_t i = 0; i < f->n_fs; i++)
		if (strcmp(f->fs[i].mountpoint, mountpoint) == 0)
			return &f->fs[i];
	if (f->n_fs >= HV_FSFREEZE_FAKE_MAX_FS || strlen(mountpoint) >= sizeof(fs->mountpoint))
		return NULL;
	fs = &f->fs[f->n_fs++];
	memset(fs, 0, sizeof(*fs));
	strcpy(fs->mountpoint, mountpoint);
	return fs;
}

static void record(struct hv_fsfreeze_fake *f, enum hv_fsfreeze_fake_op op, const char *mountpoint)
{
	size_t len = strlen(f->log);

	f->calls[op]++;
	snprintf(f->log + len, sizeof(f->log) - len, "%s %s\n", op_names[op], mountpoint);
}

void hv_fsfreeze_fake_set_error(struct hv_fsfreeze_fake *f, const char *mountpoint,
				enum hv_fsfreeze_fake_op op, int error)
{
	struct hv_fsfreeze_fake_fs *fs = fs_get(f, mountpoint);

	if (fs && op < _HV_FSFREEZE_FAKE_OP_MAX)
		fs->error[op] = error;
}

void hv_fsfreeze_fake_set_frozen(struct hv_fsfreeze_fake *f, const char *mountpoint, bool frozen)
{
	struct hv_fsfreeze_fake_fs *fs = fs_get(f, mountpoint);

	if (fs)
		fs->frozen = frozen;
}

bool hv_fsfreeze_fake_is_frozen(const struct hv_fsfreeze_fake *f, const char *mountpoint)
{
	for (size_t i = 0; i < f->n_fs; i++)
		if (strcmp(f->fs[i].mountpoint, mountpoint) == 0)
			return f->fs[i].frozen;
	return false;
}

size_t hv_fsfreeze_fake_count_frozen(const struct hv_fsfreeze_fake *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_fs; i++)
		n += f->fs[i].frozen;
	return n;
}

void hv_fsfreeze_fake_clear_log(struct hv_fsfreeze_fake *f)
{
	f->log[0] = '\0';
	memset(f->calls, 0, sizeof(f->calls));
}

static int fake_open(void *userdata, const char *mountpoint, int mount_id)
{
	struct hv_fsfreeze_fake *f = userdata;
	struct hv_fsfreeze_fake_fs *fs;
	int fd;

	(void)mount_id;
	if (!mountpoint || mountpoint[0] != '/')
		return -EINVAL;
	fs = fs_get(f, mountpoint);
	if (!fs)
		return -ENOMEM;
	record(f, HV_FSFREEZE_FAKE_OPEN, mountpoint);
	if (fs->error[HV_FSFREEZE_FAKE_OPEN])
		return fs->error[HV_FSFREEZE_FAKE_OPEN];
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fd >= HV_FSFREEZE_FAKE_MAX_FDS) {
		close(fd);
		return -EMFILE;
	}
	f->fd_fs[fd] = (int)(fs - f->fs);
	return fd;
}

static struct hv_fsfreeze_fake_fs *fs_of_fd(struct hv_fsfreeze_fake *f, int fd)
{
	if (fd < 0 || fd >= HV_FSFREEZE_FAKE_MAX_FDS || f->fd_fs[fd] < 0)
		return NULL;
	return &f->fs[f->fd_fs[fd]];
}

static int fake_freeze(void *userdata, int fd)
{
	struct hv_fsfreeze_fake *f = userdata;
	struct hv_fsfreeze_fake_fs *fs = fs_of_fd(f, fd);

	if (!fs)
		return -EBADF;
	record(f, HV_FSFREEZE_FAKE_FREEZE, fs->mountpoint);
	if (fs->error[HV_FSFREEZE_FAKE_FREEZE])
		return fs->error[HV_FSFREEZE_FAKE_FREEZE];
	if (fs->frozen)
		return -EBUSY;
	fs->frozen = true;
	return 0;
}

static int fake_thaw(void *userdata, int fd)
{
	struct hv_fsfreeze_fake *f = userdata;
	struct hv_fsfreeze_fake_fs *fs = fs_of_fd(f, fd);

	if (!fs)
		return -EBADF;
	record(f, HV_FSFREEZE_FAKE_THAW, fs->mountpoint);
	if (fs->error[HV_FSFREEZE_FAKE_THAW])
		return fs->error[HV_FSFREEZE_FAKE_THAW];
	if (!fs->frozen)
		return -EINVAL;
	fs->frozen = false;
	return 0;
}

const struct hv_fsfreeze_ops hv_fsfreeze_fake_ops = {
	.open = fake_open,
	.freeze = fake_freeze,
	.thaw = fake_thaw,
};
