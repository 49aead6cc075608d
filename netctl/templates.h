/* SPDX-License-Identifier: BSD-2-Clause */
/* Text files embedded at build time by netctl/embed.sh. */
#pragma once

extern const char tmpl_lxctogo_nft[];
extern const char tmpl_guard_nft[];
extern const char tmpl_host_routed_nft[];
extern const char tmpl_lxc_conf_in[];
extern const char tmpl_inittab_in[];
extern const char tmpl_udhcpc_script[];
extern const char tmpl_dnsmasq_conf_in[];
extern const char tmpl_radvd_conf_in[];
extern const char tmpl_bird_conf_in[];
