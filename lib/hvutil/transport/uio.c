/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus channel over uio_hv_generic (see uio.h, PROTOCOL.md §7.3, §8).
 *
 * The pieces the kernel gives us are small: a sysfs directory per device
 * (class_id, device_id, id, uio/uioN), a node whose 4-byte reads consume
 * events and whose 4-byte writes unmask and signal, and the two rings in
 * one shared mapping.  What we add is care: the ring size comes from the
 * kernel (uio's maps/map0/size, else the size of channels/<relid>/ring),
 * never from a constant, because it changed under the reference tool's feet
 * (16 KiB, then 20 KiB per direction); the ring file may lag behind the
 * node, so open waits for it a little; and every value in the rings is
 * checked by transport/ring before it is used.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/guid-text.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "transport/uio.h"

#define VMBUS_DEVICES "/sys/bus/vmbus/devices"
#define NEW_ID "/sys/bus/vmbus/drivers/uio_hv_generic/new_id"
/* The ring file appears during probe, possibly after the node: wait up to
 * a second for it. */
#define RING_TRIES 10
#define RING_RETRY_NS (100 * 1000 * 1000L)
/* Sanity cap on one direction (uio's default for other devices is 2 MiB). */
#define RING_SIZE_MAX (64u * 1024 * 1024)

struct hv_uio_channel {
	int fd;
	uint8_t *map;
	size_t map_size;
	struct hv_ring tx, rx;
	const struct hv_uio_io *io;
	void *io_userdata;
	struct hv_uio_stats stats;
	char name[48]; /* "uio0 (eb765408-...)" for messages */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_uio_channel *, hv_uio_close);

/* ---- the real system calls ---- */

static ssize_t sys_read(void *userdata, int fd, void *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	return n < 0 ? hv_negative_errno() : n;
}

static ssize_t sys_write(void *userdata, int fd, const void *buf, size_t size)
{
	ssize_t n = write(fd, buf, size);

	return n < 0 ? hv_negative_errno() : n;
}

const struct hv_uio_io hv_uio_io_system = {
	.read = sys_read,
	.write = sys_write,
};

/* ---- GUID text ---- */

/*
 * The caller's struct hv_guid (proto/guid.h) is 16 raw bytes: data1 (u32),
 * data2, data3 (u16) little-endian, then data4 as written (§2.3).  transport/
 * may not include proto/, so this file reads those bytes itself and works
 * with the text form, the one sysfs shows.
 */
static void guid_text(const struct hv_guid *g, char ret[static HV_UIO_GUID_STRING_MAX])
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	const uint8_t *raw = (const uint8_t *)g;
	char *o = ret;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		o += sprintf(o, "%02x", raw[order[i]]);
	}
	*o = '\0';
}

/* ---- find ---- */

static int read_guid_attr(const struct hv_path *p, const char *dev, const char *attr,
			  char ret[static HV_UIO_GUID_STRING_MAX])
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	int k;

	if (asprintf(&path, VMBUS_DEVICES "/%s/%s", dev, attr) < 0)
		return -ENOMEM;
	k = hv_path_read_text(p, path, 128, &text);
	if (k < 0)
		return k;
	return hv_guid_text_normalize(text, ret);
}

static int read_u32_attr(const struct hv_path *p, const char *abs, int base, uint32_t *ret)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long v;
	char *end;
	int k;

	k = hv_path_read_text(p, abs, 64, &text);
	if (k < 0)
		return k;
	errno = 0;
	v = strtoull(text, &end, base);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* The uioN entry under <dev>/uio/: -ENODEV when the device is not bound. */
static int find_uio_node(const struct hv_path *p, const char *dev, char *ret, size_t size)
{
	_cleanup_free_ char *abs = NULL;
	DIR *d;
	struct dirent *de;
	int k = -ENODEV;

	if (asprintf(&abs, VMBUS_DEVICES "/%s/uio", dev) < 0)
		return -ENOMEM;
	d = hv_path_opendir(p, abs);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : hv_negative_errno();
	while ((de = readdir(d))) {
		const char *s = de->d_name;

		if (strncmp(s, "uio", 3) != 0 || s[3] == '\0' || strspn(s + 3, "0123456789") != strlen(s + 3))
			continue;
		if (strlen(s) >= size) {
			k = -ENAMETOOLONG;
			continue;
		}
		strcpy(ret, s);
		k = 0;
		break;
	}
	closedir(d);
	return k;
}

/* The primary channel's relid: the "id" attribute (§9). */
static int read_relid(const struct hv_path *p, const char *dev, uint32_t *ret)
{
	_cleanup_free_ char *abs = NULL;

	if (asprintf(&abs, VMBUS_DEVICES "/%s/id", dev) < 0)
		return -ENOMEM;
	return read_u32_attr(p, abs, 10, ret);
}

/* The device's instance: device_id, or the directory name (they agree on
 * real systems; a fixture may lack one). */
static int device_instance(const struct hv_path *p, const char *dev, char ret[static HV_UIO_GUID_STRING_MAX])
{
	if (read_guid_attr(p, dev, "device_id", ret) == 0)
		return 0;
	return hv_guid_text_normalize(dev, ret);
}

static int fill_device(const struct hv_path *p, const char *dev, const char *instance, struct hv_uio_device *ret)
{
	struct hv_uio_device d = { 0 };
	int k;

	k = find_uio_node(p, dev, d.uio, sizeof(d.uio));
	if (k < 0)
		return k;
	k = read_relid(p, dev, &d.relid);
	if (k < 0)
		return hv_log_debug_errno(k, "%s: no usable id attribute: %m", dev);
	memcpy(d.instance, instance, sizeof(d.instance));
	*ret = d;
	return 0;
}

static int skip_dots(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int hv_uio_find(const struct hv_path *p, const struct hv_guid *instance, const struct hv_guid *cls,
		struct hv_uio_device *ret)
{
	char want[HV_UIO_GUID_STRING_MAX];
	_cleanup_free_ char *dir = NULL;
	struct dirent **list = NULL;
	int n, k = -ENOENT;

	if (!instance && !cls)
		return -EINVAL;
	guid_text(instance ? instance : cls, want);
	dir = hv_path_get(p, VMBUS_DEVICES);
	if (!dir)
		return -ENOMEM;
	/* Sorted, so "the first device of a class" does not depend on the
	 * file system's directory order. */
	n = scandir(dir, &list, skip_dots, alphasort);
	if (n < 0)
		return errno == ENOENT ? -ENOENT : hv_negative_errno();
	for (int i = 0; i < n; i++) {
		const char *dev = list[i]->d_name;
		char g[HV_UIO_GUID_STRING_MAX], c[HV_UIO_GUID_STRING_MAX];
		int r;

		if (device_instance(p, dev, g) < 0)
			continue;
		if (instance) {
			if (strcmp(g, want) != 0)
				continue;
		} else if (read_guid_attr(p, dev, "class_id", c) < 0 || strcmp(c, want) != 0)
			continue;
		r = fill_device(p, dev, g, ret);
		/* By instance the answer is this device; by class, try the next
		 * one when this one is not bound. */
		if (r == 0 || instance || r != -ENODEV) {
			k = r;
			break;
		}
		k = -ENODEV;
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return k;
}

/* ---- open ---- */

static int check_ring_size(size_t total, size_t *ret_half)
{
	size_t half = total / 2;

	if (total % 2 != 0 || half <= HV_RING_HEADER_SIZE || (half - HV_RING_HEADER_SIZE) % 8 != 0 ||
	    half > RING_SIZE_MAX)
		return -EINVAL;
	*ret_half = half;
	return 0;
}

/* What to map: uio's own idea of map 0 (txrx_rings) when it has one; on
 * kernels before the ring file was sized to the real rings, the file
 * claims more than can be mapped, and map0/size is right.  Then the ring
 * file's size. */
static int ring_map_size(const struct hv_path *p, const struct hv_uio_device *dev, off_t file_size,
			 size_t *ret)
{
	_cleanup_free_ char *abs = NULL;
	uint32_t map0;

	if (asprintf(&abs, VMBUS_DEVICES "/%s/uio/%s/maps/map0/size", dev->instance, dev->uio) < 0)
		return -ENOMEM;
	if (read_u32_attr(p, abs, 16, &map0) == 0 && map0 > 0) {
		if ((off_t)map0 > file_size)
			return hv_log_debug_errno(-EINVAL, "%s: map0 is %" PRIu32 " bytes, the ring file only %jd",
						  dev->uio, map0, (intmax_t)file_size);
		*ret = map0;
		return 0;
	}
	*ret = (size_t)file_size;
	return 0;
}

static void sleep_retry(void)
{
	struct timespec ts = { .tv_nsec = RING_RETRY_NS };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Open the ring file, waiting a little while it is missing or empty. */
static int open_ring_file(const struct hv_path *p, const struct hv_uio_device *dev, off_t *ret_size)
{
	_cleanup_free_ char *abs = NULL;
	int k = -ENOENT;

	if (asprintf(&abs, VMBUS_DEVICES "/%s/channels/%" PRIu32 "/ring", dev->instance, dev->relid) < 0)
		return -ENOMEM;
	for (int i = 0; i < RING_TRIES; i++) {
		_cleanup_close_ int fd = -EBADF;
		struct stat st;

		if (i > 0)
			sleep_retry();
		fd = hv_path_open(p, abs, O_RDWR | O_NOCTTY, 0);
		if (fd == -ENOENT) {
			k = -ENOENT;
			continue;
		}
		if (fd < 0)
			return fd;
		if (fstat(fd, &st) < 0)
			return hv_negative_errno();
		if (st.st_size <= 0) {
			/* a size that never comes is a bad size */
			k = -EINVAL;
			continue;
		}
		*ret_size = st.st_size;
		return TAKE_FD(fd);
	}
	return hv_log_debug_errno(k, "%s: %s not usable after %d tries: %m", dev->uio, abs, RING_TRIES);
}

int hv_uio_open(const struct hv_path *p, const struct hv_uio_device *dev, struct hv_uio_channel **ret)
{
	_cleanup_(hv_uio_closep) struct hv_uio_channel *c = NULL;
	_cleanup_free_ char *node = NULL;
	_cleanup_close_ int ringfd = -EBADF;
	size_t half;
	off_t file_size = 0;
	void *m;
	int k;

	if (!dev || dev->uio[0] == '\0' || strchr(dev->uio, '/') || dev->instance[0] == '\0' ||
	    strchr(dev->instance, '/'))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -EBADF;
	c->map = MAP_FAILED;
	c->io = &hv_uio_io_system;
	snprintf(c->name, sizeof(c->name), "%s", dev->uio);

	if (asprintf(&node, "/dev/%s", dev->uio) < 0)
		return -ENOMEM;
	/* The first open makes the kernel open the channel (§8). */
	c->fd = hv_path_open(p, node, O_RDWR | O_NONBLOCK | O_NOCTTY, 0);
	if (c->fd < 0)
		return hv_log_debug_errno(c->fd, "cannot open %s: %m", node);

	k = open_ring_file(p, dev, &file_size);
	if (k < 0)
		return k;
	ringfd = k;
	k = ring_map_size(p, dev, file_size, &c->map_size);
	if (k < 0)
		return k;
	k = check_ring_size(c->map_size, &half);
	if (k < 0)
		return hv_log_debug_errno(k, "%s: ring of %zu bytes is not two rings of 4096 + 8n bytes", dev->uio,
					  c->map_size);
	m = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, ringfd, 0);
	if (m == MAP_FAILED)
		return hv_log_debug_errno(hv_negative_errno(), "%s: cannot map the rings: %m", dev->uio);
	c->map = m;

	/* First half guest->host, second half host->guest (§7.3). */
	if (hv_ring_attach(&c->tx, c->map, half) < 0 || hv_ring_attach(&c->rx, c->map + half, half) < 0)
		return -EINVAL;
	hv_ring_set_interrupt_mask(&c->rx, false);
	*ret = TAKE_PTR(c);
	return 0;
}

struct hv_uio_channel *hv_uio_close(struct hv_uio_channel *c)
{
	if (!c)
		return NULL;
	if (c->map != MAP_FAILED)
		munmap(c->map, c->map_size);
	hv_safe_close(c->fd);
	free(c);
	return NULL;
}

void hv_uio_set_io(struct hv_uio_channel *c, const struct hv_uio_io *io, void *userdata)
{
	c->io = io ? io : &hv_uio_io_system;
	c->io_userdata = userdata;
}

int hv_uio_get_fd(const struct hv_uio_channel *c)
{
	return c->fd;
}

size_t hv_uio_ring_size(const struct hv_uio_channel *c)
{
	return c->map_size / 2;
}

struct hv_ring *hv_uio_tx(struct hv_uio_channel *c)
{
	return &c->tx;
}

struct hv_ring *hv_uio_rx(struct hv_uio_channel *c)
{
	return &c->rx;
}

/* ---- events and signals ---- */

int hv_uio_ack_event(struct hv_uio_channel *c)
{
	uint32_t count;
	ssize_t n;

	n = c->io->read(c->io_userdata, c->fd, &count, sizeof(count));
	if (n < 0)
		return n == -EINTR ? -EAGAIN : (int)n;
	/* uio answers exactly 4 bytes or fails; anything else is not uio */
	if (n != sizeof(count))
		return -EIO;
	c->stats.events++;
	return 0;
}

int hv_uio_signal(struct hv_uio_channel *c)
{
	const uint32_t one = 1;
	ssize_t n;

	do
		n = c->io->write(c->io_userdata, c->fd, &one, sizeof(one));
	while (n == -EINTR);
	if (n < 0)
		return (int)n;
	if (n != sizeof(one))
		return -EIO;
	c->stats.signals++;
	return 0;
}

int hv_uio_rearm(struct hv_uio_channel *c)
{
	hv_ring_set_interrupt_mask(&c->rx, false);
	if (c->rx.corrupt)
		return -EBADMSG;
	return hv_ring_bytes_to_read(&c->rx) > 0 ? 1 : 0;
}

/* ---- packets ---- */

int hv_uio_recv(struct hv_uio_channel *c, void *buf, size_t size, struct hv_ring_packet *ret_pkt)
{
	struct hv_ring_packet pkt;
	bool sig = false;
	int k;

	k = hv_ring_recv(&c->rx, buf, size, &pkt, &sig);
	if (k == -ENOBUFS && ret_pkt)
		*ret_pkt = pkt;
	if (k == -EBADMSG)
		hv_log_debug("%s: receive ring corrupt: %s", c->name, hv_ring_error(&c->rx));
	if (k < 0)
		return k;
	c->stats.rx_packets++;
	c->stats.rx_bytes += pkt.payload_len;
	if (ret_pkt)
		*ret_pkt = pkt;
	/* The host was waiting for room we just made. */
	if (sig)
		return hv_uio_signal(c);
	return 0;
}

int hv_uio_send(struct hv_uio_channel *c, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		size_t len)
{
	bool sig = false;
	int k;

	k = hv_ring_send(&c->tx, type, flags, trans_id, payload, len, &sig);
	if (k == -EBADMSG)
		hv_log_debug("%s: send ring corrupt: %s", c->name, hv_ring_error(&c->tx));
	if (k < 0)
		return k;
	c->stats.tx_packets++;
	c->stats.tx_bytes += len;
	if (sig)
		return hv_uio_signal(c);
	return 0;
}

void hv_uio_get_stats(const struct hv_uio_channel *c, struct hv_uio_stats *ret)
{
	*ret = c->stats;
}

/* ---- binding ---- */

int hv_uio_bind_class(const struct hv_path *p, const struct hv_guid *cls)
{
	char text[HV_UIO_GUID_STRING_MAX + 1];
	_cleanup_close_ int fd = -EBADF;
	int k;

	guid_text(cls, text);
	strcat(text, "\n");
	fd = hv_path_open(p, NEW_ID, O_WRONLY | O_NOCTTY, 0);
	if (fd < 0)
		return hv_log_debug_errno(fd, "cannot open " NEW_ID ": %m");
	k = hv_write_all(fd, text, strlen(text));
	/* Already in the driver's dynamic id list: bound as asked. */
	if (k == -EEXIST)
		return 0;
	return k;
}
