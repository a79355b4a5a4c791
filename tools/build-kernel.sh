#!/bin/bash
# Build the guest kernel: Debian's linux-source-6.12 + kernel-patch/series, small config.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [options]

Unpack Debian's linux-source-6.12 into a git tree in the build directory,
apply kernel-patch/series with 'git am', configure tinyconfig plus
kernel-patch/kml.config and build bzImage (out of tree, with O=).

Options:
  --srcdir DIR     project source directory (default: this script's ../)
  --builddir DIR   where the kernel tree and objects go (default: ./linux)
  --tarball FILE   kernel source tarball
                   (default: /usr/src/linux-source-6.12.tar.xz)
  -j N             parallel jobs (default: number of CPUs)
  -h, --help       show this help

Layout under the build directory:
  src/             git tree: tag kml-base = Debian's source, then one
                   commit per patch of the series
  obj/             object tree; obj/arch/x86/boot/bzImage is the result

The git tree is reset only when the series changed, and never when it has
uncommitted changes (work in progress is not thrown away).

Exit status: 0 built, 1 build or patch failure, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$PWD/linux
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=$(nproc)

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--srcdir) srcdir=$(cd "${2:?}" && pwd); shift ;;
		--builddir) builddir=${2:?}; shift ;;
		--tarball) tarball=${2:?}; shift ;;
		-j) jobs=${2:?}; shift ;;
		-j*) jobs=${1#-j} ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
}

check_deps() {
	local tool pkg missing=()

	[ -r "$tarball" ] ||
		die "$tarball not found: apt-get install linux-source-6.12"
	for tool in git:git make:make gcc:gcc flex:flex bison:bison bc:bc \
		    perl:perl xz:xz-utils; do
		pkg=${tool#*:}
		tool=${tool%%:*}
		command -v "$tool" >/dev/null || missing+=("$pkg")
	done
	[ -e /usr/include/gelf.h ] || missing+=(libelf-dev)
	[ -e /usr/include/openssl/opensslv.h ] || missing+=(libssl-dev)
	[ ${#missing[@]} -eq 0 ] ||
		die "missing tools: apt-get install ${missing[*]}"
}

# Run git in the kernel tree with a fixed identity, so that 'git am' works
# on machines where no user is configured.
kgit() {
	git -C "$builddir/src" -c user.name="KML build" \
		-c user.email="kml-build@localhost" "$@"
}

unpack() {
	local tmp=$builddir/src.tmp

	[ -d "$builddir/src/.git" ] && return
	msg "unpacking $tarball (once; about a minute)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q
	# Debian's .gitignore ignores every top-level entry (it serves Debian's
	# packaging repository): add the tree regardless.
	git -C "$tmp" add -A -f
	git -C "$tmp" -c user.name="KML build" \
		-c user.email="kml-build@localhost" \
		commit -q -m "Linux $(make -s -C "$tmp" kernelversion) (Debian linux-source-6.12)"
	git -C "$tmp" tag kml-base
	mv "$tmp" "$builddir/src"
}

# The series as it stands: patch names and contents, one hash.
series_hash() {
	local series=$srcdir/kernel-patch/series

	{
		cat "$series"
		series_patches | xargs -r cat
	} | sha256sum | cut -d' ' -f1
}

series_patches() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$srcdir/kernel-patch/series" |
		while read -r patch _; do
			printf '%s\n' "$srcdir/kernel-patch/$patch"
		done
}

apply_series() {
	local want have patch stamp=$builddir/series.applied

	want=$(series_hash)
	have=$(cat "$stamp" 2>/dev/null || true)
	[ "$want" = "$have" ] && return

	if [ -n "$(kgit status --porcelain --untracked-files=no)" ]; then
		die "$builddir/src has uncommitted changes; commit or stash them before the series is applied again"
	fi
	msg "applying kernel-patch/series"
	kgit reset -q --hard kml-base
	while read -r patch; do
		[ -r "$patch" ] || die "kernel-patch/series names a missing file: $patch"
		msg "  ${patch##*/}"
		if ! kgit am -q --keep-cr "$patch"; then
			kgit am --abort || true
			die "${patch##*/} does not apply to $(kgit describe --tags)"
		fi
	done < <(series_patches)
	printf '%s\n' "$want" >"$stamp"
}

kmake() {
	make -C "$builddir/src" O="$builddir/obj" -j"$jobs" "$@"
}

# Every option the fragment asks for must be in the final .config: Kconfig
# silently drops what a missing dependency does not allow.
check_config() {
	local fragment=$1 config=$builddir/obj/.config line sym bad=0

	while read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$config" && continue
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$config" || continue
			;;
		*) continue ;;
		esac
		msg "kml.config: '$line' did not take (a dependency is missing)"
		bad=1
	done <"$fragment"
	[ "$bad" -eq 0 ] || die "the kernel configuration is not what kernel-patch/kml.config asks for"
}

configure_kernel() {
	local fragment=$srcdir/kernel-patch/kml.config
	local stamp=$builddir/config.stamp want

	want=$( (cat "$fragment"; series_hash) | sha256sum | cut -d' ' -f1)
	if [ "$want" != "$(cat "$stamp" 2>/dev/null || true)" ]; then
		msg "configuring: tinyconfig + kernel-patch/kml.config"
		mkdir -p "$builddir/obj"
		kmake -s tinyconfig >/dev/null
		"$builddir/src/scripts/kconfig/merge_config.sh" -m -O "$builddir/obj" \
			"$builddir/obj/.config" "$fragment" >/dev/null
		kmake -s olddefconfig >/dev/null
		printf '%s\n' "$want" >"$stamp"
	fi
	check_config "$fragment"
}

main() {
	local start=$SECONDS

	parse_args "$@"
	check_deps
	mkdir -p "$builddir"
	builddir=$(cd "$builddir" && pwd)
	unpack
	apply_series
	configure_kernel
	msg "building bzImage with -j$jobs"
	kmake bzImage
	[ -s "$builddir/obj/arch/x86/boot/bzImage" ] || die "no bzImage was produced"
	msg "kernel ready: $builddir/obj/arch/x86/boot/bzImage ($((SECONDS - start)) s)"
}

main "$@"
