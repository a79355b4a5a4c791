#!/bin/sh
# /sbin/kml-init of the Debian guest (tools/mkdebian.sh; Debian's dash).
#
# PID 1 instead of an init system: Debian's minbase has none, and systemd
# under TCG would take minutes to boot (and need cgroups, fhandles,
# autofs... in the small kernel).  It mounts what a Debian system expects,
# then, as tools/guest-init.sh does for the initramfs:
#
# kmlguest.cmd=<base64> on the kernel command line: run that shell script
# as root, print "KML-EXIT=<status>" and power off (tools/kml-guest
# --rootfs IMAGE run).  Otherwise print "KML-GUEST-READY" and give a shell
# on the console (tools/kml-guest --rootfs IMAGE shell).
#
# Powering off: minbase has no reboot(8) (it comes with an init system),
# so perl-base (Essential) makes the reboot(2) call; QEMU's -no-reboot
# ends the guest on it.
#
# No 'set -e' here: this is PID 1, and its exit panics the kernel.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export LC_ALL=C

# $1: file system type, $2: mount point; nothing if already mounted (the
# kernel mounts devtmpfs on /dev itself with CONFIG_DEVTMPFS_MOUNT).
mount_fs() {
	mountpoint -q "$2" && return 0
	mkdir -p "$2"
	mount -t "$1" "$1" "$2" || echo "kml-init: cannot mount $1 on $2" >&2
}

power_off() {
	sync
	mount -o remount,ro / 2>/dev/null
	# reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	# LINUX_REBOOT_CMD_RESTART): x86-64 system call 169.
	perl -e 'syscall(169, 0xfee1dead, 672274793, 0x01234567, 0);
		 die "kml-init: reboot: $!\n"'
	# Still here: leaving PID 1 panics the kernel, which (panic=-1 and
	# -no-reboot) ends QEMU as well.
	exit 1
}

mount -o remount,rw / 2>/dev/null
mount_fs proc /proc
mount_fs sysfs /sys
mount_fs devtmpfs /dev
mount_fs tmpfs /run
mount_fs tmpfs /tmp
mkdir -p /run/lock
hostname -F /etc/hostname

cmd=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	kmlguest.cmd=*) cmd=${arg#kmlguest.cmd=} ;;
	esac
done

cd /root || cd /
if [ -n "$cmd" ]; then
	printf '%s' "$cmd" | base64 -d >/run/kml-cmd
	sh /run/kml-cmd </dev/console
	echo "KML-EXIT=$?"
	power_off
fi

echo KML-GUEST-READY
# A session of its own with the console as its controlling terminal
# (setsid -c: TIOCSCTTY on standard input), so that job control and ^C
# work; PID 1 waits below it and reaps orphans.
setsid --wait --ctty bash -i </dev/console >/dev/console 2>&1
power_off
