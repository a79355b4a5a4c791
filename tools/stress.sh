#!/bin/bash
# Long stress-ng runs in the KML guest (make stress): each stressor for
# minutes from /trusted and from /usr/bin, one fresh guest per run, then a
# summary of exit statuses and kernel log problems.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

# What KML changes: signals and faults of kernel-mode code, the system call
# entry (bad addresses, odd numbers), fork/clone/exec, threads, memory maps,
# context switches, the vDSO, timers.  The short set of make check
# (testsuite/kml.kernel/stress.exp) and a few more of the same kind.
readonly DEFAULT_STRESSORS="sigsegv sigfpe sigtrap sigabrt sigpipe signest
sigq sigchld sigio sigpending sigsuspend sigrt stack stackmmap sysbadaddr
x86syscall fork vfork clone exec pthread futex mmap mremap madvise brk
context longjmp pipe switch vdso clock timer"

usage() {
	cat <<EOF
Usage: $myname --guest KML-GUEST --patterns FILE --outdir DIR [options]

Run stress-ng in the KML guest: every stressor for --time seconds, once
from /trusted/stress-ng (kernel mode) and once from /usr/bin/stress-ng
(user mode), each run in a guest of its own booted with --smp CPUs, one
stress-ng instance per CPU.  A run passes when neither the console nor
the kernel log (dmesg at the end) has a line that matches the regular
expressions of FILE (testsuite/lib/kernel-log.patterns) and stress-ng
exits 0, or, from /trusted, with the status of the /usr/bin run of the
same stressor (madvise's MADV_HWPOISON ends with status 2 on kernels
with MEMORY_FAILURE); a /usr/bin run is the baseline and may end with
any status.  A guest that panics or hangs
fails its run.  The whole run takes about 2 x stressors x (time + 20 s).

Writes DIR/PLACE-STRESSOR.log (the guest's console) and DIR/summary.txt,
printed at the end as well:
  PLACE STRESSOR STATUS BOGO-OPS LOG
STATUS is stress-ng's exit status, or "died" (the guest ended without
one: panic) or "hung" (the guest did not end in time); LOG is "clean"
or the number of kernel log problems, shown below the table.

Options:
  --guest FILE        tools/kml-guest of the build directory
  --patterns FILE     the kernel log patterns (ERE per line, # comments)
  --outdir DIR        where the logs and the summary go
  --time SECS         seconds per stressor and place (default: 120)
  --smp N             the guest's CPUs (default: 2)
  --memory MIB        the guest's memory (default: 1024)
  --stressors "A B"   the stressors (default: ${DEFAULT_STRESSORS//$'\n'/ })
  --places "P ..."    trusted, usr or both (default: "trusted usr")
  -h, --help          show this help

Environment: KML_KERNEL and KML_INITRD choose another kernel or image
(see kml-guest --help).

Exit status: 0 every run passed, 1 a run failed or an error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

guest=
patterns=
outdir=
secs=120
smp=2
memory=1024
stressors=$DEFAULT_STRESSORS
places="trusted usr"

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--guest) guest=${2:?}; shift ;;
		--patterns) patterns=${2:?}; shift ;;
		--outdir) outdir=${2:?}; shift ;;
		--time) secs=${2:?}; shift ;;
		--smp) smp=${2:?}; shift ;;
		--memory) memory=${2:?}; shift ;;
		--stressors) stressors=${2:?}; shift ;;
		--places) places=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$guest" ] || [ -z "$patterns" ] || [ -z "$outdir" ]; then
		msg "--guest, --patterns and --outdir are required (try --help)"
		exit "$EXIT_USAGE"
	fi
	[[ $secs =~ ^[1-9][0-9]*$ ]] || { msg "--time $secs: not a number of seconds"; exit "$EXIT_USAGE"; }
	local place
	for place in $places; do
		case $place in
		trusted|usr) ;;
		*) msg "--places: $place is neither trusted nor usr"; exit "$EXIT_USAGE" ;;
		esac
	done
}

check_deps() {
	[ -x "$guest" ] || die "$guest is not an executable: run 'make' in the build directory"
	[ -r "$patterns" ] || die "$patterns not found"
	mkdir -p "$outdir"
}

# The console's lines that flag a kernel problem; stress-ng's own lines
# ("stress-ng: ...") are no kernel message.
log_problems() {
	grep -v '^stress-ng:' "$1" | grep -E -f <(grep -v -e '^#' -e '^$' "$patterns") || true
}

# Run one stressor from one place in a fresh guest; print its summary line.
run_one() {
	local place=$1 stressor=$2 dir log status ops problems guest_status=0

	case $place in
	trusted) dir=/trusted ;;
	usr) dir=/usr/bin ;;
	esac
	log=$outdir/$place-$stressor.log
	msg "$place: $stressor for $secs s (log: $log)"
	# The guest's own time limit leaves room for boot, stress-ng's
	# reaping of its workers, and dmesg; what is beyond is a hang.
	"$guest" --smp "$smp" --memory "$memory" --timeout $((secs + 180)) run -- \
		"cd /tmp && $dir/stress-ng --$stressor 0 --timeout ${secs}s \
		--temp-path /tmp --metrics-brief </dev/null 2>&1
		echo KML-STRESS-STATUS=\$?
		dmesg" >"$log" 2>&1 || guest_status=$?
	status=$(sed -n 's/^KML-STRESS-STATUS=\([0-9]*\)$/\1/p' "$log")
	if [ -z "$status" ]; then
		case $guest_status in
		124) status=hung ;;
		*) status=died ;;
		esac
	fi
	# Bogo ops: the first metrics line of the stressor (sigio and
	# longjmp add a "miscellaneous metrics" line under the same name).
	ops=$(awk -v s="$stressor" '$2 == "metrc:" && $4 == s { print $5; exit }' "$log")
	problems=$(log_problems "$log" | wc -l)
	printf '%s %s %s %s %s\n' "$place" "$stressor" "$status" "${ops:--}" \
		"$([ "$problems" -eq 0 ] && echo clean || echo "$problems")"
}

# Whether a run passed, given all the result lines: a clean log, and exit
# status 0; a usr run, the baseline, may end with any status of its own
# (not died or hung), and a trusted run with the status of the usr run of
# the same stressor.
run_passed() {
	local place=$1 stressor=$2 status=$3 problems=$4 line other name usr

	shift 4
	[ "$problems" = clean ] && [[ $status =~ ^[0-9]+$ ]] || return 1
	[ "$status" = 0 ] && return 0
	[ "$place" = usr ] && return 0
	for line in "$@"; do
		read -r other name usr _ <<<"$line"
		[ "$other" = usr ] && [ "$name" = "$stressor" ] &&
			[ "$usr" = "$status" ] && return 0
	done
	return 1
}

main() {
	local place stressor status ops problems line failed=0 runs=0 summary
	local -a results=()

	parse_args "$@"
	check_deps
	for stressor in $stressors; do
		for place in $places; do
			results+=("$(run_one "$place" "$stressor")")
		done
	done
	summary=$outdir/summary.txt
	{
		printf '%-8s %-12s %-6s %12s %s\n' PLACE STRESSOR STATUS BOGO-OPS LOG
		for line in "${results[@]}"; do
			read -r place stressor status ops problems <<<"$line"
			printf '%-8s %-12s %-6s %12s %s\n' "$place" "$stressor" \
				"$status" "$ops" "$problems"
			runs=$((runs + 1))
			run_passed "$place" "$stressor" "$status" "$problems" \
				"${results[@]}" || failed=$((failed + 1))
		done
		for line in "${results[@]}"; do
			read -r place stressor status ops problems <<<"$line"
			[ "$problems" != clean ] || continue
			printf '\nkernel log problems of %s %s (%s):\n' "$place" \
				"$stressor" "$outdir/$place-$stressor.log"
			log_problems "$outdir/$place-$stressor.log" | head -n 20
		done
		printf '\n%d runs, %d failed\n' "$runs" "$failed"
	} >"$summary"
	cat "$summary"
	[ "$failed" -eq 0 ]
}

main "$@"
