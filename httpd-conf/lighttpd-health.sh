#!/bin/sh
# httpd-conf/lighttpd-health.sh -- prints lighttpd.conf's routing to the
# pool master's own socket (lighttpd.conf runs it with include_shell):
# /health, /ready and the error re-runs (/__httpd_error, lighttpd's own
# errors, a full pool's included) go to c2s-enrich --pool's HEALTH_SOCKET,
# which answers them at once from its scoreboard, never behind a slow
# lead, and answers an overloaded pool with a JSON 503 and Retry-After.
#
# Environment (set by httpd-conf/stack.sh or httpd-conf/entrypoint.sh):
#   C2S_HTTPD_HEALTH_SOCK   the master's socket; empty: no master (a pool
#                           under multiwatch), and the responders answer
#                           those paths as before
# The error re-run is matched against the conditions again with its own
# URL (measured on lighttpd 1.4.69, docs/POOL-PLAN.md §6.1), so the block
# below catches it.  "disable-time" 1: a socket that is missing or refuses
# is tried again after a second.

set -u -f
sock=${C2S_HTTPD_HEALTH_SOCK:-}
[ -n "$sock" ] || exit 0
case $sock in
*[!A-Za-z0-9._/-]*)
	echo "C2S_HTTPD_HEALTH_SOCK: not a plain path" >&2
	exit 1
	;;
esac
cat <<EOT
var.master = (
	"/" => ((
		"socket"          => "$sock",
		"check-local"     => "disable",
		"disable-time"    => 1,
		"connect-timeout" => 2,
		"read-timeout"    => 5,
		"write-timeout"   => 5,
	)),
)
\$HTTP["url"] =~ "^/(health|ready|__httpd_error)\$" {
	fastcgi.server = var.master
}
EOT
