// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "autoconfig.h"
#include "birdctl.h"
#include "fsutil.h"
#include "util.h"

int bird_check(const char *path, char *err, size_t errsize)
{
	int pipefd[2], status;
	char buf[1024];
	ssize_t n, len = 0;
	pid_t pid;

	err[0] = '\0';
	if (access(BIRD_PATH, X_OK) < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execl(BIRD_PATH, "bird", "-p", "-c", path, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0 &&
	       len + n < (ssize_t)sizeof(buf) - 1)
		len += n;
	if (n > 0)
		len += n;
	buf[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(err, errsize, "%s", buf[0] ? buf : "bird -p failed");
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOEXEC : -EINVAL;
}

/* Does @text end with a complete final reply line ("DDDD text\n")? */
static bool reply_done(const char *text, size_t len)
{
	const char *line;

	if (len == 0 || text[len - 1] != '\n')
		return false;
	/* The start of the last line. */
	line = text + len - 1;
	while (line > text && line[-1] != '\n')
		line--;
	return text + len - line >= 5 && line[0] >= '0' && line[0] <= '9' && line[4] == ' ';
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read one whole reply into a malloc'd string. */
static int read_reply(int fd, long deadline, char **ret)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	while (!reply_done(buf, len)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (len + 1024 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb || cap > 4 * 1024 * 1024) {
				free(nb ? nb : buf);
				return -E2BIG;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -ECONNRESET;

			free(buf);
			return r;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

int bird_cmd(const char *sock, const char *cmd, int timeout_ms, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long deadline = mono_ms() + timeout_ms;
	_cleanup_free_ char *hello = NULL;
	char line[256];
	int fd, r, n;

	*reply = NULL;
	/* The socket is in lxtg/run, which the router writes: what stands there
	 * is opened as it is (O_PATH | O_NOFOLLOW), must be a socket, and is
	 * reached through that descriptor, so a link the router put there to
	 * another socket of the host is never connected to. */
	_cleanup_close_ int pfd = open_untrusted_at(AT_FDCWD, sock, O_PATH, S_IFSOCK, ENOTSOCK);

	if (pfd < 0)
		return pfd;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", pfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	r = read_reply(fd, deadline, &hello);
	if (r < 0)
		goto out;
	n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(cmd, '\n')) {
		r = -EINVAL;
		goto out;
	}
	if (write(fd, line, (size_t)n) != n) {
		r = -EIO;
		goto out;
	}
	r = read_reply(fd, deadline, reply);
out:
	close(fd);
	return r;
}

int bird_configure(const char *sock, char *err, size_t errsize)
{
	_cleanup_free_ char *reply = NULL;
	const char *last;
	int r;

	err[0] = '\0';
	r = bird_cmd(sock, "configure", 10000, &reply);
	if (r < 0)
		return r;
	/* 0003 Reconfigured, 0004 Reconfiguration in progress, 0018 ... confirmed,
	 * 0019 Nothing to do; 8xxx/9xxx are errors. */
	last = reply + strlen(reply) - 1;
	while (last > reply && last[-1] != '\n')
		last--;
	if (last[0] == '0')
		return 0;
	snprintf(err, errsize, "%.*s", (int)strcspn(last + 5, "\n"), last + 5);
	return -EINVAL;
}

/* "Routes:         1 imported, 0 filtered, 2 exported, 1 preferred" */
static void parse_routes(const char *s, struct bird_session *b)
{
	unsigned v;
	char word[16];
	int n;

	while (sscanf(s, " %u %15[a-z]%n", &v, word, &n) == 2) {
		if (streq(word, "imported"))
			b->imported += v;
		else if (streq(word, "exported"))
			b->exported += v;
		s += n;
		s += strspn(s, ", ");
	}
}

size_t bird_parse_protocols(const char *reply, struct bird_session *ret, size_t max)
{
	struct bird_session *cur = NULL;
	size_t n = 0;

	for (const char *p = reply; *p;) {
		size_t len = strcspn(p, "\n");
		char line[512];
		const char *body;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		if (strlen(line) >= 5 && line[0] >= '0' && line[0] <= '9' &&
		    (line[4] == '-' || line[4] == ' ')) {
			body = line + 5;
			if (!strncmp(line, "1002", 4)) {
				char name[32], proto[16], table[32], state[16], info[96] = "";
				long long since = 0;
				int k = sscanf(body, "%31s %15s %31s %15s %lld %95[^\n]", name, proto,
					       table, state, &since, info);

				cur = NULL;
				if (k >= 4 && streq(proto, "BGP") && n < max) {
					cur = &ret[n++];
					memset(cur, 0, sizeof(*cur));
					strscpy(cur->name, sizeof(cur->name), name);
					strscpy(cur->state, sizeof(cur->state), state);
					cur->since = k >= 5 ? since : 0;
					/* "Established   ": trailing blanks */
					for (size_t e = strlen(info); e && info[e - 1] == ' ';)
						info[--e] = '\0';
					strscpy(cur->info, sizeof(cur->info), info);
				}
				continue;
			}
		} else if (line[0] == ' ') {
			body = line + 1;
		} else {
			continue;
		}
		if (!cur)
			continue;
		body += strspn(body, " ");
		if (!strncmp(body, "Neighbor address:", 17))
			sscanf(body + 17, " %63s", cur->neighbor);
		else if (!strncmp(body, "Neighbor AS:", 12))
			sscanf(body + 12, " %u", &cur->neighbor_as);
		else if (!strncmp(body, "Routes:", 7))
			parse_routes(body + 7, cur);
	}
	return n;
}
