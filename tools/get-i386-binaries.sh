#!/bin/bash
# Download Debian's i386 programs (coreutils:i386 by default) and the
# libraries they need besides glibc, and unpack them for the IA-32 guests.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly PACKAGES_DEFAULT=coreutils
# glibc's own packages: the i686 sysroot (build-glibc.sh --arch i686)
# replaces them, unless --with-glibc.
readonly GLIBC_PACKAGES="libc6 libc-bin libc6-i686"

usage() {
	cat <<EOF
Usage: $myname [--outdir DIR] [--with-glibc] [PACKAGE...]

Download Debian's i386 build of each PACKAGE (default: $PACKAGES_DEFAULT)
and of every package it depends on (Depends and Pre-Depends, recursively)
except glibc's own ($GLIBC_PACKAGES), with 'apt-get download',
and unpack them with 'dpkg-deb -x' into DIR/root, as they would be
installed on an i386 Debian system (DIR/root/bin/ls,
DIR/root/lib/i386-linux-gnu/..., DIR/root/usr/lib/i386-linux-gnu/...).
Nothing is installed on this machine.  They run on the i686 sysroot:

  SYSROOT/lib/ld-linux.so.2 --library-path \\
    SYSROOT/lib/i386-linux-gnu:DIR/root/lib/i386-linux-gnu:DIR/root/usr/lib/i386-linux-gnu \\
    DIR/root/bin/ls

Needs dpkg's i386 architecture and apt's i386 package lists; './setup'
(as root) enables them: dpkg --add-architecture i386; apt-get update.

With --with-glibc, glibc's packages are not left out: 'libc6 --with-glibc'
gives Debian's own i386 glibc (and libgcc-s1), for IA-32 programs in a
guest without the i686 sysroot.

Options:
  --outdir DIR   where to put debs/, root/ and packages.txt (default: ./i386)
  --with-glibc   keep glibc's own packages in the dependencies
  -h, --help     show this help

Incremental: the packages are downloaded and unpacked again only when the
list of packages or one of their versions changed (DIR/packages.txt).

Exit status: 0 success, 1 failure, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

outdir=./i386
excluded=$GLIBC_PACKAGES
roots=()
tmpdirs=()

cleanup() {
	local d

	for d in "${tmpdirs[@]}"; do
		rm -rf "$d"
	done
}
trap cleanup EXIT

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--outdir) outdir=${2:?--outdir needs a directory}; shift ;;
		--with-glibc) excluded= ;;
		-h|--help) usage; exit 0 ;;
		-*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		*) roots+=("$1") ;;
		esac
		shift
	done
	[ ${#roots[@]} -gt 0 ] || read -r -a roots <<<"$PACKAGES_DEFAULT"
}

check_deps() {
	local tool

	for tool in apt-get apt-cache dpkg dpkg-deb; do
		command -v "$tool" >/dev/null ||
			die "$tool not found: this needs a Debian system"
	done
	dpkg --print-foreign-architectures | grep -qx i386 ||
		die "dpkg does not know the i386 architecture: run ./setup as root (it does: dpkg --add-architecture i386; apt-get update)"
	apt-cache show "${roots[0]}:i386" >/dev/null 2>&1 ||
		die "apt knows no ${roots[0]}:i386: check the name; or apt has no i386 package lists yet: run ./setup as root (it does: apt-get update)"
}

# PACKAGE... and what they need at run time, recursively, without the
# excluded packages (glibc's, unless --with-glibc):
# "name version" lines (the candidate versions), sorted.  One apt-cache
# call per level of dependencies: each call reads apt's whole cache.
closure() {
	local -a level=("$@") next
	local -A seen=()
	local pkg

	while [ ${#level[@]} -gt 0 ]; do
		for pkg in "${level[@]}"; do
			seen[$pkg]=1
		done
		next=()
		# "  Depends: libacl1:i386" (the first of alternatives only).
		while read -r pkg; do
			pkg=${pkg%%:*}
			case " $excluded " in
			*" $pkg "*) continue ;;
			esac
			[ -n "${seen[$pkg]:-}" ] || next+=("$pkg")
		done < <(apt-cache depends --no-recommends --no-suggests \
				--no-conflicts --no-breaks --no-replaces --no-enhances \
				"${level[@]/%/:i386}" 2>/dev/null |
			sed -n 's/^  \(Pre\)\{0,1\}Depends: \([^ <>]*\).*/\2/p' |
			LC_ALL=C sort -u)
		level=("${next[@]}")
	done
	level=("${!seen[@]}")
	apt-cache show --no-all-versions "${level[@]/%/:i386}" 2>/dev/null |
		awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }' |
		LC_ALL=C sort
}

fetch() {
	local want=$1 tmp name version

	tmp=$(mktemp -d "$outdir/new.XXXXXX")
	tmpdirs+=("$tmp")
	mkdir -p "$tmp/debs" "$tmp/root"
	while read -r name version; do
		msg "  $name:i386 $version"
		(cd "$tmp/debs" && apt-get download -q "$name:i386=$version" >/dev/null 2>&1) ||
			die "apt-get download $name:i386=$version failed (as root: apt-get update, or ./setup)"
	done <<<"$want"
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	printf '%s\n' "$want" >"$tmp/packages.txt"
	rm -rf "$outdir/debs" "$outdir/root"
	mv "$tmp/debs" "$tmp/root" "$tmp/packages.txt" "$outdir/"
}

main() {
	local want

	parse_args "$@"
	check_deps
	mkdir -p "$outdir"
	want=$(closure "${roots[@]}")
	[ "$(wc -l <<<"$want")" -ge ${#roots[@]} ] ||
		die "apt knows no i386 version of some of: ${roots[*]} (as root: apt-get update, or ./setup)"
	if [ -d "$outdir/root" ] && [ "$want" = "$(cat "$outdir/packages.txt" 2>/dev/null || true)" ]; then
		msg "up to date: $outdir/root"
		return
	fi
	msg "downloading into $outdir: Debian's i386 ${roots[*]} and its libraries"
	fetch "$want"
	msg "ready: $outdir/root ($(wc -l <"$outdir/packages.txt") packages)"
}

main "$@"
