#!/bin/bash
# Count the privileged and serialising instructions of one getppid round
# trip on each way into a KML kernel, from single-stepped traces.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly WAYS=(trapped syscall direct ia32)

usage() {
	cat <<EOF
Usage: $myname --kernel BZIMAGE --vmlinux FILE [--builddir DIR] [--outdir DIR]

QEMU's icount counts every instruction as one, but on hardware SYSCALL,
SYSRET, IRET, SWAPGS, WRMSR, VERW, LFENCE and their like cost tens to
hundreds of cycles each, and far jumps and segment loads tens: their
counts carry over to a real machine where the instruction counts do not.
For each way of making getppid, the KML kernel BZIMAGE is booted with
QEMU's gdbstub and tools/trace-direct.sh single-steps one round trip:

  trapped  a SYSCALL instruction of an ordinary task (/usr/bin), at CPL3
  syscall  the same SYSCALL from /trusted, at CPL0
  direct   a direct call through AT_SYSINFO from /trusted
  ia32     an IA-32 call of AT_SYSINFO from /trusted (ia32-getppid)

Writes OUTDIR/WAY-trace.txt (the traces) and OUTDIR/privileged.txt (the
table, also printed): per instruction, how many of it one round trip
ran, the one that entered the kernel included; and the total of kernel
instructions.

Options:
  --kernel FILE    the KML kernel image
  --vmlinux FILE   its symbols
  --builddir DIR   the configured build directory (default: .)
  --outdir DIR     where the traces and the table go (default: bench)
  -h, --help       show this help

Exit status: 0 done, 1 a trace failed (its output is shown), 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

kernel=
vmlinux=
builddir=.
outdir=bench

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) kernel=${2:?}; shift ;;
		--vmlinux) vmlinux=${2:?}; shift ;;
		--builddir) builddir=${2:?}; shift ;;
		--outdir) outdir=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$kernel" ] || [ -z "$vmlinux" ]; then
		msg "--kernel and --vmlinux are required (try --help)"
		exit "$EXIT_USAGE"
	fi
	[ -r "$kernel" ] || die "$kernel not found"
}

# trace-direct.sh's report for WAY, in OUTDIR/WAY.report.
trace_way() {
	local way=$1 report=$outdir/$1.report

	msg "tracing one $way getppid"
	if ! KML_KERNEL=$kernel bash "$(dirname "$0")/../tools/trace-direct.sh" \
		--way "$way" --builddir "$builddir" --vmlinux "$vmlinux" \
		--output "$outdir/$way-trace.txt" >"$report" 2>&1; then
		cat "$report" >&2
		die "the $way trace failed"
	fi
}

# The table from the reports: "N  NAME (privileged ...)" and
# "N  total kernel instructions" lines.
write_table() {
	local way

	for way in "${WAYS[@]}"; do
		sed -nE "s/^ *([0-9]+)  ([a-z0-9-]+) \\(privileged.*/$way \\2 \\1/p
			 s/^ *([0-9]+)  total kernel instructions/$way (kernel-total) \\1/p" \
			"$outdir/$way.report"
	done | awk -v ways="${WAYS[*]}" '
		{ n[$2, $1] = $3; if (!($2 in seen)) { seen[$2] = 1; names[++k] = $2 } }
		END {
			w = split(ways, way, " ")
			printf "%-22s", "per getppid"
			for (i = 1; i <= w; i++) printf " %8s", way[i]
			printf "\n"
			for (j = 1; j <= k; j++) {
				printf "%-22s", names[j]
				for (i = 1; i <= w; i++) printf " %8d", n[names[j], way[i]]
				printf "\n"
			}
		}'
}

main() {
	local way

	parse_args "$@"
	mkdir -p "$outdir"
	for way in "${WAYS[@]}"; do
		trace_way "$way"
	done
	write_table | tee "$outdir/privileged.txt"
}

main "$@"
