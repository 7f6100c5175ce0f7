#! /usr/bin/env atf-sh
# layers_test -- lib/ reads from the bottom up: no module of lib/ is part
# of a call loop (.ci/layers over the built objects), and the checker
# itself sees a loop when there is one (docs/LAYERS-PLAN.md, issue [2.4]).

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

atf_init_test_cases() {
	atf_add_test_case calls__no_loop
	atf_add_test_case calls__loop_found
}
