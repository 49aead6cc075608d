/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

/* The router's PID 1 (netctl/init.c), a separate program installed next to us. */
#define INIT_NAME "lxtg-init"
/* Server mode's proxy NDP for self-chosen guest addresses (netctl/ndproxy.c), next to it. */
#define NDPROXY_NAME "lxtg-ndproxy"
