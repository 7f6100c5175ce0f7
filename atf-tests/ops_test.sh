#! /usr/bin/env atf-sh
# ops_test -- the deployment files, checked without Docker or fly.io: the
# Dockerfile linted and held to the build (its packages carry the libraries
# and programs the binaries and the entrypoint use, its paths exist in
# `make install`'s tree), fly.toml parsed and held to site.env, the man
# pages linted and complete, the install tree where the man page and the
# systemd units expect it, the units verified by systemd-analyze, and the
# committed Swagger UI (web/docs/vendor/) held to web/package-lock.json.
# The linters and the TOML parser are atf-tests/ops/'s pinned npm packages.

. "$(atf_get_srcdir)/common.subr"
. "$(atf_get_srcdir)/ops.subr"

OPS=$TOP/atf-tests/ops

need_ops_npm() {
	[ -x "$OPS/node_modules/.bin/dockerfilelint" ] ||
	    atf_fail "atf-tests/ops/node_modules is missing: run make tests"
}

# instructions FILE: a Dockerfile's instructions, one a line (continuations
# joined, comments dropped), each after its stage number and a tab.
instructions() {
	awk '
	/^[[:space:]]*#/ { next }
	{ line = line $0 }
	/\\$/ { sub(/\\$/, " ", line); next }
	line ~ /[^[:space:]]/ {
		if (line ~ /^FROM[[:space:]]/)
			stage++
		gsub(/[[:space:]]+/, " ", line)
		print stage "\t" line
	}
	{ line = "" }' "$1"
}

# stage_lines N: the instructions of stage N of the Dockerfile.
stage_lines() {
	instructions "$TOP/Dockerfile" | awk -F '\t' -v s="$1" '$1 == s { print $2 }'
}

last_stage() {
	instructions "$TOP/Dockerfile" | cut -f1 | sort -n | tail -1
}

# apt_list N: the packages stage N installs with apt-get.
apt_list() {
	stage_lines "$1" | grep 'apt-get install' |
	    sed 's/.*apt-get install//; s/&&.*//' | tr ' ' '\n' |
	    grep -v -e '^-' -e '^$' | sort -u
}

# dockerignored PATH: succeeds when .dockerignore leaves PATH (or a folder
# above it) out of docker build's context.  The last pattern that matches
# wins, as in Docker; shell patterns stand in for Go's (here "*" also
# matches "/", and "**/" wants a folder).
dockerignored() {
	local pat neg q out=1
	while read -r pat; do
		case $pat in '' | '#'*) continue ;; esac
		neg=0
		case $pat in '!'*) neg=1 pat=${pat#!} ;; esac
		pat=${pat#/}
		q=$1
		while :; do
			case $q in $pat) out=$neg; break ;; esac
			[ "${q%/*}" != "$q" ] || break
			q=${q%/*}
		done
	done <"$TOP/.dockerignore"
	return $out
}

# refuse DIR PROG...: PROGs in DIR/bin (to put first on PATH) that fail
# and write their calls to DIR/called; refused DIR fails the test if any
# was called.
refuse() {
	local d=$1 p
	shift
	mkdir -p "$d/bin"
	for p in "$@"; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$p" \
		    "$d/called" >"$d/bin/$p"
		chmod +x "$d/bin/$p"
	done
}

refused() {
	[ ! -e "$1/called" ] || atf_fail "run, though refused: $(cat "$1/called")"
}

# vendor_loads: the files of web/docs/vendor/ that /docs loads, as paths
# under web/docs/.
vendor_loads() {
	grep -o '"vendor/[^"]*"' "$TOP/web/docs/index.html" | tr -d '"' | sort -u
}

# lock_version: the version of swagger-ui-dist web/package-lock.json pins.
lock_version() {
	jq -r '.packages["node_modules/swagger-ui-dist"].version // empty' \
	    "$TOP/web/package-lock.json"
}

# apt_records PKG...: apt's records of the PKGs, in ./apt.txt (one call:
# apt-cache is slow to start).
apt_records() {
	apt-cache show --no-all-versions "$@" >apt.txt 2>/dev/null || true
}

# closure PKG...: PKG... and what they depend on, recursively (Depends and
# Pre-Depends, the first of alternatives), from dpkg's records of the
# installed packages and ./apt.txt's of the others.
closure() {
	{
		dpkg-query -W -f='${db:Status-Status}\t${Package}\t${Depends},${Pre-Depends}\n' |
		    sed -n 's/^installed\t//p'
		awk '/^Package: / { p = $2 }
		    /^(Pre-)?Depends: / { sub(/^[^:]*: /, ""); print p "\t" $0 }' apt.txt
	} >deps.tab
	awk -F '\t' -v roots="$*" '
	{ deps[$1] = deps[$1] "," $2 }
	END {
		n = split(roots, q, " ")
		for (h = 1; h <= n; h++) {
			p = q[h]
			if (p in seen)
				continue
			seen[p] = 1
			m = split(deps[p], ds, ",")
			for (j = 1; j <= m; j++) {
				d = ds[j]
				sub(/\|.*/, "", d)
				sub(/\(.*/, "", d)
				sub(/:any/, "", d)
				gsub(/[ \t]/, "", d)
				if (d != "")
					q[++n] = d
			}
		}
		for (p in seen)
			print p
	}' deps.tab | sort
}

# The packages every Debian image has: the essential ones.
essential() {
	dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }'
}

# owners PATH...: "PATH PACKAGE" for each PATH, from one dpkg -S (Debian 12
# registers some files under /bin or /lib, others under /usr); PACKAGE is
# empty when none installed PATH.
owners() {
	local p
	for p in "$@"; do
		echo "$p" "${p#/usr}" "/usr$p"
	done | xargs dpkg -S 2>/dev/null |
	    sed -n 's/^\([^,:]*\)[^ ]* \(\/.*\)$/\2 \1/p' >owners.txt
	for p in "$@"; do
		echo "$p $(awk -v a="$p" -v b="${p#/usr}" -v c="/usr$p" \
		    '$1 == a || $1 == b || $1 == c { print $2; exit }' owners.txt)"
	done
}

atf_test_case dockerfile__lint
dockerfile__lint_head() {
	atf_set descr "the Dockerfile passes dockerfilelint and dockerfile-utils, " \
	    "which both reject a broken copy"
	atf_set require.progs "node"
}
dockerfile__lint_body() {
	need_ops_npm
	atf_check -o match:'"totalIssues": *0' \
	    "$OPS/node_modules/.bin/dockerfilelint" -j "$TOP/Dockerfile"
	atf_check -o empty -e empty \
	    "$OPS/node_modules/.bin/dockerfile-utils" lint "$TOP/Dockerfile"
	# The linters can fail: a misspelt instruction and an apt-get that
	# would wait for an answer.
	sed 's/^USER /USR /; s/apt-get install -y/apt-get install/' \
	    "$TOP/Dockerfile" >Dockerfile.bad
	atf_check -s not-exit:0 -o match:'Invalid Command' -o match:'-y' \
	    "$OPS/node_modules/.bin/dockerfilelint" Dockerfile.bad
	atf_check -s not-exit:0 -o match:'Unknown instruction: USR' \
	    "$OPS/node_modules/.bin/dockerfile-utils" lint Dockerfile.bad
}

atf_test_case dockerfile__shape
dockerfile__shape_head() {
	atf_set descr "two stages from debian:bookworm-slim; the image runs as " \
	    "site.env's user, exposes its port, has a HEALTHCHECK on the " \
	    "entrypoint and installs with make install"
}
dockerfile__shape_body() {
	instructions "$TOP/Dockerfile" | cut -f2 >all
	stage_lines 1 >build
	stage_lines 2 >run
	atf_check -o inline:'FROM debian:bookworm-slim AS build\nFROM debian:bookworm-slim\n' \
	    grep '^FROM ' all
	atf_check -o inline:"USER $(site C2S_USER)\n" grep '^USER ' run
	atf_check -o inline:"EXPOSE $(site C2S_PORT)\n" grep '^EXPOSE ' run
	atf_check -o ignore grep -F 'make install DESTDIR=/out PREFIX=/usr/local' build
	atf_check -o ignore grep -x 'COPY --from=build /out/ /' run
	atf_check -o match:'CMD \["/usr/local/bin/c2s-enrich-entrypoint", "health"\]$' \
	    grep '^HEALTHCHECK ' run
	atf_check -o match:'"/usr/local/bin/c2s-enrich-entrypoint"\]$' \
	    grep '^ENTRYPOINT ' run
	# No secret is baked in: no ENV or ARG of a credential.
	atf_check -s exit:1 -o empty -x \
	    "grep -E '^(ENV|ARG) ' all | grep -E 'TOKEN|PASS|SECRET|KEY|DB_URL|WORK_API'"
}

atf_test_case dockerfile__paths_installed
dockerfile__paths_installed_head() {
	atf_set descr "every /usr/local path of the runtime stage is in the " \
	    "tree make install DESTDIR=... PREFIX=/usr/local lays out"
}
dockerfile__paths_installed_body() {
	d=$(scratch_dir)
	install_tree DESTDIR="$d/out" PREFIX=/usr/local
	stage_lines 2 | grep -o '/usr/local/[^" ]*' | sort -u >paths
	[ -s paths ] || atf_fail "no /usr/local path in the runtime stage"
	while read -r p; do
		[ -e "$d/out$p" ] || atf_fail "$p is not installed"
	done <paths
	grep -q c2s-enrich-entrypoint paths || atf_fail "no entrypoint path"
	# The entrypoint is executable and knows where the rest went.
	[ -x "$d/out/usr/local/bin/c2s-enrich-entrypoint" ] ||
	    atf_fail "the entrypoint is not executable"
	atf_check -o inline:'SHAREDIR=${C2S_SHAREDIR:-/usr/local/share/c2s-enrich}\nBINDIR=${C2S_BINDIR:-/usr/local/bin}\n' \
	    grep -E '^(SHAREDIR|BINDIR)=' "$d/out/usr/local/bin/c2s-enrich-entrypoint"
	scratch_rm
}
dockerfile__paths_installed_cleanup() { scratch_rm; }

atf_test_case dockerfile__build_stage cleanup
dockerfile__build_stage_head() {
	atf_set descr "the build stage's make command, run on the repository's " \
	    "files that docker build's context holds, with no npm and no node, " \
	    "installs what the runtime stage copies and runs, and the Swagger " \
	    "UI /docs loads"
	atf_set require.progs "git make cc cmp"
	atf_set timeout 300
}
dockerfile__build_stage_body() {
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
	    atf_skip "not a git checkout: the repository's files are unknown"
	d=$(scratch_dir)
	mkdir "$d/src"
	# The tracked files, less what .dockerignore leaves out of the context.
	(cd "$TOP" && git ls-files) >tracked
	while read -r f; do
		dockerignored "$f" || echo "$f"
	done <tracked >context
	echo "$(wc -l <context) of $(wc -l <tracked) tracked files in the context"
	(cd "$TOP" && xargs -d '\n' cp --parents -t "$d/src") <context \
	    2>cp.err || atf_fail "cannot copy the repository's files:" \
	    "$(head -3 cp.err | tr '\n' ' ')"
	# Neither npm nor node may be asked: the build stage has neither.
	refuse "$d" npm node
	stage_lines 1 | sed -n 's/^RUN \(make .*\)$/\1/p' >cmd
	[ "$(wc -l <cmd)" = 1 ] || atf_fail "no single RUN make in the build stage"
	cmd=$(sed "s#DESTDIR=/out #DESTDIR=$d/out #" cmd)
	echo "$cmd"
	# (atf_fail wants one line: the log's tail goes to stderr.)
	(cd "$d/src" && PATH="$d/bin:$PATH" eval "$cmd") >build.log 2>&1 || {
		tail -20 build.log >&2
		atf_fail "the build stage failed: $(tail -1 build.log)"
	}
	refused "$d"
	[ ! -e "$d/src/web/node_modules" ] || atf_fail "the build made web/node_modules"
	stage_lines 2 | grep -o '/usr/local/[^" ]*' | sort -u >paths
	while read -r p; do
		[ -e "$d/out$p" ] || atf_fail "$p is not built"
	done <paths
	atf_check -o match:'^c2s-enrich [0-9]+\.[0-9]+\.[0-9]+$' \
	    "$d/out/usr/local/bin/c2s-enrich" -V
	# Closed by default: a configuration needs a key.
	atf_check -s exit:1 -e match:'API_KEYS' \
	    env -u API_KEYS "$d/out/usr/local/bin/c2s-enrich" -n
	atf_check -o inline:'c2s-enrich: configuration ok\n' \
	    env API_KEYS=0123456789abcdef0123456789abcdef \
	    "$d/out/usr/local/bin/c2s-enrich" -n
	# What /docs loads is installed, as committed.
	vendor_loads >loads
	[ -s loads ] || atf_fail "web/docs/index.html loads nothing from vendor/"
	while read -r f; do
		cmp "$TOP/web/docs/$f" "$d/out/usr/local/share/c2s-enrich/www/docs/$f" ||
		    atf_fail "web/docs/$f is not installed as committed"
	done <loads
	scratch_rm
}
dockerfile__build_stage_cleanup() { scratch_rm; }

atf_test_case dockerfile__packages
dockerfile__packages_head() {
	atf_set descr "the runtime stage's packages carry every library " \
	    "c2s-enrich links and every program the entrypoint runs; the " \
	    "build stage's carry the pkg-config modules and the compiler"
	atf_set require.progs "dpkg dpkg-query objdump ldd pkg-config"
}
dockerfile__packages_body() {
	run=$(apt_list 2)
	build=$(apt_list 1)
	[ -n "$run" ] && [ -n "$build" ] || atf_fail "no apt-get install found"
	apt_records $run $build
	closure $run $(essential) >run.closure
	closure $build $(essential) >build.closure
	# What the image must carry: the libraries c2s-enrich links directly,
	# the programs the entrypoint and migrate.sh run.
	bin=$TOP/fcgi/c2s-enrich
	# (The sanitizers' runtimes are linked only by make check-asan.)
	objdump -p "$bin" | awk '$1 == "NEEDED" && $2 !~ /^lib(a|ub|l)san\./ {
	    print $2 }' >needed
	[ "$(wc -l <needed)" -ge 4 ] || atf_fail "too few libraries: $(cat needed)"
	libs=$(ldd "$bin" | awk 'NR == FNR { n[$1]; next } $1 in n { print $3 }' \
	    needed -)
	progs=
	for p in spawn-fcgi lighttpd psql curl setpriv sed; do
		progs="$progs $(command -v $p)" || atf_fail "$p is not installed here"
	done
	owners $libs $progs >run.owners
	# What the build needs: the GNUmakefile's pkg-config modules, the
	# compiler, make.
	mods=$(sed -n 's/^PKGS[[:space:]]*=[[:space:]]*//p' "$TOP/GNUmakefile")
	[ -n "$mods" ] || atf_fail "no PKGS in the GNUmakefile"
	pcs=
	for m in $mods; do
		pcs="$pcs $(pkg-config --variable=pcfiledir "$m")/$m.pc"
	done
	tools=
	for p in gcc make pkg-config; do
		tools="$tools $(readlink -f "$(command -v $p)")"
	done
	owners $pcs $tools >build.owners
	cat run.owners build.owners
	while read -r path pkg; do
		[ -n "$pkg" ] || atf_fail "no package owns $path"
		grep -qx "$pkg" run.closure ||
		    atf_fail "$path ($pkg) is not in the runtime stage"
	done <run.owners
	while read -r path pkg; do
		[ -n "$pkg" ] || atf_fail "no package owns $path"
		grep -qx "$pkg" build.closure ||
		    atf_fail "$path ($pkg) is not in the build stage"
	done <build.owners
	# No npm in the build, not even through another package: /docs's
	# Swagger UI is committed (web/docs/vendor/).
	for p in nodejs npm; do
		! grep -qx "$p" build.closure ||
		    atf_fail "the build stage installs $p, which it does not need"
	done
	# Each name is a package of this Debian (when apt's lists are here).
	if [ -s apt.txt ]; then
		for p in $run $build; do
			grep -qx "Package: $p" apt.txt ||
			    atf_fail "$p is not a package of this Debian"
		done
	else
		echo "apt's package lists are absent: names not checked"
	fi
}

atf_test_case fly__toml
fly__toml_head() {
	atf_set descr "fly.toml parses as TOML and holds the app, region gru, " \
	    "site.env's port and pool size, checks on /health and /ready, " \
	    "/metrics on the metrics listener, 256 MB and the count >= 2 comments"
	atf_set require.progs "node jq"
}
fly__toml_body() {
	need_ops_npm
	atf_check -o save:fly.json node "$OPS/toml2json.mjs" "$TOP/fly.toml"
	port=$(site C2S_PORT)
	pool=$(site C2S_POOL)
	[ -n "$port" ] && [ -n "$pool" ] || atf_fail "site.env lacks C2S_PORT or C2S_POOL"
	# Longer than the entrypoint gives requests in flight.
	grace=$(sed -n 's/.*"${C2S_STOP_TIMEOUT:=\([0-9]*\)}".*/\1/p' \
	    "$TOP/httpd-conf/entrypoint.sh")
	[ -n "$grace" ] || atf_fail "no C2S_STOP_TIMEOUT default in entrypoint.sh"
	f=fly.json
	check() {
		jq -e --argjson port "$port" --argjson pool "$pool" \
		    --argjson grace "$grace" "$1" $f >/dev/null ||
		    atf_fail "fly.toml: not true: $1"
	}
	check '.app | type == "string" and length > 0'
	check '.primary_region == "gru"'
	check '.http_service.internal_port == $port'
	check '[.http_service.checks[] | select(.method == "GET") | .path] | sort == ["/health", "/ready"]'
	# Scraped on the metrics listener, not on the public port, and
	# /metrics not opened to the internet there.
	check '.metrics.path == "/metrics" and .metrics.port != $port'
	check '.metrics.port == (.env.C2S_METRICS_PORT | tonumber)'
	check '(.env.METRICS_OPEN // "0") == "0"'
	check '.http_service.concurrency.type == "requests"'
	check '.http_service.concurrency.hard_limit == $pool'
	check '.http_service.concurrency.soft_limit <= $pool'
	check '(.env.C2S_POOL // ($pool | tostring)) == ($pool | tostring)'
	check '.vm | length == 1 and .[0].memory == "256mb"'
	check '.http_service.min_machines_running >= 2'
	check '.kill_signal == "SIGTERM" and .kill_timeout > $grace'
	check '.env.MIGRATE_ON_START == "1"'
	atf_check -o ignore grep -E '^#.*count >= 2' "$TOP/fly.toml"
	atf_check -o ignore grep -E '^#.*PostgreSQL' "$TOP/fly.toml"
	atf_check -o ignore grep -E '^#.*claim' "$TOP/fly.toml"
	# The parser can fail.
	sed 's/^primary_region = "gru"/primary_region = gru/' "$TOP/fly.toml" >bad.toml
	atf_check -s exit:1 -e match:'bad.toml' node "$OPS/toml2json.mjs" bad.toml
}

atf_test_case secrets__listed
secrets__listed_head() {
	atf_set descr "closed by default: fly.toml, the systemd units, the " \
	    "env example and the entrypoint name the three secrets as " \
	    "required with how to make them, and nothing opens a route"
}
secrets__listed_body() {
	local f s
	for f in fly.toml httpd-conf/c2s-enrich.service.in \
	    httpd-conf/c2s-enrich-worker.service.in \
	    httpd-conf/c2s-enrich.env.example httpd-conf/entrypoint.sh; do
		for s in API_KEYS WEBHOOK_SECRET GOOGLE_ADS_WEBHOOK_KEY; do
			grep -q "^#.*\<$s\>\|^$s=" "$TOP/$f" ||
			    atf_fail "$f does not name $s"
		done
		grep -qi 'required' "$TOP/$f" || atf_fail "$f: not said required"
		grep -Eq '^[^#]*(API_AUTH|WEBHOOK_AUTH)[ =]+"?off' "$TOP/$f" &&
		    atf_fail "$f opens a route"
	done
	for f in fly.toml httpd-conf/c2s-enrich.service.in \
	    httpd-conf/c2s-enrich.env.example httpd-conf/entrypoint.sh; do
		grep -q 'openssl rand' "$TOP/$f" ||
		    atf_fail "$f does not say how to make a secret"
	done
	:
}

atf_test_case man__lint
man__lint_head() {
	atf_set descr "make lint-man passes on both man pages and fails on a " \
	    "page with a mandoc warning"
	atf_set require.progs "make mandoc"
}
man__lint_body() {
	atf_check -o empty -e empty make -s -C "$TOP" --no-print-directory lint-man
	# A page with a warning (a macro with a missing argument) fails it.
	sed 's/^\.Dt C2S-ENRICH 8$/.Dt/' "$TOP/fcgi/c2s-enrich.8" >"$PWD/bad.8"
	atf_check -s not-exit:0 -o match:'WARNING' \
	    -o match:'lint: mandoc warnings' -e ignore \
	    make -s -C "$TOP" --no-print-directory lint-man MANPAGES="$PWD/bad.8"
	# It reads: the sections a reader looks for are there.
	atf_check -o save:page.bs -e empty mandoc -Tascii "$TOP/fcgi/c2s-enrich.8"
	sed 's/.\x08//g' page.bs >page.txt
	for s in NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES 'EXIT STATUS' \
	    EXAMPLES 'SEE ALSO'; do
		grep -q "^$s\$" page.txt || atf_fail "no $s section"
	done
}

# undocumented FILE.8 <NAMES: the names (one a line) that have no
# ".It ... Ev NAME" entry in FILE.8.
undocumented() {
	local v
	while read -r v; do
		grep -qE "^\.It .*\<Ev $v\>" "$1" || echo "$v"
	done
}

atf_test_case man__every_variable
man__every_variable_head() {
	atf_set descr "c2s-enrich.8 documents, under ENVIRONMENT, every name " \
	    "(aliases included) of lib/core/config.c's vars[] table"
}
man__every_variable_body() {
	# The names: the quoted words of each entry's first braces.
	sed -n '/^static const struct var vars\[\] = {/,/^};/p' \
	    "$TOP/lib/core/config.c" >vars.c
	entries=$(grep -c '{ {' vars.c)
	grep -o '{ {[^}]*}' vars.c | grep -o '"[A-Z0-9_]*"' | tr -d '"' >names
	[ "$entries" -ge 30 ] || atf_fail "parsed only $entries entries of vars[]"
	[ "$(wc -l <names)" -ge "$entries" ] || atf_fail "fewer names than entries"
	sed -n '/^\.Sh ENVIRONMENT/,/^\.Sh /p' "$TOP/fcgi/c2s-enrich.8" >env.8
	missing=$(undocumented env.8 <names | tr '\n' ' ')
	[ -z "$missing" ] || atf_fail "undocumented in c2s-enrich.8: $missing"
	echo "$(wc -l <names) names of $entries entries documented"
	# The check can fail: a variable of a future entry.
	echo '	{ { "C2S_NEW_SETTING" }, K_INT, NUM(x), 0, 1 },' >>vars.c
	grep -o '{ {[^}]*}' vars.c | grep -o '"[A-Z0-9_]*"' | tr -d '"' |
	    undocumented env.8 >missing
	atf_check -o inline:'C2S_NEW_SETTING\n' cat missing
}

atf_test_case man__entrypoint_variables
man__entrypoint_variables_head() {
	atf_set descr "c2s-enrich.8 documents every variable the entrypoint's " \
	    "header lists, each of site.env's with site.env's value as its " \
	    "default"
}
man__entrypoint_variables_body() {
	sed -n '/^# Environment/,/^# Everything else/p' \
	    "$TOP/httpd-conf/entrypoint.sh" | grep -oE '\<(C2S|MIGRATE)_[A-Z0-9_]+' |
	    sort -u >names
	[ "$(wc -l <names)" -ge 10 ] || atf_fail "parsed only $(wc -l <names) names"
	sed -n '/^\.Ss The entrypoint/,/^\.Sh /p' "$TOP/fcgi/c2s-enrich.8" >ep.8
	missing=$(undocumented ep.8 <names | tr '\n' ' ')
	[ -z "$missing" ] || atf_fail "undocumented in c2s-enrich.8: $missing"
	# item NAME: the words of NAME's entry, up to the next .It or .El,
	# one a line, without parentheses or a trailing stop or comma.
	item() {
		awk -v v="$1" '/^\.(It|El)/ { on = 0 }
		    $0 ~ "^\\.It .*Ev " v "( |$)" { on = 1 } on' ep.8 |
		    tr -s ' \t()' '\n' | sed 's/[.,;]*$//'
	}
	grep -E '^C2S_[A-Z_]+=' "$TOP/httpd-conf/site.env" >site
	[ "$(wc -l <site)" -ge 5 ] || atf_fail "site.env: only $(wc -l <site) settings"
	while IFS='=' read -r v val; do
		item "$v" | grep -qxF -- "$val" ||
		    atf_fail "c2s-enrich.8: $v's default is not site.env's $val"
	done <site
	# The check can fail: a default that is not site.env's, or a part
	# of one.
	for bad in 77 80; do
		item C2S_PORT | grep -qxF $bad && atf_fail "the check cannot fail"
	done
	:
}

atf_test_case install__layout cleanup
install__layout_head() {
	atf_set descr "make install DESTDIR=... puts every file where the man " \
	    "page's FILES and the systemd units expect it, with site.env's " \
	    "user, group and run directory"
}
install__layout_body() {
	d=$(scratch_dir)
	root=$d/root
	install_tree DESTDIR="$root" PREFIX=/usr/local SYSCONFDIR=/etc
	for f in share/man/man8/c2s-enrich.8 share/man/man1/upstream-sim.1 \
	    bin/c2s-enrich bin/upstream-sim bin/c2s-enrich-entrypoint \
	    share/c2s-enrich/httpd-conf/site.env \
	    share/c2s-enrich/httpd-conf/lighttpd-entrypoint.conf \
	    share/c2s-enrich/sql/migrate.sh share/c2s-enrich/www/status/index.html \
	    share/c2s-enrich/www/api-docs/openapi.yml; do
		[ -f "$root/usr/local/$f" ] || atf_fail "$f not installed"
	done
	# The man page's FILES under the prefix.
	sed -n '/^\.Sh FILES/,/^\.Sh /p' "$TOP/fcgi/c2s-enrich.8" |
	    sed -n 's/^\.It Pa \(\/usr\/local\/[^ ]*\).*/\1/p' >files
	[ "$(wc -l <files)" -ge 8 ] || atf_fail "FILES lists too few paths"
	while read -r f; do
		case $f in
		*/) [ -d "$root$f" ] || atf_fail "FILES: $f is not a directory" ;;
		*) [ -f "$root$f" ] || atf_fail "FILES: $f is not installed" ;;
		esac
	done <files
	# The units.
	units=$root/usr/local/lib/systemd/system
	sock=$(site C2S_SOCK)
	rundir=$(dirname "$sock")
	for u in c2s-enrich.service c2s-enrich-worker.service; do
		f=$units/$u
		[ -f "$f" ] || atf_fail "$u not installed"
		grep -q '@[A-Z_]*@' "$f" && atf_fail "$u: a @VAR@ left"
		# Every program and file it names under the prefix exists.
		grep -E '^(Exec[A-Za-z]*|EnvironmentFile)=' "$f" |
		    grep -o '/usr/local/[^ ]*' | sort -u >paths
		[ -s paths ] || atf_fail "$u names no installed file"
		while read -r p; do
			[ -e "$root$p" ] || atf_fail "$u: $p is not installed"
		done <paths
		atf_check -o inline:"User=$(site C2S_USER)\nGroup=$(site C2S_GROUP)\n" \
		    grep -E '^(User|Group)=' "$f"
		grep -qx 'EnvironmentFile=/etc/c2s-enrich/c2s-enrich.env' "$f" ||
		    atf_fail "$u: no EnvironmentFile /etc/c2s-enrich/c2s-enrich.env"
		grep -q '^\.It Pa /etc/c2s-enrich/c2s-enrich.env$' \
		    "$TOP/fcgi/c2s-enrich.8" ||
		    atf_fail "the man page does not name the units' environment file"
		grep -qx 'Documentation=man:c2s-enrich(8)' "$f" ||
		    atf_fail "$u: no Documentation=man:c2s-enrich(8)"
		for h in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
		    LimitCORE=0; do
			grep -qx "$h" "$f" || atf_fail "$u: no $h"
		done
		grep -q '^\.It Pa /usr/local/lib/systemd/system/'"$u"'$' \
		    "$TOP/fcgi/c2s-enrich.8" || atf_fail "FILES does not list $u"
	done
	f=$units/c2s-enrich.service
	[ "/run/$(sed -n 's/^RuntimeDirectory=//p' "$f")" = "$rundir" ] ||
	    atf_fail "RuntimeDirectory is not $rundir, the socket's directory"
	atf_check -o match:'^ExecStart=/usr/bin/env POOL_MAX=\$\{C2S_POOL\} /usr/bin/spawn-fcgi -n -s \$\{C2S_SOCK\} -M 0660 -- /usr/local/bin/c2s-enrich --pool$' \
	    grep '^ExecStart=' "$f"
	atf_check -o inline:'ExecReload=/bin/kill -HUP $MAINPID\nKillMode=mixed\n' \
	    grep -e '^ExecReload=' -e '^KillMode=' "$f"
	atf_check -o inline:'ExecStart=/usr/local/bin/c2s-enrich --worker\n' \
	    grep '^ExecStart=' "$units/c2s-enrich-worker.service"
	grep -qx "ReadWritePaths=-$rundir" "$units/c2s-enrich-worker.service" ||
	    atf_fail "the worker cannot write the pool's run directory"
	# The shared file's default lives in the socket's directory.
	grep -q "\"$rundir/dedup\"" "$TOP/lib/core/config.c" ||
	    atf_fail "DEDUP_FILE's default is not in $rundir"
	# Nothing installed is writable by others.
	atf_check -o empty find "$root" -perm /022 ! -type l
	scratch_rm
}
install__layout_cleanup() { scratch_rm; }

atf_test_case install__systemd_verify cleanup
install__systemd_verify_head() {
	atf_set descr "systemd-analyze verify accepts both units as installed " \
	    "(programs present, man page found), and rejects a broken one"
}
install__systemd_verify_body() {
	command -v systemd-analyze >/dev/null ||
	    atf_skip "systemd-analyze is not installed: units not verified"
	for p in env spawn-fcgi; do
		[ -x /usr/bin/$p ] || atf_skip "/usr/bin/$p missing: units not verified"
	done
	d=$(scratch_dir)
	# A prefix of its own, so the units name files that exist.
	install_tree PREFIX="$d" SYSCONFDIR="$d/etc"
	u=$d/lib/systemd/system
	export MANPATH="$d/share/man:"
	atf_check -o empty -e empty systemd-analyze verify \
	    "$u/c2s-enrich.service" "$u/c2s-enrich-worker.service"
	# It can fail: a misspelt key, a missing program.
	mkdir bad
	sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$u/c2s-enrich.service" \
	    >bad/c2s-enrich.service
	atf_check -o empty -e match:'Unknown key' systemd-analyze verify \
	    bad/c2s-enrich.service
	sed "s|$d/bin/c2s-enrich --worker|$d/bin/nothing --worker|" \
	    "$u/c2s-enrich-worker.service" >bad/c2s-enrich-worker.service
	atf_check -s not-exit:0 -o empty -e match:'nothing' \
	    systemd-analyze verify bad/c2s-enrich-worker.service
	scratch_rm
}
install__systemd_verify_cleanup() { scratch_rm; }

atf_test_case vendor__readme_version
vendor__readme_version_head() {
	atf_set descr "web/docs/vendor/README names the swagger-ui-dist " \
	    "version web/package-lock.json pins; what /docs loads is there, " \
	    "with the licence"
	atf_set require.progs "jq"
}
vendor__readme_version_body() {
	v=$(lock_version)
	[ -n "$v" ] || atf_fail "web/package-lock.json pins no swagger-ui-dist"
	atf_check -o "inline:$v\n" sed -n \
	    's/^Source: *swagger-ui-dist \([^ ]*\) .*/\1/p' \
	    "$TOP/web/docs/vendor/README"
	vendor_loads >loads
	[ "$(wc -l <loads)" -ge 2 ] || atf_fail "index.html loads $(cat loads)"
	for f in $(cat loads) vendor/LICENSE vendor/NOTICE; do
		[ -s "$TOP/web/docs/$f" ] || atf_fail "web/docs/$f is missing"
	done
}

atf_test_case vendor__matches_lock cleanup
vendor__matches_lock_head() {
	atf_set descr "the committed web/docs/vendor/ files are, byte for " \
	    "byte, those of the swagger-ui-dist the lock pins (as make tests " \
	    "installs it in web/node_modules), and nothing else; make vendor " \
	    "copies them and writes the version without npm"
	atf_set require.progs "jq make node cmp"
}
vendor__matches_lock_body() {
	nm=$TOP/web/node_modules/swagger-ui-dist
	[ -d "$nm" ] ||
	    atf_skip "web/node_modules is missing (make tests): nothing to compare"
	v=$(lock_version)
	[ -n "$v" ] || atf_fail "web/package-lock.json pins no swagger-ui-dist"
	atf_check -o "inline:$v\n" jq -r .version "$nm/package.json"
	# The files make install ships.
	files=$(make -s -C "$TOP" --no-print-directory \
	    --eval 'vendor-files: ; @echo $(WEB_VENDOR_FILES)' vendor-files)
	[ -n "$files" ] || atf_fail "no WEB_VENDOR_FILES in the GNUmakefile"
	for f in $files; do
		cmp "$nm/$f" "$TOP/web/docs/vendor/$f" ||
		    atf_fail "web/docs/vendor/$f is not swagger-ui-dist $v's: make vendor"
	done
	printf '%s\n' README $files | sort >want
	ls -A "$TOP/web/docs/vendor" | sort >have
	atf_check -o empty diff want have
	# make vendor, in a tree of its own whose README names another
	# version and whose node_modules is current: npm is not asked.
	d=$(scratch_dir)
	mkdir -p "$d/bench" "$d/web/docs/vendor" \
	    "$d/web/node_modules/swagger-ui-dist"
	cp "$TOP/GNUmakefile" "$d/"
	cp "$TOP/bench/Makefile" "$d/bench/"
	cp "$TOP/web/package.json" "$TOP/web/package-lock.json" "$d/web/"
	cp "$TOP/web/package-lock.json" "$d/web/node_modules/.c2s-enrich-lock"
	for f in package.json $files; do
		cp "$nm/$f" "$d/web/node_modules/swagger-ui-dist/"
	done
	sed 's/^\(Source: *swagger-ui-dist \)[^ ]*/\10.0.1/' \
	    "$TOP/web/docs/vendor/README" >"$d/web/docs/vendor/README"
	atf_check -s exit:1 cmp -s "$TOP/web/docs/vendor/README" \
	    "$d/web/docs/vendor/README"
	refuse "$d" npm
	atf_check -o ignore -e empty env PATH="$d/bin:$PATH" \
	    make -C "$d" --no-print-directory vendor
	refused "$d"
	for f in README $files; do
		cmp "$TOP/web/docs/vendor/$f" "$d/web/docs/vendor/$f" ||
		    atf_fail "make vendor wrote another web/docs/vendor/$f than the committed one"
	done
	scratch_rm
}
vendor__matches_lock_cleanup() { scratch_rm; }

atf_init_test_cases() {
	atf_add_test_case dockerfile__lint
	atf_add_test_case dockerfile__shape
	atf_add_test_case dockerfile__paths_installed
	atf_add_test_case dockerfile__build_stage
	atf_add_test_case dockerfile__packages
	atf_add_test_case fly__toml
	atf_add_test_case secrets__listed
	atf_add_test_case man__lint
	atf_add_test_case man__every_variable
	atf_add_test_case man__entrypoint_variables
	atf_add_test_case install__layout
	atf_add_test_case install__systemd_verify
	atf_add_test_case vendor__readme_version
	atf_add_test_case vendor__matches_lock
}
