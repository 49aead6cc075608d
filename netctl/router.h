/* SPDX-License-Identifier: BSD-2-Clause */
/* `up` and `down`: orchestration of the managed router and the links around it. */
#pragma once

#include "config.h"
#include "errmsg.h"
#include "paths.h"

/*
 * router_up - build or converge the router and its links. Preflight checks run
 * first; a refusal changes nothing. Returns 0 or -errno with e->msg set.
 */
int router_up(const struct paths *p, const struct conf *c, struct errmsg *e);
/* Stop and remove the router and everything up made; registrations stay. */
int router_down(const struct paths *p, const struct conf *c, struct errmsg *e);
