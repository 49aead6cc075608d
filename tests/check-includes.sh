#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The layering of netctl/, checked (TAP): every file belongs to one layer of the
# table in docs/architecture.md ("### Layers"), every #include "x.h" goes to a
# layer the table allows, and the module include graph (a module is a file name
# without .c/.h; X -> Y when a file of X includes Y.h) has no cycle.
#
# Usage: tests/check-includes.sh [NETCTL_DIR [ARCHITECTURE_MD]]
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
exec python3 - "${1:-$top_srcdir/netctl}" "${2:-$top_srcdir/docs/architecture.md}" <<'EOF'
import os
import re
import sys

src, doc = sys.argv[1], sys.argv[2]
n = 0


def tap(ok, what, detail=()):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what))
    for d in detail:
        print("#   " + d)
    failed = failed or not ok


failed = False

# The table: | layer | `files` ... | may include |
layer_of, allowed = {}, {}
in_layers = False
for line in open(doc, encoding="utf-8"):
    if line.startswith("#"):
        in_layers = line.strip() == "### Layers"
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if not in_layers or len(cells) != 3 or cells[0] in ("layer", "---"):
        continue
    name = cells[0]
    for f in re.findall(r"`([^`]+)`", cells[1]):
        layer_of[f] = name
    allowed[name] = set(cells[2].split())
for name in allowed:
    if "all" in allowed[name]:
        allowed[name] = set(allowed)
tap(len(allowed) >= 3 and len(layer_of) > 10, "the layer table in %s has %d layers, %d files"
    % (os.path.basename(doc), len(allowed), len(layer_of)))

files = sorted(f for f in os.listdir(src) if f.endswith((".c", ".h")))
missing = [f for f in files if f not in layer_of]
tap(not missing, "every netctl/ file is in the layer table (%d files)" % len(files),
    ["%s: no layer" % f for f in missing])

include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
edges, bad, count = {}, [], 0
for f in files:
    for lineno, line in enumerate(open(os.path.join(src, f), encoding="utf-8"), 1):
        m = include.match(line)
        if not m:
            continue
        h = m.group(1)
        count += 1
        if f in layer_of and h in layer_of and layer_of[h] not in allowed[layer_of[f]]:
            bad.append("%s:%d: %s (%s) includes %s (%s)" %
                       (f, lineno, f, layer_of[f], h, layer_of[h]))
        a, b = os.path.splitext(f)[0], os.path.splitext(h)[0]
        if a != b and os.path.exists(os.path.join(src, h)):
            edges.setdefault(a, set()).add(b)
tap(not bad, "%d includes follow the layer table" % count, bad)

# Cycles: depth-first search, reporting each cycle found once as a path.
cycles, state = [], {}


def visit(m, stack):
    state[m] = 1
    stack.append(m)
    for t in sorted(edges.get(m, ())):
        if state.get(t) == 1:
            cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
        elif not state.get(t):
            visit(t, stack)
    stack.pop()
    state[m] = 2


for m in sorted(edges):
    if not state.get(m):
        visit(m, [])
tap(not cycles, "no include cycle among %d modules" % len({os.path.splitext(f)[0] for f in files}),
    ["cycle: " + c for c in cycles])
print("1..%d" % n)
sys.exit(1 if failed else 0)
EOF
