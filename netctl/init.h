/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

/* The binary's name when it runs as the router's PID 1. */
#define INIT_NAME "lxtg-init"

/* Run as PID 1 of the router (see init.c). Returns the exit status. */
int init_main(void);
