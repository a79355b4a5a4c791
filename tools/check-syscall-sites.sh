#!/bin/bash
# List the trapping system-call instructions of x86-64 and i386 ELF files that
# are not the fallback of a KML entry test (glibc's ENTER_KERNEL on x86-64;
# the i386 sites that cannot use __kernel_vsyscall).
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [-q] FILE|DIR...

Disassemble each FILE (objdump -dr; shared objects, executables, object
files and archives) and print every 'syscall', 'sysenter' and 'int \$0x80'
instruction that is not the fallback of a test for the Kernel Mode Linux
entry, i.e. not in one of the forms below.  A DIR (a sysroot) stands for
every ELF file and archive under it (symbolic links are not followed).

x86-64, glibc's ENTER_KERNEL (sysdeps/unix/sysv/linux/x86_64/sysdep.h),
where the entry must be loaded from _dl_kml_entry, PC-relative (the
symbol table, or in an object file its relocation, must say so): not from
the TCB, the GOT or anything else:

	mov    X(%rip),%r11		# <_dl_kml_entry>
	test   %r11,%r11
	je     A
	call   *%r11
	jmp    A+2
    A:	syscall

x86-64 signal restorer: __restore_rt, byte for byte the classic one
('mov \$0xf,%rax; syscall'), counts as guarded when the same FILE also
has its KML twin __restore_rt_kml (.../x86_64/libc_sigaction.c).

i386 vfork, clone, clone3 (enter_kernel_nostack, .../i386/sysdep.h):

	mov    %gs:0x10,%eax
	cmpl   \$0x314c4d4b,-0x4(%eax)		"KML1" before the entry
	mov    \$NR,%eax
	jne    A
	call   *%gs:0x10
	jmp    A+2
    A:	int    \$0x80

i386 _dl_sysinfo_int80 (ld.so and static start-up, .../i386/dl-sysdep.h),
with the entry loaded GOT-relative (in an object file: from
_dl_kml_entry):

	mov    X(%eax),%eax			_dl_kml_entry
	test   %eax,%eax
	je     A
	push   %eax
	mov    0x4(%esp),%eax
	ret    \$0x4				into the KML entry
    A:	pop    %eax
	int    \$0x80

i386 signal restorers: __restore_rt and __restore, byte for byte the
classic ones, count as guarded when the same FILE also has __restore_rt_kml
and __restore_kml, which enter through 'call *%gs:0x10': sigaction installs
those for a KML task (.../i386/libc_sigaction.c).

One line per unguarded site ("FILE: ADDRESS <FUNCTION>: INSTRUCTION",
with the reason when the test is there but the entry comes from
elsewhere), then one summary line per file on stderr:
"FILE: N guarded, M unguarded"; for a DIR only the files that have a
site, and a last line "DIR: N files, G guarded, U unguarded".

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

# objdump -dr output on stdin; sites on stdout, "guarded unguarded" last.
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
	# A relocation (object files): it belongs to the last instruction.
	/^\t+[0-9a-f]+: R_/ {
		if (n > 0) {
			r = $0
			sub(/^\t+[0-9a-f]+: R_[A-Z0-9_]+[ \t]+/, "", r)
			rel[n] = r
		}
		next
	}
	/^ *[0-9a-f]+:\t/ {
		line = $0
		addr = line
		sub(/^ *[0-9a-f]+:\t/, "", line)
		sub(/^ */, "", addr)
		sub(/:.*/, "", addr)
		insn = line
		sub(/[ \t]+$/, "", insn)
		gsub(/[ \t]+/, " ", insn)
		if (insn == "")
			next		# continuation line of a long instruction
		n++
		# The symbol objdump names for an address operand.
		sym[n] = ""
		if (match(insn, / <[^>]*>$/))
			sym[n] = substr(insn, RSTART + 2, RLENGTH - 3)
		sub(/ <.*>$/, "", insn)
		a[n] = hex(addr)
		t[n] = insn
		rel[n] = ""
		if (func_name ~ /^<__restore(_rt)?_kml>$/ && insn == "call *%gs:0x10")
			kml_restorer[func_name] = 1
		if (func_name == "<__restore_rt_kml>" && insn == "call *%r11")
			kml_restorer[func_name] = 1
		if (insn == "syscall" || insn == "sysenter" || insn == "int $0x80")
			site()
	}
	function site(   ok, why) {
		ok = 0
		why = ""
		if (insn == "syscall" && n > 4 &&
		    t[n-4] == "test %r11,%r11" &&
		    jumps_to(n-3, "je", a[n]) &&
		    t[n-2] == "call *%r11" &&
		    jumps_to(n-1, "jmp", a[n] + 2)) {
			if (n > 5 && kml_entry_load(n-5))
				ok = 1
			else
				why = n > 5 ? t[n-5] : "nothing"
		}
		if (insn == "int $0x80" && n > 6 &&
		    t[n-6] == "mov %gs:0x10,%eax" &&
		    t[n-5] == "cmpl $0x314c4d4b,-0x4(%eax)" &&
		    t[n-4] ~ /^mov \$0x[0-9a-f]+,%eax$/ &&
		    jumps_to(n-3, "jne", a[n]) &&
		    t[n-2] == "call *%gs:0x10" &&
		    jumps_to(n-1, "jmp", a[n] + 2))
			ok = 1
		if (insn == "int $0x80" && n > 7 &&
		    func_name == "<_dl_sysinfo_int80>" &&
		    t[n-7] ~ /^mov -?0x[0-9a-f]+\(%eax\),%eax$/ &&
		    (rel[n-7] == "" || rel[n-7] == "_dl_kml_entry") &&
		    t[n-6] == "test %eax,%eax" &&
		    jumps_to(n-5, "je", a[n-1]) &&
		    t[n-4] == "push %eax" &&
		    t[n-3] == "mov 0x4(%esp),%eax" &&
		    t[n-2] == "ret $0x4" &&
		    t[n-1] == "pop %eax")
			ok = 1
		if ((insn == "int $0x80" &&
		     ((func_name == "<__restore_rt>" && n == 2 &&
		       t[1] == "mov $0xad,%eax") ||
		      (func_name == "<__restore>" && n == 3 &&
		       t[1] == "pop %eax" && t[2] == "mov $0x77,%eax"))) ||
		    (insn == "syscall" && func_name == "<__restore_rt>" &&
		     n == 2 && t[1] == "mov $0xf,%rax")) {
			restorers++
			restorer_site[restorers] = addr " " func_name ": " insn
			restorer_arch[restorers] = insn == "syscall" ? 64 : 32
			return
		}
		if (ok)
			guarded++
		else
			report(addr " " func_name ": " insn \
			       (why != "" ? " (entry loaded by: " why ")" : ""))
	}
	# Instruction I loads %r11 from _dl_kml_entry, PC-relative: by the
	# symbol objdump names, or in an object file by its relocation.
	function kml_entry_load(i) {
		if (t[i] !~ /^mov 0x[0-9a-f]+\(%rip\),%r11d?( #.*)?$/)
			return 0
		if (rel[i] != "")
			return rel[i] ~ /^_dl_kml_entry(-0x4)?$/
		return sym[i] == "_dl_kml_entry"
	}
	function jumps_to(i, op, target) {
		return t[i] ~ ("^" op " [0-9a-f]+$") &&
			hex(substr(t[i], length(op) + 2)) == target
	}
	function report(site) {
		unguarded++
		if (!quiet)
			printf "%s: %s\n", file, site
	}
	END {
		for (i = 1; i <= restorers; i++)
			if (restorer_arch[i] == 64 ? kml_restorer["<__restore_rt_kml>"] \
			    : kml_restorer["<__restore_rt_kml>"] && kml_restorer["<__restore_kml>"])
				guarded++
			else
				report(restorer_site[i])
		printf "%d %d\n", guarded, unguarded
	}'
}

# Is FILE an ELF file or an ar archive?
is_object() {
	local magic

	magic=$(head -c 8 -- "$1" 2>/dev/null | od -An -c | tr -d ' \n') || return 1
	case $magic in
	177ELF*|'!<arch>\n') return 0 ;;
	*) return 1 ;;
	esac
}

# Scan FILE; print its sites and, unless QUIET_EMPTY and it has none, its
# summary; "guarded unguarded" in the global counts.
check_file() {
	local file=$1 quiet=$2 quiet_empty=$3 out

	out=$(objdump -dr --no-show-raw-insn "$file" | scan "$file" "$quiet") ||
		die "objdump failed on $file"
	counts=${out##*$'\n'}
	[ "$counts" = "$out" ] || printf '%s\n' "${out%$'\n'*}"
	if [ "$quiet_empty" -eq 0 ] || [ "$counts" != "0 0" ]; then
		msg "$file: ${counts% *} guarded, ${counts#* } unguarded"
	fi
}

main() {
	local quiet=0 arg file status=0 files guarded unguarded
	local counts

	case ${1:-} in
	-h|--help) usage; exit 0 ;;
	-q) quiet=1; shift ;;
	esac
	if [ $# -eq 0 ]; then
		msg "no FILE given (try --help)"
		exit "$EXIT_USAGE"
	fi
	check_deps
	for arg in "$@"; do
		if [ -d "$arg" ]; then
			files=0 guarded=0 unguarded=0
			while IFS= read -r -d '' file; do
				is_object "$file" || continue
				check_file "$file" "$quiet" 1
				files=$((files + 1))
				guarded=$((guarded + ${counts% *}))
				unguarded=$((unguarded + ${counts#* }))
			done < <(find "$arg" -type f -print0 | sort -z)
			msg "$arg: $files files, $guarded guarded, $unguarded unguarded"
			[ "$unguarded" -eq 0 ] || status=1
			continue
		fi
		[ -r "$arg" ] || die "cannot read $arg"
		check_file "$arg" "$quiet" 0
		[ "${counts#* }" -eq 0 ] || status=1
	done
	exit "$status"
}

main "$@"
