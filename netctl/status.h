/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include "cli.h"

/* Print the table (or JSON) of the router (if router_row) and every guest. */
int status_print(const struct ctx *ctx, const struct conf *c, bool router_row);
