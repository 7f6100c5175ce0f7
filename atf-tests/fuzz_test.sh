#! /usr/bin/env atf-sh
# fuzz_test -- the libFuzzer drivers of atf-tests/fuzz/ (built by `make
# fuzz`): each runs a short campaign from a copy of its seed corpus and
# must end with no crash, leak, sanitizer report or failed check; and the
# committed corpus, regression inputs included, replays clean.
#
# The campaign's length is the configuration variable fuzz_seconds
# (default 6); `make fuzz-run FUZZ_SECONDS=3600` runs long campaigns.

FUZZ_DRIVERS="query normalize upstream note fcgirec"

# Environment of a driver: the sanitizers' defaults, whatever the caller
# set for other programs (check-asan's suppressions, say); UBSan stops at
# the first report and says where.
fuzz_env() {
	env -u ASAN_OPTIONS -u LSAN_OPTIONS \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}

# driver NAME: the path of driver NAME, or fail when it was not built.
driver() {
	local d
	d="$(atf_get_srcdir)/fuzz/$1_fuzz"
	[ -x "$d" ] || atf_fail "$d is missing: run make fuzz"
	echo "$d"
}

# clean LOG: fail, showing the report, when LOG holds any sanitizer or
# libFuzzer error, or a failed check, or when a crash input was saved.
clean() {
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|check failed|SUMMARY: ' \
	    "$1" || [ -n "$(ls artifacts 2>/dev/null)" ]; then
		grep -nE -A40 'ERROR:|runtime error:|check failed' "$1" | head -80
		ls -l artifacts 2>/dev/null
		atf_fail "report in $1 (inputs in artifacts/)"
	fi
}

# campaign NAME: run driver NAME for fuzz_seconds on a copy of its seeds.
campaign() {
	local name=$1 drv secs st=0
	drv=$(driver "$name")
	secs=$(atf_config_get fuzz_seconds 6)
	cp -R "$(atf_get_srcdir)/fuzz/corpus/$name" corpus
	mkdir artifacts
	fuzz_env "$drv" -max_total_time="$secs" -rss_limit_mb=512 -timeout=10 \
	    -dict="$(atf_get_srcdir)/fuzz/$name.dict" -print_final_stats=1 \
	    -artifact_prefix="$PWD/artifacts/" corpus >fuzz.log 2>&1 || st=$?
	# What it did, for kyua's report.
	grep -E '(INITED|DONE) |^Done |stat::(average_exec_per_sec|new_units_added|peak_rss_mb)' \
	    fuzz.log
	clean fuzz.log
	[ "$st" -eq 0 ] || { tail -40 fuzz.log; atf_fail "$name: exit $st"; }
	grep -q '^Done ' fuzz.log || atf_fail "$name: the campaign did not finish"
}

atf_test_case query__campaign
query__campaign_head() {
	atf_set descr "ce_query_get() under libFuzzer: no crash, no failed check"
	atf_set timeout 60
}
query__campaign_body() {
	campaign query
}

atf_test_case normalize__campaign
normalize__campaign_head() {
	atf_set descr "the phone, CPF, e-mail, lead id and name normalisers" \
	    "under libFuzzer: no crash, idempotent, right shapes"
	atf_set timeout 60
}
normalize__campaign_body() {
	campaign normalize
}

atf_test_case upstream__campaign
upstream__campaign_head() {
	atf_set descr "ce_upstream_parse() of every call kind under libFuzzer:" \
	    "no crash or leak, results within bounds"
	atf_set timeout 60
}
upstream__campaign_body() {
	campaign upstream
}

atf_test_case note__campaign
note__campaign_head() {
	atf_set descr "ce_note_format() under libFuzzer: no crash or leak," \
	    "well-formed UTF-8 within maxchars"
	atf_set timeout 60
}
note__campaign_body() {
	campaign note
}

atf_test_case fcgirec__campaign
fcgirec__campaign_head() {
	atf_set descr "the FastCGI record codec under libFuzzer: no crash," \
	    "the same events however the stream is cut, answers that" \
	    "decode back"
	atf_set timeout 60
}
fcgirec__campaign_body() {
	campaign fcgirec
}

atf_test_case corpus__replays_clean
corpus__replays_clean_head() {
	atf_set descr "every committed input, the regression inputs of fixed" \
	    "bugs among them, runs clean through its driver"
	atf_set timeout 60
}
corpus__replays_clean_body() {
	local name drv n st
	for name in $FUZZ_DRIVERS; do
		drv=$(driver "$name")
		rm -rf corpus artifacts && mkdir artifacts
		cp -R "$(atf_get_srcdir)/fuzz/corpus/$name" corpus
		n=$(ls corpus | wc -l)
		[ "$n" -gt 0 ] || atf_fail "$name: empty corpus"
		st=0
		fuzz_env "$drv" -runs=0 -artifact_prefix="$PWD/artifacts/" \
		    corpus >"$name.log" 2>&1 || st=$?
		echo "$name: $n inputs: $(grep -E 'INITED' "$name.log")"
		clean "$name.log"
		[ "$st" -eq 0 ] || { tail -40 "$name.log"; \
		    atf_fail "$name: exit $st"; }
	done
}

atf_init_test_cases() {
	atf_add_test_case query__campaign
	atf_add_test_case normalize__campaign
	atf_add_test_case upstream__campaign
	atf_add_test_case note__campaign
	atf_add_test_case fcgirec__campaign
	atf_add_test_case corpus__replays_clean
}
