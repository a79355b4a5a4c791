#!/bin/sh
# The steps of `make deploy-check`, run as root inside the Debian guest
# (tools/deploy-check.sh boots it; Debian's dash runs this), as a user
# would on their own machine: install the project's tools, put a Debian
# program under /trusted with kml-trust, see it run in kernel mode;
# install the patched glibc's libc6 package, then Debian's over it, then
# the patched one again, and see what each does to the trusted program.
#
# Its working directory holds what tools/deploy-check.sh copied in
# (kmlinfo, kmlstat, kml-trust with its helpers kml-elfinfo and
# kml-check-syscall-sites, libc6-kml.deb and libc6-debian.deb: `make
# deploy-check' passes them as --file).
# One line "PASS: ..." or "FAIL: ..." per check, "INFO: ..." for what is
# shown but not judged, a summary line last; exit status 1 if a check
# failed.
set -u
# The console is a terminal, the log is not.
export DPKG_COLORS=never
# dpkg -i of libc6 asks (debconf) about restarting services: not here.
export DEBIAN_FRONTEND=noninteractive

passes=0
fails=0
out=$(mktemp -d)

pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# step TITLE: a heading, so that a log reads as a user's session.
step() { printf '\n== %s\n' "$*"; }

# show COMMAND...: print the command as typed at a root prompt, run it,
# and set status to its exit status.
show() {
	echo "# $*"
	"$@"
	status=$?
}

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

# The kernel's package: the guest booted its bzImage (vmlinuz-running);
# on a machine the package's hooks would then make the boot entry.
step "The KML kernel as a Debian package"
if [ -f linux-image-kml.deb ]; then
	show dpkg-deb -f linux-image-kml.deb Package Version Architecture
	show dpkg -i linux-image-kml.deb
	check "dpkg -i linux-image-kml.deb: exit status 0" test "$status" -eq 0
	show ls -l "/boot/vmlinuz-$kernel_release"
	check "/boot/vmlinuz-$kernel_release is the running kernel's image" \
		cmp -s "/boot/vmlinuz-$kernel_release" vmlinuz-running
	check "dpkg knows /boot/vmlinuz-$kernel_release" \
		dpkg-query -S "/boot/vmlinuz-$kernel_release"
else
	echo "INFO: no kernel package copied in (a kernel other than the build's: KML_KERNEL)"
fi

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

step "A program that is not root's"
check "a copy of true owned by nobody, in /tmp" \
	install -o nobody -g nogroup -m 0755 /usr/bin/true /tmp/true-nobody
trust /tmp/true-nobody
check "kml-trust /tmp/true-nobody: exit status 1" test "$status" -eq 1
check "kml-trust /tmp/true-nobody: says why" \
	trust_said "refused: it is not root's \(owner uid [0-9]+\): whoever owns it decided what would run at CPL0"
# What the kernel does with one that got there some other way.
check "/trusted/true-nobody, owned by nobody (made by hand)" \
	install -o nobody -g nogroup -m 0755 /usr/bin/true /trusted/true-nobody
kmlstat_mode /trusted/true-nobody
check "kmlstat /trusted/true-nobody: exit status 0, kernel mode 0" \
	test "$status.$(cat "$out/mode")" = 0.0
check "kmlstat /trusted/true-nobody: the kernel says why" \
	grep -q "kernel mode refused: not root's, or writable by group or others" "$out/kmlstat"
rm -f /trusted/true-nobody /tmp/true-nobody

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
check "kmlstat /trusted/ls on Debian's glibc: its system calls trap ($(trapped_calls))" \
	test "$(trapped_calls)" -gt 0

# ls_in_kernel_mode TRAPS: /trusted/ls runs in kernel mode, prints what
# /usr/bin/ls printed, and its system calls trap (TRAPS "some") or not
# ("none").
ls_in_kernel_mode() {
	kmlstat_mode /trusted/ls -l /usr/bin
	check "kmlstat /trusted/ls: exit status 0, kernel mode 1" \
		test "$status.$(cat "$out/mode")" = 0.1
	check "/trusted/ls prints the same listing as before" \
		cmp -s "$out/stdout" "$out/usr-ls"
	case $1 in
	none) check "kmlstat /trusted/ls: no system call trapped" \
		test "$(trapped_calls)" = 0 ;;
	some) check "kmlstat /trusted/ls: its system calls trap ($(trapped_calls))" \
		test "$(trapped_calls)" -gt 0 ;;
	esac
}

# libc_is_kml: is the system's libc.so.6 the KML build (its banner)?
libc_is_kml() { grep -q 'Debian GLIBC [^,)]*, KML)' /lib/x86_64-linux-gnu/libc.so.6; }

step "The patched glibc, as Debian's libc6 package (tools/mkdeb-libc6.sh)"
show dpkg-deb -f libc6-kml.deb Package Version Architecture
show dpkg -i libc6-kml.deb
check "dpkg -i libc6-kml.deb: exit status 0" test "$status" -eq 0
check "libc6 is installed, with Debian's version" \
	test "$(dpkg-query -W -f='${Status} ${Version}' libc6)" = \
	"install ok installed $(dpkg-deb -f libc6-kml.deb Version)"
check "the system's libc.so.6 is the KML build" libc_is_kml
trust --dry-run /usr/bin/ls
check "kml-trust --dry-run /usr/bin/ls: the system's glibc is the KML build, calls direct" \
	trust_said "the system's glibc \(/lib/x86_64-linux-gnu/libc.so.6\) is the KML build: its system calls are direct"
ls_in_kernel_mode none
kmlstat_mode /usr/bin/ls -l /usr/bin
check "kmlstat /usr/bin/ls on the patched glibc: exit 0, kernel mode 0, same listing" \
	test "$status.$(cat "$out/mode").$(cmp -s "$out/stdout" "$out/usr-ls"; echo $?)" = 0.0.0
check "kmlstat /usr/bin/ls on the patched glibc: its system calls trap, as before" \
	test "$(trapped_calls)" -gt 0

# A security update of Debian's glibc replaces the package (apt upgrade
# installs the newer version over it): installing Debian's own package
# again does the same here, without the network.
step "Debian's libc6 over it again (what a glibc security update does)"
show dpkg -i libc6-debian.deb
check "dpkg -i libc6-debian.deb: exit status 0" test "$status" -eq 0
check "the system's libc.so.6 is Debian's build" eval '! libc_is_kml'
trust --dry-run /usr/bin/ls
check "kml-trust --dry-run /usr/bin/ls: warns that the system's glibc is not the KML build" \
	trust_said "warning: the system's glibc \(/lib/x86_64-linux-gnu/libc.so.6\) is not the KML build: its system calls trap in kernel mode"
ls_in_kernel_mode some

step "The patched glibc once more"
show dpkg -i libc6-kml.deb
check "dpkg -i libc6-kml.deb: exit status 0" test "$status" -eq 0
ls_in_kernel_mode none

# The guest has no network, not even lo: redis listens on a Unix socket.
redis_socket=/run/redis-kml.sock

# redis_up: does the redis-server answer PING within 60 s?
redis_up() {
	for _ in $(seq 60); do
		[ "$(redis-cli -s "$redis_socket" ping 2>/dev/null)" = PONG ] && return 0
		sleep 1
	done
	return 1
}

# redis_ended PID: did the server end within 30 s (else it is killed)?
redis_ended() {
	for _ in $(seq 30); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	kill -KILL "$1"
	return 1
}

step "A real daemon: Debian's redis-server under /trusted"
trust /usr/bin/redis-server
check "kml-trust /usr/bin/redis-server: exit status 0" test "$status" -eq 0
echo "# kmlstat -o kmlstat.out /trusted/redis-server --port 0 --unixsocket $redis_socket --save '' --appendonly no &"
kmlstat -o "$out/kmlstat" /trusted/redis-server --port 0 \
	--unixsocket "$redis_socket" --save '' --appendonly no \
	>"$out/redis.log" 2>&1 &
redis_pid=$!
check "/trusted/redis-server answers PING" redis_up
show redis-cli -s "$redis_socket" set kml "kernel mode"
check "redis-cli get: the value set" \
	test "$(redis-cli -s "$redis_socket" get kml)" = "kernel mode"
show redis-benchmark -s "$redis_socket" -q -n 1000 -c 2 -t set,get,incr,lpush,lpop
check "redis-benchmark: exit status 0" test "$status" -eq 0
check "redis-cli: 1000 INCRs from the benchmark" \
	test "$(redis-cli -s "$redis_socket" get counter:__rand_int__)" = 1000
show redis-cli -s "$redis_socket" shutdown nosave
check "/trusted/redis-server ended after SHUTDOWN" redis_ended "$redis_pid"
wait "$redis_pid"
status=$?
cat "$out/kmlstat"
check "kmlstat /trusted/redis-server: exit status 0" test "$status" -eq 0
check "kmlstat /trusted/redis-server: kernel mode 1" \
	grep -q ', kernel mode 1$' "$out/kmlstat"
check "kmlstat /trusted/redis-server: no system call trapped" \
	test "$(trapped_calls)" = 0

step "Real nanoseconds: kml-bench (syscall-bench in user and in kernel mode)"
check "install kml-bench syscall-bench" \
	install -o root -g root -m 0755 kml-bench syscall-bench /usr/local/bin/
show kml-bench -- -q -r 1 -b getppid,read,write >"$out/bench" 2>&1
cat "$out/bench"
check "kml-bench: exit status 0" test "$status" -eq 0
for name in getppid read write; do
	check "kml-bench: $name, trapped and direct ns and their ratio" \
		grep -qE "^$name +[0-9.]+ +[0-9.]+ +[0-9.]+\$" "$out/bench"
done
check "kml-bench: its copy under /trusted is gone" test ! -e /trusted/syscall-bench

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
trust --remove ls
check "kml-trust --remove ls: exit status 0" test "$status" -eq 0
kmlstat_mode /usr/bin/ls -l /usr/bin
check "kmlstat /usr/bin/ls after the removal: exit 0, kernel mode 0" \
	test "$status.$(cat "$out/mode")" = 0.0

# Last: lockdown cannot be lowered again until the next boot.
step "Integrity lockdown refuses kernel mode"
if [ -f /sys/kernel/security/lockdown ] ||
   mount -t securityfs securityfs /sys/kernel/security 2>/dev/null &&
   [ -f /sys/kernel/security/lockdown ]; then
	show cat /sys/kernel/security/lockdown
	show sh -c 'echo integrity >/sys/kernel/security/lockdown'
	check "echo integrity >/sys/kernel/security/lockdown: exit status 0" \
		test "$status" -eq 0
	kmlstat_mode /trusted/kmlinfo
	check "kmlstat /trusted/kmlinfo under lockdown: exit 0, kernel mode 0" \
		test "$status.$(cat "$out/mode")" = 0.0
	check "kmlstat /trusted/kmlinfo: the kernel says why (lockdown)" \
		grep -q "kernel mode refused: lockdown" "$out/kmlstat"
else
	echo "INFO: this kernel has no lockdown (CONFIG_SECURITY_LOCKDOWN_LSM)"
fi

rm -rf "$out"
printf '\ndeploy-steps: %d passed, %d failed\n' "$passes" "$fails"
[ "$fails" -eq 0 ]
