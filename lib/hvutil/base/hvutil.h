/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One include for the base layer. */
#pragma once

#include "errno-util.h"
#include "guid-text.h"
#include "log.h"
#include "macros.h"
#include "path.h"
#include "string-table.h"
#include "utf16.h"
