#!/bin/bash
# Trace one KML direct system call round trip, instruction by instruction.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [--builddir DIR] [--output FILE] [--timeout SECS]

Boot the guest with QEMU's gdbstub, run /trusted/direct-test getppid (one
getppid through libkml's stub, after glibc's own direct calls) and let
gdb single-step that call from entry_KML_direct until the CPU is back in
user code.  Writes the instruction trace (one
"x/i \$pc" line per instruction) to FILE, then prints how many kernel
instructions the round trip took, per function, and fails if the trace
contains an instruction that the fast exit must not use: iret, sysret,
sysexit, a CR3 write, wrmsr or verw.

Options:
  --builddir DIR   the configured build directory (default: .)
  --output FILE    the trace (default: BUILDDIR/bench/direct-trace.txt)
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

builddir=.
output=
vmlinux=
timeout_secs=300

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--builddir) builddir=${2:?}; shift ;;
		--output) output=${2:?}; shift ;;
		--vmlinux) vmlinux=${2:?}; shift ;;
		--timeout) timeout_secs=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	output=${output:-$builddir/bench/direct-trace.txt}
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

# Stop at the entry for getppid (RAX: the system call number, 110), then
# step until RIP is a user address again.
write_gdb_script() {
	cat >"$gdb_script" <<'EOF'
set pagination off
set confirm off
target remote :1234
hbreak entry_KML_direct if $rax == 110
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
		run -- /trusted/direct-test getppid >/dev/null &
	guest_pid=$!
	timeout "$timeout_secs" gdb -q -batch -x "$gdb_script" \
		"$vmlinux" 2>&1 |
		sed -n 's/^=> //p; s/^user: => /user: /p; /^steps /p' >"$output"

	grep -q '^steps ' "$output" || die "gdb did not trace a round trip (see $output)"
	msg "trace written to $output"
	awk '/^0x/ { fn = $2; sub(/^</, "", fn); sub(/[+>].*$/, "", fn); count[fn]++; n++ }
	     END { for (f in count) printf "%6d  %s\n", count[f], f; printf "%6d  total kernel instructions\n", n }' \
		"$output" | sort -n
	if grep -E $'\t(iret|sysret|sysexit|wrmsr|verw)|mov[q]? +%[a-z0-9]+,%cr3' "$output"; then
		die "the round trip has an instruction the fast exit must not use"
	fi
	msg "no IRET, SYSRET, SYSEXIT, CR3 write, WRMSR or VERW in the round trip"
}

main "$@"
