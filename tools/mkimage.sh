#!/bin/bash
# Build the guest's initramfs: busybox, Debian binaries with their libraries, /trusted.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

readonly DEFAULT_BINARIES="ls cat sort sha256sum find cp mv rm mkdir ln head tail wc
tr uniq cut env id stat true false echo seq sleep nproc uname cmp diff
sqlite3 python3"
readonly DEFAULT_TRUSTED="ls cat sort sha256sum find cp head wc sqlite3 python3"

usage() {
	cat <<EOF
Usage: $myname --gen-init-cpio PROG --output FILE [options]

Write an uncompressed initramfs (newc cpio) for the KML guest:
  /init                 tools/guest-init.sh
  /usr/bin/busybox      Debian's busybox-static, with links for its applets
                        where no Debian binary of that name is included
  /usr/bin/<binary>     Debian's dynamically linked binaries (from the host)
  /usr/lib/<triplet>/   their libraries (x86_64-linux-gnu, i386-linux-gnu):
                        glibc from the sysroots, the rest from the sysroots
                        if they have them, else from the host
  /usr/lib/python3.N/   what python3 needs to start (not the whole
                        standard library)
  /trusted/<binary>     copies of some of them; directory root:root 0755
  /usr/share/kml-test/  test data (--data)
  /etc/passwd, group    root, nobody, and the unprivileged users of the
                        security tests: user (1000), kmluser (1001, in
                        group kml, 900)
Ownership and modes come from the cpio list, so no root is needed.

Options:
  --gen-init-cpio PROG  the kernel's usr/gen_init_cpio, built for the host
  --output FILE         the image to write
  --sysroot DIR         where glibc comes from (default: /, the host's);
                        repeatable, searched in order (e.g. an x86_64 and
                        an i686 sysroot, and a tree of unpacked packages)
  --binaries "A B ..."  programs for /usr/bin (default: coreutils and
                        findutils programs, sqlite3, python3; see
                        the source)
  --trusted "A B ..."   programs copied to /trusted (default: $DEFAULT_TRUSTED)
  --extra SRC:DEST[:MODE[:UID:GID]]
                        add the file SRC at DEST, with its libraries if it
                        is ELF; mode default SRC's, owner default root;
                        repeatable
  --symlink DEST:TARGET add a symbolic link DEST pointing at TARGET,
                        repeatable
  --dir DEST:MODE:UID:GID
                        add the directory DEST with that mode and owner
                        (others are root's, 0755); repeatable
  --tree SRC:DEST       add the directory SRC at DEST as it is: files keep
                        their modes and symbolic links their targets, root
                        owns everything, and no libraries are looked up
                        (the tree brings its own); repeatable
  --data DIR            copy DIR to /usr/share/kml-test
  --init FILE           the /init script (default: tools/guest-init.sh)
  -h, --help            show this help

Exit status: 0 written, 1 error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

gen_init_cpio=
output=
sysroots=()
binaries=$DEFAULT_BINARIES
trusted=$DEFAULT_TRUSTED
datadir=
init=$(cd "$(dirname "$0")" && pwd)/guest-init.sh
extras=()
symlinks=()
trees=()
dir_specs=()

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--gen-init-cpio) gen_init_cpio=${2:?}; shift ;;
		--output) output=${2:?}; shift ;;
		--sysroot) sysroots+=("${2:?}"); shift ;;
		--binaries) binaries=${2?}; shift ;;
		--trusted) trusted=${2?}; shift ;;
		--extra) extras+=("${2:?}"); shift ;;
		--symlink) symlinks+=("${2:?}"); shift ;;
		--dir) dir_specs+=("${2:?}"); shift ;;
		--tree) trees+=("${2:?}"); shift ;;
		--data) datadir=${2:?}; shift ;;
		--init) init=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$gen_init_cpio" ] || [ -z "$output" ]; then
		msg "--gen-init-cpio and --output are required (try --help)"
		exit "$EXIT_USAGE"
	fi
}

check_deps() {
	local sysroot

	command -v readelf >/dev/null || die "readelf not found: apt-get install binutils"
	[ -x "$gen_init_cpio" ] || die "$gen_init_cpio is not an executable"
	[ ${#sysroots[@]} -gt 0 ] || sysroots=(/)
	for sysroot in "${sysroots[@]}"; do
		[ -d "$sysroot" ] || die "sysroot $sysroot is not a directory"
	done
	[ -r "$init" ] || die "init script $init not found"
	[ -z "$datadir" ] || [ -d "$datadir" ] || die "data directory $datadir not found"
	busybox=$(command -v busybox) ||
		die "busybox not found: apt-get install busybox-static"
	if readelf -l "$busybox" | grep -q 'program interpreter'; then
		die "$busybox is dynamically linked: apt-get install busybox-static"
	fi
}

# The cpio list: one line per entry, keyed by guest path so that an entry
# is written once; directories are emitted before everything else.
declare -A entries=()
declare -A dirs=()

add_dir() {
	local path=$1

	while [ "$path" != / ] && [ -z "${dirs[$path]:-}" ]; do
		dirs[$path]="dir $path 0755 0 0"
		path=$(dirname "$path")
	done
}

add_entry() {
	local path=$1 line=$2

	add_dir "$(dirname "$path")"
	entries[$path]=$line
}

add_file() {
	local dest=$1 src=$2 mode=$3 uid=${4:-0} gid=${5:-0}

	add_entry "$dest" "file $dest $(readlink -f "$src") $mode $uid $gid"
}

add_symlink() {
	add_entry "$1" "slink $1 $2 0777 0 0"
}

# Multiarch directory of an ELF file, from its class.
elf_triplet() {
	case $(readelf -h "$1" | sed -n 's/^ *Class: *//p') in
	ELF64) echo x86_64-linux-gnu ;;
	ELF32) echo i386-linux-gnu ;;
	*) die "$1: not an ELF file" ;;
	esac
}

# Find a library: the sysroots first (they carry the glibc under test), then
# the host for the libraries glibc does not provide.
find_library() {
	local name=$1 triplet=$2 root dir

	for root in "${sysroots[@]}" /; do
		for dir in "${root%/}/lib/$triplet" "${root%/}/usr/lib/$triplet"; do
			if [ -e "$dir/$name" ]; then
				printf '%s\n' "$dir/$name"
				return
			fi
		done
	done
	die "library $name ($triplet) is neither in ${sysroots[*]} nor on the host"
}

# Add an ELF file's interpreter and, recursively, its DT_NEEDED libraries.
add_elf_deps() {
	local elf=$1 triplet interp needed lib

	triplet=$(elf_triplet "$elf")
	interp=$(readelf -l "$elf" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
	if [ -n "$interp" ] && [ -z "${entries[/usr${interp#/usr}]:-}" ]; then
		lib=$(find_library "${interp##*/}" "$triplet")
		add_file "/usr/lib/$triplet/${interp##*/}" "$lib" 0755
		# The interpreter path is absolute in every binary; with the
		# merged-/usr links below it ends up in /usr/lib or /usr/lib64.
		add_symlink "/usr${interp#/usr}" "/usr/lib/$triplet/${interp##*/}"
	fi
	for needed in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -n "${entries[/usr/lib/$triplet/$needed]:-}" ] && continue
		lib=$(find_library "$needed" "$triplet")
		add_file "/usr/lib/$triplet/$needed" "$lib" 0755
		add_elf_deps "$lib"
	done
}

# python3 finds its prefix by the landmark lib/python3.N/os.py (and its
# exec prefix by lib-dynload/), and stops without the codec of the file
# system encoding; everything else it needs to start is frozen into the
# binary.  These few files, not the ~50 MB
# standard library, keep the image (and every boot) small.
add_python_startup() {
	local lib=/usr/lib/$1 file

	for file in os.py encodings/__init__.py encodings/aliases.py \
		    encodings/utf_8.py; do
		[ -r "$lib/$file" ] || die "$lib/$file not found: apt-get install lib$1-minimal"
		add_file "$lib/$file" "$lib/$file" 0644
	done
	add_dir "$lib/lib-dynload"
}

add_program() {
	local dest=$1 src=$2 name

	add_file "$dest" "$src" 0755
	add_elf_deps "$src"
	name=$(basename "$(readlink -f "$src")")
	case $name in
	python3.[0-9]*) add_python_startup "$name" ;;
	esac
}

host_binary() {
	local path

	path=$(PATH=/usr/bin:/usr/sbin type -P "$1") ||
		die "program $1 not found on the host"
	printf '%s\n' "$path"
}

add_layout() {
	local link

	# Debian's merged /usr.
	for link in bin sbin lib lib64; do
		add_symlink "/$link" "usr/$link"
	done
	add_dir /usr/lib64
	add_dir /usr/sbin
	for link in proc sys dev tmp root etc; do
		add_dir "/$link"
	done
	add_entry /dev/console "nod /dev/console 0600 0 0 c 5 1"
	add_dir /trusted
	add_entry /etc/passwd "file /etc/passwd $tmpdir/passwd 0644 0 0"
	add_entry /etc/group "file /etc/group $tmpdir/group 0644 0 0"
	# user: an unprivileged user of no special group; kmluser: one of
	# group kml, which a restricted trusted directory admits
	# (kml.security).
	cat >"$tmpdir/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/nonexistent:/bin/sh
kmluser:x:1001:1001:kmluser:/nonexistent:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
EOF
	cat >"$tmpdir/group" <<EOF
root:x:0:
kml:x:900:kmluser
user:x:1000:
kmluser:x:1001:
nogroup:x:65534:
EOF
	add_file /init "$init" 0755
}

# Libraries that glibc loads with dlopen, so that no DT_NEEDED names them:
# libgcc_s for thread cancellation and backtraces.
add_dlopened_libraries() {
	local triplet=x86_64-linux-gnu

	add_file "/usr/lib/$triplet/libgcc_s.so.1" \
		"$(find_library libgcc_s.so.1 "$triplet")" 0644
}

add_busybox() {
	local applet

	add_file /usr/bin/busybox "$busybox" 0755
	for applet in $("$busybox" --list); do
		[ -n "${entries[/usr/bin/$applet]:-}" ] && continue
		add_symlink "/usr/bin/$applet" busybox
	done
}

add_data() {
	local file rel

	[ -n "$datadir" ] || return 0
	while IFS= read -r -d '' file; do
		rel=${file#"$datadir"/}
		add_file "/usr/share/kml-test/$rel" "$file" 0644
	done < <(find "$datadir" -type f -print0)
}

add_extras() {
	local extra src dest mode uid gid

	for extra in ${extras[@]+"${extras[@]}"}; do
		IFS=: read -r src dest mode uid gid <<<"$extra"
		[ -n "$dest" ] || die "--extra $extra: no destination"
		[ -r "$src" ] || die "--extra: $src not found"
		add_file "$dest" "$src" "${mode:-$(stat -c %a "$src")}" "${uid:-0}" "${gid:-0}"
		if readelf -h "$src" >/dev/null 2>&1; then
			add_elf_deps "$src"
		fi
	done
}

add_symlinks() {
	local link

	for link in ${symlinks[@]+"${symlinks[@]}"}; do
		[[ $link == /*:?* ]] || die "--symlink $link: not DEST:TARGET"
		add_symlink "${link%%:*}" "${link#*:}"
	done
}

# After everything else: a directory that a file brought in (0755, root's)
# gets the mode and owner asked for.
add_dirs() {
	local spec dest mode uid gid

	for spec in ${dir_specs[@]+"${dir_specs[@]}"}; do
		IFS=: read -r dest mode uid gid <<<"$spec"
		[[ $dest == /?* && $mode =~ ^[0-7]{3,4}$ && $uid =~ ^[0-9]+$ &&
			$gid =~ ^[0-9]+$ ]] ||
			die "--dir $spec: not DEST:MODE:UID:GID"
		dest=${dest%/}
		add_dir "$(dirname "$dest")"
		dirs[$dest]="dir $dest $mode $uid $gid"
	done
}

add_trees() {
	local tree src dest type mode path

	for tree in ${trees[@]+"${trees[@]}"}; do
		[[ $tree == ?*:/* ]] || die "--tree $tree: not SRC:DEST"
		src=${tree%%:*}
		dest=${tree#*:}
		dest=${dest%/}
		[ -d "$src" ] || die "--tree: $src is not a directory"
		src=$(cd "$src" && pwd)
		# One find for the whole tree: a stat per file would fork
		# thousands of times for glibc's tests.
		while IFS=' ' read -r -d '' type mode path; do
			case $type in
			d) add_dir "$dest${path#"$src"}" ;;
			l) add_symlink "$dest${path#"$src"}" "$(readlink "$path")" ;;
			f) add_entry "$dest${path#"$src"}" \
				"file $dest${path#"$src"} $path $mode 0 0" ;;
			*) die "--tree: $path is neither a file, a directory nor a symbolic link" ;;
			esac
		done < <(find "$src" -mindepth 1 -printf '%y %m %p\0')
	done
}

write_image() {
	local list=$tmpdir/cpio.list path

	{
		for path in "${!dirs[@]}"; do
			printf '%s\n' "${dirs[$path]}"
		done | sort -k2,2
		for path in "${!entries[@]}"; do
			[ -z "${dirs[$path]:-}" ] && printf '%s\n' "${entries[$path]}"
		done | sort -k2,2
	} >"$list"
	"$gen_init_cpio" -t 0 "$list" >"$output.tmp"
	mv "$output.tmp" "$output"
}

cleanup() {
	rm -rf "$tmpdir"
}

main() {
	local bin

	parse_args "$@"
	check_deps
	tmpdir=$(mktemp -d)
	readonly tmpdir
	trap cleanup EXIT

	add_layout
	for bin in $binaries; do
		add_program "/usr/bin/$bin" "$(host_binary "$bin")"
	done
	for bin in $trusted; do
		add_program "/trusted/$bin" "$(host_binary "$bin")"
	done
	add_dlopened_libraries
	add_busybox
	add_data
	add_extras
	add_symlinks
	add_trees
	add_dirs
	write_image
	msg "wrote $output ($(du -h "$output" | cut -f1), $(( ${#entries[@]} + ${#dirs[@]} )) entries, glibc from ${sysroots[*]})"
}

main "$@"
