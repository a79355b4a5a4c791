#!/bin/sh
# /init of the KML guest (busybox sh).
#
# kmlguest.cmd=<base64> on the kernel command line: run that shell script,
# print "KML-EXIT=<status>" and reboot (tools/kml-guest run).  Otherwise
# print "KML-GUEST-READY" and give a shell on the console (tools/kml-guest
# shell, and the DejaGnu driver).
#
# No 'set -e' here: this is PID 1, and its exit panics the kernel.
export PATH=/usr/bin:/usr/sbin
export HOME=/root
export LC_ALL=C

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
hostname kml-guest

cmd=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	kmlguest.cmd=*) cmd=${arg#kmlguest.cmd=} ;;
	esac
done

if [ -n "$cmd" ]; then
	printf '%s' "$cmd" | base64 -d >/tmp/kml-cmd
	sh /tmp/kml-cmd </dev/console
	echo "KML-EXIT=$?"
	reboot -f
fi

cd /root || exit 1
echo KML-GUEST-READY
# setsid + cttyhack make the console the shell's controlling terminal, so
# that job control and ^C work when a person uses it.  This script stays
# PID 1, below the shell: orphans (busybox timeout's watcher, a test's
# leftover children) are given to PID 1, and an interactive busybox sh as
# PID 1 exits when one of them ends while it reads the console (seen
# within 20 commands).  A non-interactive sh reaps them while it waits.
setsid cttyhack sh
reboot -f
