/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl's main(): everything else is in libhvctl (hvctl.c and the verb
 * families), where the unit tests can reach it.
 */
#include "hvctl.h"

int main(int argc, char *argv[])
{
	return hvctl_run(argc, argv);
}
