#!/usr/bin/env bash
# The Debian archive this machine's apt already uses, for the scripts that add a suite
# (install-deps.sh's bookworm-backports, the guests' trixie-backports and bullseye, Go 1.26):
# they follow whatever mirror the machine is set to, and the repository names no host.
#   debian-mirror.sh            the archive's URI (the source of this release's own suite)
#   debian-mirror.sh security   the security archive's URI (SUITE-security), or nothing
# CTRWATCH_DEBIAN_MIRROR (and CTRWATCH_DEBIAN_SECURITY_MIRROR) override what apt says, for a
# host whose apt has no Debian source (Ubuntu). Read with `apt-get indextargets`, which knows
# both the one-line and the deb822 formats; --no-release-info: no `apt-get update` needed first.
set -euo pipefail
what=${1:-archive}
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
# "URI SUITE" for every Packages index apt is configured for
targets() {
	apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' \
		'Identifier: Packages' 2>/dev/null | sort -u
}
# the URI whose suite is $1, without its trailing slash
uri_of() {
	targets | awk -v s="$1" '$2 == s { sub("/$", "", $1); print $1; exit }'
}
case $what in
archive)
	uri=${CTRWATCH_DEBIAN_MIRROR:-}
	[ -n "$uri" ] || uri=$(uri_of "$codename")
	if [ -z "$uri" ]; then
		echo "debian-mirror: apt has no source for Debian's '$codename' suite: set CTRWATCH_DEBIAN_MIRROR to a Debian archive's URI" >&2
		exit 1
	fi
	echo "$uri"
	;;
security)
	uri=${CTRWATCH_DEBIAN_SECURITY_MIRROR:-}
	[ -n "$uri" ] || uri=$(uri_of "$codename-security")
	echo "$uri"
	;;
*)
	echo "usage: debian-mirror.sh [archive|security]" >&2
	exit 2
	;;
esac
