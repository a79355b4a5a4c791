#!/bin/bash
# Package the patched glibc as Debian's libc6: Debian's own package of the
# same version with its files replaced by the sysroot's.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname --sysroot DIR [--arch amd64|i386] [--outdir DIR] [--deb FILE]

Write OUTDIR/libc6_VERSION_ARCH.deb, the patched glibc of the sysroot DIR
(build-glibc.sh) as Debian's libc6 package, which a user installs in
place of the system's (doc/USING.md):

  apt install ./libc6_VERSION_ARCH.deb

It is Debian's own libc6 of the version the sysroot was built from (its
libc.so.6 says "Debian GLIBC VERSION, KML"; downloaded with 'apt-get
download', or --deb), with every file that the sysroot also has replaced
by the sysroot's, debugging information stripped; its maintainer scripts,
dependencies and version stay Debian's, so that the packages that depend
on exactly that version (libc6-dev, libc-bin, libc6 of another
architecture) stay installed.  The Description says it is the KML build.
Debian's package is kept as OUTDIR/debian/libc6_VERSION_ARCH.deb.  The
path of the package written is the one line on standard output.

Options:
  --sysroot DIR   the patched glibc (build/sysroot-x86_64 or -i686)
  --arch ARCH     amd64 (default) or i386, the sysroot's
  --outdir DIR    where the packages go (default: ./debs)
  --deb FILE      Debian's libc6 package to start from, instead of
                  downloading it
  -h, --help      show this help

Exit status: 0 written, 1 error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

sysroot=
arch=amd64
outdir=./debs
debian_deb=
tmp=

cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--sysroot) sysroot=${2:?--sysroot needs a directory}; shift ;;
		--arch) arch=${2:?--arch needs amd64 or i386}; shift ;;
		--outdir) outdir=${2:?--outdir needs a directory}; shift ;;
		--deb) debian_deb=${2:?--deb needs a file}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown argument '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	[ -n "$sysroot" ] || { msg "--sysroot is required (try --help)"; exit "$EXIT_USAGE"; }
	case $arch in
	amd64) multiarch=x86_64-linux-gnu ;;
	i386) multiarch=i386-linux-gnu ;;
	*) msg "unknown --arch '$arch' (amd64 or i386)"; exit "$EXIT_USAGE" ;;
	esac
}

check_deps() {
	local tool

	for tool in dpkg-deb strip md5sum; do
		command -v "$tool" >/dev/null ||
			die "$tool not found: apt-get install dpkg binutils coreutils"
	done
}

# The Debian version the sysroot's libc.so.6 was built from, from the
# banner build-glibc.sh gives it ("Debian GLIBC 2.36-9+deb12u14, KML").
sysroot_version() {
	local libc=$sysroot/lib/$multiarch/libc.so.6 banner

	[ -f "$libc" ] || die "$libc not found: is $sysroot a $arch sysroot of build-glibc.sh?"
	banner=$(grep -ao 'Debian GLIBC [^,)]*, KML)' "$libc" | head -n 1) ||
		die "$libc is not the KML build (no 'Debian GLIBC ..., KML' in it)"
	banner=${banner#Debian GLIBC }
	printf '%s\n' "${banner%, KML)}"
}

# Debian's libc6 of VERSION for the architecture, into DIR.
download_debian() {
	local version=$1 dir=$2

	msg "downloading Debian's libc6:$arch $version (apt-get download)"
	(cd "$dir" && apt-get download -q "libc6:$arch=$version" >/dev/null 2>&1) ||
		die "apt-get download libc6:$arch=$version failed: apt needs that version in its lists (apt-get update), or give the package with --deb"
	debian_deb=$(printf '%s\n' "$dir"/libc6_*_"$arch".deb)
	[ -f "$debian_deb" ] || die "apt-get download left no libc6_*_$arch.deb in $dir"
}

# Replace each file of the unpacked package PKG that the sysroot has too;
# print how many.  ELF files lose their debugging information, as in
# Debian's build (dh_strip).
replace_files() {
	local pkg=$1 path n=0

	while IFS= read -r -d '' path; do
		if [ ! -f "$sysroot/$path" ] || [ -L "$sysroot/$path" ]; then
			continue
		fi
		if head -c 4 "$sysroot/$path" | grep -q 'ELF'; then
			strip --strip-debug -o "$pkg/$path" "$sysroot/$path"
		else
			cp "$sysroot/$path" "$pkg/$path"
		fi
		n=$((n + 1))
	done < <(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0')
	echo "$n"
}

# The control file's Description gets a paragraph that says what this is.
mark_control() {
	local control=$1

	awk '{ print } END {
		print " ."
		print " This is the Kernel Mode Linux build: programs that run in kernel"
		print " mode make their system calls through the kernel-mode entry; every"
		print " other program runs exactly as with Debian'"'"'s build."
	}' "$control" >"$control.new"
	mv "$control.new" "$control"
}

main() {
	local version pkg replaced deb

	parse_args "$@"
	check_deps
	version=$(sysroot_version)
	mkdir -p "$outdir/debian"
	tmp=$(mktemp -d "$outdir/new.XXXXXX")
	if [ -z "$debian_deb" ]; then
		download_debian "$version" "$tmp"
	fi
	[ "$(dpkg-deb -f "$debian_deb" Package Version Architecture | tr '\n' ' ')" = \
		"Package: libc6 Version: $version Architecture: $arch " ] ||
		die "$debian_deb is not libc6 $version for $arch (the sysroot's)"

	pkg=$tmp/pkg
	dpkg-deb -R "$debian_deb" "$pkg"
	replaced=$(replace_files "$pkg")
	grep -q 'Debian GLIBC [^,)]*, KML)' "$pkg/lib/$multiarch/libc.so.6" 2>/dev/null ||
		die "the package's libc.so.6 is not the sysroot's: is $debian_deb in Debian's layout?"
	mark_control "$pkg/DEBIAN/control"
	(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		LC_ALL=C sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"

	deb=$outdir/libc6_${version}_$arch.deb
	dpkg-deb --root-owner-group -Zxz -b "$pkg" "$tmp/libc6.deb" >/dev/null
	cp "$debian_deb" "$outdir/debian/libc6_${version}_$arch.deb.new"
	mv "$outdir/debian/libc6_${version}_$arch.deb.new" "$outdir/debian/libc6_${version}_$arch.deb"
	mv "$tmp/libc6.deb" "$deb"
	msg "wrote $deb ($replaced of Debian's files replaced by the sysroot's)"
	printf '%s\n' "$deb"
}

main "$@"
