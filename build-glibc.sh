#!/bin/bash
# Build the KML glibc 2.36 (Debian's glibc-source + glibc-patch/ + sysdeps/)
# and install it into a sysroot laid out like Debian's libc6.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly TARBALL_DEFAULT=/usr/src/glibc/glibc-2.36.tar.xz
# Debian's libc6 2.36-9+deb12u14: the amd64 "libc" pass, or the native
# i386 one (debian/rules, debian/rules.d/build.mk,
# debian/sysdeps/{linux,amd64,i386}.mk).
readonly DEBIAN_VERSION=2.36-9+deb12u14
readonly MIN_KERNEL=3.2

usage() {
	cat <<EOF
Usage: $myname [options]

Unpack Debian's glibc-source (2.36, Debian's patches already applied),
apply glibc-patch/series with quilt, copy sysdeps/ over the tree, configure
like Debian's libc6 (x86_64: plus -mno-red-zone), build, and install into a
sysroot on which existing Debian binaries run unchanged, in Debian's
multiarch layout:

  x86_64 (Debian's amd64 libc6):
  SYSROOT/lib/x86_64-linux-gnu/{ld-linux-x86-64.so.2,libc.so.6,...}
  SYSROOT/lib64/ld-linux-x86-64.so.2 -> ../lib/x86_64-linux-gnu/...
  SYSROOT/usr/{include,lib/x86_64-linux-gnu,bin,sbin,...}

  i686 (Debian's native i386 libc6, built with gcc -m32):
  SYSROOT/lib/i386-linux-gnu/{ld-linux.so.2,libc.so.6,...}
  SYSROOT/lib/ld-linux.so.2 -> i386-linux-gnu/ld-linux.so.2
  SYSROOT/usr/{include,lib/i386-linux-gnu,bin,sbin,...}

Try it: SYSROOT/lib64/ld-linux-x86-64.so.2 \\
          --library-path SYSROOT/lib/x86_64-linux-gnu /usr/bin/ls
        SYSROOT/lib/ld-linux.so.2 \\
          --library-path SYSROOT/lib/i386-linux-gnu ./an-i386-program

Options:
  --arch ARCH            x86_64 (default) or i686
  --prefix SYSROOT       where to install (default: ./sysroot-ARCH)
  --builddir DIR         source copy, objects and stamps
                         (default: ./glibc-ARCH)
  --kernel-headers DIR   kernel uapi headers, the include/ directory of a
                         'make headers_install' (default: the host's,
                         /usr/include, from linux-libc-dev, as Debian does)
  --srcdir DIR           the KML source tree (default: this script's
                         directory)
  -j N                   parallel make jobs (default: number of CPUs)
  -h, --help             show this help

Environment:
  GLIBC_TARBALL          glibc source tarball (default: $TARBALL_DEFAULT)

Incremental: the glibc tree is rebuilt from the tarball only when
glibc-patch/, sysdeps/, the tarball or the kernel headers changed, and then
only files whose contents changed are replaced, so make recompiles what
depends on them.  With nothing changed the script only checks the sysroot.

Layout of the build directory:
  src/          the patched glibc tree
  obj/          glibc's object directory (make check etc. work there)
  headers/      the kernel headers glibc is built against
  *.stamp       what was last prepared, configured, built and installed

Exit status: 0 success, 1 failure (patch, build, install or final check),
2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

srcdir=$(cd "$(dirname "$0")" && pwd)
arch=x86_64
sysroot=
builddir=
kheaders=
jobs=$(nproc)
tarball=${GLIBC_TARBALL:-$TARBALL_DEFAULT}
tmpdirs=()

cleanup() {
	local d

	for d in "${tmpdirs[@]}"; do
		rm -rf "$d"
	done
}
trap cleanup EXIT

# What differs between the two builds: Debian's amd64 libc pass, and its
# native i386 libc6 (debian/sysdeps/i386.mk, rules: slibdir
# /lib/i386-linux-gnu, rtlddir /lib), built on amd64 like Debian's i386
# pass there (amd64.mk: --host=i686-linux-gnu, CC="gcc -m32").
set_arch() {
	case $arch in
	x86_64)
		host=x86_64-linux-gnu
		multiarch=x86_64-linux-gnu
		ccflag=
		# A `call' to the KML entry pushes its return address below
		# RSP (i386 has no red zone).
		cflags="-pipe -O2 -g -mno-red-zone"
		rtlddir=/lib64
		rtld=ld-linux-x86-64.so.2
		arch_args=()
		;;
	i686)
		host=i686-linux-gnu
		multiarch=i386-linux-gnu
		ccflag=" -m32"
		cflags="-pipe -O2 -g"
		rtlddir=/lib
		rtld=ld-linux.so.2
		# Debian's mvec = no for every arch but amd64.
		arch_args=(--disable-mathvec)
		;;
	*) msg "unknown --arch '$arch' (x86_64 or i686)"; exit "$EXIT_USAGE" ;;
	esac
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:?--arch needs a value}; shift ;;
		--prefix) sysroot=${2:?--prefix needs a value}; shift ;;
		--builddir) builddir=${2:?--builddir needs a value}; shift ;;
		--kernel-headers) kheaders=${2:?--kernel-headers needs a value}; shift ;;
		--srcdir) srcdir=$(cd "${2:?--srcdir needs a value}" && pwd); shift ;;
		-j) jobs=${2:?-j needs a value}; shift ;;
		-j*) jobs=${1#-j} ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	set_arch
	case $jobs in
	''|*[!0-9]*) msg "-j needs a number, not '$jobs'"; exit "$EXIT_USAGE" ;;
	esac
	sysroot=${sysroot:-$PWD/sysroot-$arch}
	builddir=${builddir:-$PWD/glibc-$arch}
}

check_deps() {
	local tool pkg missing=()

	[ -r "$tarball" ] || die "$tarball not found: apt-get install glibc-source"
	for tool in gcc:gcc g++:g++ make:make quilt:quilt gawk:gawk \
		    bison:bison python3:python3 rsync:rsync xz:xz-utils \
		    objdump:binutils readelf:binutils msgfmt:gettext; do
		pkg=${tool#*:}
		tool=${tool%%:*}
		command -v "$tool" >/dev/null || missing+=("$pkg")
	done
	if [ -z "$kheaders" ]; then
		[ -e /usr/include/linux/version.h ] || missing+=(linux-libc-dev)
	fi
	if [ "$arch" = i686 ] && [ ! -e /usr/lib32/crt1.o ]; then
		missing+=(gcc-multilib)
	fi
	[ ${#missing[@]} -eq 0 ] ||
		die "missing tools: apt-get install ${missing[*]}"
}

# The inputs of the prepared tree: tarball, series, patches, new files.
# Names and contents, so that a rename or a touch-free edit counts.
inputs_hash() {
	{
		stat -c '%n %s %Y' "$tarball"
		(cd "$srcdir" && find glibc-patch sysdeps -type f ! -name README.md \
			-print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
		(cd "$builddir/headers" && find . -type f -print0 |
			LC_ALL=C sort -z | xargs -0r sha256sum)
	} | sha256sum | cut -d' ' -f1
}

# The kernel headers in $builddir/headers, replaced file by file when their
# contents changed (so that make recompiles only what includes them).
sync_headers() {
	local from=$1 tmp

	tmp=$(mktemp -d "$builddir/headers.XXXXXX")
	tmpdirs+=("$tmp")
	if [ -z "$from" ]; then
		# Debian's debian/include: the kernel's directories only.
		cp -rL /usr/include/linux /usr/include/asm-generic "$tmp/"
		cp -rL "/usr/include/$(gcc -print-multiarch)/asm" "$tmp/asm"
	else
		if [ ! -d "$from/linux" ] || [ ! -d "$from/asm" ]; then
			die "$from has no linux/ and asm/: give the include/ directory of 'make headers_install'"
		fi
		cp -rL "$from/linux" "$from/asm" "$from/asm-generic" "$tmp/"
	fi
	mkdir -p "$builddir/headers"
	rsync -rlc --delete "$tmp/" "$builddir/headers/"
}

# A fresh patched tree in a temporary directory, then only the files whose
# contents differ are copied into src/ (with a new mtime).
prepare_tree() {
	local want tmp patch
	local stamp=$builddir/prepared.stamp

	want=$(inputs_hash)
	if [ -d "$builddir/src" ] && [ "$want" = "$(cat "$stamp" 2>/dev/null || true)" ]; then
		return
	fi
	msg "preparing the glibc tree: $tarball + glibc-patch/series + sysdeps/"
	tmp=$(mktemp -d "$builddir/src.XXXXXX")
	tmpdirs+=("$tmp")
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	if grep -qv -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$srcdir/glibc-patch/series"; then
		while read -r patch; do
			msg "  $patch"
		done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$srcdir/glibc-patch/series")
		(cd "$tmp" && QUILT_PATCHES="$srcdir/glibc-patch" QUILT_PC=.pc \
			quilt push -a -q --fuzz=0 >/dev/null) ||
			die "glibc-patch/series does not apply (run quilt in a copy of the tree to see why)"
		rm -rf "$tmp/.pc"
	fi
	(cd "$srcdir/sysdeps" && find . -type f ! -path ./README.md -print0) |
		(cd "$srcdir/sysdeps" && xargs -0r cp --parents -t "$tmp/sysdeps")
	mkdir -p "$builddir/src"
	rsync -rlc --delete "$tmp/" "$builddir/src/"
	printf '%s\n' "$want" >"$stamp"
}

configure_glibc() {
	local obj=$builddir/obj want stamp=$builddir/configured.stamp
	local args=(
		--host="$host" --build=x86_64-linux-gnu
		--prefix=/usr
		--without-selinux
		--disable-crypt
		--enable-stack-protector=strong
		--with-pkgversion="Debian GLIBC $DEBIAN_VERSION, KML"
		--with-bugurl=http://www.debian.org/Bugs/
		--with-timeoutfactor=25
		--with-headers="$builddir/headers"
		--enable-kernel="$MIN_KERNEL"
		--enable-multi-arch
		"${arch_args[@]}"
	)

	want=$(printf '%s\n' "${args[@]}" "$cflags" | sha256sum | cut -d' ' -f1)
	if [ -f "$obj/config.status" ] && [ "$want" = "$(cat "$stamp" 2>/dev/null || true)" ]; then
		return
	fi
	msg "configuring glibc in $obj"
	rm -rf "$obj"
	mkdir -p "$obj"
	# configparms as Debian writes it (build.mk).
	cat >"$obj/configparms" <<EOF
CFLAGS = $cflags
ASFLAGS = $cflags
BUILD_CFLAGS = -O2 -g
LDFLAGS =
BASH := /bin/bash
KSH := /bin/bash
SHELL := /bin/bash
LIBGD = no
bindir = /usr/bin
datadir = /usr/share
complocaledir = /usr/lib/locale
sysconfdir = /etc
libexecdir = /usr/lib
rootsbindir = /sbin
includedir = /usr/include
docdir = /usr/share/doc
mandir = /usr/share/man
sbindir = /usr/sbin
vardbdir = /var/lib/misc
libdir = /usr/lib/$multiarch
slibdir = /lib/$multiarch
rtlddir = $rtlddir
EOF
	(cd "$obj" &&
		CC="gcc$ccflag -Wl,--hash-style=both" \
		CXX="g++$ccflag -Wl,--hash-style=both" \
		AUTOCONF=false MAKEINFO=: "$builddir/src/configure" "${args[@]}" \
		>"$builddir/configure.log" 2>&1) ||
		die "configure failed; see $builddir/configure.log"
	printf '%s\n' "$want" >"$stamp"
}

# What make would compile from: the tree and the configuration.
build_state() {
	cat "$builddir/prepared.stamp" "$builddir/configured.stamp"
}

build_glibc() {
	local stamp=$builddir/built.stamp start=$SECONDS

	if [ "$(build_state)" = "$(cat "$stamp" 2>/dev/null || true)" ]; then
		return
	fi
	msg "building glibc with -j$jobs (log: $builddir/build.log; minutes)"
	rm -f "$stamp"
	# Progress: one line per subdirectory on stderr (when make first
	# enters it, whatever its depth), everything in the log.
	if ! make -C "$builddir/obj" -j"$jobs" 2>&1 |
		tee "$builddir/build.log" |
		sed -un "s/^make\[[0-9]*\]: Entering directory '.*\/src\/\([A-Za-z0-9_-]*\)'\$/\1/p" |
		gawk '!seen[$0]++ { print "  building " $0; fflush() }' >&2; then
		tail -n 30 "$builddir/build.log" >&2
		die "glibc build failed; see $builddir/build.log"
	fi
	build_state >"$stamp"
	msg "built in $((SECONDS - start)) s"
}

# What the sysroot is made of: the build and the layout below.
install_state() {
	cat "$builddir/built.stamp"
	echo "layout 2: ld.so in slibdir, kernel headers"
}

# make install into a fresh directory, then Debian's layout: ld.so lives in
# slibdir, rtlddir (/lib64, /lib) holds a (relative) link to it.
install_glibc() {
	local stamp=$sysroot/.kml-glibc.stamp tmp slib=lib/$multiarch

	if [ -d "$sysroot" ] && [ "$(install_state)" = "$(cat "$stamp" 2>/dev/null || true)" ]; then
		return
	fi
	msg "installing into $sysroot"
	mkdir -p "$(dirname "$sysroot")"
	tmp=$(mktemp -d "$sysroot.new.XXXXXX")
	tmpdirs+=("$tmp")
	make -C "$builddir/obj" -j"$jobs" install install_root="$tmp" \
		>"$builddir/install.log" 2>&1 ||
		die "make install failed; see $builddir/install.log"
	mv "$tmp$rtlddir/$rtld" "$tmp/$slib/$rtld"
	ln -sr "$tmp/$slib/$rtld" "$tmp$rtlddir/$rtld"
	# The kernel headers glibc was built with, as linux-libc-dev gives
	# them to a Debian system: the sysroot can compile programs.
	cp -r "$builddir/headers/." "$tmp/usr/include/"
	install_state >"$tmp/.kml-glibc.stamp"
	rm -rf "$sysroot.old"
	[ ! -e "$sysroot" ] || mv "$sysroot" "$sysroot.old"
	mv "$tmp" "$sysroot"
	rm -rf "$sysroot.old"
}

# A program of the build's architecture that prints its first argument,
# linked against the host's glibc: Debian's /bin/echo, or for i686 one
# built with gcc -m32 (the host's libc6-i386; there are no i386 binaries on
# an amd64 host).
check_program() {
	local prog=$builddir/echo-i386

	case $arch in
	x86_64) echo /bin/echo ;;
	i686)
		[ -x "$prog" ] ||
			printf '#include <stdio.h>\nint main (int c, char **v) { puts (v[1]); return 0; }\n' |
			gcc -m32 -O2 -x c -o "$prog" - ||
			die "gcc -m32 cannot link a program: apt-get install gcc-multilib"
		echo "$prog"
		;;
	esac
}

# Whether this host runs IA-32 programs at all: a kernel without IA-32
# emulation, or one that has it turned off (ia32_emulation=0, some
# virtual machines), gives ENOEXEC even for a static program.
host_runs_ia32() {
	local prog=$builddir/true-i386

	[ -x "$prog" ] ||
		printf 'int main (void) { return 0; }\n' |
		gcc -m32 -static -O2 -x c -o "$prog" - ||
		die "gcc -m32 -static cannot link a program: apt-get install gcc-multilib"
	"$prog" 2>/dev/null
}

# The sysroot's ld.so and libc run a program linked against Debian's.
final_check() {
	local slib=$sysroot/lib/$multiarch ldso=$sysroot$rtlddir/$rtld lib out prog

	for lib in "$rtld" libc.so.6 libm.so.6 libpthread.so.0 \
		   libdl.so.2 librt.so.1 libresolv.so.2 libutil.so.1; do
		[ -e "$slib/$lib" ] || die "$slib/$lib is missing"
	done
	if [ "$arch" = i686 ] && ! host_runs_ia32; then
		msg "warning: this host cannot run IA-32 programs (no IA-32 emulation in its kernel): the i686 sysroot is not run here, only in the guest"
		return
	fi
	prog=$(check_program)
	out=$("$ldso" --library-path "$slib" "$prog" kml-glibc-ok) ||
		die "$prog does not run on the sysroot's ld.so and libc"
	[ "$out" = kml-glibc-ok ] || die "$prog on the sysroot printed '$out'"
	"$ldso" --library-path "$slib" --list "$prog" |
		grep -qF "$slib/libc.so.6" ||
		die "$prog on the sysroot's ld.so does not load the sysroot's libc.so.6"
}

main() {
	local start=$SECONDS

	parse_args "$@"
	check_deps
	mkdir -p "$builddir"
	builddir=$(cd "$builddir" && pwd)
	sysroot=$(mkdir -p "$(dirname "$sysroot")" && cd "$(dirname "$sysroot")" && pwd)/${sysroot##*/}
	[ -z "$kheaders" ] || kheaders=$(cd "$kheaders" && pwd)
	sync_headers "$kheaders"
	prepare_tree
	configure_glibc
	build_glibc
	install_glibc
	final_check
	msg "glibc ready: $sysroot ($((SECONDS - start)) s)"
}

main "$@"
