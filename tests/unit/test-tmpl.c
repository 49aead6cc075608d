// SPDX-License-Identifier: BSD-2-Clause
/*
 * Table-driven tests of the {{NAME}} renderer (tmpl.h): known names are
 * replaced by their values verbatim (no escaping, no second pass: values are
 * validated by the caller), an unknown name fails the whole render, and text
 * outside "{{...}}" is copied as is.
 */
#include <errno.h>
#include <string.h>

#include "tmpl.h"
#include "util.h"
#include "tap.h"

/* clang-format off */
static const struct tmpl_var vars[] = {
    {"AB", "ab"}, /* before "A", which is a prefix of it */
    {"A", "alpha"},
    {"EMPTY", ""},
    {"BRACES", "{{A}}"}, /* inserted as is, never expanded again */
    {"NL", "x\ny"},
    {"UPLINK_IF", "eth0"},
    {"LAST", "z"},
};
/* clang-format on */

static void test_render(void)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: fails with err */
		int err;
	} t[] = {
	    /* text without names */
	    {"", "", 0},
	    {"plain text\n", "plain text\n", 0},
	    {"{", "{", 0},
	    {"}}", "}}", 0},
	    {"{A}", "{A}", 0},
	    {"{ {A} }", "{ {A} }", 0},
	    {"a } b { c", "a } b { c", 0},
	    /* known names */
	    {"{{A}}", "alpha", 0},
	    {"<{{A}}>", "<alpha>", 0},
	    {"{{A}}{{AB}}", "alphaab", 0},
	    {"{{AB}}{{A}}", "abalpha", 0},
	    {"{{A}} {{A}}\n{{A}}", "alpha alpha\nalpha", 0},
	    {"define UPLINK_IF = \"{{UPLINK_IF}}\"\n", "define UPLINK_IF = \"eth0\"\n", 0},
	    {"[{{EMPTY}}]", "[]", 0},
	    {"{{EMPTY}}", "", 0},
	    {"{{BRACES}}", "{{A}}", 0},
	    {"{{NL}}", "x\ny", 0},
	    {"{{LAST}}", "z", 0},
	    {"{{A}}}", "alpha}", 0},
	    {"}}{{A}}", "}}alpha", 0},
	    {"{{A}}{", "alpha{", 0},
	    /* unknown names: no partial output */
	    {"{{B}}", NULL, -ENOENT},
	    {"{{a}}", NULL, -ENOENT},
	    {"{{ABC}}", NULL, -ENOENT},
	    {"{{}}", NULL, -ENOENT},
	    {"{{ A }}", NULL, -ENOENT},
	    {"{{A }}", NULL, -ENOENT},
	    {"ok {{A}} then {{NOPE}}", NULL, -ENOENT},
	    {"{{{A}}}", NULL, -ENOENT},
	    {"{{A}B}}", NULL, -ENOENT},
	    /* an unclosed "{{" */
	    {"{{A", NULL, -EINVAL},
	    {"{{A}", NULL, -EINVAL},
	    {"text {{", NULL, -EINVAL},
	    {"{{A}} {{A", NULL, -EINVAL},
	};
	char *sentinel = (char *)"unchanged";

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		char *out = sentinel;
		int r = tmpl_render(t[i].in, vars, ARRAY_SIZE(vars), &out);

		if (t[i].want) {
			tap_is_str(r == 0 ? out : "(error)", t[i].want, "tmpl_render '%s'",
				   tap_show(t[i].in));
			if (r == 0)
				free(out);
		} else {
			tap_ok(r == t[i].err && out == sentinel,
			       "tmpl_render '%s' -> %d, ret untouched (got %d)", tap_show(t[i].in),
			       t[i].err, r);
			if (r == 0)
				free(out);
		}
	}
}

static void test_vars(void)
{
	static const struct tmpl_var two[] = {{"X", "1"}, {"Y", "2"}};
	char *out = NULL;
	int r;

	r = tmpl_render("{{X}}{{Y}}", two, 2, &out);
	tap_is_str(r == 0 ? out : "(error)", "12", "tmpl_render: both variables");
	free(out);
	out = NULL;
	/* Only the first n entries count. */
	r = tmpl_render("{{X}}{{Y}}", two, 1, &out);
	tap_ok(r == -ENOENT && out == NULL, "tmpl_render: n = 1 does not see the second variable");
	free(out); /* NULL unless it wrongly succeeded */
	out = NULL;
	r = tmpl_render("{{X}}", two, 1, &out);
	tap_is_str(r == 0 ? out : "(error)", "1", "tmpl_render: n = 1 sees the first");
	free(out);
	out = NULL;
	r = tmpl_render("no names", NULL, 0, &out);
	tap_is_str(r == 0 ? out : "(error)", "no names", "tmpl_render: no variables, no names");
	free(out);
	out = NULL;
	r = tmpl_render("", NULL, 0, &out);
	tap_ok(r == 0 && out && out[0] == '\0', "tmpl_render: empty template -> empty string");
	free(out);
	out = NULL;
	r = tmpl_render("{{X}}", NULL, 0, &out);
	tap_ok(r == -ENOENT && out == NULL, "tmpl_render: no variables, a name -> -ENOENT");
	free(out); /* NULL unless it wrongly succeeded */
	out = NULL;
}

/* Output well past the first buffer (1024), in many small and one big step. */
static void test_big(void)
{
	enum { N = 3000, V = 5000 };
	static char tmpl[N * 6 + 1], big[V + 1];
	const struct tmpl_var v[] = {{"V", "0123456789"}, {"BIG", big}};
	char *out = NULL;
	size_t len;
	bool ok = true;
	int r;

	for (int i = 0; i < N; i++)
		memcpy(tmpl + i * 5, "{{V}}", 5);
	tmpl[N * 5] = '\0';
	r = tmpl_render(tmpl, v, 2, &out);
	len = r == 0 ? strlen(out) : 0;
	for (size_t i = 0; r == 0 && i < len; i++)
		ok = ok && out[i] == (char)('0' + i % 10);
	tap_ok(r == 0 && len == N * 10 && ok, "tmpl_render: %d names -> %d bytes (got %zu)", N,
	       N * 10, len);
	free(out);
	out = NULL;

	memset(big, 'b', V);
	big[V] = '\0';
	r = tmpl_render("<{{BIG}}>", v, 2, &out);
	tap_ok(r == 0 && strlen(out) == V + 2 && out[0] == '<' && out[1] == 'b' && out[V] == 'b' &&
		   out[V + 1] == '>',
	       "tmpl_render: one %d-byte value", V);
	free(out);
}

int main(void)
{
	test_render();
	test_vars();
	test_big();
	return tap_done();
}
