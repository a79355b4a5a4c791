#!/bin/bash
# Trace one system call round trip of a KML or an ordinary task,
# instruction by instruction.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
# A CR3 write in the trace (one "x/i" line)
readonly CR3_WRITE=$'\tmov[q]? +%[a-z0-9]+,%cr3'

usage() {
	cat <<EOF
Usage: $myname [--way WAY] [--builddir DIR] [--output FILE] [--timeout SECS]

Boot the guest with QEMU's gdbstub, run one getppid the WAY says, and let
gdb single-step it from the kernel's entry until the CPU is back in user
code:

  direct   /trusted/direct-test getppid: one call through libkml's stub
           (after glibc's own direct calls), from entry_KML_direct
  syscall  /trusted/direct-test raw-syscall: a SYSCALL instruction at
           CPL0, from entry_SYSCALL_64
  trapped  /usr/bin/direct-test raw-syscall: the same SYSCALL from an
           ordinary task at CPL3, from entry_SYSCALL_64
  ia32     /trusted/ia32-getppid: an IA-32 KML task's call of AT_SYSINFO,
           from entry_KML_direct32 (after the [kml] page's far return)

Writes the instruction trace (one "x/i \$pc" line per instruction) to
FILE, then prints how many kernel instructions the round trip took, per
function, and how many privileged or serialising instructions and
segment loads (far jumps and returns, moves to SS) it ran, the one that
entered the kernel included (on hardware these cost far more than the
one instruction QEMU's icount counts).  For direct, syscall and ia32,
fails if the trace contains an instruction that the KML fast exit must
not use: iret, sysret, sysexit, a CR3 write, wrmsr or verw.

Options:
  --way WAY        direct (default), syscall, trapped or ia32
  --builddir DIR   the configured build directory (default: .)
  --output FILE    the trace (default: BUILDDIR/bench/WAY-trace.txt)
  --vmlinux FILE   the booted kernel's symbols (default:
                   BUILDDIR/linux/obj/vmlinux; KML_KERNEL picks the image)
  --timeout SECS   limit for the guest and gdb (default: 300)
  -h, --help       show this help

Exit status: 0 clean fast path, 1 forbidden instruction or failure,
2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

way=direct
builddir=.
output=
vmlinux=
timeout_secs=300

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--way) way=${2:?}; shift ;;
		--builddir) builddir=${2:?}; shift ;;
		--output) output=${2:?}; shift ;;
		--vmlinux) vmlinux=${2:?}; shift ;;
		--timeout) timeout_secs=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	# What runs in the guest, and where gdb stops: at the entry for
	# getppid (RAX: the system call number, 110).  direct-test's
	# raw-syscall loads R15 and R14 with a pattern that nothing else in
	# the guest has at a getppid.  Its SYSCALL stops at either SYSCALL
	# entry, the KML task's or the stock one: the trace shows which.
	# shellcheck disable=SC2016 # gdb's registers, not the shell's
	local raw_syscall_at='if $rax == 110 && $r15 == 0xffff && $r14 == 0xeeee'
	local raw_syscall_stops=("entry_SYSCALL_64_kml $raw_syscall_at"
				 "entry_SYSCALL_64 $raw_syscall_at")

	# shellcheck disable=SC2016
	case $way in
	direct)
		way_command=(/trusted/direct-test getppid)
		breakpoints=('entry_KML_direct if $rax == 110') ;;
	syscall)
		way_command=(/trusted/direct-test raw-syscall)
		breakpoints=("${raw_syscall_stops[@]}") ;;
	trapped)
		way_command=(/usr/bin/direct-test raw-syscall)
		breakpoints=("${raw_syscall_stops[@]}") ;;
	ia32)
		# getppid is 64 for IA-32; the upper half of RAX is undefined
		# after compatibility mode.
		way_command=(/trusted/ia32-getppid)
		breakpoints=('entry_KML_direct32 if ($rax & 0xffffffff) == 64') ;;
	*) msg "--way must be direct, syscall, trapped or ia32, not '$way'"; exit "$EXIT_USAGE" ;;
	esac
	output=${output:-$builddir/bench/$way-trace.txt}
	vmlinux=${vmlinux:-$builddir/linux/obj/vmlinux}
}

check_deps() {
	command -v gdb >/dev/null || die "gdb not found: apt-get install gdb"
	[ -x "$builddir/tools/kml-guest" ] || die "$builddir/tools/kml-guest not found: run make"
	[ -r "$vmlinux" ] || die "$vmlinux not found: run make"
}

cleanup() {
	[ -z "${guest_pid:-}" ] || kill "$guest_pid" 2>/dev/null || true
	rm -f "${gdb_script:-}"
}

# Stop at the first breakpoint hit, then step until RIP is a user address.
write_gdb_script() {
	printf 'set pagination off\nset confirm off\ntarget remote :1234\n' >"$gdb_script"
	printf 'hbreak %s\n' "${breakpoints[@]}" >>"$gdb_script"
	cat >>"$gdb_script" <<'EOF'
continue
delete
set $steps = 0
while ((unsigned long) $pc >= 0xffff800000000000 && $steps < 5000)
  x/i $pc
  stepi
  set $steps = $steps + 1
end
printf "user: "
x/i $pc
printf "steps %d\n", $steps
kill
EOF
}

main() {
	parse_args "$@"
	check_deps
	mkdir -p "$(dirname "$output")"
	gdb_script=$(mktemp)
	trap cleanup EXIT
	write_gdb_script

	msg "booting the guest frozen, with the gdbstub on :1234"
	"$builddir/tools/kml-guest" --timeout "$timeout_secs" \
		--qemu-arg -s --qemu-arg -S --append nokaslr \
		run -- "${way_command[@]}" >/dev/null &
	guest_pid=$!
	timeout "$timeout_secs" gdb -q -batch -x "$gdb_script" \
		"$vmlinux" 2>&1 |
		sed -n 's/^=> //p; s/^user: => /user: /p; /^steps /p' >"$output"

	grep -q '^steps ' "$output" || die "gdb did not trace a round trip (see $output)"
	msg "trace written to $output"
	awk '/^0x/ { fn = $2; sub(/^</, "", fn); sub(/[+>].*$/, "", fn); count[fn]++; n++ }
	     END { for (f in count) printf "%6d  %s\n", count[f], f; printf "%6d  total kernel instructions\n", n }' \
		"$output" | sort -n
	privileged_counts
	[ "$way" != trapped ] || return 0
	if grep -E $'\t(iret|sysret|sysexit|wrmsr|verw)'"|$CR3_WRITE" "$output"; then
		die "the round trip has an instruction the fast exit must not use"
	fi
	msg "no IRET, SYSRET, SYSEXIT, CR3 write, WRMSR or VERW in the round trip"
}

# The privileged and serialising instructions and the segment loads of the
# trace, one line "N  MNEMONIC" each, and the instruction that entered the
# kernel, which ran before the breakpoint (a call for direct and ia32: not
# privileged).
privileged_counts() {
	{
		[ "$way" = direct ] || [ "$way" = ia32 ] || echo syscall
		awk -F'\t' '/^0x/ { split($2, f, " "); print f[1] }' "$output" |
			grep -xE 'iret[lq]?|sysret[lq]?|sysexit[lq]?|swapgs|cli|sti|popf[q]?|lfence|mfence|verw|wrmsr|rdmsr|rdtscp?|cpuid|invpcid|serialize|lidt[q]?|ljmp[lq]?|lret[lq]?' || true
		grep -E $'\tmov[lw]? +%[a-z0-9]+,%ss' "$output" | sed 's/.*/mov-to-ss/' || true
		grep -E "$CR3_WRITE" "$output" | sed 's/.*/mov-to-cr3/' || true
	} | sort | uniq -c | awk '{ printf "%6d  %s (privileged, serialising or a segment load)\n", $1, $2 }'
}

main "$@"
