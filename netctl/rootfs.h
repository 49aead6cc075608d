/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The router's rootfs under STATE/router/rootfs and its container config:
 * the directories and generated files (inittab, dnsmasq.conf, radvd.conf),
 * the guests' dnsmasq files, and the FIFO the router's init waits on. All
 * writes converge (write_if_changed): a second `up` touches nothing.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "errmsg.h"
#include "paths.h"
#include "state.h"
#include "topology.h"

/* What rootfs_build() changed, so `up` restarts only what must be restarted. */
struct rootfs_changes {
	bool lxc_changed, inittab_changed, dnsmasq_changed, radvd_changed, bird_changed;
};

/*
 * rootfs_build - the rootfs, every registered guest's dnsmasq files (and no
 * other's), the release FIFO, and the container config in the lxcpath.
 * 0 or -errno with e->msg set.
 */
int rootfs_build(const struct paths *p, const struct conf *c, const struct router_facts *f,
		 const struct registry *reg, struct rootfs_changes *br, struct errmsg *e);
/*
 * rootfs_reachable - with router_idmap, the router's uid must reach its rootfs,
 * lxtg-init and lxtg-ndproxy (LXC mounts them inside the router's user
 * namespace): STATE and STATE/router become searchable by its group alone
 * (root:ID, 0710; root's 0700 again with router_idmap = off), and any other
 * directory on the way that is not searchable is an error that names it.
 * 0 or -errno.
 */
int rootfs_reachable(const struct paths *p, const struct conf *c, struct errmsg *e);
/*
 * rootfs_confdir - lxtg/run/dnsmasq.d as an open directory (O_RDONLY,
 * O_DIRECTORY), or -errno. The router owns lxtg/run: whatever it put in the
 * directory's place is removed, never followed, and a new one is made for
 * host uid and gid @id. Open the files in it relative to the descriptor.
 */
int rootfs_confdir(const struct paths *p, uid_t id);
/* Write @data to rootfs/@rel if it differs; sets *@changed (if given) when it did. */
int rootfs_write_file(const struct paths *p, const char *rel, const char *data, mode_t mode,
		      bool *changed, struct errmsg *e);
/*
 * rootfs_guest_dns - write (or with @del remove) the guest's files in the
 * router's dnsmasq hostsdir and dhcp-hostsdir (write_new_or_changed).
 */
int rootfs_guest_dns(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
		     struct errmsg *e);
/*
 * rootfs_host_resolvers - attach = routed has no DHCP on the router: with
 * upstream = auto its upstreams are the host's resolvers (minus loopback
 * stubs, which the router cannot reach; behind systemd-resolved's stub, the
 * stub's upstreams), written to the router's lxtg/run/resolv.conf; and the
 * host's search domain (two labels at least) is exempted from dnsmasq's
 * rebind protection in lxtg/run/dnsmasq.d/uplink.conf, setting *@changed when
 * that file changed (dnsmasq must restart to read it).
 */
/*
 * rootfs_pool_conf - lxtg/run/dnsmasq.d/pool.conf from the LAN's netmask and
 * gateway (render_pool_conf), when the router has no lease of its own to take
 * them from (its udhcpc script writes the file otherwise). Sets *@changed when
 * the file changed (dnsmasq must restart).
 */
int rootfs_pool_conf(const struct paths *p, const struct conf *c, uint8_t plen,
		     struct in_addr gw, uint32_t mtu, bool *changed, struct errmsg *e);
int rootfs_host_resolvers(const struct paths *p, const struct conf *c, bool *changed,
			  struct errmsg *e);
