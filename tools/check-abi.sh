#!/bin/bash
# Compare the exported symbols of a sysroot's glibc libraries with Debian's.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly LIBS_COMMON="libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1
libresolv.so.2 libutil.so.1 libanl.so.1 libthread_db.so.1 libBrokenLocale.so.1
libc_malloc_debug.so.0"
readonly LIBS_X86_64="ld-linux-x86-64.so.2 libmvec.so.1"
readonly LIBS_I686="ld-linux.so.2"

arch=x86_64
slibdir=lib/x86_64-linux-gnu
ref=

# The sysroot's library directory, the reference and the default list.
set_arch() {
	case $arch in
	x86_64)
		slibdir=lib/x86_64-linux-gnu
		: "${ref:=/$slibdir}"
		libs_default="$LIBS_COMMON $LIBS_X86_64"
		;;
	i686)
		slibdir=lib/i386-linux-gnu
		# The host's libc6-i386 (Debian's i386 pass on amd64): the
		# same source and version as the native i386 libc6.
		: "${ref:=/usr/lib32}"
		libs_default="$LIBS_COMMON $LIBS_I686"
		;;
	*) msg "unknown --arch '$arch' (x86_64 or i686)"; exit "$EXIT_USAGE" ;;
	esac
}

usage() {
	cat <<EOF
Usage: $myname [--arch ARCH] [--reference DIR] SYSROOT [LIBRARY...]

Compare the defined dynamic symbols of each LIBRARY in SYSROOT's library
directory (lib/x86_64-linux-gnu, or lib/i386-linux-gnu for i686) with the
same library in the reference directory (default: the host's Debian
libraries, /lib/x86_64-linux-gnu, or for i686 /usr/lib32 from
libc6-i386).  A symbol is its name, its version (GLIBC_PRIVATE
included), its type and binding, and for data objects its size (copy
relocations depend on it).

LIBRARY defaults to:
$(printf '%s\n' "$LIBS_COMMON" | sed 's/^/  /')
  and for x86_64: $LIBS_X86_64
  and for i686: $LIBS_I686

Options:
  --arch ARCH      x86_64 (default) or i686
  --reference DIR  the reference libraries

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
	local sysroot lib status=0 diffs n libs_default
	local -a libs

	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:?--arch needs a value}; shift ;;
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
	set_arch
	if [ $# -gt 0 ]; then
		libs=("$@")
	else
		read -r -d '' -a libs <<<"$libs_default" || true
	fi
	check_deps
	for lib in "${libs[@]}"; do
		if [ ! -e "$ref/$lib" ]; then
			printf '%s: missing in the reference %s\n' "$lib" "$ref"
			status=1
			continue
		fi
		if [ ! -e "$sysroot/$slibdir/$lib" ]; then
			printf '%s: missing in %s\n' "$lib" "$sysroot/$slibdir"
			status=1
			continue
		fi
		diffs=$(diff <(symbols "$ref/$lib") <(symbols "$sysroot/$slibdir/$lib") |
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
