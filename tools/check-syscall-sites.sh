#!/bin/bash
# List the trapping system-call instructions of x86-64 ELF files that are not
# the fallback of the KML entry primitive (glibc's ENTER_KERNEL).
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [-q] FILE...

Disassemble each FILE (objdump -d) and print every 'syscall', 'sysenter'
and 'int \$0x80' instruction that is not the fallback of the KML entry
primitive, i.e. not in exactly this sequence (glibc's ENTER_KERNEL,
sysdeps/unix/sysv/linux/x86_64/sysdep.h):

	test   %r11,%r11
	je     A
	call   *%r11
	jmp    A+2
    A:	syscall

One line per unguarded site ("FILE: ADDRESS <FUNCTION>: INSTRUCTION"),
then one summary line per file on stderr:
"FILE: N guarded, M unguarded".

Options:
  -q          no per-site lines, only the summaries
  -h, --help  show this help

Exit status: 0 when no FILE has an unguarded site, 1 when one has (or a
file cannot be disassembled), 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

check_deps() {
	command -v objdump >/dev/null || die "objdump not found: apt-get install binutils"
}

# objdump -d output on stdin; sites on stdout, "guarded unguarded" last.
scan() {
	local file=$1 quiet=$2

	LC_ALL=C awk -v file="$file" -v quiet="$quiet" '
	function hex(s,   i, c, v) {
		v = 0
		s = tolower(s)
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1)) - 1
			if (c < 0)
				break
			v = v * 16 + c
		}
		return v
	}
	/^[0-9a-f]+ <.*>:$/ {
		func_name = $2
		sub(/:$/, "", func_name)
		n = 0
		next
	}
	/^ *[0-9a-f]+:\t/ {
		line = $0
		addr = line
		sub(/^ */, "", addr)
		sub(/:.*/, "", addr)
		insn = line
		sub(/^ *[0-9a-f]+:\t/, "", insn)
		sub(/[ \t]+$/, "", insn)
		gsub(/[ \t]+/, " ", insn)
		sub(/ <.*>$/, "", insn)
		if (insn == "")
			next		# continuation line of a long instruction
		n++
		a[n] = hex(addr)
		t[n] = insn
		if (insn == "syscall" || insn == "sysenter" || insn == "int $0x80") {
			ok = 0
			if (insn == "syscall" && n > 4 &&
			    t[n-4] == "test %r11,%r11" &&
			    t[n-3] ~ /^je [0-9a-f]+$/ && hex(substr(t[n-3], 4)) == a[n] &&
			    t[n-2] == "call *%r11" &&
			    t[n-1] ~ /^jmp [0-9a-f]+$/ && hex(substr(t[n-1], 5)) == a[n] + 2)
				ok = 1
			if (ok)
				guarded++
			else {
				unguarded++
				if (!quiet)
					printf "%s: %s %s: %s\n", file, addr, func_name, insn
			}
		}
	}
	END { printf "%d %d\n", guarded, unguarded }'
}

main() {
	local quiet=0 file out counts status=0

	case ${1:-} in
	-h|--help) usage; exit 0 ;;
	-q) quiet=1; shift ;;
	esac
	if [ $# -eq 0 ]; then
		msg "no FILE given (try --help)"
		exit "$EXIT_USAGE"
	fi
	check_deps
	for file in "$@"; do
		[ -r "$file" ] || die "cannot read $file"
		out=$(objdump -d --no-show-raw-insn "$file" | scan "$file" "$quiet") ||
			die "objdump failed on $file"
		counts=${out##*$'\n'}
		[ "$counts" = "$out" ] || printf '%s\n' "${out%$'\n'*}"
		msg "$file: ${counts% *} guarded, ${counts#* } unguarded"
		[ "${counts#* }" -eq 0 ] || status=1
	done
	exit "$status"
}

main "$@"
