/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-side model of a uio_hv_generic device.  See uio-model.h.
 *
 * Incarnations: a rescind ends one, a re-offer starts the next (the
 * kernel unregisters the device and registers a new one).  A listener
 * belongs to the incarnation it opened; once that incarnation is
 * rescinded it only ever gets -EIO, even after a re-offer.
 *
 * The counter is the uio core's atomic event (an int that wraps); a
 * listener starts at the value it finds at open, taken before the channel
 * is connected, so an interrupt the connection causes (the host's
 * NEGOTIATE) is already news to the first read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "transport/ring.h"
#include "uio-model.h"

struct hvsim_uio_listener {
	struct hvsim_uio_listener *next;
	unsigned incarnation;
	uint32_t seen; /* the counter this listener last read */
};

struct hvsim_uio {
	char *name;
	char *ring_path;
	unsigned minor;
	size_t ring_size;
	bool mask_on_interrupt;
	struct hvsim_uio_callbacks cb;
	void *userdata;

	unsigned incarnation;
	bool rescinded;
	unsigned n_open; /* listeners of this incarnation */
	struct hvsim_uio_listener *listeners;
	uint32_t event;

	uint8_t *mem; /* both rings, while the channel is connected */
	struct hv_ring tx, rx;

	struct hvsim_uio_stats stats;
};

struct hvsim_uio *hvsim_uio_new(const struct hvsim_uio_config *cfg, const struct hvsim_uio_callbacks *cb,
				void *userdata)
{
	struct hvsim_uio *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->name = strdup(cfg->name ? cfg->name : "uio");
	u->ring_path = strdup(cfg->ring_path ? cfg->ring_path : "");
	if (!u->name || !u->ring_path)
		return hvsim_uio_free(u);
	u->minor = cfg->minor;
	u->ring_size = cfg->ring_size;
	u->mask_on_interrupt = cfg->mask_on_interrupt;
	if (cb)
		u->cb = *cb;
	u->userdata = userdata;
	return u;
}

static void unmap_rings(struct hvsim_uio *u)
{
	if (u->mem)
		(void)munmap(u->mem, 2 * u->ring_size);
	u->mem = NULL;
}

struct hvsim_uio *hvsim_uio_free(struct hvsim_uio *u)
{
	if (!u)
		return NULL;
	unmap_rings(u);
	while (u->listeners) {
		struct hvsim_uio_listener *l = u->listeners;

		u->listeners = l->next;
		free(l);
	}
	free(u->name);
	free(u->ring_path);
	free(u);
	return NULL;
}

/* ---- the channel ------------------------------------------------------------ */

/* hv_uio_open -> vmbus_connect_ring: map the ring file and initialise both
 * headers as hv_ringbuffer_init() does. */
static int connect_rings(struct hvsim_uio *u)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	void *mem;
	int r;

	if (u->ring_size <= HV_RING_HEADER_SIZE)
		return -EINVAL;
	fd = open(u->ring_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* The sysfs attribute's size never changes; restore it if the file
	 * was truncated from inside the world. */
	if ((size_t)st.st_size != 2 * u->ring_size && ftruncate(fd, (off_t)(2 * u->ring_size)) < 0)
		return -errno;
	mem = mmap(NULL, 2 * u->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	u->mem = mem;
	r = hv_ring_attach(&u->tx, u->mem, u->ring_size);
	if (r >= 0)
		r = hv_ring_attach(&u->rx, u->mem + u->ring_size, u->ring_size);
	if (r < 0) {
		unmap_rings(u);
		return r;
	}
	hv_ring_reset(&u->tx, HV_RING_FEAT_PENDING_SEND_SZ);
	hv_ring_reset(&u->rx, HV_RING_FEAT_PENDING_SEND_SZ);
	return 0;
}

static void disconnect(struct hvsim_uio *u, bool rescinded)
{
	if (!u->mem)
		return;
	u->stats.channel_closes++;
	if (u->cb.channel_close)
		u->cb.channel_close(u, rescinded, u->userdata);
	unmap_rings(u);
}

static bool stale(const struct hvsim_uio *u, const struct hvsim_uio_listener *l)
{
	return u->rescinded || l->incarnation != u->incarnation;
}

/* ---- file operations ---------------------------------------------------------- */

int hvsim_uio_open(struct hvsim_uio *u, struct hvsim_uio_listener **ret)
{
	struct hvsim_uio_listener *l;
	int r;

	if (u->rescinded)
		return -ENODEV;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->incarnation = u->incarnation;
	l->seen = u->event;
	if (u->n_open == 0) {
		r = connect_rings(u);
		if (r < 0) {
			free(l);
			return r;
		}
	}
	l->next = u->listeners;
	u->listeners = l;
	u->n_open++;
	u->stats.opens++;
	if (u->n_open == 1) {
		u->stats.channel_opens++;
		if (u->cb.channel_open)
			u->cb.channel_open(u, u->userdata);
	}
	*ret = l;
	return 0;
}

void hvsim_uio_release(struct hvsim_uio *u, struct hvsim_uio_listener *l)
{
	bool current;

	if (!l)
		return;
	for (struct hvsim_uio_listener **pp = &u->listeners; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	current = !stale(u, l);
	free(l);
	u->stats.releases++;
	if (!current)
		return;
	if (--u->n_open == 0)
		disconnect(u, false);
}

int hvsim_uio_read(struct hvsim_uio *u, struct hvsim_uio_listener *l, size_t size, int32_t *ret_count)
{
	if (size != sizeof(int32_t)) {
		u->stats.bad_reads++;
		return -EINVAL;
	}
	if (stale(u, l)) {
		u->stats.eio++;
		return -EIO;
	}
	if (l->seen == u->event)
		return -EAGAIN;
	l->seen = u->event;
	u->stats.event_reads++;
	*ret_count = (int32_t)u->event;
	return (int)sizeof(int32_t);
}

int hvsim_uio_write(struct hvsim_uio *u, struct hvsim_uio_listener *l, const void *buf, size_t len)
{
	int32_t v;

	if (len != sizeof(int32_t)) {
		u->stats.bad_writes++;
		return -EINVAL;
	}
	if (stale(u, l)) {
		u->stats.eio++;
		return -EIO;
	}
	memcpy(&v, buf, sizeof(v));
	if (v != 0 && v != 1) {
		u->stats.bad_writes++;
		return -EINVAL;
	}
	/* hv_uio_irqcontrol(): the inbound mask, and for an unmonitored
	 * channel vmbus_set_event(). */
	if (u->mem)
		hv_ring_set_interrupt_mask(&u->rx, v == 0);
	if (v == 0) {
		u->stats.masks++;
		return (int)sizeof(int32_t);
	}
	u->stats.unmasks++;
	if (u->mem && u->cb.host_signal)
		u->cb.host_signal(u, u->userdata);
	return (int)sizeof(int32_t);
}

unsigned hvsim_uio_poll(struct hvsim_uio *u, const struct hvsim_uio_listener *l)
{
	if (stale(u, l))
		return POLLIN | POLLRDNORM | POLLERR;
	return l->seen != u->event ? POLLIN | POLLRDNORM : 0;
}

/* ---- host side ----------------------------------------------------------------- */

static void notify(struct hvsim_uio *u)
{
	u->event++;
	if (u->cb.wakeup)
		u->cb.wakeup(u, u->userdata);
}

void hvsim_uio_interrupt(struct hvsim_uio *u)
{
	if (u->rescinded || !u->mem)
		return;
	/* hv_uio_channel_cb() before b15b7d2a1b09 masked every interrupt. */
	if (u->mask_on_interrupt)
		hv_ring_set_interrupt_mask(&u->rx, true);
	u->stats.interrupts++;
	notify(u);
}

uint8_t *hvsim_uio_ring_memory(const struct hvsim_uio *u)
{
	return u->mem;
}

size_t hvsim_uio_ring_size(const struct hvsim_uio *u)
{
	return u->ring_size;
}

int hvsim_uio_rescind(struct hvsim_uio *u)
{
	if (u->rescinded)
		return -EALREADY;
	/* hv_uio_rescind(): irq off (reads fail), a wakeup for the readers;
	 * the device is then unregistered, closing the channel. */
	u->rescinded = true;
	u->stats.rescinds++;
	disconnect(u, true);
	u->n_open = 0;
	notify(u);
	return 0;
}

int hvsim_uio_offer(struct hvsim_uio *u)
{
	if (!u->rescinded)
		return -EALREADY;
	u->rescinded = false;
	u->incarnation++;
	u->n_open = 0;
	u->stats.offers++;
	return 0;
}

/* ---- introspection ------------------------------------------------------------- */

const char *hvsim_uio_name(const struct hvsim_uio *u)
{
	return u->name;
}

unsigned hvsim_uio_minor(const struct hvsim_uio *u)
{
	return u->minor;
}

bool hvsim_uio_present(const struct hvsim_uio *u)
{
	return !u->rescinded;
}

bool hvsim_uio_channel_open(const struct hvsim_uio *u)
{
	return u->mem != NULL;
}

unsigned hvsim_uio_open_count(const struct hvsim_uio *u)
{
	return u->n_open;
}

int32_t hvsim_uio_event_count(const struct hvsim_uio *u)
{
	return (int32_t)u->event;
}

int hvsim_uio_rx_mask(const struct hvsim_uio *u)
{
	if (!u->mem)
		return -1;
	return hv_ring_get_interrupt_mask((struct hv_ring *)&u->rx) ? 1 : 0;
}

const struct hvsim_uio_stats *hvsim_uio_stats(const struct hvsim_uio *u)
{
	return &u->stats;
}
