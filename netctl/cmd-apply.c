// SPDX-License-Identifier: BSD-2-Clause
/* The `apply` verb: a guest file, planned, printed (--dry-run) or run. */
#include <getopt.h>

#include "apply.h"
#include "cli.h"
#include "guestfile.h"
#include "util.h"

#define APPLY_USAGE "apply FILE [GROUP...] [--dry-run] [--prune | --down]"

/* Every "FILE:LINE: ..." as it is (like the config's), then how many did not fit. */
static int file_errors(const char *file, const struct conf_errors *errs)
{
	for (unsigned i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	if (errs->dropped)
		fprintf(stderr, "%s: %u more errors not shown\n", file, errs->dropped);
	return EXIT_USAGE;
}

/* The plan, printed. */
static void print_plan(const struct apply_plan *plan)
{
	char line[512];

	for (size_t i = 0; i < plan->n; i++) {
		apply_step_format(&plan->steps[i], line, sizeof(line));
		printf("%s\n", line);
	}
	if (!plan->n)
		printf("nothing to do\n");
}

/*
 * -j: one JSON object at the end, {"file": ..., "dry_run": ..., "ok": ...,
 * "steps": ["create web", ...]}: the plan, and whether it all ran.
 */
static void print_summary(const char *file, const struct apply_plan *plan, bool dry_run, bool ok)
{
	char line[512];

	printf("{\"file\":");
	json_print_string(stdout, file);
	printf(",\"dry_run\":%s,\"ok\":%s,\"steps\":[", dry_run ? "true" : "false",
	       ok ? "true" : "false");
	for (size_t i = 0; i < plan->n; i++) {
		apply_step_format(&plan->steps[i], line, sizeof(line));
		if (i)
			putchar(',');
		json_print_string(stdout, line);
	}
	printf("]}\n");
}

/* Plan, then print it or run it. The file is parsed and verified before this. */
static int plan_and_run(const struct ctx *ctx, const struct guestfile *gf,
			const struct apply_opts *o, bool dry_run)
{
	struct cli_env env = {.lock = -1};
	struct apply_plan plan = {0};
	struct conf_errors *errs = calloc(1, sizeof(*errs));
	struct errmsg e = {0};
	int r;

	if (!errs) {
		cli_error("apply: out of memory");
		return EXIT_FAIL;
	}
	r = cli_prepare(ctx, "apply", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		goto out;
	r = apply_plan(&env.paths, &env.model, gf, o, &plan, errs, &e);
	if (r < 0 && (errs->n || errs->dropped)) {
		r = file_errors(o->file, errs);
		goto out;
	}
	if (r == 0 && dry_run && !ctx->json)
		print_plan(&plan);
	else if (r == 0 && !dry_run)
		r = apply_run(&env.paths, &env.model, o, &plan, &e);
	if (ctx->json && (r == 0 || plan.n))
		print_summary(o->file, &plan, dry_run, r == 0);
	if (r < 0)
		cli_error("%s", e.msg);
	r = r == 0 ? EXIT_OK : e.usage ? EXIT_USAGE : EXIT_FAIL;
out:
	cli_env_done(&env);
	apply_plan_free(&plan);
	free(errs);
	return r;
}

int cmd_apply(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"prune", no_argument, NULL, 'p'},
	    {"down", no_argument, NULL, 'd'},
	    {},
	};
	_cleanup_free_ struct conf_errors *errs = calloc(1, sizeof(*errs));
	struct apply_opts o = {.verbose = ctx->verbose >= 2};
	struct guestfile gf = {0};
	char real[PATH_MAX];
	bool dry_run = false;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'n')
			dry_run = true;
		else if (opt == 'p')
			o.prune = true;
		else if (opt == 'd')
			o.down = true;
		else
			return EXIT_USAGE;
	}
	if (optind >= argc || (o.prune && o.down)) {
		cli_error("apply: usage: " APPLY_USAGE);
		return EXIT_USAGE;
	}
	o.file = argv[optind];
	o.groups = argv + optind + 1;
	o.n_groups = (size_t)(argc - optind - 1);
	for (size_t i = 0; i < o.n_groups; i++)
		if (!valid_name(o.groups[i])) {
			cli_error("apply: invalid group name '%s'", o.groups[i]);
			return EXIT_USAGE;
		}
	if (!errs) {
		cli_error("apply: out of memory");
		return EXIT_FAIL;
	}
	r = guestfile_load(o.file, &gf, errs);
	if (r == -ENOMEM) {
		cli_error("apply: out of memory");
		return EXIT_FAIL;
	}
	if (r < 0)
		return file_errors(o.file, errs);
	/* The file's identity in the journal: its canonical path, however it was named. */
	if (!realpath(o.file, real)) {
		cli_error("apply: %s: %s", o.file, strerror(errno));
		guestfile_free(&gf);
		return EXIT_USAGE;
	}
	applied_file_id(real, o.file_id);
	r = plan_and_run(ctx, &gf, &o, dry_run);
	guestfile_free(&gf);
	return r;
}
