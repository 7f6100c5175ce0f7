#!/bin/sh
# httpd-conf/lighttpd-extforward.sh -- prints lighttpd.conf's mod_extforward
# settings (lighttpd.conf runs it with include_shell): which proxies are
# trusted, and which header of theirs names the client.
#
# Environment (set by httpd-conf/stack.sh or httpd-conf/entrypoint.sh):
#   C2S_HTTPD_TRUSTED_PROXIES   TRUSTED_PROXIES: a comma list of IPv4 or
#                               IPv6 addresses or CIDR ranges (10.0.0.0/8,
#                               fdaa::/16); empty: no proxy is trusted and
#                               every forwarded header counts for nothing
#   C2S_HTTPD_FORWARDED_HEADER  the header a trusted proxy names the client
#                               in: X-Forwarded-For (the default), or
#                               Fly-Client-IP on fly.io
# Only from a trusted proxy does lighttpd take the header, and then
# REMOTE_ADDR, the access log and the responders' rate limit all see the
# client's address.  A list with anything but address characters is
# refused (exit 1), so lighttpd refuses its configuration.

set -u -f
proxies=${C2S_HTTPD_TRUSTED_PROXIES:-}
header=${C2S_HTTPD_FORWARDED_HEADER:-X-Forwarded-For}

case $header in
''|*[!A-Za-z0-9-]*)
	echo "C2S_HTTPD_FORWARDED_HEADER: not a header name" >&2
	exit 1
	;;
esac
echo "extforward.headers = ( \"$header\" )"
list=
for p in $(printf '%s\n' "$proxies" | tr ',' ' '); do
	case $p in
	*[!0-9A-Fa-f:./]*)
		echo "C2S_HTTPD_TRUSTED_PROXIES: not an address or CIDR range" >&2
		exit 1
		;;
	esac
	list="$list \"$p\" => \"trust\","
done
echo "extforward.forwarder = ($list )"
