/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filling a VSS world's root.  See rootfs.h.
 *
 * Paths are walked on the machine one component at a time.  A symlink is
 * recreated in the root and the walk restarts at its target, so every
 * directory written in the root corresponds to a real directory on the
 * machine and nothing is ever written through a symlink inside the root
 * (an absolute link there would point out of it).  ".." in link targets
 * is resolved lexically, which is right because the prefix it climbs out
 * of has no symlinks left.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "rootfs.h"
#include "spawn.h"

#define MAX_LINKS 32
#define MAX_BYTES ((size_t)2 << 30) /* a whole /usr by mistake stops here */
#define MAX_DIR_DEPTH 32
#define MAX_SCRIPT (64 * 1024)

struct hvsim_rootfs {
	char *root;
	size_t bytes;
	char **dirs; /* directories copied whole: each once (symlink loops) */
	size_t n_dirs;
};

int hvsim_rootfs_new(const char *root, struct hvsim_rootfs **ret)
{
	struct hvsim_rootfs *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->root = strdup(root);
	if (!r->root) {
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

struct hvsim_rootfs *hvsim_rootfs_free(struct hvsim_rootfs *r)
{
	if (r) {
		for (size_t i = 0; i < r->n_dirs; i++)
			free(r->dirs[i]);
		free(r->dirs);
		free(r->root);
		free(r);
	}
	return NULL;
}

size_t hvsim_rootfs_bytes(const struct hvsim_rootfs *r)
{
	return r->bytes;
}

char *hvsim_path_normalize(const char *abs)
{
	char *out;
	size_t len = 0;

	if (!abs || abs[0] != '/')
		return NULL;
	out = malloc(strlen(abs) + 2);
	if (!out)
		return NULL;
	for (const char *p = abs; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

static char *in_root(const struct hvsim_rootfs *r, const char *abs)
{
	char *p;

	if (asprintf(&p, "%s%s", r->root, strcmp(abs, "/") == 0 ? "" : abs) < 0)
		return NULL;
	return p;
}

static int copy_file(struct hvsim_rootfs *r, const char *src, const char *dst, const struct stat *st)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	off_t off = 0;

	if (r->bytes + (size_t)st->st_size > MAX_BYTES)
		return hv_log_err_errno(-EFBIG, "copying %s: more than %zu MiB copied into the root", src,
					MAX_BYTES >> 20);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hv_log_err_errno(-errno, "open %s: %m", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 0777);
	if (out < 0)
		return hv_log_err_errno(-errno, "create %s: %m", dst);
	while (off < st->st_size) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st->st_size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hv_log_err_errno(-errno, "copying %s: %m", src);
		if (n == 0)
			break; /* shrank meanwhile */
	}
	if (fchmod(out, st->st_mode & 0777) < 0)
		return -errno;
	r->bytes += (size_t)off;
	return 0;
}

static int copy_walk(struct hvsim_rootfs *r, const char *abs, bool contents, unsigned links, unsigned depth);

/* true if abs was copied whole before, else remembers it. */
static int dir_seen(struct hvsim_rootfs *r, const char *abs)
{
	char **l;

	for (size_t i = 0; i < r->n_dirs; i++)
		if (strcmp(r->dirs[i], abs) == 0)
			return 1;
	l = realloc(r->dirs, (r->n_dirs + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	r->dirs = l;
	l[r->n_dirs] = strdup(abs);
	if (!l[r->n_dirs])
		return -ENOMEM;
	r->n_dirs++;
	return 0;
}

static int copy_dir_contents(struct hvsim_rootfs *r, const char *abs, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int ret;

	ret = dir_seen(r, abs);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	if (depth > MAX_DIR_DEPTH)
		return hv_log_err_errno(-ELOOP, "%s: directories nested too deep", abs);
	d = opendir(abs);
	if (!d)
		return hv_log_err_errno(-errno, "opendir %s: %m", abs);
	while ((de = readdir(d))) {
		_cleanup_free_ char *child = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&child, "%s/%s", strcmp(abs, "/") == 0 ? "" : abs, de->d_name) < 0) {
			ret = -ENOMEM;
			break;
		}
		ret = copy_walk(r, child, true, 0, depth + 1);
		if (ret < 0)
			break;
	}
	closedir(d);
	return ret;
}

/* The last component of abs, which is not a symlink. */
static int copy_final(struct hvsim_rootfs *r, const char *abs, const struct stat *st, bool contents,
		      unsigned depth)
{
	_cleanup_free_ char *dst = in_root(r, abs);
	struct stat dst_st;

	if (!dst)
		return -ENOMEM;
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, st->st_mode & 07777) < 0 && errno != EEXIST)
			return hv_log_err_errno(-errno, "mkdir %s: %m", dst);
		return contents ? copy_dir_contents(r, abs, depth) : 0;
	}
	if (!contents)
		return hv_log_err_errno(-ENOTDIR, "%s is not a directory", abs);
	if (lstat(dst, &dst_st) == 0)
		return 0; /* copied before */
	if (S_ISREG(st->st_mode))
		return copy_file(r, abs, dst, st);
	/* Sockets, FIFOs, device nodes: not what a root of copies holds. */
	hv_log_debug("not copying %s (not a regular file)", abs);
	return 0;
}

static int copy_link(struct hvsim_rootfs *r, const char *prefix, const char *at, const char *rest, bool contents,
		     unsigned links, unsigned depth)
{
	_cleanup_free_ char *dst = in_root(r, at), *next = NULL, *norm = NULL;
	char target[PATH_MAX];
	ssize_t n;

	if (!dst)
		return -ENOMEM;
	if (links >= MAX_LINKS)
		return hv_log_err_errno(-ELOOP, "%s: too many levels of symbolic links", at);
	n = readlink(at, target, sizeof(target) - 1);
	if (n < 0)
		return hv_log_err_errno(-errno, "readlink %s: %m", at);
	target[n] = '\0';
	if (symlink(target, dst) < 0 && errno != EEXIST)
		return hv_log_err_errno(-errno, "symlink %s: %m", dst);
	if (asprintf(&next, "%s/%s%s%s", target[0] == '/' ? "" : prefix, target, *rest ? "/" : "", rest) < 0)
		return -ENOMEM;
	norm = hvsim_path_normalize(next);
	if (!norm)
		return -ENOMEM;
	return copy_walk(r, norm, contents, links + 1, depth);
}

static int copy_walk(struct hvsim_rootfs *r, const char *abs, bool contents, unsigned links, unsigned depth)
{
	_cleanup_free_ char *path = hvsim_path_normalize(abs);
	size_t pos = 1;

	if (!path)
		return abs && abs[0] == '/' ? -ENOMEM : -EINVAL;
	if (strcmp(path, "/") == 0)
		return 0;
	for (;;) {
		size_t end = pos + strcspn(path + pos, "/");
		bool last = path[end] == '\0';
		struct stat st;
		char saved = path[end];
		int ret;

		path[end] = '\0';
		if (lstat(path, &st) < 0)
			return hv_log_err_errno(-errno, "%s: %m", path);
		if (S_ISLNK(st.st_mode)) {
			_cleanup_free_ char *prefix = strndup(path, pos - 1);

			if (!prefix)
				return -ENOMEM;
			return copy_link(r, prefix, path, last ? "" : path + end + 1, contents, links, depth);
		}
		if (last)
			return copy_final(r, path, &st, contents, depth);
		if (!S_ISDIR(st.st_mode))
			return hv_log_err_errno(-ENOTDIR, "%s is not a directory", path);
		ret = copy_final(r, path, &st, false, depth);
		if (ret < 0)
			return ret;
		path[end] = saved;
		pos = end + 1;
	}
}

int hvsim_rootfs_copy(struct hvsim_rootfs *r, const char *abs)
{
	return copy_walk(r, abs, true, 0, 0);
}

int hvsim_rootfs_copy_dirs(struct hvsim_rootfs *r, const char *abs)
{
	return copy_walk(r, abs, false, 0, 0);
}

/* ---- programs ---------------------------------------------------------------------- */

int hvsim_ldso_list_parse(const char *text, char ***ret_paths, size_t *ret_n, char **ret_missing)
{
	_cleanup_free_ char *copy = strdup(text ? text : "");
	char **paths = NULL, *save = NULL;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arrow, *path, *paren, **p;

		line += strspn(line, " \t");
		if (!*line)
			continue;
		arrow = strstr(line, " => ");
		if (arrow) {
			path = arrow + 4;
			if (strncmp(path, "not found", 9) == 0) {
				*arrow = '\0';
				if (ret_missing)
					*ret_missing = strdup(line);
				r = -ENOENT;
				break;
			}
		} else {
			path = line;
		}
		paren = strstr(path, " (0x");
		if (paren)
			*paren = '\0';
		if (path[0] != '/') {
			/* linux-vdso.so.1 (0x...), linux-gate.so.1: no file. */
			if (!arrow && paren && strstr(path, "vdso") == NULL && strstr(path, "linux-gate") == NULL) {
				r = -EBADMSG;
				break;
			}
			if (!paren) {
				r = -EBADMSG;
				break;
			}
			continue;
		}
		p = realloc(paths, (n + 1) * sizeof(*p));
		if (!p) {
			r = -ENOMEM;
			break;
		}
		paths = p;
		paths[n] = strdup(path);
		if (!paths[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
		return r;
	}
	*ret_paths = paths;
	*ret_n = n;
	return 0;
}

/* The value of the first line starting (after blanks) with key, up to
 * the end of the line; NULL if none. */
static char *line_value(const char *text, const char *key)
{
	for (const char *p = text; p && *p;) {
		const char *s = p + strspn(p, " \t");
		const char *e = strchr(s, '\n');

		if (strncmp(s, key, strlen(key)) == 0)
			return strndup(s + strlen(key), e ? (size_t)(e - s) - strlen(key) : strlen(s + strlen(key)));
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

int hvsim_libtool_wrapper_parse(const char *text, char **ret_program, char **ret_libpath)
{
	_cleanup_free_ char *program = NULL, *libpath = NULL;
	char *w, *end;

	if (!strstr(text, "temporary wrapper script for .libs/") || !strstr(text, "Generated by libtool"))
		return 0;
	program = line_value(text, "program=");
	if (!program)
		return -EBADMSG;
	/* program='x' or program=lt-'x': drop the quotes. */
	w = program;
	for (char *p = program; *p; p++)
		if (*p != '\'' && *p != '"')
			*w++ = *p;
	*w = '\0';
	if (!*program || strchr(program, '/'))
		return -EBADMSG;
	libpath = line_value(text, "LD_LIBRARY_PATH=\"");
	if (libpath) {
		end = strstr(libpath, ":$LD_LIBRARY_PATH");
		if (!end)
			end = strchr(libpath, '"');
		if (end)
			*end = '\0';
	} else {
		libpath = strdup("");
		if (!libpath)
			return -ENOMEM;
	}
	*ret_program = TAKE_PTR(program);
	*ret_libpath = TAKE_PTR(libpath);
	return 1;
}

/* PT_INTERP of an ELF file; *ret NULL for a static one.  -ENOEXEC: not
 * ELF. */
static int elf_interp(int fd, char **ret)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize;
	bool is64;

	if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr eh;

		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;

		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	}
	*ret = NULL;
	for (unsigned i = 0; i < phnum && i < 256; i++) {
		uint64_t type, off, size;

		if (is64) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
				return -ENOEXEC;
			type = ph.p_type;
			off = ph.p_offset;
			size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
				return -ENOEXEC;
			type = ph.p_type;
			off = ph.p_offset;
			size = ph.p_filesz;
		}
		if (type == PT_INTERP) {
			char *s;

			if (size < 2 || size > PATH_MAX)
				return -ENOEXEC;
			s = calloc(1, size + 1);
			if (!s)
				return -ENOMEM;
			if (pread(fd, s, size, (off_t)off) != (ssize_t)size || s[0] != '/') {
				free(s);
				return -ENOEXEC;
			}
			s[size - 1] = '\0';
			*ret = s;
			return 0;
		}
	}
	return 0;
}

static int install_libraries(struct hvsim_rootfs *r, const char *interp, const char *prog, const char *libpath)
{
	_cleanup_free_ char *out = NULL, *err = NULL, *env_lp = NULL, *missing = NULL;
	char *argv[] = { (char *)interp, (char *)"--list", (char *)prog, NULL };
	char *envp[2] = { NULL, NULL };
	char **paths = NULL;
	size_t n = 0;
	int ret, status;

	if (libpath && *libpath) {
		if (asprintf(&env_lp, "LD_LIBRARY_PATH=%s", libpath) < 0)
			return -ENOMEM;
		envp[0] = env_lp;
	}
	ret = hvsim_spawn(argv, envp, 30000, &out, &err, &status);
	if (ret < 0)
		return hv_log_err_errno(ret, "%s --list %s: %m", interp, prog);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hv_log_err_errno(-ENOEXEC, "%s --list %s failed: %s", interp, prog, hvsim_first_line(err));
	ret = hvsim_ldso_list_parse(out, &paths, &n, &missing);
	if (ret == -ENOENT)
		return hv_log_err_errno(ret, "%s needs %s, which the dynamic loader does not find", prog,
					missing ? missing : "a library");
	if (ret < 0)
		return hv_log_err_errno(ret, "cannot read the output of %s --list %s", interp, prog);
	for (size_t i = 0; i < n; i++) {
		if (ret >= 0)
			ret = hvsim_rootfs_copy(r, paths[i]);
		free(paths[i]);
	}
	free(paths);
	return ret;
}

static int install_elf(struct hvsim_rootfs *r, const char *path, int fd, const char *libpath)
{
	_cleanup_free_ char *interp = NULL;
	int ret;

	ret = elf_interp(fd, &interp);
	if (ret < 0)
		return ret;
	ret = hvsim_rootfs_copy(r, path);
	if (ret < 0 || !interp)
		return ret;
	ret = hvsim_rootfs_copy(r, interp);
	if (ret < 0)
		return ret;
	return install_libraries(r, interp, path, libpath);
}

/* In the world, the wrapper's path runs the real binary with the
 * wrapper's library path. */
static int install_libtool(struct hvsim_rootfs *r, const char *wrapper, const char *program, const char *libpath)
{
	_cleanup_free_ char *dir = strdup(wrapper), *real = NULL, *dst = NULL, *script = NULL;
	_cleanup_close_ int fd = -EBADF, out = -EBADF;
	char *slash;
	int ret;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (asprintf(&real, "%s/.libs/%s", dir, program) < 0)
		return -ENOMEM;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hv_log_err_errno(-errno, "%s is a libtool wrapper but %s: %m", wrapper, real);
	ret = install_elf(r, real, fd, libpath);
	if (ret < 0)
		return ret == -ENOEXEC ? hv_log_err_errno(ret, "%s is not an ELF program", real) : ret;
	ret = hvsim_rootfs_install(r, "/bin/sh", NULL);
	if (ret < 0)
		return ret;
	ret = hvsim_rootfs_copy_dirs(r, *dir ? dir : "/");
	if (ret < 0)
		return ret;
	dst = in_root(r, wrapper);
	if (!dst)
		return -ENOMEM;
	if (asprintf(&script,
		     "#!/bin/sh\n"
		     "# hvsim: stands in for libtool's wrapper in this world\n"
		     "LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n"
		     "export LD_LIBRARY_PATH\n"
		     "exec %s \"$@\"\n",
		     libpath, real) < 0)
		return -ENOMEM;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (out < 0)
		return errno == EEXIST ? 0 : hv_log_err_errno(-errno, "create %s: %m", dst);
	return hv_write_all(out, script, strlen(script));
}

/* "#!INTERP [ARG]": the interpreter and, for env, the program it runs. */
static int install_script(struct hvsim_rootfs *r, const char *path, const char *head)
{
	_cleanup_free_ char *line = strndup(head + 2, strcspn(head + 2, "\n"));
	char *save = NULL, *interp, *arg;
	int ret;

	if (!line)
		return -ENOMEM;
	interp = strtok_r(line, " \t", &save);
	if (!interp || interp[0] != '/')
		return hv_log_err_errno(-ENOEXEC, "%s: no interpreter in its #! line", path);
	ret = hvsim_rootfs_copy(r, path);
	if (ret < 0)
		return ret;
	ret = hvsim_rootfs_install(r, interp, NULL);
	if (ret < 0)
		return ret;
	arg = strtok_r(NULL, " \t", &save);
	if (arg && strcmp(strrchr(interp, '/') + 1, "env") == 0 && arg[0] != '-')
		ret = hvsim_rootfs_install(r, arg, NULL);
	return ret;
}

int hvsim_rootfs_install(struct hvsim_rootfs *r, const char *program, char **ret_path)
{
	_cleanup_free_ char *path = NULL, *wrapped = NULL, *libpath = NULL, *head = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	ssize_t n;
	int ret;

	ret = hvsim_find_program(program, &path);
	if (ret < 0) {
		/* Directories and data files are installed as they are. */
		if (program[0] == '/' && stat(program, &st) == 0) {
			ret = hvsim_rootfs_copy(r, program);
			if (ret >= 0 && ret_path) {
				*ret_path = strdup(program);
				if (!*ret_path)
					return -ENOMEM;
			}
			return ret;
		}
		return hv_log_err_errno(ret, "%s: no such program", program);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hv_log_err_errno(-errno, "open %s: %m", path);
	/* Enough for a #! line, or a whole libtool wrapper (about 7 KiB). */
	head = malloc(MAX_SCRIPT + 1);
	if (!head)
		return -ENOMEM;
	n = pread(fd, head, MAX_SCRIPT, 0);
	if (n < 0)
		return hv_log_err_errno(-errno, "read %s: %m", path);
	head[n] = '\0';
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		ret = hvsim_libtool_wrapper_parse(head, &wrapped, &libpath);
		if (ret < 0)
			return hv_log_err_errno(ret, "%s looks like a libtool wrapper but cannot be read as one", path);
		if (ret > 0)
			ret = install_libtool(r, path, wrapped, libpath);
		else
			ret = install_script(r, path, head);
	} else {
		ret = install_elf(r, path, fd, NULL);
		if (ret == -ENOEXEC)
			ret = hvsim_rootfs_copy(r, path);
	}
	if (ret >= 0 && ret_path)
		*ret_path = TAKE_PTR(path);
	return ret;
}
