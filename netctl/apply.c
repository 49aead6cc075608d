// SPDX-License-Identifier: BSD-2-Clause
/*
 * apply: plan (file + registry + liblxc + journal -> steps), then run the
 * steps through the verbs' own functions, so a guest made by apply is the
 * same as one made by hand.
 */
#include <arpa/inet.h>

#include "apply.h"
#include "create.h"
#include "fsutil.h"
#include "elems.h"
#include "guest.h"
#include "lxcw.h"
#include "ready.h"
#include "util.h"

/* How long a guest that apply starts may take to hold its lease (as for `guest create`). */
#define APPLY_READY_MS 60000

struct planner {
	const struct paths *p;
	const struct conf *c;
	const struct guestfile *gf;
	const struct apply_opts *o;
	struct registry reg;
	struct applied *journal;
	size_t cap;
	struct apply_step *steps; /* in the order found */
	size_t n;
	struct conf_errors *errs;
	struct errmsg *e;
};

static int add_step(struct planner *pl, enum apply_op op, const char *name,
		    const struct gf_guest *g, const struct port_fwd *port)
{
	struct apply_step *s;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? 2 * pl->cap : 16;

		s = reallocarray(pl->steps, cap, sizeof(*s));
		if (!s)
			return fail(pl->e, -ENOMEM, "out of memory");
		pl->steps = s;
		pl->cap = cap;
	}
	s = &pl->steps[pl->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	strscpy(s->name, sizeof(s->name), name);
	s->g = g;
	if (port)
		s->port = *port;
	return 0;
}

static bool planned(const struct planner *pl, enum apply_op op, const char *name)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->steps[i].op == op && streq(pl->steps[i].name, name))
			return true;
	return false;
}

/* The same forward: guest, address, ports and protocol (the canonical text is all of it). */
static bool same_fwd(const struct port_fwd *a, const struct port_fwd *b)
{
	char x[96], y[96];

	return streq(a->guest, b->guest) && port_format(a, true, x, sizeof(x)) == 0 &&
	       port_format(b, true, y, sizeof(y)) == 0 && streq(x, y);
}

static bool fwd_in(const struct port_fwd *list, size_t n, const struct port_fwd *pf)
{
	for (size_t i = 0; i < n; i++)
		if (same_fwd(&list[i], pf))
			return true;
	return false;
}

/* --prune: the file's earlier guests that it no longer names. */
static int plan_prune(struct planner *pl)
{
	for (size_t i = 0; i < pl->journal->n; i++) {
		const struct applied_entry *a = &pl->journal->e[i];
		struct lxcw_info info;
		int r;

		if (!streq(a->file, pl->o->file_id) || guestfile_find(pl->gf, a->name))
			continue;
		r = lxcw_info(pl->p->lxcpath, a->name, false, &info);
		if (r < 0)
			return fail(pl->e, r, "apply: %s: %s", a->name, strerror(-r));
		if (info.defined && !guest_made_by_create(pl->p, a->name)) {
			/* Not the container apply made (someone replaced it): never destroyed. */
			log_info("%s: in %s's journal, but the container was not made by apply: "
				 "forgotten, not destroyed",
				 a->name, pl->o->file);
			r = add_step(pl, APPLY_FORGET, a->name, NULL, NULL);
			if (r < 0)
				return r;
			continue;
		}
		r = add_step(pl,
			     info.defined || registry_find(&pl->reg, a->name) ? APPLY_DESTROY
									      : APPLY_FORGET,
			     a->name, NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A new guest's fixed address must be free, unless its holder is being destroyed. */
static void check_ip4(struct planner *pl, const struct gf_guest *g)
{
	char a[INET_ADDRSTRLEN];
	const char *why = guest_ip4_unusable(pl->c, g->ip4);

	if (why)
		guestfile_error(pl->errs, pl->o->file, g->key_line[GF_IPV4], "ipv4: %s %s",
				inet_ntop(AF_INET, &g->ip4, a, sizeof(a)), why);

	for (size_t i = 0; i < pl->reg.n_guests; i++) {
		const struct guest *q = &pl->reg.guests[i];

		if (q->ip4.s_addr == g->ip4.s_addr && !streq(q->name, g->name) &&
		    !planned(pl, APPLY_DESTROY, q->name))
			guestfile_error(pl->errs, pl->o->file, g->key_line[GF_IPV4],
					"ipv4: %s is guest %s's",
					inet_ntop(AF_INET, &g->ip4, a, sizeof(a)), q->name);
	}
}

/* Ports of a registered guest: what the file does not list goes, what it adds comes. */
static int plan_ports(struct planner *pl, const struct gf_guest *g, bool registered)
{
	int r;

	for (size_t i = 0; registered && i < pl->reg.n_ports; i++) {
		const struct port_fwd *q = &pl->reg.ports[i];

		if (streq(q->guest, g->name) && !fwd_in(g->ports, g->n_ports, q)) {
			r = add_step(pl, APPLY_PORT_DEL, g->name, g, q);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < g->n_ports; i++)
		if (!registered || !fwd_in(pl->reg.ports, pl->reg.n_ports, &g->ports[i])) {
			r = add_step(pl, APPLY_PORT_ADD, g->name, g, &g->ports[i]);
			if (r < 0)
				return r;
		}
	return 0;
}

/*
 * A clone needs its base defined and stopped when its turn comes: there
 * already, or made earlier in this plan with start = no (and no hooks).
 */
static int check_clone(struct planner *pl, const struct gf_guest *g)
{
	const struct gf_guest *base = guestfile_find(pl->gf, g->clone);
	bool made = base && planned(pl, APPLY_CREATE, base->name);
	unsigned line = g->key_line[GF_CLONE];
	struct lxcw_info info;
	int r;

	r = lxcw_info(pl->p->lxcpath, g->clone, false, &info);
	if (r < 0)
		return fail(pl->e, r, "apply: %s: %s", g->clone, strerror(-r));
	if (info.running || planned(pl, APPLY_START, g->clone) ||
	    (made && (base->start || base->n_provision)))
		guestfile_error(pl->errs, pl->o->file, line,
				"clone: %s runs, and only a stopped container is cloned (start = "
				"no in its section)",
				g->clone);
	else if ((!info.defined || planned(pl, APPLY_DESTROY, g->clone)) && !made)
		guestfile_error(
		    pl->errs, pl->o->file, line,
		    "clone: no container %s in %s (nor an earlier section that makes it)", g->clone,
		    pl->p->lxcpath);
	return 0;
}

/*
 * Mounts of a container that exists: each the file lists and its config
 * lacks is added (taking effect at its next start). One the file no longer
 * lists is left: it may be the admin's own.
 */
static int plan_mounts(struct planner *pl, const struct gf_guest *g)
{
	_cleanup_free_ char *cfg = read_textf(false, "%s/%s/config", pl->p->lxcpath, g->name);

	for (size_t i = 0; i < g->n_mounts; i++) {
		char want[2 * PATH_MAX + 64], line[2 * PATH_MAX + 96];
		int r;

		if (mount_entry(&g->mounts[i], want, sizeof(want)) < 0)
			return fail(pl->e, -ENAMETOOLONG, "apply: %s: mount path too long", g->name);
		snprintf(line, sizeof(line), "\nlxc.mount.entry = %s\n", want);
		if (cfg && strstr(cfg, line))
			continue;
		r = add_step(pl, APPLY_MOUNT, g->name, g, NULL);
		if (r < 0)
			return r;
		pl->steps[pl->n - 1].mount = &g->mounts[i];
	}
	return 0;
}

static int plan_guest(struct planner *pl, const struct gf_guest *g)
{
	const struct guest *old = registry_find(&pl->reg, g->name);
	const char *file = pl->o->file;
	struct lxcw_info info;
	char a[INET_ADDRSTRLEN];
	int r;

	if (streq(g->name, pl->c->router)) {
		guestfile_error(pl->errs, file, g->line, "[guest %s]: that is the router's name",
				g->name);
		return 0;
	}
	r = lxcw_info(pl->p->lxcpath, g->name, false, &info);
	if (r < 0)
		return fail(pl->e, r, "apply: %s: %s", g->name, strerror(-r));
	if (old && g->has_ip4 && old->ip4.s_addr != g->ip4.s_addr)
		guestfile_error(pl->errs, file, g->key_line[GF_IPV4],
				"ipv4: guest %s is registered with %s (`guest del %s` first)",
				g->name, inet_ntop(AF_INET, &old->ip4, a, sizeof(a)), g->name);
	else if (!old && g->has_ip4)
		check_ip4(pl, g);
	if (old && !info.defined) {
		guestfile_error(pl->errs, file, g->line,
				"[guest %s]: registered, but its container is gone (`guest del "
				"%s` first)",
				g->name, g->name);
		return 0;
	}
	if (!info.defined && *g->clone) {
		r = check_clone(pl, g);
		if (r < 0)
			return r;
	}
	if (!info.defined)
		return add_step(pl, APPLY_CREATE, g->name, g, NULL);
	if (!old) {
		r = add_step(pl, APPLY_ATTACH, g->name, g, NULL);
		if (r < 0)
			return r;
	}
	r = plan_ports(pl, g, old != NULL);
	if (r == 0)
		r = plan_mounts(pl, g);
	if (r == 0 && g->start && !info.running)
		r = add_step(pl, APPLY_START, g->name, g, NULL);
	return r;
}

/* A router port the plan adds must be free once the plan's removals ran. */
static void check_port(struct planner *pl, const struct gf_guest *g, const struct port_fwd *pf)
{
	char f[64];

	for (size_t i = 0; i < pl->reg.n_ports; i++) {
		const struct port_fwd *q = &pl->reg.ports[i];
		bool removed = planned(pl, APPLY_DESTROY, q->guest);

		for (size_t k = 0; k < pl->n && !removed; k++)
			removed =
			    pl->steps[k].op == APPLY_PORT_DEL && same_fwd(&pl->steps[k].port, q);
		if (!streq(q->guest, g->name) && !removed && port_fwd_collides(q, pf)) {
			port_format(pf, false, f, sizeof(f));
			guestfile_error(pl->errs, pl->o->file, g->key_line[GF_PORTS],
					"ports: %s is forwarded to guest %s", f, q->guest);
		}
	}
}

static void check_ports(struct planner *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		const struct apply_step *s = &pl->steps[i];

		if (s->op == APPLY_PORT_ADD)
			check_port(pl, s->g, &s->port);
		for (size_t k = 0; s->op == APPLY_CREATE && k < s->g->n_ports; k++)
			check_port(pl, s->g, &s->g->ports[k]);
	}
}

static int plan_down(struct planner *pl, const struct gf_guest *g)
{
	struct lxcw_info info;
	int r = lxcw_info(pl->p->lxcpath, g->name, false, &info);

	if (r < 0)
		return fail(pl->e, r, "apply: %s: %s", g->name, strerror(-r));
	return info.running && !streq(g->name, pl->c->router)
		   ? add_step(pl, APPLY_STOP, g->name, g, NULL)
		   : 0;
}

static void check_groups(struct planner *pl)
{
	for (size_t i = 0; i < pl->o->n_groups; i++) {
		const char *grp = pl->o->groups[i];
		bool found = false;

		for (size_t k = 0; k < pl->gf->n && !found; k++)
			found = guestfile_selected(&pl->gf->guests[k], &pl->o->groups[i], 1);
		if (!found)
			guestfile_error(pl->errs, pl->o->file, 0, "no guest is in group '%s'", grp);
	}
}

static int plan_all(struct planner *pl)
{
	int r = 0;

	check_groups(pl);
	if (!pl->o->down && pl->o->prune)
		r = plan_prune(pl);
	/* Guests with a fixed address first: one without may otherwise be given it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < pl->gf->n && r == 0; i++) {
			const struct gf_guest *g = &pl->gf->guests[i];

			if (g->has_ip4 == (pass == 0) &&
			    guestfile_selected(g, pl->o->groups, pl->o->n_groups))
				r = pl->o->down ? plan_down(pl, g) : plan_guest(pl, g);
		}
	if (r == 0)
		check_ports(pl);
	/* Not pruned, but worth a word: what an earlier apply made and the file dropped. */
	for (size_t i = 0; r == 0 && !pl->o->down && !pl->o->prune && i < pl->journal->n; i++) {
		const struct applied_entry *a = &pl->journal->e[i];

		if (streq(a->file, pl->o->file_id) && !guestfile_find(pl->gf, a->name))
			log_info("%s: no longer in %s (apply --prune destroys it)", a->name,
				 pl->o->file);
	}
	return r;
}

void apply_plan_free(struct apply_plan *plan)
{
	free(plan->steps);
	*plan = (struct apply_plan){0};
}

int apply_plan(const struct paths *p, const struct conf *c, const struct guestfile *gf,
	       const struct apply_opts *o, struct apply_plan *ret, struct conf_errors *errs,
	       struct errmsg *e)
{
	struct planner pl = {.p = p, .c = c, .gf = gf, .o = o, .errs = errs, .e = e};
	size_t k = 0;
	int r;

	errs->n = 0;
	errs->dropped = 0;
	pl.journal = calloc(1, sizeof(*pl.journal));
	if (!pl.journal)
		return fail(e, -ENOMEM, "out of memory");
	r = registry_load(p->state, &pl.reg);
	if (r < 0) {
		fail(e, r, "apply: guest registry: %s", strerror(-r));
		goto out;
	}
	r = state_applied_load(p->state, pl.journal);
	if (r < 0) {
		fail(e, r, "apply: %s/%s: %s", p->state, STATE_APPLIED, strerror(-r));
		goto out;
	}
	r = plan_all(&pl);
	if (r == 0 && (errs->n || errs->dropped)) {
		guestfile_sort_errors(errs, o->file);
		r = -EINVAL;
	}
	if (r < 0)
		goto out;
	/* In the order of enum apply_op, and in file order within one. */
	ret->steps = calloc(pl.n ? pl.n : 1, sizeof(*ret->steps));
	if (!ret->steps) {
		r = fail(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (int op = 0; op < APPLY_N_OPS; op++)
		for (size_t i = 0; i < pl.n; i++)
			if (pl.steps[i].op == (enum apply_op)op)
				ret->steps[k++] = pl.steps[i];
	ret->n = k;
out:
	free(pl.steps);
	free(pl.journal);
	registry_free(&pl.reg);
	return r;
}

void apply_step_format(const struct apply_step *s, char *buf, size_t size)
{
	const struct gf_guest *g = s->g;
	char f[96];

	switch (s->op) {
	case APPLY_DESTROY:
		snprintf(buf, size,
			 "destroy %s (an earlier apply made it; the file no longer names "
			 "it)",
			 s->name);
		return;
	case APPLY_FORGET:
		snprintf(buf, size, "forget %s (its container is gone, or is not apply's)", s->name);
		return;
	case APPLY_PORT_DEL:
	case APPLY_PORT_ADD:
		/* As the verbs take them: a forward to add has its guest port. */
		port_format(&s->port, s->op == APPLY_PORT_ADD, f, sizeof(f));
		snprintf(buf, size, "port %s %s %s", s->op == APPLY_PORT_ADD ? "add" : "del",
			 s->name, f);
		return;
	case APPLY_CREATE:
		snprintf(buf, size, "create %s (%s %s, %zu ports, %zu mounts, %zu hooks%s)",
			 s->name, *g->tmpl ? "template" : "clone of", *g->tmpl ? g->tmpl : g->clone,
			 g->n_ports, g->n_mounts, g->n_provision,
			 g->start || g->n_provision ? ", started" : ""); /* hooks need it running */
		return;
	case APPLY_ATTACH:
		snprintf(buf, size, "attach %s (guest add)", s->name);
		return;
	case APPLY_MOUNT:
		snprintf(buf, size, "mount %s %s:%s%s (at its next start)", s->name, s->mount->host,
			 s->mount->guest, s->mount->ro ? ":ro" : "");
		return;
	case APPLY_START:
		snprintf(buf, size, "start %s", s->name);
		return;
	case APPLY_STOP:
		snprintf(buf, size, "stop %s", s->name);
		return;
	case APPLY_N_OPS:
		break;
	}
	snprintf(buf, size, "?");
}

/*
 * Record (@add) or forget that this file's apply made @name. Recorded before
 * the container is created, so a crash in between cannot leave one that
 * --prune would not know.
 */
static int journal_note(const struct paths *p, const struct apply_opts *o, const char *name,
			bool add, struct errmsg *e)
{
	_cleanup_free_ struct applied *j = calloc(1, sizeof(*j));
	int i, r;

	if (!j)
		return fail(e, -ENOMEM, "out of memory");
	r = state_applied_load(p->state, j);
	if (r < 0)
		return fail(e, r, "apply: %s/%s: %s", p->state, STATE_APPLIED, strerror(-r));
	i = applied_find(j, name);
	if (add && i >= 0 && streq(j->e[i].file, o->file_id))
		return 0;
	if (i >= 0)
		applied_del(j, name);
	else if (!add)
		return 0;
	r = add ? applied_add(j, o->file_id, name) : 0;
	if (r == 0)
		r = state_applied_save(p->state, j);
	return r < 0 ? fail(e, r, "apply: %s/%s: %s", p->state, STATE_APPLIED, strerror(-r)) : 0;
}

static int run_create(const struct paths *p, const struct conf *c, const struct apply_opts *o,
		      const struct gf_guest *g, struct errmsg *e)
{
	char targs[GUESTFILE_MAX_LIST][sizeof(g->targs[0])];
	char *argv[GUESTFILE_MAX_LIST + 1] = {0};
	const char *hooks[GUESTFILE_MAX_LIST];
	struct create_req req = {
	    .add = {.name = g->name, .has_ip4 = g->has_ip4, .ip4 = g->ip4},
	    .tmpl = *g->tmpl ? g->tmpl : NULL,
	    .tmpl_argv = argv,
	    .clone = *g->clone ? g->clone : NULL,
	    .ports = g->ports,
	    .n_ports = g->n_ports,
	    .mounts = g->mounts,
	    .n_mounts = g->n_mounts,
	    .hostname = *g->hostname ? g->hostname : NULL,
	    .autostart = g->autostart,
	    .start = g->start,
	    .provision = hooks,
	    .n_provision = g->n_provision,
	    .verbose = o->verbose,
	};
	struct create_result res;
	struct lxcw_info info;
	int r;

	/* The template's argv is not const (execv's): a copy of the file's words. */
	memcpy(targs, g->targs, sizeof(targs));
	for (size_t i = 0; i < g->n_targs; i++)
		argv[i] = targs[i];
	for (size_t i = 0; i < g->n_provision; i++)
		hooks[i] = g->provision[i];
	r = journal_note(p, o, g->name, true, e);
	if (r < 0)
		return r;
	r = guest_create(p, c, &req, &res, e);
	/* A failure up to readiness leaves no container: then there is nothing to record. */
	if (r < 0 && lxcw_info(p->lxcpath, g->name, false, &info) == 0 && !info.defined) {
		struct errmsg ignore = {0};

		journal_note(p, o, g->name, false, &ignore);
	}
	return r;
}

/* Start a guest, and wait as `guest create` does until it holds its lease and resolves. */
/* One bind mount more in an existing container's config (the host dir made if missing). */
static int run_mount(const struct paths *p, const char *name, const struct mount_spec *m,
		     struct errmsg *e)
{
	char entry[2 * PATH_MAX + 64];
	const char *items[] = {"lxc.mount.entry", entry, NULL};
	int r;

	r = mount_entry(m, entry, sizeof(entry));
	if (r == 0)
		r = mkdir_p(m->host, 0755);
	if (r == 0)
		r = lxcw_set_items(p->lxcpath, name, items);
	return r < 0 ? fail(e, r, "apply: mount %s into %s: %s", m->host, name, strerror(-r)) : 0;
}

static int run_start(const struct paths *p, const struct conf *c, const char *name,
		     struct errmsg *e)
{
	struct registry reg = {0};
	struct guest g;
	int r = lxcw_start(p->lxcpath, name, NULL);

	if (r < 0)
		return fail(e, r, "apply: starting %s: %s", name, strerror(-r));
	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "apply: guest registry: %s", strerror(-r));
	if (!registry_find(&reg, name)) {
		registry_free(&reg);
		return fail(e, -ENOENT, "apply: %s is not in the registry", name);
	}
	g = *registry_find(&reg, name);
	registry_free(&reg);
	return ready_guest(p, c, &g, !publish_v4(c, &g), now_ms() + APPLY_READY_MS, e);
}

static int run_step(const struct paths *p, const struct conf *c, const struct apply_opts *o,
		    const struct apply_step *s, struct errmsg *e)
{
	struct guest_req add = {.name = s->name};
	int r;

	switch (s->op) {
	case APPLY_DESTROY:
		r = guest_destroy(p, c, s->name, false, e);
		return r < 0 ? r : journal_note(p, o, s->name, false, e);
	case APPLY_FORGET:
		return journal_note(p, o, s->name, false, e);
	case APPLY_PORT_DEL:
		return port_del(p, c, &s->port, e);
	case APPLY_CREATE:
		return run_create(p, c, o, s->g, e);
	case APPLY_ATTACH:
		add.has_ip4 = s->g->has_ip4;
		add.ip4 = s->g->ip4;
		return guest_add(p, c, &add, e);
	case APPLY_PORT_ADD:
		return port_add(p, c, &s->port, e);
	case APPLY_MOUNT:
		return run_mount(p, s->name, s->mount, e);
	case APPLY_START:
		return run_start(p, c, s->name, e);
	case APPLY_STOP:
		r = lxcw_stop(p->lxcpath, s->name);
		return r < 0 ? fail(e, r, "apply: stopping %s: %s", s->name, strerror(-r)) : 0;
	case APPLY_N_OPS:
		break;
	}
	return fail(e, -EINVAL, "apply: unknown step");
}

int apply_run(const struct paths *p, const struct conf *c, const struct apply_opts *o,
	      const struct apply_plan *plan, struct errmsg *e)
{
	long t0 = now_ms();
	char line[512];
	int r;

	if (plan->n == 0) {
		log_info("%s: nothing to do", o->file);
		return 0;
	}
	for (size_t i = 0; i < plan->n; i++) {
		apply_step_format(&plan->steps[i], line, sizeof(line));
		log_info("apply: %s", line);
		r = run_step(p, c, o, &plan->steps[i], e);
		if (r < 0)
			return r;
	}
	log_info("%s: applied (%zu steps in %ld ms)", o->file, plan->n, now_ms() - t0);
	return 0;
}
