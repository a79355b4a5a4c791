#!/bin/bash
# Build the guest kernel: Debian's linux-source-6.12 + kernel-patch/series, small or
# distribution-like config; with --stock the same source and configuration without the
# series (the benchmark's baseline).
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [options]

Unpack Debian's linux-source-6.12 into a git tree in the build directory,
apply kernel-patch/series with 'git am', configure tinyconfig plus
kernel-patch/kml.config (plus kernel-patch/distro.config with --config
distro, and kernel-patch/debug.config too with --config distro-like) and
build bzImage (out of tree, with O=).

With --stock, build the baseline kernel of the benchmark instead: the same
Debian source without the series (tag kml-base, checked out once as a git
worktree of the same tree, so the tarball is unpacked only once), the same
configuration minus the options the series adds, its own object tree.

Options:
  --stock          build the unpatched kernel (stock-src/, stock-obj/)
  --config NAME    tiny (default): tinyconfig + kml.config (the test
                   kernel of make check: mitigations, preemption, EFI,
                   IBT compiled in), in obj/;
                   distro: also distro.config (the hardening, KVM, FRED
                   of a distribution kernel), in obj-distro/
                   (stock-obj-distro/);
                   distro-like: distro + debug.config (lockdep and entry
                   debugging), in obj-distro-like/
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
                   (obj-distro/, obj-distro-like/ with --config)
  stock-src/       --stock: git worktree of src/ at kml-base
  stock-obj/       --stock: its objects; stock-obj/arch/x86/boot/bzImage

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
stock=0
config=tiny

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--srcdir) srcdir=$(cd "${2:?}" && pwd); shift ;;
		--builddir) builddir=${2:?}; shift ;;
		--tarball) tarball=${2:?}; shift ;;
		--stock) stock=1 ;;
		--config)
			config=${2:?}
			case $config in
			tiny|distro|distro-like) ;;
			*) msg "unknown --config '$config': tiny, distro or distro-like"; exit "$EXIT_USAGE" ;;
			esac
			shift
			;;
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
		commit -q -m "Linux $(make -s --no-print-directory -C "$tmp" kernelversion) (Debian linux-source-6.12)"
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
	local want have patch saved stamp=$builddir/series.applied

	want=$(series_hash)
	have=$(cat "$stamp" 2>/dev/null || true)
	[ "$want" = "$have" ] && return
	saved=$(mktemp)
	# shellcheck disable=SC2064 # expand now: the trap outlives this function
	trap "rm -f '$saved'" EXIT

	if [ -n "$(kgit status --porcelain --untracked-files=no)" ]; then
		die "$builddir/src has uncommitted changes; commit or stash them before the series is applied again"
	fi
	msg "applying kernel-patch/series"
	save_series_files "$saved"
	kgit reset -q --hard kml-base
	while read -r patch; do
		[ -r "$patch" ] || die "kernel-patch/series names a missing file: $patch"
		msg "  ${patch##*/}"
		if ! kgit am -q --keep-cr "$patch"; then
			kgit am --abort || true
			die "${patch##*/} does not apply to $(kgit describe --tags)"
		fi
	done < <(series_patches)
	restore_series_mtimes "$saved"
	printf '%s\n' "$want" >"$stamp"
}

# Applying the series again rewrites every file it touches, which would
# make the next build recompile most of the kernel for a change in one
# patch.  Remember each such file's blob and modification time, and give
# the files whose contents came out the same their old time back, so that
# make rebuilds only what changed.
save_series_files() {
	local saved=$1 file

	kgit diff --name-only kml-base HEAD -- | while read -r file; do
		[ -e "$builddir/src/$file" ] || continue
		printf '%s %s %s\n' "$(kgit rev-parse "HEAD:$file")" \
			"$(stat -c %Y "$builddir/src/$file")" "$file"
	done >"$saved"
}

restore_series_mtimes() {
	local saved=$1 blob mtime file

	while read -r blob mtime file; do
		[ "$(kgit rev-parse -q --verify "HEAD:$file" 2>/dev/null)" = "$blob" ] &&
			touch -d "@$mtime" "$builddir/src/$file"
	done <"$saved"
}

# The tree being built: src/ and obj/, or stock-src/ and stock-obj/
# (set by main).
kmake() {
	make -C "$srctree" O="$objtree" -j"$jobs" "$@"
}

# The baseline's source: Debian's, as tagged kml-base, in a worktree of
# the same git tree (a checkout, no second unpack of the tarball).
checkout_stock() {
	local base

	base=$(kgit rev-parse 'kml-base^{commit}')
	if [ -e "$srctree" ]; then
		[ "$(git -C "$srctree" rev-parse HEAD 2>/dev/null || true)" = "$base" ] ||
			die "$srctree is not a checkout of kml-base: remove it (rm -rf $srctree; git -C $builddir/src worktree prune) and run again"
		[ -z "$(git -C "$srctree" status --porcelain --untracked-files=no)" ] ||
			die "$srctree has changes: the stock kernel is Debian's source as it is; remove them (git -C $srctree checkout -- .)"
		return
	fi
	msg "checking out kml-base (Debian's source, no patch) into $srctree (once)"
	kgit worktree prune
	kgit worktree add -q --detach "$srctree" kml-base ||
		die "could not check out kml-base into $srctree"
}

# The options the series adds (its Kconfig entries): a tree without the
# series has no such symbols.
series_symbols() {
	local patch

	while read -r patch; do
		[ -r "$patch" ] || die "kernel-patch/series names a missing file: $patch"
		sed -n 's/^+\(menu\)\{0,1\}config \([A-Za-z0-9_]*\).*/\2/p' "$patch"
	done < <(series_patches)
}

# The configuration fragments of --config, in the order they apply.
config_fragments() {
	printf '%s\n' "$srcdir/kernel-patch/kml.config"
	case $config in
	distro) printf '%s\n' "$srcdir/kernel-patch/distro.config" ;;
	distro-like)
		printf '%s\n' "$srcdir/kernel-patch/distro.config" \
			"$srcdir/kernel-patch/debug.config"
		;;
	esac
}

# Suffix of the object trees and stamps of --config: none for tiny.
config_suffix() {
	[ "$config" = tiny ] || printf -- '-%s' "$config"
}

# The fragments of --config merged into OUT, without the options SYMBOLS
# (names without CONFIG_, separated by spaces): where a later fragment
# sets an option again, only its setting stays, as merge_config.sh
# applies them.  Prints OUT.
merge_fragments() {
	local out=$1 symbols=$2

	config_fragments | xargs cat | awk -v symbols="$symbols" '
		BEGIN {
			n = split(symbols, list, " ")
			for (i = 1; i <= n; i++)
				drop["CONFIG_" list[i]] = 1
		}
		{
			sym = $0
			sub(/^# /, "", sym)
			sub(/[= ].*/, "", sym)
			if (sym in drop)
				next
			if (sym ~ /^CONFIG_/) {
				if (sym in last)
					dropped[last[sym]] = 1
				last[sym] = NR
			}
			line[NR] = $0
		}
		END {
			for (i = 1; i <= NR; i++)
				if ((i in line) && !(i in dropped))
					print line[i]
		}' >"$out"
	printf '%s\n' "$out"
}

# The fragments of --config in one file, for merge_config.sh, the check
# and the hash.  Prints the file's name.
kml_fragment() {
	merge_fragments "$builddir/kml$(config_suffix).config" ""
}

# The fragments without the series' own options, for the stock kernel: the
# rest of the configuration stays the same, so the baseline differs from
# the KML kernel only by the series.  Prints the file's name.
stock_fragment() {
	local symbols

	symbols=$(series_symbols | sort -u | tr '\n' ' ')
	msg "stock configuration: $config without the series' options (${symbols% })"
	merge_fragments "$builddir/stock$(config_suffix).config" "$symbols"
}

# Every option the fragment asks for must be in the final .config: Kconfig
# silently drops what a missing dependency does not allow.
check_config() {
	local fragment=$1 config=$objtree/.config line sym bad=0

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
		msg "${fragment##*/}: '$line' did not take (a dependency is missing)"
		bad=1
	done <"$fragment"
	[ "$bad" -eq 0 ] || die "the kernel configuration in $objtree is not what $fragment asks for"
}

# tinyconfig + FRAGMENT in the object tree, redone only when KEY (a hash
# of all the configuration depends on) differs from the one in STAMP.
configure_kernel() {
	local fragment=$1 key=$2 stamp=$3

	if [ "$key" != "$(cat "$stamp" 2>/dev/null || true)" ]; then
		msg "configuring $objtree: tinyconfig + $fragment"
		mkdir -p "$objtree"
		kmake -s tinyconfig >/dev/null
		"$srctree/scripts/kconfig/merge_config.sh" -m -O "$objtree" \
			"$objtree/.config" "$fragment" >/dev/null
		kmake -s olddefconfig >/dev/null
		printf '%s\n' "$key" >"$stamp"
	fi
	check_config "$fragment"
}

main() {
	local start=$SECONDS what fragment key stamp image

	parse_args "$@"
	check_deps
	mkdir -p "$builddir"
	builddir=$(cd "$builddir" && pwd)
	unpack
	if [ "$stock" -eq 1 ]; then
		what=stock
		srctree=$builddir/stock-src
		objtree=$builddir/stock-obj$(config_suffix)
		checkout_stock
		fragment=$(stock_fragment)
		key=$(sha256sum <"$fragment" | cut -d' ' -f1)
		stamp=$builddir/stock-config$(config_suffix).stamp
	else
		what=KML
		srctree=$builddir/src
		objtree=$builddir/obj$(config_suffix)
		apply_series
		fragment=$(kml_fragment)
		key=$( (cat "$fragment"; series_hash) | sha256sum | cut -d' ' -f1)
		stamp=$builddir/config$(config_suffix).stamp
	fi
	what="$what ($config)"
	configure_kernel "$fragment" "$key" "$stamp"
	msg "building the $what kernel's bzImage in $objtree with -j$jobs"
	kmake bzImage ||
		die "the $what kernel did not build (make's errors are above; objects in $objtree)"
	image=$objtree/arch/x86/boot/bzImage
	[ -s "$image" ] || die "no bzImage was produced in $objtree"
	msg "$what kernel ready: $image ($((SECONDS - start)) s)"
}

main "$@"
