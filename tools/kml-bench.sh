#!/bin/sh
# kml-bench: real nanoseconds per system call on an installed KML machine,
# trapped (user mode) against direct (kernel mode), with syscall-bench.
set -eu

myname=${0##*/}
EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [--bench FILE] [--trusted-dir DIR] [--keep] [-- SYSCALL-BENCH-ARGS]

Run syscall-bench twice on this machine and print, per benchmark, its
median nanoseconds per call in user mode (FILE as it is: every system
call traps) and in kernel mode (a copy under the trusted directory,
root's, mode 0755: with the patched glibc every call is direct), and
the ratio.  Run as root on a KML kernel (doc/USING.md); under a virtual
machine the figures include its costs.

Options:
  --bench FILE        syscall-bench (default: the one next to $myname,
                      else syscall-bench in PATH)
  --trusted-dir DIR   the kernel's trusted directory (default: the
                      kernel.kml.trusted_dir sysctl, else /trusted)
  --keep              leave the copy DIR/syscall-bench in place
  -h, --help          show this help
Arguments after -- go to both runs (syscall-bench -h; default: -r 5).

Exit status: 0 measured, 1 error (not a KML kernel, not root, the copy
does not run in kernel mode, a run failed), 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

bench=
trusted_dir=
keep=0
copy=
tmp=

cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
	[ "$keep" -eq 1 ] || [ -z "$copy" ] || rm -f "$copy"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The median ns column of syscall-bench's output FILE, by benchmark name:
# "NAME NS" lines.
medians() { awk '!/^#/ && NF >= 5 { print $1, $3 }' "$1"; }

# Does the program run in kernel mode?  kmlstat if it is there, else the
# program's own /proc/self/status is not reachable: trust the kernel's
# rules and say so.
kernel_mode_of() {
	if command -v kmlstat >/dev/null; then
		kmlstat -o "$tmp/kmlstat" "$1" -l >/dev/null 2>&1 || return 1
		sed -n 's/.*, kernel mode \([0-9]*\)$/\1/p' "$tmp/kmlstat"
	else
		echo unknown
	fi
}

main() {
	while [ $# -gt 0 ]; do
		case $1 in
		--bench) bench=${2:?--bench needs a file}; shift ;;
		--trusted-dir) trusted_dir=${2:?--trusted-dir needs a directory}; shift ;;
		--keep) keep=1 ;;
		-h|--help) usage; exit 0 ;;
		--) shift; break ;;
		*) msg "unknown argument '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	[ $# -gt 0 ] || set -- -r 5

	if [ -z "$bench" ]; then
		bench=$(dirname "$0")/syscall-bench
		[ -x "$bench" ] || bench=$(command -v syscall-bench) ||
			die "syscall-bench not found: give it with --bench FILE (build/bench/syscall-bench)"
	fi
	if [ ! -f "$bench" ] || [ ! -x "$bench" ]; then
		die "$bench is not an executable file"
	fi
	grep -q '^KernelMode:' /proc/self/status ||
		die "this kernel has no KML (no KernelMode in /proc/self/status): boot the KML kernel (doc/USING.md)"
	[ "$(id -u)" -eq 0 ] ||
		die "run as root: the kernel-mode copy goes into the trusted directory"
	if [ -z "$trusted_dir" ]; then
		trusted_dir=$(cat /proc/sys/kernel/kml/trusted_dir 2>/dev/null || echo /trusted)
	fi
	[ -d "$trusted_dir" ] ||
		die "no trusted directory $trusted_dir: mkdir -m 0755 $trusted_dir (root's)"

	tmp=$(mktemp -d)
	copy=$trusted_dir/syscall-bench
	[ ! -e "$copy" ] || [ "$keep" -eq 1 ] ||
		die "$copy exists: remove it first (or --keep, which replaces it and leaves it there)"
	install -o root -g root -m 0755 "$bench" "$copy"
	mode=$(kernel_mode_of "$copy") || die "$copy -l failed"
	case $mode in
	1) ;;
	unknown) msg "kmlstat not found: cannot check that $copy runs in kernel mode" ;;
	*) die "$copy does not run in kernel mode ($(sed -n 's/.*kernel mode refused: //p' "$tmp/kmlstat")): kml-trust --dry-run $bench says why" ;;
	esac

	msg "user mode: $bench $*"
	"$bench" "$@" >"$tmp/trapped" || die "$bench $* failed"
	msg "kernel mode: $copy $*"
	"$copy" "$@" >"$tmp/direct" || die "$copy $* failed"

	medians "$tmp/trapped" >"$tmp/trapped.ns"
	medians "$tmp/direct" >"$tmp/direct.ns"
	printf '# median ns per call: %s (user mode), %s (kernel mode)\n' "$bench" "$copy"
	awk 'NR == FNR { direct[$1] = $2; next }
		FNR == 1 { printf "%-14s %12s %12s %8s\n", "benchmark", "trapped_ns", "direct_ns", "ratio" }
		$1 in direct {
			printf "%-14s %12.1f %12.1f %8s\n", $1, $2, direct[$1],
				($2 > 0 ? sprintf("%.2f", direct[$1] / $2) : "-")
		}' "$tmp/direct.ns" "$tmp/trapped.ns"
}

main "$@"
