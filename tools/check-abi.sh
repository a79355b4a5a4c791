#!/bin/bash
# Compare the exported symbols of a sysroot's glibc libraries with Debian's.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly SLIBDIR=lib/x86_64-linux-gnu
readonly LIBS_DEFAULT="libc.so.6 ld-linux-x86-64.so.2 libm.so.6 libpthread.so.0
libdl.so.2 librt.so.1 libresolv.so.2 libutil.so.1 libanl.so.1 libmvec.so.1
libthread_db.so.1 libBrokenLocale.so.1 libc_malloc_debug.so.0"

usage() {
	cat <<EOF
Usage: $myname [--reference DIR] SYSROOT [LIBRARY...]

Compare the defined dynamic symbols of each LIBRARY in SYSROOT/$SLIBDIR
with the same library in the reference directory (default: the host's
Debian libraries in /$SLIBDIR).  A symbol is its name, its version
(GLIBC_PRIVATE included), its type and binding, and for data objects its
size (copy relocations depend on it).

LIBRARY defaults to:
$(printf '%s\n' "$LIBS_DEFAULT" | sed 's/^/  /')

Output: for each library one line "LIBRARY: N symbols, identical" or
"LIBRARY: differs" followed by the differences ("-" only in the reference,
"+" only in SYSROOT).

Exit status: 0 all identical, 1 a difference or a missing library,
2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

check_deps() {
	command -v readelf >/dev/null || die "readelf not found: apt-get install binutils"
}

# "name@version type bind [size]" of each defined dynamic symbol, sorted.
symbols() {
	LC_ALL=C readelf --dyn-syms --wide "$1" | LC_ALL=C awk '
	$1 ~ /^[0-9]+:$/ && NF >= 8 && $7 != "UND" {
		name = $8
		if (name !~ /@/)
			name = name "@(none)"
		sub(/@@/, "@", name)
		size = ($4 == "OBJECT" || $4 == "TLS") ? " " $3 : ""
		print name, $4, $5 size
	}' | LC_ALL=C sort -u
}

main() {
	local ref=/$SLIBDIR sysroot lib status=0 diffs n
	local -a libs

	while [ $# -gt 0 ]; do
		case $1 in
		--reference) ref=${2:?--reference needs a directory}; shift ;;
		-h|--help) usage; exit 0 ;;
		-*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		*) break ;;
		esac
		shift
	done
	if [ $# -eq 0 ]; then
		msg "no SYSROOT given (try --help)"
		exit "$EXIT_USAGE"
	fi
	sysroot=$1
	shift
	if [ $# -gt 0 ]; then
		libs=("$@")
	else
		read -r -d '' -a libs <<<"$LIBS_DEFAULT" || true
	fi
	check_deps
	for lib in "${libs[@]}"; do
		if [ ! -e "$ref/$lib" ]; then
			printf '%s: missing in the reference %s\n' "$lib" "$ref"
			status=1
			continue
		fi
		if [ ! -e "$sysroot/$SLIBDIR/$lib" ]; then
			printf '%s: missing in %s\n' "$lib" "$sysroot/$SLIBDIR"
			status=1
			continue
		fi
		diffs=$(diff <(symbols "$ref/$lib") <(symbols "$sysroot/$SLIBDIR/$lib") |
			sed -n 's/^< /-/p; s/^> /+/p' || true)
		if [ -z "$diffs" ]; then
			n=$(symbols "$ref/$lib" | wc -l)
			printf '%s: %d symbols, identical\n' "$lib" "$n"
		else
			printf '%s: differs\n%s\n' "$lib" "$diffs"
			status=1
		fi
	done
	exit "$status"
}

main "$@"
