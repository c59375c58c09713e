# SPDX-License-Identifier: GPL-2.0-or-later
# hvutils.conf(5): the configuration files (platform/config).
dist_man_MANS += man/hvutils.conf.5
# hv-kvpd(8): the KVP daemon.
dist_man_MANS += man/hv-kvpd.8
# hv-vssd(8): the VSS daemon.
dist_man_MANS += man/hv-vssd.8
# hv-fcopyd(8): the file-copy daemon.
dist_man_MANS += man/hv-fcopyd.8
