/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include "cli.h"

/*
 * status_print - the table (or JSON) of the router (if @router_row) and every
 * guest, for the verb @verb (its messages' prefix). Returns an exit code.
 */
int status_print(const struct ctx *ctx, const char *verb, bool router_row);
