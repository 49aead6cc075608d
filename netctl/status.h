/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include "cli.h"
#include "guestfile.h"

/*
 * status_print - the table (or JSON) of the router (if @router_row) and every
 * guest (with @only, just the guests that guest file names), for the verb
 * @verb (its messages' prefix). Returns an exit code.
 */
int status_print(const struct ctx *ctx, const char *verb, bool router_row,
		 const struct guestfile *only);
