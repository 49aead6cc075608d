/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * {{NAME}} substitution for the generated files. Values are validated by the
 * caller before they get here (THREATS.md A9); the renderer itself refuses
 * unknown names so a typo in a template cannot ship silently.
 */
#pragma once

#include <stddef.h>

struct tmpl_var {
	const char *name;
	const char *value;
};

/* Returns 0 and a malloc'd string, -ENOENT for an unknown {{NAME}}, -EINVAL for an unclosed {{, -ENOMEM. */
int tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t n, char **ret);
