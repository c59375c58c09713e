# SPDX-License-Identifier: GPL-2.0-or-later
#
# systemd units (generated: @sbindir@ is the configured one), the udev rule
# that starts them, and cloud-init's ordering drop-in.
systemdsystemunit_DATA += systemd/hv-kvpd.service
udevrules_DATA += systemd/60-hvutils.rules
cloudinitdropindir = $(systemdsystemunitdir)/cloud-init-local.service.d
cloudinitdropin_DATA = systemd/cloud-init-local.service.d/hvutils.conf

HV_UNIT_TEMPLATES = systemd/hv-kvpd.service.in
EXTRA_DIST += $(HV_UNIT_TEMPLATES) systemd/60-hvutils.rules systemd/cloud-init-local-hvutils.conf \
	tests/check-units
CLEANFILES += systemd/hv-kvpd.service systemd/cloud-init-local.service.d/hvutils.conf

systemd/hv-kvpd.service: systemd/hv-kvpd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/hv-kvpd.service.in > $@.tmp && mv $@.tmp $@

systemd/cloud-init-local.service.d/hvutils.conf: systemd/cloud-init-local-hvutils.conf
	$(AM_V_GEN)$(MKDIR_P) systemd/cloud-init-local.service.d && \
	cp $(srcdir)/systemd/cloud-init-local-hvutils.conf $@

# Unit and rule checks (systemd-analyze verify and security, offline).
TESTS += tests/check-units

# hv-vssd.service (started by the hv_vss line of 60-hvutils.rules).
systemdsystemunit_DATA += systemd/hv-vssd.service
HV_UNIT_TEMPLATES += systemd/hv-vssd.service.in
CLEANFILES += systemd/hv-vssd.service

systemd/hv-vssd.service: systemd/hv-vssd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/hv-vssd.service.in > $@.tmp && mv $@.tmp $@

# hv-fcopyd.service (started by the fcopy lines of 60-hvutils.rules).
systemdsystemunit_DATA += systemd/hv-fcopyd.service
HV_UNIT_TEMPLATES += systemd/hv-fcopyd.service.in
CLEANFILES += systemd/hv-fcopyd.service

systemd/hv-fcopyd.service: systemd/hv-fcopyd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/hv-fcopyd.service.in > $@.tmp && mv $@.tmp $@
