/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

/* The router's PID 1 (netctl/init.c), a separate program installed next to us. */
#define INIT_NAME "lxtg-init"
