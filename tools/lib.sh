# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# Shared helpers for tools/setup and tests/guest/run.  Source, do not execute.

# The repository's top directory (this file lives in tools/).
SYNCMGR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Kernel series whose tarball provides the kselftest harness and checkpatch.pl.
SYNCMGR_SRC_SERIES=6.1

# Everything downloaded or derived lives in a cache OUTSIDE the repository:
# $SYNCMGR_CACHE, else /var/cache/syncmgr when writable (root, CI), else
# ~/.cache/syncmgr.
syncmgr_cache_dir() {
	if [[ -n ${SYNCMGR_CACHE:-} ]]; then
		printf '%s\n' "$SYNCMGR_CACHE"
	elif [[ -w /var/cache ]] || [[ -w /var/cache/syncmgr ]]; then
		printf '%s\n' /var/cache/syncmgr
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/syncmgr"
	fi
}

# Kernel series tested besides the default one (make check-6.12): Debian's
# linux-image-SERIES-amd64 / linux-headers-SERIES-amd64 metapackages.
SYNCMGR_EXTRA_SERIES=(6.12)

# The guest kernel: $KVER if set, else the kernel that the installed
# linux-image-amd64 metapackage depends on (never a hard-coded ABI name).
# Prints nothing and fails if it cannot be determined.
syncmgr_kver() {
	if [[ -n ${KVER:-} ]]; then
		printf '%s\n' "$KVER"
		return 0
	fi
	syncmgr_series_kver ''
}

# The kernel of one series (syncmgr_series_kver 6.12): what the installed
# linux-image-6.12-amd64 depends on, whatever $KVER says; '' for the
# default linux-image-amd64.
syncmgr_series_kver() {
	local dep kver
	dep=$(dpkg-query -W -f='${Depends}' "linux-image-${1:+$1-}amd64" 2>/dev/null) || return 1
	kver=$(sed -n 's/.*linux-image-\([^ ,|]*\).*/\1/p' <<<"$dep")
	[[ -n $kver ]] || return 1
	printf '%s\n' "$kver"
}

syncmgr_die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}
