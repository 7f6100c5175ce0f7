#! /usr/bin/env atf-sh
# layers_test -- lib/ reads from the bottom up: no module of lib/ is part
# of a call loop (.ci/layers over the built objects), no file of a layer
# includes a header of a layer above (lib/core/: core/ and system headers
# only), and the checker itself sees a loop, or an include pointing up,
# when there is one (docs/LAYERS-PLAN.md, issue [2.4]).

. "$(atf_get_srcdir)/common.subr"

atf_test_case calls__no_loop
calls__no_loop_head() {
	atf_set descr "no file of lib/ is part of a call loop"
	atf_set require.progs "nm tsort awk"
}
calls__no_loop_body() {
	# The objects of lib/ and of its layers' folders, each with its
	# source (not one left behind by a file since moved into a folder).
	set --
	for o in "$TOP"/lib/*.o "$TOP"/lib/*/*.o; do
		[ -f "${o%.o}.c" ] && set -- "$@" "$o"
	done
	[ $# -gt 0 ] || atf_fail "no object in $TOP/lib: build first"
	[ $# -ge 30 ] || atf_fail "only $# objects in $TOP/lib"
	atf_check -s exit:0 -o match:'^layers: no loop$' \
	    "$TOP/.ci/layers" check "$@"
}

atf_test_case calls__loop_found
calls__loop_found_head() {
	atf_set descr "the checker fails on a loop of two objects, naming" \
	    "both and the symbols that make it, and passes once it is cut"
	atf_set require.progs "cc nm tsort awk"
}
calls__loop_found_body() {
	printf 'int tb(int);\nint ta(int n) { return n ? tb(n - 1) : 0; }\n' >a.c
	printf 'int ta(int);\nint tb(int n) { return n ? ta(n - 1) : 1; }\n' >b.c
	printf 'int tc(int n) { return n; }\n' >c.c
	for f in a b c; do
		cc -c -o $f.o $f.c || atf_fail "cc $f.c"
	done
	atf_check -s exit:1 -o save:out "$TOP/.ci/layers" check a.o b.o c.o
	atf_check -o match:'^loop of 2: a b$' cat out
	atf_check -o match:'a +-> b +\{ tb \}' cat out
	atf_check -o match:'b +-> a +\{ ta \}' cat out
	atf_check -s exit:1 -o ignore grep '^loop of .* c' out
	# The loop cut: b no longer calls a.
	printf 'int tb(int n) { return n; }\n' >b.c
	cc -c -o b.o b.c || atf_fail "cc b.c"
	atf_check -s exit:0 -o match:'^layers: no loop$' \
	    "$TOP/.ci/layers" check a.o b.o c.o
}

atf_test_case includes__down
includes__down_head() {
	atf_set descr "every file of lib/core/ includes only core/ and system" \
	    "headers"
	atf_set require.progs "awk"
}
includes__down_body() {
	set -- "$TOP"/lib/core/*.c
	[ -e "$1" ] || atf_fail "no file in $TOP/lib/core"
	atf_check -s exit:0 -o match:'^layers: includes point down$' \
	    "$TOP/.ci/layers" includes "$TOP"/lib/*.[ch] "$TOP"/lib/*/*.[ch]
}

atf_test_case includes__up_found
includes__up_found_head() {
	atf_set descr "the checker fails on a file of core/ that includes a" \
	    "header of lib/ or of a layer above, naming the file and line," \
	    "and passes once the include is gone"
	atf_set require.progs "awk"
}
includes__up_found_body() {
	mkdir -p lib/core || atf_fail "mkdir"
	cp "$TOP"/lib/*.h lib/ && cp "$TOP"/lib/core/*.[ch] lib/core/ ||
	    atf_fail "cp"
	atf_check -s exit:0 -o match:'^layers: includes point down$' \
	    "$TOP/.ci/layers" includes lib/*.h lib/core/*.[ch]
	cp lib/core/buf.c buf.c.orig
	printf '#include "c2s-enrich.h"\n' >>lib/core/buf.c
	printf '#include "io/pg.h"\n' >>lib/core/err.h
	atf_check -s exit:1 -o save:out \
	    "$TOP/.ci/layers" includes lib/*.h lib/core/*.[ch]
	atf_check -o match:'^lib/core/buf\.c:[0-9]+: includes "c2s-enrich\.h"' cat out
	atf_check -o match:'^lib/core/err\.h:[0-9]+: includes "io/pg\.h"' cat out
	atf_check -o match:'^layers: an include points up or loops$' cat out
	# lib/'s own files, not yet in a layer, are not held to it.
	atf_check -s exit:1 -o ignore grep '^lib/[a-z_-]*\.h:' out
	# The bad includes gone: it passes again.
	cp buf.c.orig lib/core/buf.c && cp "$TOP"/lib/core/err.h lib/core/ ||
	    atf_fail "cp"
	atf_check -s exit:0 -o match:'^layers: includes point down$' \
	    "$TOP/.ci/layers" includes lib/*.h lib/core/*.[ch]
}

atf_test_case includes__loop_foreign_basename
includes__loop_foreign_basename_head() {
	atf_set descr "the include check fails on two modules that include" \
	    "each other, on libpq's or curl's header outside its one file," \
	    "and on two sources of one basename; each named"
	atf_set require.progs "awk tsort"
}
includes__loop_foreign_basename_body() {
	cp -R "$TOP/lib" lib && rm -f lib/*.[oda] lib/*/*.[od] ||
	    atf_fail "cp"
	set -- lib/*.[ch] lib/*/*.[ch]
	atf_check -s exit:0 -o match:'^layers: includes point down$' \
	    "$TOP/.ci/layers" includes "$@"
	# core/err.h including core/buf.h, which includes it: a loop.
	cp lib/core/err.h err.h.orig
	printf '#include "core/buf.h"\n' >>lib/core/err.h
	atf_check -s exit:1 -o save:out "$TOP/.ci/layers" includes "$@"
	atf_check -o match:'^layers: include loop' cat out
	atf_check -o match:'core/buf' -o match:'core/err' \
	    grep -A3 '^layers: include loop' out
	cp err.h.orig lib/core/err.h
	# curl's header in the application: only io/http.c and io/mail.c
	# (the alerts' SMTP) include it, nowhere above io/.
	cp lib/app/upstream.c upstream.c.orig
	printf '#include <curl/curl.h>\n' >>lib/app/upstream.c
	atf_check -s exit:1 -o save:out "$TOP/.ci/layers" includes "$@"
	atf_check -o match:'^lib/app/upstream\.c:[0-9]+: includes <curl/curl\.h>' \
	    cat out
	cp upstream.c.orig lib/app/upstream.c
	# Nor another file of io/ (mail.c, in the clean tree above, may).
	cp lib/io/pg.c pg.c.orig
	printf '#include <curl/curl.h>\n' >>lib/io/pg.c
	atf_check -s exit:1 -o match:'^lib/io/pg\.c:[0-9]+: includes <curl/curl\.h>' \
	    "$TOP/.ci/layers" includes "$@"
	cp pg.c.orig lib/io/pg.c
	# libpq's header in a handler.
	printf '#include <libpq-fe.h>\n' >>lib/web/h_stats.c
	atf_check -s exit:1 -o match:'^lib/web/h_stats\.c:[0-9]+: includes <libpq-fe\.h>' \
	    "$TOP/.ci/layers" includes "$@"
	cp "$TOP/lib/web/h_stats.c" lib/web/h_stats.c
	# A second buf.c, in app/.
	printf 'int app_buf;\n' >lib/app/buf.c
	atf_check -s exit:1 -o match:'buf\.c and .*buf\.c share a basename' \
	    "$TOP/.ci/layers" includes "$@" lib/app/buf.c
	rm lib/app/buf.c
	atf_check -s exit:0 -o match:'^layers: includes point down$' \
	    "$TOP/.ci/layers" includes "$@"
}

atf_init_test_cases() {
	atf_add_test_case calls__no_loop
	atf_add_test_case calls__loop_found
	atf_add_test_case includes__down
	atf_add_test_case includes__up_found
	atf_add_test_case includes__loop_foreign_basename
}
