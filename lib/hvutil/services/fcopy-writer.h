/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy, the file-system side (PROTOCOL.md §7, §11.17, §11.18): where a
 * copy from the host may land and how it gets there.  The protocol state
 * machine is services/fcopy-service.h; this module only knows directories,
 * names and bytes, so it can be tested in a temporary directory.
 *
 * Containment.  Copies land only below the configured roots (default "/").
 * Each root directory is opened once (again at the next copy when it was
 * missing).  The host's directory is split into components ("" and "."
 * are dropped, ".." is refused outright), matched to the longest root it
 * lies in, and the rest is opened from that root's descriptor with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks that stay
 * inside the root are followed, one that leaves it (absolute, or ".." past
 * the root) fails with EXDEV.  Kernels without openat2 (ENOSYS, before
 * 5.6) get a component-by-component walk with O_NOFOLLOW, which refuses
 * every symlink.  A directory given without a leading '/' is taken from
 * "/", where the reference daemons (which chdir("/")) resolve it too.
 *
 * CREATE_PATH creates the missing tail of the directory (mkdirat, then
 * fchown/fchmod to the configured owner, group and directory mode, so the
 * umask does not matter); without it a missing directory is -ENOENT.
 *
 * Atomicity.  Data goes to a temporary file beside the target,
 * ".<name>.hvfcopy-XXXXXX" (name shortened to fit NAME_MAX, random suffix,
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 so nobody reads a partial file).
 * The space the host announced can be reserved at once (fallocate, the
 * file's size unchanged), so a copy that cannot fit fails before any data
 * is sent.  WRITE takes data at any offset; data that continues the
 * previous WRITE is gathered and written in 64 KiB pieces (a system call
 * per ten fragments, whole pages), and the writeback of every 8 MiB
 * written is started at once (sync_file_range), so the fsync at COMPLETE
 * has little left to do; a write error of a gathered piece is reported by
 * the WRITE or COMPLETE that writes it.  COMPLETE
 * writes what is gathered, applies owner, group and mode, fsyncs the file,
 * renames it into place and fsyncs the directory.  Without
 * OVER_WRITE the rename is renameat2(RENAME_NOREPLACE) (link + unlink on
 * file systems that lack it), so a file that appeared during the copy is
 * not clobbered (-EEXIST).  Cancel, any failure and freeing the writer
 * unlink the temporary file; an existing target is never touched before
 * COMPLETE, and with OVER_WRITE a target that is a symlink is replaced,
 * never followed.  A daemon killed with SIGKILL leaves its temporary file
 * behind (mode 0600, recognisable by its name).
 *
 * Names come from proto/ already decoded to UTF-8.  Refused (-EINVAL):
 * empty, ".", "..", containing '/'; longer than NAME_MAX: -ENAMETOOLONG.
 *
 * Errors are -errno and the caller maps them to the host's statuses:
 * -EEXIST (target exists), -ENOSPC/-EDQUOT (disk full), and for the
 * rest: -EACCES (not below any root), -EXDEV/-ELOOP (a symlink would
 * leave the root), -ENOENT/-ENOTDIR (no such directory), -EISDIR (target
 * is a directory), -EBUSY (a copy is already open), -EBADF (no copy
 * open), -EFBIG (offset out of range), other -errno from the system.
 * One copy is open at a time.  The library logs at debug level only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hv_path;
struct hv_fcopy_writer;

#define HV_FCOPY_WRITER_DEFAULT_ROOT "/"
#define HV_FCOPY_WRITER_DEFAULT_FILE_MODE 0644
#define HV_FCOPY_WRITER_DEFAULT_DIR_MODE 0755
#define HV_FCOPY_WRITER_MAX_ROOTS 64
/* The temporary file's name: "." + name + this + 6 random characters. */
#define HV_FCOPY_WRITER_TEMP_INFIX ".hvfcopy-"

struct hv_fcopy_writer_options {
	const struct hv_path *path; /* roots are resolved through it; NULL: the real root */
	char *const *roots;         /* absolute directories, NULL-terminated; NULL: "/" */
	mode_t file_mode;           /* permission bits (<= 0777) set at COMPLETE */
	mode_t dir_mode;            /* permission bits (<= 0777) of directories CREATE_PATH makes */
	uid_t uid;                  /* owner of copied files and created directories; (uid_t)-1: keep */
	gid_t gid;                  /* group; (gid_t)-1: keep */
	bool no_openat2;            /* tests: walk with O_NOFOLLOW as if openat2 were missing */
};

/* Fill o with the defaults: "/", 0644, 0755, keep owner and group. */
void hv_fcopy_writer_options_init(struct hv_fcopy_writer_options *o);

/*
 * Copy the options and open the roots.  -EINVAL for a root that is not
 * absolute or has a ".." component, more than HV_FCOPY_WRITER_MAX_ROOTS
 * roots or a mode above 0777.  A root that cannot be opened now is not
 * an error: it is tried again at every copy into it (logged at debug).
 */
int hv_fcopy_writer_new(const struct hv_fcopy_writer_options *o, struct hv_fcopy_writer **ret);
/* Cancels an open copy (its temporary file is removed). */
struct hv_fcopy_writer *hv_fcopy_writer_free(struct hv_fcopy_writer *w);

/* 0 when name may be a file name, -EINVAL or -ENAMETOOLONG. */
int hv_fcopy_writer_check_name(const char *name);

/*
 * START: resolve dir (creating it with HV_FCOPY_CREATE_PATH), check the
 * target (-EEXIST without HV_FCOPY_OVER_WRITE) and create the temporary
 * file.  flags are the host's copy_flags; unknown bits are ignored.
 */
int hv_fcopy_writer_start(struct hv_fcopy_writer *w, const char *dir, const char *name, uint32_t flags);
/*
 * Reserve size bytes for the open copy (fallocate with FALLOC_FL_KEEP_SIZE).
 * 0 also when the file system cannot (nothing reserved); -ENOSPC, -EDQUOT,
 * -EFBIG and other failures cancel the copy.  From 8 MiB on, the copy goes
 * past the page cache where the file system allows O_DIRECT: the length is
 * set now (and put right at COMPLETE), the data written 1 MiB at a time,
 * asynchronously (see fcopy-writer.c).
 */
int hv_fcopy_writer_reserve(struct hv_fcopy_writer *w, uint64_t size);
/* WRITE: size bytes at offset into the temporary file (gathered when they
 * continue the last WRITE, see above).  Any failure cancels the copy. */
int hv_fcopy_writer_write(struct hv_fcopy_writer *w, uint64_t offset, const void *data, size_t size);
/* COMPLETE: owner, mode, fsync, rename into place, fsync the directory.
 * The copy is over either way; on failure nothing is left behind. */
int hv_fcopy_writer_complete(struct hv_fcopy_writer *w);
/* CANCEL: remove the temporary file.  -EBADF when nothing is open. */
int hv_fcopy_writer_cancel(struct hv_fcopy_writer *w);

bool hv_fcopy_writer_is_open(const struct hv_fcopy_writer *w);
/* The open copy's target as the host named it ("/dir/name", components
 * normalised) and its temporary file's name; NULL when idle. */
const char *hv_fcopy_writer_get_target(const struct hv_fcopy_writer *w);
const char *hv_fcopy_writer_get_temp_name(const struct hv_fcopy_writer *w);
/* The root the open copy lies in (as configured), NULL when idle. */
const char *hv_fcopy_writer_get_root(const struct hv_fcopy_writer *w);
