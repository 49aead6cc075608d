// SPDX-License-Identifier: BSD-2-Clause
/*
 * lxtg-init: PID 1 of the router container, a program of its own that links
 * only libc (the controller maps liblxc, libnl and libnftables: megabytes the
 * router does not need). Bind-mounted read-only into the router as
 * /lxtg/lxtg-init.
 *
 * Why not busybox init: it sleeps a whole second between reaping and
 * respawning, and we promise that a killed dnsmasq or radvd is back within
 * one second. This init respawns at once (at most every 100 ms per service
 * so a crash loop cannot spin), reaps orphans, and stops everything on
 * SIGTERM, SIGINT or SIGUSR1. It reads the busybox inittab syntax, so the
 * file stays readable and busybox init could still run it.
 *
 * `lxtg-init hold STATE-DIR` is the other job: the holder of the router's
 * network namespace (docs/architecture.md, "The guest segment"). It runs
 * outside the router container, in the namespace the router shares, and does
 * nothing until SIGTERM or SIGINT: the guest bridge and the guests' ports
 * live in that namespace, so they outlive a router that dies or restarts.
 * STATE-DIR only names whose holder it is (ps, and `up`'s search for it).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

#define MAX_SERVICES 8
#define MAX_ARGS 16
#define RESPAWN_GAP_MS 100

struct service {
	char line[512];
	char *argv[MAX_ARGS + 1];
	const char *name;
	pid_t pid;
	long started_ms;
};

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* "::respawn:/path arg arg" -> argv (arguments never need quoting: we wrote them). */
static int parse_inittab(const char *path, struct service *svc, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[512];
	size_t n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct service *s;
		size_t argc = 0;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "::respawn:", 10) != 0)
			continue;
		if (n == MAX_SERVICES)
			return -E2BIG;
		s = &svc[n];
		memset(s, 0, sizeof(*s));
		snprintf(s->line, sizeof(s->line), "%s", line + 10);
		for (char *save = NULL, *tok = strtok_r(s->line, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save)) {
			if (argc == MAX_ARGS)
				return -E2BIG;
			s->argv[argc++] = tok;
		}
		if (!argc)
			continue;
		s->name = strrchr(s->argv[0], '/') ? strrchr(s->argv[0], '/') + 1 : s->argv[0];
		/* "busybox udhcpc ...": the applet names the service (and its log). */
		if (!strcmp(s->name, "busybox") && argc > 1)
			s->name = s->argv[1];
		n++;
	}
	*ret_n = n;
	return 0;
}

static void spawn(struct service *s, const sigset_t *orig)
{
	char log[128];
	pid_t pid;

	snprintf(log, sizeof(log), "/run/%s.log", s->name);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		sigprocmask(SIG_SETMASK, orig, NULL);
		setsid();
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(s->argv[0], s->argv);
		_exit(127);
	}
	s->pid = pid > 0 ? pid : 0;
	s->started_ms = mono_ms();
}

/* Block until the controller opens the FIFO: links, sysctls and nft are ready. */
static void wait_for_controller(void)
{
	char buf[8];
	int fd = open("/lxtg/run/go", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) < 0 && errno == EINTR)
		;
	close(fd);
}

/* The holder: wait for SIGTERM or SIGINT; every other signal is ignored. */
static int hold(void)
{
	sigset_t mask;
	int sig = 0;

	/* It runs as the router's root (router_idmap) in the host's PID
	 * namespace: no other process of that uid may ptrace it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sigfillset(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	while (sigwait(&mask, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	return 0;
}

int main(int argc, char **argv)
{
	struct service svc[MAX_SERVICES];
	sigset_t mask, orig;
	size_t n = 0;
	bool stopping = false;
	int sfd, r;

	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold();
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGPWR);
	sigprocmask(SIG_BLOCK, &mask, &orig);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return 1;
	wait_for_controller();
	r = parse_inittab("/etc/inittab", svc, &n);
	if (r < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		spawn(&svc[i], &orig);

	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		long now = mono_ms(), wait_ms = -1;
		pid_t pid;

		/* Respawn what died, keeping RESPAWN_GAP_MS between starts of one service. */
		for (size_t i = 0; i < n && !stopping; i++) {
			if (svc[i].pid)
				continue;
			if (now - svc[i].started_ms >= RESPAWN_GAP_MS)
				spawn(&svc[i], &orig);
			else if (wait_ms < 0 || RESPAWN_GAP_MS - (now - svc[i].started_ms) < wait_ms)
				wait_ms = RESPAWN_GAP_MS - (now - svc[i].started_ms);
		}
		if (poll(&pfd, 1, (int)wait_ms) > 0 &&
		    read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD &&
		    !stopping) {
			stopping = true;
			for (size_t i = 0; i < n; i++)
				if (svc[i].pid)
					kill(svc[i].pid, SIGTERM);
		}
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			for (size_t i = 0; i < n; i++)
				if (svc[i].pid == pid)
					svc[i].pid = 0;
		if (stopping) {
			bool alive = false;

			for (size_t i = 0; i < n; i++)
				alive |= svc[i].pid != 0;
			if (!alive)
				return 0;
		}
	}
}
