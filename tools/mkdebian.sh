#!/bin/bash
# Build the Debian guest's disk image: debootstrap --variant=minbase bookworm
# into a directory, then an ext4 image of it with mkfs.ext4 -d.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

# What makes up the root file system besides the options: a change here
# rebuilds it (see rootfs_key).
readonly VARIANT=minbase
readonly ROOTFS_FORMAT=1
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# debootstrap and mkfs.ext4 are in sbin, which a root shell from su or
# sudo may not have in its PATH.
PATH=$PATH:/usr/sbin:/sbin

usage() {
	cat <<EOF
Usage: $myname --outdir DIR [options]

Make a Debian root file system with debootstrap (variant $VARIANT) from the
Debian mirror this machine's apt uses, and an ext4 disk image of it for
the KML guest (tools/kml-guest --rootfs).  The image's init is
/sbin/kml-init (tools/debian-init.sh): a shell script as PID 1, no init
system.  Both steps are cached: the root file system is made again only
when the suite, the mirror, the packages or this script's format
changed, the image only when the root file system, the init script or
the size changed.  Needs root (debootstrap chroots and makes device
nodes; the image keeps the files' owners) and the network for the first
run.  No loop mount: mkfs.ext4 -d writes the image from the directory.

Under DIR:
  rootfs/          the unpacked root file system (debootstrap's target)
  debian.img       the raw ext4 disk image (sparse)
  debs/            debootstrap's package cache (--cache-dir)
  debootstrap.log  debootstrap's output of the last run
  rootfs.stamp, image.stamp   the inputs they were made from

Options:
  --outdir DIR     where everything goes (required)
  --suite NAME     Debian suite (default: bookworm)
  --mirror URL     Debian mirror (default: the first apt source of this
                   machine that serves the suite, see /etc/apt/sources.list
                   and /etc/apt/sources.list.d/)
  --include PKGS   more packages, comma-separated (debootstrap --include)
  --init FILE      the image's /sbin/kml-init (default:
                   tools/debian-init.sh)
  --size SIZE      the image's size, as for truncate(1) (default: 2G;
                   sparse, only what is written takes disk space)
  --force          make the root file system again even if it is up to date
  -h, --help       show this help

Exit status: 0 image ready, 1 error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

outdir=
suite=bookworm
mirror=
include=
size=2G
force=0
init=$(cd "$(dirname "$0")" && pwd)/debian-init.sh

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--outdir) outdir=${2:?}; shift ;;
		--suite) suite=${2:?}; shift ;;
		--mirror) mirror=${2:?}; shift ;;
		--include) include=${2?}; shift ;;
		--init) init=${2:?}; shift ;;
		--size) size=${2:?}; shift ;;
		--force) force=1 ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$outdir" ]; then
		msg "--outdir is required (try --help)"
		exit "$EXIT_USAGE"
	fi
	[[ $include =~ ^[a-z0-9.+,-]*$ ]] ||
		die "--include '$include': not a comma-separated list of package names"
}

check_deps() {
	[ "$(id -u)" -eq 0 ] ||
		die "needs root: debootstrap chroots and makes device nodes, and mkfs.ext4 -d reads every file and keeps its owner (run as root, as ./setup)"
	command -v mkfs.ext4 >/dev/null ||
		die "mkfs.ext4 not found: apt-get install e2fsprogs"
	[ -r "$init" ] || die "init script $init not found"
}

# The first URI of an apt source (one-line or deb822 format) with type deb
# that serves SUITE itself (not SUITE-updates or SUITE-security).
apt_mirror() {
	local suite=$1 file

	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		    /etc/apt/sources.list.d/*.sources; do
		[ -r "$file" ] || continue
		case $file in
		*.sources)
			awk -v suite="$suite" '
				function check() {
					if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri != "") {
						print uri; found = 1; exit
					}
					types = suites = uri = ""
				}
				/^[ \t]*$/ { check(); next }
				/^#/ { next }
				tolower($1) == "types:" { types = substr($0, index($0, ":") + 2) }
				tolower($1) == "suites:" { suites = substr($0, index($0, ":") + 2) }
				tolower($1) == "uris:" { uri = $2 }
				END { if (!found) check() }' "$file"
			;;
		*)
			sed -e 's/\[[^]]*\]//' "$file" |
				awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }'
			;;
		esac
	done | head -n 1
}

find_mirror() {
	if [ -z "$mirror" ]; then
		mirror=$(apt_mirror "$suite")
		[ -n "$mirror" ] ||
			die "no apt source of this machine serves '$suite' (/etc/apt/sources.list*): give one with --mirror URL"
	fi
	mirror=${mirror%/}
}

# All the root file system is made from, one line: a different line
# means a different root file system.
rootfs_key() {
	printf 'format=%s suite=%s variant=%s mirror=%s include=%s arch=%s\n' \
		"$ROOTFS_FORMAT" "$suite" "$VARIANT" "$mirror" "$include" \
		"$(dpkg --print-architecture)"
}

# Unmount whatever debootstrap left mounted under DIR (proc, sys, dev/pts
# when it failed half-way), deepest first, so that removing DIR never
# reaches into the host's /proc or /dev.
unmount_under() {
	local dir=$1 mnt

	dir=$(readlink -f "$dir")
	awk -v dir="$dir" '$2 == dir || index($2, dir "/") == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r mnt; do
			umount -l "$mnt" || die "cannot unmount $mnt: remove $dir by hand"
		done
}

remove_tree() {
	local dir=$1

	[ -e "$dir" ] || return 0
	unmount_under "$dir"
	rm -rf --one-file-system "$dir"
}

check_network() {
	command -v debootstrap >/dev/null ||
		die "debootstrap not found: apt-get install debootstrap (./setup installs it)"
	[ -r "$KEYRING" ] ||
		die "$KEYRING not found: apt-get install debian-archive-keyring"
	msg "checking $mirror/dists/$suite/Release"
	wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$suite/Release" ||
		die "cannot fetch $mirror/dists/$suite/Release: no network, or not a Debian mirror (--mirror URL)"
}

# The root file system, unless rootfs.stamp says it is made from the same.
make_rootfs() {
	local key status tmp=$outdir/rootfs.tmp start=$SECONDS
	local -a args

	key=$(rootfs_key)
	if [ "$force" -eq 0 ] && [ -d "$outdir/rootfs" ] &&
		[ "$(cat "$outdir/rootfs.stamp" 2>/dev/null || true)" = "$key" ]; then
		msg "root file system up to date: $outdir/rootfs ($suite from $mirror)"
		return
	fi
	check_network
	msg "debootstrap --variant=$VARIANT $suite from $mirror into $tmp (a few minutes; log: $outdir/debootstrap.log)"
	remove_tree "$tmp"
	mkdir -p "$outdir/debs"
	args=(--variant="$VARIANT" --keyring="$KEYRING"
		--cache-dir="$(readlink -f "$outdir/debs")")
	[ -z "$include" ] || args+=(--include="$include")
	# debootstrap's own progress lines (I: Retrieving ..., I: Unpacking
	# ...) go to the terminal and the log.
	set +e
	debootstrap "${args[@]}" "$suite" "$tmp" "$mirror" 2>&1 |
		tee "$outdir/debootstrap.log" | grep --line-buffered '^[IEW]:' >&2
	status=${PIPESTATUS[0]}
	set -e
	if [ "$status" -ne 0 ] || [ ! -x "$tmp/usr/bin/dpkg" ]; then
		[ ! -r "$tmp/debootstrap/debootstrap.log" ] ||
			cp "$tmp/debootstrap/debootstrap.log" "$outdir/debootstrap-target.log"
		unmount_under "$tmp"
		die "debootstrap failed (see $outdir/debootstrap.log; the half-made tree is $tmp)"
	fi
	unmount_under "$tmp"
	configure_rootfs "$tmp"
	remove_tree "$outdir/rootfs"
	mv "$tmp" "$outdir/rootfs"
	printf '%s\n' "$key" >"$outdir/rootfs.stamp"
	msg "root file system ready: $outdir/rootfs ($(du -sh --one-file-system "$outdir/rootfs" | cut -f1), $((SECONDS - start)) s)"
}

# What a fresh machine has that debootstrap does not write: a host name,
# an fstab, no downloaded packages.
configure_rootfs() {
	local root=$1

	printf 'kml-debian\n' >"$root/etc/hostname"
	printf '127.0.1.1\tkml-debian\n' >>"$root/etc/hosts"
	cat >"$root/etc/fstab" <<EOF
# The KML guest's disk (tools/kml-guest --rootfs); /sbin/kml-init mounts
# the rest.
/dev/vda	/	ext4	defaults	0	1
EOF
	rm -f "$root"/var/cache/apt/archives/*.deb
}

# The image, unless image.stamp says it is made from the same root file
# system, init and size.
make_image() {
	local key image=$outdir/debian.img start=$SECONDS

	key=$(printf '%s\n' "$(cat "$outdir/rootfs.stamp")" "size=$size" \
		"$(sha256sum <"$init")" "$(sha256sum <"$0")" | sha256sum | cut -d' ' -f1)
	if [ -s "$image" ] && [ "$(cat "$outdir/image.stamp" 2>/dev/null || true)" = "$key" ]; then
		msg "image up to date: $image"
		return
	fi
	install -m 0755 -o root -g root "$init" "$outdir/rootfs/sbin/kml-init"
	msg "writing $image ($size, ext4, from $outdir/rootfs)"
	rm -f "$image.tmp"
	truncate -s "$size" "$image.tmp"
	mkfs.ext4 -q -F -L kml-debian -d "$outdir/rootfs" "$image.tmp" ||
		die "mkfs.ext4 -d could not write $image.tmp (is --size $size big enough for $(du -sh --one-file-system "$outdir/rootfs" | cut -f1)?)"
	mv "$image.tmp" "$image"
	printf '%s\n' "$key" >"$outdir/image.stamp"
	msg "image ready: $image ($(du -h "$image" | cut -f1) used of $size, $((SECONDS - start)) s)"
}

main() {
	parse_args "$@"
	check_deps
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	find_mirror
	make_rootfs
	make_image
}

main "$@"
