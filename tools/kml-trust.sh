#!/bin/bash
# kml-trust: put a program under the trusted directory of Kernel Mode
# Linux safely, list what is there, take a program out again.
#
# Everything under the trusted directory runs at CPL0: it *is* the kernel
# (doc/SECURITY.md).  This is root's tool to decide that with the checks a
# careful administrator would make by hand.  It runs on a minimal Debian
# system (dash, coreutils, no binutils): the ELF facts come from
# kml-elfinfo, installed next to it; only the scan for trapping
# instructions needs objdump (tools/check-syscall-sites.sh, installed next
# to it as kml-check-syscall-sites), and says so when it is missing.
set -euo pipefail
# No process substitution: a system without /dev/fd (an init that mounts
# only devtmpfs, as the Debian guest's) has none.  Pipelines into a loop
# run the loop in this shell instead.
shopt -s lastpipe

readonly myname=${0##*/}
readonly EXIT_REFUSED=1
readonly EXIT_USAGE=2
# How many unguarded sites a report shows before it only counts them.
readonly SITES_SHOWN=5

tools_dir=$(dirname -- "$(readlink -f -- "$0")")
readonly elfinfo=${KML_ELFINFO:-$tools_dir/kml-elfinfo}
readonly site_checker=$tools_dir/kml-check-syscall-sites

# Programs that run code chosen by whoever runs them, by base name (shell
# patterns; a version suffix such as python3.11 is covered by the *):
# shells, language interpreters and virtual machines, debuggers, tracers
# and emulators, programs that run a command line (their exec leaves
# kernel mode, but a trusted target would not), editors with scripting,
# and ELF interpreters.  A list, not a proof: doc/SECURITY.md.
readonly CODE_RUNNER_NAMES='
	sh bash rbash dash ash zsh ksh ksh93 mksh pdksh posh yash csh tcsh fish
	busybox toybox
	python* pypy* perl* ruby* irb* node nodejs deno bun php* lua* luajit*
	tclsh* wish* expect guile* gawk awk mawk nawk original-awk bc dc m4
	java jshell jrunscript dotnet mono pwsh R Rscript julia erl escript
	ocaml* racket sbcl clisp gforth gst
	gdb gdbserver lldb* strace ltrace valgrind* qemu-* perf bpftrace
	env xargs find nice nohup timeout chroot setsid su sudo doas runuser
	stdbuf taskset ionice unshare nsenter setarch linux32 linux64 flock
	watch time capsh chrt
	vi vim vim.* nvim ex view emacs* ed
	ld.so ld-linux*.so* ld-musl-*.so*'

# Libraries (DT_NEEDED) that embed an interpreter or a virtual machine.
readonly CODE_RUNNER_LIBS='
	libpython* libperl* libruby* liblua* libluajit* libtcl* libjvm*
	libnode* libv8* libmozjs* libphp* libguile* libgjs* libjulia* libR.so*
	libmono* libcoreclr* libjavascriptcoregtk* libwebkit*'

usage() {
	cat <<EOF
Usage: $myname [options] PROGRAM...
       $myname --list [options]
       $myname --remove [options] NAME...

Copy each PROGRAM (a file, or a command found on PATH) into the trusted
directory of Kernel Mode Linux, where every program runs in the CPU's
kernel mode (CPL0).  The copy is root's, mode 0755 (0750 and the group
GROUP with --group), made under a temporary name in the trusted directory
and renamed into place: a program of that name (or a symbolic link, which
is replaced, never followed) is replaced in one step.  It keeps the name
given (redis-server, not what the link points to).

Before the copy, kml-trust checks, and refuses a PROGRAM (exit status 1,
nothing changed for it) that
  - is not an ELF executable for x86-64 or IA-32 (scripts never run at
    CPL0: their interpreter would), or is a shared library or an ELF
    interpreter (ld.so) run directly;
  - is a shell, an interpreter, a debugger or another program that runs
    code chosen by whoever runs it (by its name, or by a library that
    embeds an interpreter such as libpython): at CPL0 that code is the
    kernel;
  - is not root's, is writable by group or others, lies in a directory
    where someone but root can replace it, or is setuid or setgid (the
    copy would lose that bit; a program every user runs for privileges
    does not belong at CPL0);
  - has an RPATH or RUNPATH directory that is relative or that someone
    but root can change or make (ld.so would load its libraries at CPL0).
--force trusts it anyway, with a warning.  And it reports, without
refusing:
  - how it is linked: dynamically against glibc (direct system calls
    with the patched glibc), statically (direct only if linked against
    the patched libc.a), or against another C library (all trap);
  - the system-call instructions of the program file itself ('syscall',
    'sysenter', 'int \$0x80', as check-syscall-sites.sh finds them) that
    are not the fallback of a KML entry test: each one traps in kernel
    mode (Go programs make their own).  Its libraries are not scanned.
    Needs objdump (binutils); without it: "not checked".

The trusted directory (and every directory above it) must be root's and
not writable by group or others, as the kernel requires (doc/SECURITY.md);
kml-trust never creates or changes it.

Options:
  --group GROUP   the copies are root:GROUP, mode 0750: only root and
                  GROUP's members can run them
  --force         trust a PROGRAM the checks refuse, with a warning
  -n, --dry-run   check and report, change nothing
  --list          list the files of the trusted directory with what can
                  be told without running them
  --remove        take each NAME (a file of the trusted directory) out
  --root DIR      act on the system whose root directory is DIR (default
                  /, or \$KML_TRUST_ROOT): the trusted directory is
                  DIR/TRUSTED; PROGRAM stays a path of this system
  --trusted-dir PATH
                  the trusted directory, from the root (default: the
                  running kernel's kernel.kml.trusted_dir, or /trusted;
                  with --root always /trusted)
  -h, --help      show this help

Exit status: 0 when every PROGRAM was trusted (or would be, --dry-run),
every NAME removed, or the list shown; 1 when one was refused or failed;
2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit "$EXIT_REFUSED"; }
usage_error() { msg "$* (try --help)"; exit "$EXIT_USAGE"; }

# The report of one PROGRAM: facts on stdout; refusals and warnings on
# stderr, refusals counted in the global refusals.  --list judges files
# already there: what a copy would get refused for.
fact() { printf '  %s\n' "$*"; }
refuse() {
	if [ "$action" = list ]; then
		msg "$subject: would be refused: $*"
	else
		msg "$subject: refused: $*"
	fi
	refusals=$((refusals + 1))
}
warn() { msg "$subject: warning: $*"; }

# refuse_unless_forced REASON: a refusal, or with --force a warning.
refuse_unless_forced() {
	if [ "$force" -eq 1 ] && [ "$action" != list ]; then
		warn "--force: trusted although it $*"
	else
		refuse "it $*"
	fi
}

# words STRING: the words of STRING, into the array words (no globbing).
words() { read -r -d '' -a words <<<"$1" || true; }

# matches NAME PATTERNS: does NAME match one of the shell PATTERNS?
matches() {
	local name=$1 pattern words

	words "$2"
	for pattern in "${words[@]}"; do
		# shellcheck disable=SC2254 # the patterns are meant to glob
		case $name in $pattern) return 0 ;; esac
	done
	return 1
}

# owner_mode FILE [STAT-OPTION]: uid, gid and octal mode of FILE (not
# following a link, unless -L), into the globals uid, gid and mode.
owner_mode() {
	local attrs

	attrs=$(stat ${2:+"$2"} -c '%u %g %a' -- "$1") ||
		die "cannot read the owner and mode of $1"
	IFS=' ' read -r uid gid mode <<<"$attrs"
}

# group_other_writable MODE: is the octal MODE writable by group or others?
group_other_writable() { (( 8#$1 & 8#022 )); }

# safe_dir DIR: is DIR root's and not writable by group or others?
# Prints why not.
safe_dir() {
	local uid gid mode

	owner_mode "$1"
	if [ "$uid" -ne 0 ]; then
		echo "owned by uid $uid, not root"
		return 1
	fi
	if group_other_writable "$mode"; then
		echo "writable by group or others (mode $mode)"
		return 1
	fi
}

# safe_path PREFIX PATH: can only root change what PREFIX/PATH is, as far
# as it exists?  PREFIX and every existing component root's (links
# followed); a directory writable by group or others only with the
# sticky bit and above an existing component (no one else can rename or
# remove root's entries there, anyone can make new ones); the last one
# not writable by group or others.  Prints why not.
safe_path() {
	local path=${1:-/} parts part parent parent_mode uid gid mode

	owner_mode "$path" -L
	[ "$uid" -eq 0 ] || { echo "$path is owned by uid $uid, not root"; return 1; }
	IFS=/ read -r -a parts <<<"$2"
	for part in "${parts[@]}"; do
		[ -n "$part" ] || continue
		parent=$path parent_mode=$mode path=${path%/}/$part
		if [ ! -e "$path" ]; then
			! group_other_writable "$parent_mode" ||
				{ echo "$parent is writable by group or others (mode $parent_mode): anyone can make $path"; return 1; }
			return 0
		fi
		owner_mode "$path" -L
		[ "$uid" -eq 0 ] || { echo "$path is owned by uid $uid, not root"; return 1; }
		if group_other_writable "$parent_mode" && (( (8#$parent_mode & 8#1000) == 0 )); then
			echo "$parent is writable by group or others (mode $parent_mode)"
			return 1
		fi
	done
	! group_other_writable "$mode" ||
		{ echo "$path is writable by group or others (mode $mode)"; return 1; }
}

# check_trusted_dir: the trusted directory is a real directory that only
# root can change, and so is every directory above it up to the root.
check_trusted_dir() {
	local dir=$root_dir$trusted_dir why

	[ -e "$dir" ] || [ -L "$dir" ] ||
		die "the trusted directory $dir does not exist; create it with: install -d -o root -g root -m 0755 $dir"
	[ ! -L "$dir" ] ||
		die "the trusted directory $dir is a symbolic link: make it a directory"
	[ -d "$dir" ] || die "the trusted directory $dir is not a directory"
	why=$(safe_path "$root_dir" "$trusted_dir") ||
		die "$why: the kernel trusts no program under $dir (chown root, chmod go-w)"
}

# elf_facts FILE: kml-elfinfo's "KEY VALUE" lines into the associative
# array elf (multiple values of a key joined by spaces); 1 if not ELF.
elf_facts() {
	local key value

	elf=()
	{ "$elfinfo" "$1" 2>/dev/null || echo "not-elf yes"; } |
	while read -r key value; do
		elf[$key]=${elf[$key]:+${elf[$key]} }$value
	done
	[ -z "${elf[not-elf]:-}" ]
}

# check_linkage: the architecture and how the program of elf[] is
# linked, with their refusals and warnings; 1 if it is no x86 program.
check_linkage() {
	local interp=${elf[interp]:-} glibc_ldso glibc_libdir

	case ${elf[class]:-}/${elf[machine]:-} in
	64/x86-64)
		glibc_ldso=ld-linux-x86-64.so.2 glibc_libdir=/lib/x86_64-linux-gnu
		fact "x86-64 (64-bit)"
		;;
	32/i386)
		glibc_ldso=ld-linux.so.2 glibc_libdir=/lib/i386-linux-gnu
		fact "IA-32 (32-bit)"
		;;
	*)
		refuse "not an x86-64 or IA-32 program (ELF class ${elf[class]:-?}, machine ${elf[machine]:-?})"
		return 1
		;;
	esac
	case ${elf[type]:-} in
	exec|dyn) ;;
	*) refuse "not an executable (ELF type ${elf[type]:-?})"; return 1 ;;
	esac
	if [ -n "$interp" ]; then
		case $interp in
		/*) ;;
		*) refuse "its ELF interpreter $interp is a relative path: the kernel refuses it kernel mode"; return ;;
		esac
		if [ "${interp##*/}" = "$glibc_ldso" ] &&
		   matches libc.so.6 "${elf[needed]:-}"; then
			fact "dynamically linked against glibc ($interp)"
			glibc_build "$root_dir$glibc_libdir/libc.so.6"
		else
			fact "dynamically linked, ELF interpreter $interp"
			warn "not linked against glibc: the system calls of its C library trap in kernel mode"
		fi
	elif [ "${elf[type]}" = exec ] || [ "${elf[pie]:-}" = yes ]; then
		if [ "${elf[type]}" = exec ]; then
			fact "statically linked"
		else
			fact "statically linked, position-independent (static-pie)"
		fi
		warn "static: its system calls are direct only if it was linked against the patched glibc's libc.a (the scan of its system-call instructions tells)"
	else
		fact "a shared object without ELF interpreter"
		refuse "a shared library or an ELF interpreter (ld.so): run directly, ld.so runs whatever program it is given, and the kernel refuses it kernel mode"
	fi
}

# glibc_build LIBC: how a program linked against the system's glibc LIBC
# enters the kernel from the trusted directory, by the build of LIBC (the
# patched one's banner says "Debian GLIBC VERSION, KML").
glibc_build() {
	local libc=$1

	if [ ! -f "$libc" ]; then
		warn "no $libc on the system: the program cannot start"
	elif grep -q 'GLIBC [^,)]*, KML)' "$libc"; then
		fact "the system's glibc ($libc) is the KML build: its system calls are direct"
	else
		warn "the system's glibc ($libc) is not the KML build: its system calls trap in kernel mode (install the patched libc6: doc/USING.md)"
	fi
}

# check_runner_names NAME...: refuse a shell, interpreter, ... by any of
# the NAMEs (as given, what a link points to, its soname).
check_runner_names() {
	local name

	for name in "$@"; do
		if matches "$name" "$CODE_RUNNER_NAMES"; then
			refuse_unless_forced "is '$name', a shell, interpreter or other program that runs code chosen by whoever runs it: at CPL0 that code is the kernel"
			return
		fi
	done
}

# check_runner_libs: refuse the program of elf[] by a library that
# embeds an interpreter.
check_runner_libs() {
	local lib words

	words "${elf[needed]:-}"
	for lib in "${words[@]}"; do
		if matches "$lib" "$CODE_RUNNER_LIBS"; then
			refuse_unless_forced "needs $lib, which embeds an interpreter: code chosen by whoever runs it would run at CPL0"
			return
		fi
	done
}

# check_source FILE: owner, mode and setuid bits of the file copied (a
# resolved path), and the directories above it.
check_source() {
	local uid gid mode why

	owner_mode "$1"
	if [ "$uid" -ne 0 ]; then
		refuse_unless_forced "is not root's (owner uid $uid): whoever owns it decided what would run at CPL0"
	elif group_other_writable "$mode"; then
		refuse_unless_forced "is writable by group or others (mode $mode)"
	elif ! why=$(safe_path / "$1"); then
		refuse_unless_forced "lies where someone but root can replace it: $why"
	fi
	(( (8#$mode & 8#6000) == 0 )) ||
		refuse_unless_forced "is setuid or setgid (mode $mode): the copy would not be, and a program every user runs for privileges does not belong at CPL0"
}

# check_run_paths: every RPATH and RUNPATH directory of elf[] absolute and
# one that only root can change (safe_path) under the root.
check_run_paths() {
	local paths dir why dirs

	paths="${elf[rpath]:-}:${elf[runpath]:-}"
	[ "$paths" != : ] || return 0
	paths=${paths#:} paths=${paths%:}
	fact "library search path (RPATH/RUNPATH): $paths"
	IFS=: read -r -a dirs <<<"$paths"
	for dir in "${dirs[@]}"; do
		case $dir in
		'') continue ;;
		*'$'*) fact "$dir: ld.so expands it only in trusted system directories under AT_SECURE"; continue ;;
		/*) ;;
		*) refuse_unless_forced "has the relative library directory '$dir', looked up from the working directory of whoever runs it"; continue ;;
		esac
		why=$(safe_path "$root_dir" "$dir") ||
			refuse_unless_forced "loads libraries from $dir, and $why"
	done
}

# scan_sites FILE NAME: report the unguarded system-call instructions of
# FILE, named NAME in the report.
scan_sites() {
	local file=$1 name=$2 out status=0 guarded unguarded

	if ! command -v objdump >/dev/null; then
		fact "system-call instructions: not checked: objdump missing (apt-get install binutils)"
		return
	fi
	[ -x "$site_checker" ] ||
		die "$site_checker not found (it is installed next to $myname)"
	out=$("$site_checker" "$file" 2>&1) || status=$?
	out=${out//"$file"/"$name"}
	if [ "$status" -gt 1 ] ||
	   ! [[ $out =~ :\ ([0-9]+)\ guarded,\ ([0-9]+)\ unguarded ]]; then
		warn "system-call instructions: not checked: $out"
		return
	fi
	guarded=${BASH_REMATCH[1]} unguarded=${BASH_REMATCH[2]}
	if [ "$unguarded" -eq 0 ]; then
		fact "system-call instructions: $guarded guarded, none that traps"
		return
	fi
	fact "system-call instructions: $guarded guarded, $unguarded that trap in kernel mode:"
	grep -v ' guarded, [0-9]* unguarded$' <<<"$out" | head -n "$SITES_SHOWN" |
		sed 's/^/    /'
	[ "$unguarded" -le "$SITES_SHOWN" ] ||
		fact "  ... and $((unguarded - SITES_SHOWN)) more"
	warn "$unguarded system-call instructions of its own trap in kernel mode: its system calls through them cost what they cost in user mode"
}

# stage FILE DIR: copy FILE to a new private file in DIR, named in the
# global copy (and removed at exit unless renamed).
stage() {
	copy=$(mktemp -p "$2" .kml-trust.XXXXXX)
	staged+=("$copy")
	cat -- "$1" >"$copy"
}

# shellcheck disable=SC2317 # the EXIT trap runs it
cleanup() {
	[ ${#staged[@]} -eq 0 ] || rm -f -- "${staged[@]}"
}

# check_program PROGRAM: report on PROGRAM and stage a copy of it in the
# trusted directory (--dry-run: elsewhere): sets name, dest and copy.
# Refusals counted; 1 when it stopped at one.
check_program() {
	local program=$1 file staging_dir

	if [[ $program != */* ]]; then
		file=$(command -v -- "$program") || {
			refuse "not found on PATH"
			return 1
		}
		[[ $file == /* ]] || { refuse "not a program file ($file)"; return 1; }
	else
		file=$program
	fi
	name=${program##*/}
	dest=$root_dir$trusted_dir/$name
	echo "$program -> $trusted_dir/$name"
	[ -e "$file" ] || { refuse "no such file"; return 1; }
	file=$(readlink -f -- "$file")
	[ -f "$file" ] || { refuse "not a regular file"; return 1; }
	[ "$file" = "$program" ] || fact "file: $file"
	if [ -d "$dest" ] && [ ! -L "$dest" ]; then
		refuse "$dest is a directory"
		return 1
	fi
	check_runner_names "$name" "${file##*/}"
	check_source "$file"
	# Every check below reads the copy, so what was checked is what runs.
	staging_dir=$root_dir$trusted_dir
	[ "$dry_run" -eq 0 ] || staging_dir=${TMPDIR:-/tmp}
	stage "$file" "$staging_dir"
	if ! elf_facts "$copy"; then
		refuse "not an ELF program (a script? its interpreter is what would run at CPL0)"
		return 1
	fi
	check_linkage || return 1
	[ -z "${elf[soname]:-}" ] || check_runner_names "${elf[soname]}"
	check_runner_libs
	check_run_paths
	scan_sites "$copy" "$name"
}

# trust_one PROGRAM: check it, and unless refused or --dry-run copy it in.
trust_one() {
	local name dest copy

	subject=$1 refusals=0
	if ! check_program "$1" || [ "$refusals" -gt 0 ]; then
		msg "$1: not trusted"
		return 1
	fi
	if [ "$dry_run" -eq 1 ]; then
		echo "  would be trusted as $dest ($owner_group $copy_mode)"
		return 0
	fi
	chown "$owner_group" -- "$copy"
	chmod "$copy_mode" -- "$copy"
	# rename(2): atomic, and a link at DEST is replaced, not followed.
	mv -f -T -- "$copy" "$dest"
	echo "  trusted as $dest ($owner_group $copy_mode)"
}

# remove_one NAME: take NAME out of the trusted directory.
remove_one() {
	local name=${1#"$trusted_dir"/} dest

	subject=$1 refusals=0
	case /$name/ in
	*/../*|*/./*|//) refuse "not a file name under $trusted_dir"; return 1 ;;
	esac
	dest=$root_dir$trusted_dir/$name
	if [ ! -e "$dest" ] && [ ! -L "$dest" ]; then
		refuse "$dest: no such file"
		return 1
	fi
	if [ -d "$dest" ] && [ ! -L "$dest" ]; then
		refuse "$dest is a directory"
		return 1
	fi
	if [ "$dry_run" -eq 1 ]; then
		echo "would remove $dest"
		return 0
	fi
	rm -f -- "$dest"
	echo "removed $dest"
}

# list_one FILE: what can be told of a file of the trusted directory
# without running it.
list_one() {
	local file=$1 name=${1#"$root_dir"} uid gid mode why

	subject=$name refusals=0
	owner_mode "$file"
	echo "$name (uid $uid, gid $gid, mode $mode)"
	if [ -L "$file" ]; then
		fact "a symbolic link to $(readlink -- "$file"): the kernel looks at what it points to"
		return
	fi
	why=$(safe_dir "$file") ||
		fact "user mode: the kernel refuses kernel mode to a file $why"
	if ! elf_facts "$file"; then
		fact "not an ELF program: never runs in kernel mode itself"
		return
	fi
	check_runner_names "${name##*/}"
	check_linkage || return 0
	check_runner_libs
	scan_sites "$file" "$name"
}

list_trusted() {
	local file count=0

	echo "Trusted directory $root_dir$trusted_dir: static facts only, nothing was run."
	echo "Whether a run entered the kernel directly: kmlstat PROGRAM [ARG...]."
	find "$root_dir$trusted_dir" -mindepth 1 \( -type f -o -type l \) \
		! -name '.kml-trust.*' -print0 | sort -z |
	while IFS= read -r -d '' file; do
		list_one "$file" </dev/null || true
		count=$((count + 1))
	done
	echo "$count files"
}

# The trusted directory of the running kernel, or /trusted.
default_trusted_dir() {
	local dir

	if [ -z "$root_dir" ] && [ -r /proc/sys/kernel/kml/trusted_dir ] &&
	   dir=$(cat /proc/sys/kernel/kml/trusted_dir) && [ -n "$dir" ]; then
		echo "$dir"
	else
		echo /trusted
	fi
}

main() {
	local group='' item status=0

	action=trust force=0 dry_run=0 root_dir=${KML_TRUST_ROOT:-} trusted_dir=''
	while [ $# -gt 0 ]; do
		case $1 in
		-h|--help) usage; exit 0 ;;
		--group) group=${2:?}; shift ;;
		--force) force=1 ;;
		-n|--dry-run) dry_run=1 ;;
		--list) action=list ;;
		--remove) action=remove ;;
		--root) root_dir=${2:?}; shift ;;
		--trusted-dir) trusted_dir=${2:?}; shift ;;
		--) shift; break ;;
		-*) usage_error "unknown option $1" ;;
		*) break ;;
		esac
		shift
	done
	root_dir=${root_dir%/}
	[ -n "$trusted_dir" ] || trusted_dir=$(default_trusted_dir)
	[[ $trusted_dir == /?* ]] || usage_error "--trusted-dir $trusted_dir: not an absolute path"
	trusted_dir=${trusted_dir%/}
	[ -z "$root_dir" ] || [ -d "$root_dir" ] || usage_error "--root $root_dir: not a directory"
	case $action in
	list) [ $# -eq 0 ] || usage_error "--list takes no PROGRAM" ;;
	*) [ $# -gt 0 ] || usage_error "no PROGRAM given" ;;
	esac
	owner_group=root:root copy_mode=0755
	if [ -n "$group" ]; then
		getent group "$group" >/dev/null ||
			usage_error "--group $group: no such group"
		owner_group=root:$group copy_mode=0750
	fi
	[ -x "$elfinfo" ] || die "$elfinfo not found (it is installed next to $myname)"
	if [ "$action" != list ] && [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
		die "only root can change the trusted directory (--dry-run checks without)"
	fi
	check_trusted_dir
	declare -gA elf
	staged=()
	trap cleanup EXIT
	case $action in
	list) list_trusted; exit 0 ;;
	remove) for item in "$@"; do remove_one "$item" || status=1; done ;;
	trust) for item in "$@"; do trust_one "$item" || status=1; done ;;
	esac
	exit "$status"
}

main "$@"
