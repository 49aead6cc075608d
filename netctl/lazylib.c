// SPDX-License-Identifier: BSD-2-Clause
#include <dlfcn.h>

#include "lazylib.h"
#include "util.h"

int lazylib_load(struct lazylib *lib, void **syms)
{
	if (lib->handle || lib->err)
		return lib->err;
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		fprintf(stderr, "lxctogo-net: cannot load %s: %s\n", lib->soname, dlerror());
		lib->err = -ELIBACC;
		return lib->err;
	}
	for (size_t i = 0; i < lib->n; i++) {
		syms[i] = dlsym(lib->handle, lib->names[i]);
		if (!syms[i]) {
			fprintf(stderr, "lxctogo-net: %s has no symbol %s\n", lib->soname,
				lib->names[i]);
			dlclose(lib->handle);
			lib->handle = NULL;
			lib->err = -ELIBACC;
			return lib->err;
		}
	}
	return 0;
}
