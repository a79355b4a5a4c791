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
# that job control and ^C work when a person uses it.
exec setsid cttyhack sh
