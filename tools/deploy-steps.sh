#!/bin/sh
# The steps of `make deploy-check`, run as root inside the Debian guest
# (tools/deploy-check.sh boots it; Debian's dash runs this), as a user
# would on their own machine: install the project's tools, put a Debian
# program under /trusted with kml-trust, see it run in kernel mode.
#
# Its working directory holds what tools/deploy-check.sh copied in
# (kmlinfo, kmlstat, and kml-trust with its helpers kml-elfinfo and
# kml-check-syscall-sites: `make deploy-check' passes them as --file).
# One line "PASS: ..." or "FAIL: ..." per check, "INFO: ..." for what is
# shown but not judged, a summary line last; exit status 1 if a check
# failed.
set -u
# The console is a terminal, the log is not.
export DPKG_COLORS=never

passes=0
fails=0
out=$(mktemp -d)

pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# step TITLE: a heading, so that a log reads as a user's session.
step() { printf '\n== %s\n' "$*"; }

# show COMMAND...: print the command as typed at a root prompt, then run it.
show() { echo "# $*"; "$@"; }

# check DESCRIPTION COMMAND...: PASS if COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# kmlstat_mode PROGRAM ARGS...: run it under kmlstat, show the summary and
# print the "kernel mode N" it reports into $out/mode (empty if none).
kmlstat_mode() {
	echo "# kmlstat $*"
	kmlstat -o "$out/kmlstat" "$@" >"$out/stdout"
	status=$?
	cat "$out/kmlstat"
	echo "(exit status $status, $(wc -l <"$out/stdout") lines of output)"
	sed -n 's/.*, kernel mode \([0-9]*\)$/\1/p' "$out/kmlstat" >"$out/mode"
	return "$status"
}

# trust ARGS...: run kml-trust as typed at a root prompt, show its output
# (also in $out/trust) and set status to its exit status.
trust() {
	echo "# kml-trust $*"
	kml-trust "$@" >"$out/trust" 2>&1
	status=$?
	cat "$out/trust"
}

# trust_said PATTERN: did the last kml-trust say PATTERN (grep -E)?
trust_said() { grep -qE -- "$1" "$out/trust"; }

# trapped_calls: the "trapped" count of the last kmlstat summary.
trapped_calls() {
	sed -n 's/^ *\([0-9]*\)  trapped$/\1/p' "$out/kmlstat"
}

step "The system"
show uname -a
show cat /etc/debian_version
kernel_release=$(uname -r)
check "uname -r reports a kernel ($kernel_release)" test -n "$kernel_release"
check "the root file system is Debian 12 (/etc/debian_version $(cat /etc/debian_version))" \
	grep -q '^12\.' /etc/debian_version
check "the kernel is a KML kernel (KernelMode in /proc/self/status)" \
	grep -q '^KernelMode:' /proc/self/status

step "Installing kmlinfo and kmlstat into /usr/local/bin, kml-trust into /usr/local/sbin"
check "install kmlinfo kmlstat" \
	install -o root -g root -m 0755 kmlinfo kmlstat /usr/local/bin/
check "install kml-trust kml-elfinfo kml-check-syscall-sites" \
	install -o root -g root -m 0755 kml-trust kml-elfinfo \
	kml-check-syscall-sites /usr/local/sbin/
show ls -l /usr/local/bin/kmlinfo /usr/local/bin/kmlstat /usr/local/sbin/kml-trust

step "kmlinfo, outside /trusted"
show kmlinfo | tee "$out/kmlinfo"
check "kmlinfo outside /trusted: kernel mode no" \
	grep -qx 'kernel mode: no' "$out/kmlinfo"

step "A Debian program under /trusted"
# dpkg knows the files by their paths before the merge of /usr.
show dpkg-query -S /bin/ls /bin/true
show dpkg-query -W coreutils libc6
check "mkdir /trusted (root's, 0755)" install -d -o root -g root -m 0755 /trusted
trust /usr/bin/ls kmlinfo
check "kml-trust /usr/bin/ls kmlinfo: exit status 0" test "$status" -eq 0
check "kml-trust: ls is linked against glibc" \
	trust_said 'dynamically linked against glibc \(/lib64/ld-linux-x86-64.so.2\)'
# Debian's minimal system has no binutils: the scan must say so.
if command -v objdump >/dev/null; then
	check "kml-trust scanned the system-call instructions" \
		trust_said 'system-call instructions: [0-9]+ guarded'
else
	check "kml-trust: 'not checked: objdump missing' (no binutils)" \
		trust_said 'system-call instructions: not checked: objdump missing'
fi
show ls -ld /trusted /trusted/ls /trusted/kmlinfo
check "/trusted/ls and /trusted/kmlinfo: root's, mode 755" \
	test "$(stat -c '%U:%G %a' /trusted/ls /trusted/kmlinfo | sort -u)" = "root:root 755"
check "/trusted/ls is /usr/bin/ls" cmp -s /usr/bin/ls /trusted/ls

step "kml-trust refuses a shell"
trust /usr/bin/dash
check "kml-trust /usr/bin/dash: exit status 1" test "$status" -eq 1
check "kml-trust /usr/bin/dash: says why" \
	trust_said "refused: it is 'dash', a shell, interpreter or other program that runs code chosen by whoever runs it"
check "kml-trust /usr/bin/dash: /trusted/dash not made" test ! -e /trusted/dash

step "kmlinfo, inside /trusted"
show /trusted/kmlinfo | tee "$out/kmlinfo"
check "/trusted/kmlinfo: kernel mode yes" \
	grep -qx 'kernel mode: yes' "$out/kmlinfo"

step "Debian's ls from /usr/bin and from /trusted, through kmlstat"
kmlstat_mode /usr/bin/ls -l /usr/bin
check "kmlstat /usr/bin/ls: exit status 0" test "$status" -eq 0
cp "$out/stdout" "$out/usr-ls"
check "kmlstat /usr/bin/ls: kernel mode 0" test "$(cat "$out/mode")" = 0
kmlstat_mode /trusted/ls -l /usr/bin
check "kmlstat /trusted/ls: exit status 0" test "$status" -eq 0
check "kmlstat /trusted/ls: kernel mode 1" test "$(cat "$out/mode")" = 1
check "/trusted/ls and /usr/bin/ls print the same listing" \
	cmp -s "$out/stdout" "$out/usr-ls"
# Debian's own glibc makes its system calls with the syscall instruction
# also in kernel mode: they trap (the patched glibc makes them direct).
echo "INFO: /trusted/ls made $(trapped_calls) trapped system calls (Debian's glibc: expected for now)"

step "Debian's true, through kmlstat"
trust /usr/bin/true
check "kml-trust /usr/bin/true: exit status 0" test "$status" -eq 0
kmlstat_mode /usr/bin/true
check "kmlstat /usr/bin/true: exit 0, kernel mode 0" \
	test "$status.$(cat "$out/mode")" = 0.0
kmlstat_mode /trusted/true
check "kmlstat /trusted/true: exit 0, kernel mode 1" \
	test "$status.$(cat "$out/mode")" = 0.1

step "What is trusted, and taking a program out"
trust --list
check "kml-trust --list: exit status 0, /trusted/true listed" \
	test "$status.$(grep -c '^/trusted/true ' "$out/trust")" = 0.1
trust --remove true
check "kml-trust --remove true: exit status 0, /trusted/true gone" \
	test "$status.$(test -e /trusted/true; echo $?)" = 0.1

rm -rf "$out"
printf '\ndeploy-steps: %d passed, %d failed\n' "$passes" "$fails"
[ "$fails" -eq 0 ]
