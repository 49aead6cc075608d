// SPDX-License-Identifier: BSD-2-Clause
/*
 * Guest file parser tests: good files and what they mean (one summary line a
 * guest), bad files with their exact FILE:LINE messages in line order,
 * provisioning paths relative to the file, and the byte-level limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestfile.h"
#include "util.h"
#include "tap.h"

static char tmproot[256];

/* A test's text in its TAP line: escaped, so that it stays one line (one at a time). */
static const char *tap_text(const char *s)
{
	static char buf[160];

	return str_escape(s, buf, sizeof(buf), false);
}

static int parse_str(const char *text, struct guestfile *gf, struct conf_errors *e)
{
	return guestfile_parse("g.ini", text, strlen(text), gf, e);
}

/* All messages, one a line, for exact comparison (valid until the next call). */
static const char *all_errors(const struct conf_errors *e)
{
	static char buf[CONF_MAX_ERRORS * sizeof(e->msg[0]) + 1];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < e->n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\n", e->msg[i]);
	return buf;
}

/* What a guest means, one line; the temp dir reads as "T". */
static void summary(FILE *f, const struct gf_guest *g)
{
	char a[INET_ADDRSTRLEN], pf[80];

	fprintf(f, "%s@%u", g->name, g->line);
	if (*g->tmpl)
		fprintf(f, " template=%s", g->tmpl);
	for (size_t i = 0; i < g->n_targs; i++)
		fprintf(f, "%s%s", i ? "," : " args=", g->targs[i]);
	if (*g->clone)
		fprintf(f, " clone=%s", g->clone);
	if (g->has_ip4)
		fprintf(f, " ipv4=%s", inet_ntop(AF_INET, &g->ip4, a, sizeof(a)));
	for (size_t i = 0; i < g->n_ports; i++) {
		port_format(&g->ports[i], true, pf, sizeof(pf));
		fprintf(f, "%s%s(%s)", i ? "," : " ports=", pf, g->ports[i].guest);
	}
	for (size_t i = 0; i < g->n_mounts; i++)
		fprintf(f, "%s%s:%s%s", i ? "," : " mounts=", g->mounts[i].host, g->mounts[i].guest,
			g->mounts[i].ro ? ":ro" : "");
	if (*g->hostname)
		fprintf(f, " hostname=%s", g->hostname);
	fprintf(f, " autostart=%d start=%d", g->autostart, g->start);
	for (size_t i = 0; i < g->n_provision; i++) {
		const char *s = g->provision[i];

		if (!strncmp(s, tmproot, strlen(tmproot)))
			fprintf(f, "%sT%s", i ? "," : " provision=", s + strlen(tmproot));
		else
			fprintf(f, "%s%s", i ? "," : " provision=", s);
	}
	for (size_t i = 0; i < g->n_groups; i++)
		fprintf(f, "%s%s", i ? "," : " groups=", g->groups[i]);
	fputc('\n', f);
}

static char *summarize(const struct guestfile *gf)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	for (size_t i = 0; i < gf->n; i++)
		summary(f, &gf->guests[i]);
	fclose(f);
	return buf;
}

/* Each good file and its summary. */
static const struct {
	const char *text, *want;
} good[] = {
    {"", ""},
    {"# nothing but comments\n; and this\n\n", ""},
    {"[guest web]\ntemplate = busybox\n", "web@1 template=busybox autostart=0 start=1\n"},
    {"[guest web]\nclone = base\nstart = no\nautostart = yes\n",
     "web@1 clone=base autostart=1 start=0\n"},
    {"  [ guest   web ]  \r\n\ttemplate\t=\tbusybox\t\r\n",
     "web@1 template=busybox autostart=0 start=1\n"},
    {"[guest web] # the front\ntemplate = busybox ; inline\nipv4 = 192.168.254.150 # fixed\n",
     "web@1 template=busybox ipv4=192.168.254.150 autostart=0 start=1\n"},
    {"[guest web]\ntemplate = download\ntemplate_args = -d debian  -r bookworm\t-a amd64\n",
     "web@1 template=download args=-d,debian,-r,bookworm,-a,amd64 autostart=0 start=1\n"},
    {"[guest web]\ntemplate = busybox\nports = 8080:80, 8443:443/tcp,53:53/udp\n",
     "web@1 template=busybox ports=8080:80/tcp(web),8443:443/tcp(web),53:53/udp(web) "
     "autostart=0 start=1\n"},
    {"[guest web]\ntemplate = busybox\nports = 192.0.2.1:80:80, [2001:db8::1]:80:8080\n",
     "web@1 template=busybox ports=192.0.2.1:80:80/tcp(web),[2001:db8::1]:80:8080/tcp(web) "
     "autostart=0 start=1\n"},
    {"[guest web]\ntemplate = busybox\nmounts = /srv/www:/var/www:ro , /srv/logs:/var/log\n",
     "web@1 template=busybox mounts=/srv/www:/var/www:ro,/srv/logs:/var/log autostart=0 "
     "start=1\n"},
    {"[guest web]\ntemplate = busybox\nhostname = web.example.test\n",
     "web@1 template=busybox hostname=web.example.test autostart=0 start=1\n"},
    {"[guest web]\ntemplate = busybox\ngroups = front, all\n",
     "web@1 template=busybox autostart=0 start=1 groups=front,all\n"},
    {"[guest web]\ntemplate = busybox\nprovision = hook.sh, ./sub/h2.sh\n",
     "web@1 template=busybox autostart=0 start=1 provision=T/hook.sh,T/sub/h2.sh\n"},
    /* the same port on other addresses and protocols is no clash */
    {"[guest a]\ntemplate = busybox\nports = 192.0.2.1:80:80\n"
     "[guest b]\ntemplate = busybox\nports = 192.0.2.2:80:80, 80:80/udp\n",
     "a@1 template=busybox ports=192.0.2.1:80:80/tcp(a) autostart=0 start=1\n"
     "b@4 template=busybox ports=192.0.2.2:80:80/tcp(b),80:80/udp(b) autostart=0 start=1\n"},
    {"[guest web]\ntemplate = busybox\n[guest db]\nclone = base\nipv4 = 192.168.254.5\n"
     "[guest cache]\ntemplate = busybox\nipv4 = 192.168.254.6\n",
     "web@1 template=busybox autostart=0 start=1\n"
     "db@3 clone=base ipv4=192.168.254.5 autostart=0 start=1\n"
     "cache@6 template=busybox ipv4=192.168.254.6 autostart=0 start=1\n"},
    /* no newline at the end */
    {"[guest web]\ntemplate = busybox", "web@1 template=busybox autostart=0 start=1\n"},
};

static void test_good(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		struct guestfile gf = {0};
		struct conf_errors e;
		_cleanup_free_ char *got = NULL;
		int r = parse_str(good[i].text, &gf, &e);

		tap_ok(r == 0 && e.n == 0, "good file %u: '%s'", i, tap_text(good[i].text));
		if (r < 0) {
			printf("# %s", all_errors(&e));
			continue;
		}
		got = summarize(&gf);
		tap_is_str(got, good[i].want, "good file %u means what it says", i);
		guestfile_free(&gf);
	}
}

/* Each bad file and all of its messages, in line order. */
static const struct {
	const char *text, *want;
} bad[] = {
    /* syntax */
    {"template = busybox\n", "g.ini:1: key 'template' outside of a [guest NAME] section\n"},
    {"[guest web]\ntemplate busybox\n",
     "g.ini:1: [guest web]: give template or clone\n"
     "g.ini:2: expected 'key = value' or '[guest NAME]', got 'template busybox'\n"},
    {"[guest web]\n= busybox\ntemplate = busybox\n", "g.ini:2: missing key before '='\n"},
    {"[guest web]\ntemplate =\n", "g.ini:2: template: missing value\n"},
    {"[guest web\ntemplate = busybox\n", "g.ini:1: invalid section header '[guest web'\n"},
    {"[network]\nmode = server\n", "g.ini:1: unknown section [network] (expected [guest NAME])\n"},
    {"[guest]\ntemplate = busybox\n",
     "g.ini:1: invalid guest name '' (1 to 63 of a-z 0-9 -, no edge '-', not all digits)\n"},
    {"[guest Web]\n", "g.ini:1: invalid guest name 'Web' (1 to 63 of a-z 0-9 -, no edge "
		      "'-', not all digits)\n"},
    {"[guest web db]\n", "g.ini:1: invalid guest name 'web db' (1 to 63 of a-z 0-9 -, no "
			 "edge '-', not all digits)\n"},
    {"[guests web]\n", "g.ini:1: unknown section [guests] (expected [guest NAME])\n"},
    {"[guest web]\ntemplate = busybox\n[guest web]\nclone = base\n",
     "g.ini:3: duplicate section [guest web] (first on line 1)\n"},
    {"[guest web]\ntemplate = busybox\nimage = debian\n",
     "g.ini:3: unknown key 'image' in [guest web]\n"},
    {"[guest web]\ntemplate = busybox\n\ntemplate = debian\n",
     "g.ini:4: duplicate key 'template' in [guest web] (first set on line 2)\n"},
    {"[guest web]\ntemplate = busybox\nhostname = x\x1b[2J\n",
     "g.ini:3: hostname: invalid host name 'x\\x1b[2J' (labels of a-z 0-9 -, at most 64)\n"},
    /* template, clone */
    {"[guest web]\n", "g.ini:1: [guest web]: give template or clone\n"},
    {"[guest web]\ntemplate = busybox\nclone = base\n",
     "g.ini:3: template and clone exclude each other (give one)\n"},
    {"[guest web]\nclone = base\ntemplate_args = -r x\n",
     "g.ini:3: template_args: without a template\n"},
    {"[guest web]\ntemplate = Busy\n", "g.ini:2: template: invalid template name 'Busy' "
				       "(1 to 63 of a-z 0-9 -, not all digits)\n"},
    {"[guest web]\nclone = ../base\n", "g.ini:2: clone: invalid container name '../base' "
				       "(1 to 63 of a-z 0-9 -, not all digits)\n"},
    {"[guest web]\ntemplate = busybox\ntemplate_args = a\x01 b\n",
     "g.ini:3: template_args: invalid argument 'a\\x01' (a control byte, longer than 127, "
     "or an option liblxc sets itself: name, path, rootfs, mapped ids)\n"},
    {"[guest web]\ntemplate = busybox\ntemplate_args = -r x --path=/tmp/elsewhere\n",
     "g.ini:3: template_args: invalid argument '--path=/tmp/elsewhere' (a control byte, "
     "longer than 127, or an option liblxc sets itself: name, path, rootfs, mapped ids)\n"},
    {"[guest web]\ntemplate = busybox\ntemplate_args = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
     "16 17\n",
     "g.ini:3: template_args: too many arguments (at most 16)\n"},
    /* values */
    {"[guest web]\ntemplate = busybox\nipv4 = 192.168.254.01\n",
     "g.ini:3: ipv4: invalid IPv4 address '192.168.254.01'\n"},
    {"[guest web]\ntemplate = busybox\nports = 8080:80,,8081:81\n",
     "g.ini:3: ports: empty entry in list\n"},
    {"[guest web]\ntemplate = busybox\nports = 8080:80,\n",
     "g.ini:3: ports: empty entry in list\n"},
    {"[guest web]\ntemplate = busybox\nports = 8080\n",
     "g.ini:3: ports: invalid forward '8080' (want [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp])\n"},
    {"[guest web]\ntemplate = busybox\nports = 8080:80/sctp\n",
     "g.ini:3: ports: invalid forward '8080:80/sctp' (want "
     "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp])\n"},
    {"[guest web]\ntemplate = busybox\nmounts = /srv/a b:/data\n",
     "g.ini:3: mounts: invalid mount '/srv/a b:/data' (want HOST:GUEST[:ro], absolute paths "
     "without blanks, ':' or '..')\n"},
    {"[guest web]\ntemplate = busybox\nmounts = srv:/data\n",
     "g.ini:3: mounts: invalid mount 'srv:/data' (want HOST:GUEST[:ro], absolute paths "
     "without blanks, ':' or '..')\n"},
    {"[guest web]\ntemplate = busybox\nmounts = /srv:/data:rw\n",
     "g.ini:3: mounts: invalid mount '/srv:/data:rw' (want HOST:GUEST[:ro], absolute paths "
     "without blanks, ':' or '..')\n"},
    {"[guest web]\ntemplate = busybox\nmounts = /srv/../etc:/data\n",
     "g.ini:3: mounts: invalid mount '/srv/../etc:/data' (want HOST:GUEST[:ro], absolute "
     "paths without blanks, ':' or '..')\n"},
    {"[guest web]\ntemplate = busybox\nhostname = web.example.test.\n",
     "g.ini:3: hostname: invalid host name 'web.example.test.' (labels of a-z 0-9 -, at most 64)\n"},
    {"[guest web]\ntemplate = busybox\nautostart = true\n",
     "g.ini:3: autostart: invalid value 'true' (expected yes or no)\n"},
    {"[guest web]\ntemplate = busybox\nstart = No\n",
     "g.ini:3: start: invalid value 'No' (expected yes or no)\n"},
    {"[guest web]\ntemplate = busybox\ngroups = front, Back\n",
     "g.ini:3: groups: invalid group name 'Back' (1 to 63 of a-z 0-9 -, not all digits)\n"},
    {"[guest web]\ntemplate = busybox\nprovision = nope.sh\n",
     "g.ini:3: provision: 'nope.sh': No such file or directory\n"},
    {"[guest web]\ntemplate = busybox\nprovision = sub\n",
     "g.ini:3: provision: 'sub' is not a regular file\n"},
    {"[guest web]\ntemplate = busybox\nprovision = hook.sh, sub/h2.sh\x1b\n",
     "g.ini:3: provision: invalid path 'sub/h2.sh\\x1b'\n"},
    /* between guests: the later claim is the error */
    {"[guest a]\ntemplate = busybox\nipv4 = 192.168.254.5\n"
     "[guest b]\ntemplate = busybox\nipv4 = 192.168.254.5\n",
     "g.ini:6: ipv4: 192.168.254.5 is also [guest a]'s (line 3)\n"},
    {"[guest a]\ntemplate = busybox\nports = 8080:80\n"
     "[guest b]\ntemplate = busybox\nports = 192.0.2.1:8080:81\n",
     "g.ini:6: ports: 192.0.2.1:8080/tcp is also forwarded to [guest a] (line 3)\n"},
    {"[guest a]\ntemplate = busybox\nports = 8080:80, 8080:81\n",
     "g.ini:3: ports: 8080/tcp is also forwarded to [guest a] (line 3)\n"},
    /* a refused section's keys are not reported again */
    {"[guest -x]\nfoo = bar\ntemplate = busybox\n",
     "g.ini:1: invalid guest name '-x' (1 to 63 of a-z 0-9 -, no edge '-', not all digits)\n"},
    /* a refused value does not cascade into "give template or clone" */
    {"[guest web]\ntemplate = Bad\n", "g.ini:2: template: invalid template name 'Bad' (1 to "
				      "63 of a-z 0-9 -, not all digits)\n"},
    /* verify errors are sorted in among the line errors */
    {"[guest a]\nports = 1:1\n[guest b]\ntemplate = busybox\nstart = maybe\n",
     "g.ini:1: [guest a]: give template or clone\n"
     "g.ini:5: start: invalid value 'maybe' (expected yes or no)\n"},
};

static void test_bad(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct guestfile gf = {.n = 77};
		struct conf_errors e;
		int r = parse_str(bad[i].text, &gf, &e);

		tap_ok(r == -EINVAL && gf.n == 77, "bad file %u is refused and ret untouched: '%s'",
		       i, tap_text(bad[i].text));
		tap_is_str(all_errors(&e), bad[i].want, "bad file %u messages", i);
	}
}

static void test_three_errors(void)
{
	static const char text[] = "# three mistakes on three lines\n"
				   "[guest web]\n"
				   "template = busybox\n"
				   "ports = 8080:80:80\n"
				   "[guest db]\n"
				   "template = busybox\n"
				   "ipv4 = 10.0.0.300\n"
				   "\n"
				   "[guest cache]\n"
				   "tempalte = busybox\n"
				   "template = busybox\n";
	struct guestfile gf;
	struct conf_errors e;
	int r = parse_str(text, &gf, &e);

	tap_ok(r == -EINVAL && e.n == 3 && e.dropped == 0,
	       "three errors: refused with exactly three messages (got %u)", e.n);
	tap_is_str(e.msg[0],
		   "g.ini:4: ports: invalid forward '8080:80:80' (want "
		   "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp])",
		   "three errors: first");
	tap_is_str(e.msg[1], "g.ini:7: ipv4: invalid IPv4 address '10.0.0.300'",
		   "three errors: second");
	tap_is_str(e.msg[2], "g.ini:10: unknown key 'tempalte' in [guest cache]",
		   "three errors: third");
}

/* @head, then @n lines "@pre<i>@post" for i = 0, 1, ... */
static char *repeat(const char *head, const char *pre, const char *post, int n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	fputs(head, f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%d%s", pre, i, post);
	fclose(f);
	return buf;
}

static void test_bytes(void)
{
	static const char nul[] = "[guest web]\ntemplate = busy\0box\n";
	char *many;
	struct guestfile gf;
	struct conf_errors e;
	char text[3000];
	size_t n;

	tap_ok(guestfile_parse("g.ini", nul, sizeof(nul) - 1, &gf, &e) == -EINVAL && e.n == 2,
	       "a NUL byte is an error (and the section then lacks its template)");
	tap_is_str(e.msg[1], "g.ini:2: NUL byte in line", "NUL byte message");

	n = (size_t)snprintf(text, sizeof(text), "[guest web]\ntemplate = busybox\n# ");
	memset(text + n, 'x', CONF_MAX_LINE - 1);
	n += CONF_MAX_LINE - 1;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nstart = 1\n");
	guestfile_parse("g.ini", text, n, &gf, &e);
	tap_is_str(all_errors(&e),
		   "g.ini:3: line too long (more than 1024 characters)\n"
		   "g.ini:4: start: invalid value '1' (expected yes or no)\n",
		   "a long line is an error and parsing goes on");
	{
		_cleanup_free_ char *big = malloc(CONF_MAX_SIZE + 1);

		memset(big, '\n', CONF_MAX_SIZE + 1);
		tap_ok(guestfile_parse("g.ini", big, CONF_MAX_SIZE, &gf, &e) == 0 && gf.n == 0,
		       "exactly CONF_MAX_SIZE bytes are accepted");
		guestfile_free(&gf);
		tap_ok(guestfile_parse("g.ini", big, CONF_MAX_SIZE + 1, &gf, &e) == -EINVAL &&
			   e.n == 1 &&
			   streq(e.msg[0], "g.ini: file too large (more than 65536 "
					   "bytes)"),
		       "one byte more is refused");
	}
	many = repeat("[guest web]\ntemplate = busybox\n", "k", " = 1\n", CONF_MAX_ERRORS + 5);
	tap_ok(parse_str(many, &gf, &e) == -EINVAL && e.n == CONF_MAX_ERRORS && e.dropped == 5,
	       "errors beyond CONF_MAX_ERRORS are counted in dropped");
	free(many);
	many = repeat("", "[guest g", "]\ntemplate = busybox\n", GUESTFILE_MAX_GUESTS + 1);
	tap_ok(parse_str(many, &gf, &e) == -EINVAL && e.n == 1 &&
		   strstr(e.msg[0], "too many guests (at most 128)"),
	       "at most %d guests", GUESTFILE_MAX_GUESTS);
	free(many);
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* provision paths are the file's, wherever the file is; load names the file in messages. */
static void test_load(void)
{
	static const char text[] =
	    "[guest web]\ntemplate = busybox\nprovision = h2.sh, ../hook.sh\n"
	    "groups = front\n[guest db]\nclone = base\ngroups = back, all\n";
	char path[512], want[600];
	struct guestfile gf = {0};
	struct conf_errors e;
	const struct gf_guest *g;
	char *front[] = {(char *)"front"}, *other[] = {(char *)"x", (char *)"all"};

	snprintf(path, sizeof(path), "%s/sub/apps.ini", tmproot);
	tap_ok(put(path, text) == 0 && chdir("/") == 0 && guestfile_load(path, &gf, &e) == 0 &&
		   gf.n == 2,
	       "load: a file in another directory");
	g = guestfile_find(&gf, "web");
	snprintf(want, sizeof(want), "%s/sub/h2.sh", tmproot);
	tap_ok(g && g->n_provision == 2 && streq(g->provision[0], want),
	       "load: a relative provision path is the file's directory's");
	snprintf(want, sizeof(want), "%s/hook.sh", tmproot);
	tap_ok(g && streq(g->provision[1], want), "load: ... made absolute and canonical");
	tap_ok(guestfile_find(&gf, "nope") == NULL, "find: an unknown name is NULL");
	tap_ok(g && guestfile_selected(g, NULL, 0) && guestfile_selected(g, front, 1) &&
		   !guestfile_selected(g, other, 2) &&
		   guestfile_selected(guestfile_find(&gf, "db"), other, 2),
	       "selected: no group means all, else any shared group");
	guestfile_free(&gf);

	snprintf(path, sizeof(path), "%s/nope.ini", tmproot);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	tap_ok(guestfile_load(path, &gf, &e) == -ENOENT && e.n == 1, "load: a missing file");
	tap_is_str(e.msg[0], want, "load: ... is one message naming it");
	snprintf(path, sizeof(path), "%s/big.ini", tmproot);
	tap_ok(put(path, "") == 0 && truncate(path, CONF_MAX_SIZE + 1) == 0 &&
		   guestfile_load(path, &gf, &e) == -EINVAL && e.n == 1 &&
		   strstr(e.msg[0], "file too large"),
	       "load: a file over the limit is refused before it is read");
	if (chdir(tmproot) < 0)
		abort();
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char path[512], cmd[600];

	snprintf(tmproot, sizeof(tmproot), "%s/test-guestfile.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmproot) || chdir(tmproot) < 0) {
		perror("mkdtemp");
		return 99;
	}
	/* getcwd() is what realpath() of a relative path gives: the canonical form. */
	if (!getcwd(tmproot, sizeof(tmproot)))
		return 99;
	snprintf(path, sizeof(path), "%s/sub", tmproot);
	if (mkdir(path, 0755) < 0 || put("hook.sh", "echo hi\n") < 0 ||
	    put("sub/h2.sh", "echo h2\n") < 0)
		return 99;

	test_good();
	test_bad();
	test_three_errors();
	test_bytes();
	test_load();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmproot);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmproot);
	return tap_done();
}
