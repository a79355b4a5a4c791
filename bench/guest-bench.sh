#!/bin/sh
# In the bench guest (busybox sh): run syscall-bench, then redis-benchmark against a redis-server, from each given directory.
#
# Installed as /usr/bin/kml-bench-guest in guest/bench.cpio and started by
# bench/run-bench.sh through tools/kml-guest.  The output is syscall-bench's
# for each directory, then one line per redis test:
#	redis_set REQUESTS REQUESTS_PER_SECOND
#	redis_get REQUESTS REQUESTS_PER_SECOND
# between "# redis-server PATH" and "# redis-end".  The client is always
# /usr/bin/redis-benchmark (an untrusted program); only the server's path
# changes.  No 'set -e': every failure is reported with its reason.

myname=${0##*/}

usage() {
	cat <<EOF
Usage: $myname [-q] [-a "SYSCALL-BENCH ARGS"] [-n REQUESTS] [-R] DIR...

For each DIR: DIR/syscall-bench, DIR/ia32-getppid if there is one (rows
ia32_int80 and ia32_sysinfo), then DIR/redis-server on 127.0.0.1:6379
measured by /usr/bin/redis-benchmark -P 1 -c 1 -t set,get.

  -q        quick: syscall-bench -q and 500 redis requests
  -a ARGS   more syscall-bench arguments
  -n N      redis requests per test (default 20000)
  -R        no redis
  -h        this help

Exit status: 0 done, 1 a run failed, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

quick=0
args=
requests=20000
redis=1

# The clock facts that say whether "ns" under icount is one guest
# instruction: the TSC as clocksource, calibrated at about 1000 MHz.
clock_facts() {
	cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	mhz=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p')
	echo "# clocksource $cs"
	echo "# tsc-mhz ${mhz:-?}"
}

# Start DIR/redis-server, wait until it answers, run the two tests and
# stop it.  No persistence: the figure is the request path only.
run_redis() {
	server=$1/redis-server
	[ -x "$server" ] || die "$server not found in the image"
	"$server" --port 6379 --bind 127.0.0.1 --save '' --appendonly no \
		--logfile /tmp/redis.log &
	pid=$!
	i=0
	until redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 200 ]; then
			cat /tmp/redis.log >&2
			die "$server does not answer"
		fi
		sleep 0.1
	done
	echo "# redis-server $server"
	# -c 1: one client, so each request is one round trip through both
	# processes and the kernel, not a batch served by one epoll_wait.
	redis-benchmark -h 127.0.0.1 -p 6379 -P 1 -c 1 -n "$requests" \
		-t set,get --csv >/tmp/redis.csv ||
		die "redis-benchmark failed against $server"
	kill "$pid"
	wait "$pid"
	# "SET","26737.97",... -> redis_set REQUESTS RPS
	sed -n 's/^"\(SET\|GET\)","\([0-9.]*\)".*/\1 \2/p' /tmp/redis.csv |
		while read -r test rps; do
			case $test in
			SET) echo "redis_set $requests $rps" ;;
			GET) echo "redis_get $requests $rps" ;;
			esac
		done
	[ "$(grep -c '^"[SG]ET",' /tmp/redis.csv)" -eq 2 ] ||
		die "redis-benchmark printed no SET and GET figures"
	echo "# redis-end"
}

# IA-32 getppid by int $0x80 and by a call of AT_SYSINFO: the vDSO's
# __kernel_vsyscall, or the KML entry of an IA-32 KML task.
# DIR/ia32-getppid prints "AT_SYSINFO WHICH: loop L int80 I call C ns per
# call"; its two calls become rows as syscall-bench prints them (NAME
# ITERATIONS MEDIAN MIN MAX), each one measurement of 20000 calls.
run_ia32() {
	out=$("$1/ia32-getppid") || die "$1/ia32-getppid failed"
	echo "$out" | awk '$1 == "AT_SYSINFO" && $5 == "int80" && $7 == "call" {
		printf "ia32_int80 20000 %s %s %s\n", $6, $6, $6
		printf "ia32_sysinfo 20000 %s %s %s\n", $8, $8, $8
		found = 1
	}
	END { exit !found }' || die "$1/ia32-getppid printed no figures: $out"
}

# What the guest kernel does against the CPU's vulnerabilities (the
# entry and exit work it adds to every trap), as the kernel reports it:
# "# vulnerability NAME STATE".  Nothing when the kernel has no
# GENERIC_CPU_VULNERABILITIES.
mitigation_facts() {
	for f in /sys/devices/system/cpu/vulnerabilities/*; do
		[ -r "$f" ] || continue
		echo "# vulnerability ${f##*/} $(cat "$f")"
	done
}

main() {
	while getopts qa:n:Rh opt; do
		case $opt in
		q) quick=1 ;;
		a) args=$OPTARG ;;
		n) requests=$OPTARG ;;
		R) redis=0 ;;
		h) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -gt 0 ] || { usage >&2; exit 2; }
	[ "$quick" -eq 0 ] || { args="$args -q"; requests=500; }

	# redis listens on the loopback device, which nothing else brings up.
	[ "$redis" -eq 0 ] || ip link set lo up || die "cannot bring up lo"
	mitigation_facts
	for dir in "$@"; do
		clock_facts
		# Word splitting of ARGS is wanted: they are options.
		# shellcheck disable=SC2086
		"$dir/syscall-bench" $args || die "$dir/syscall-bench failed"
		[ ! -x "$dir/ia32-getppid" ] || run_ia32 "$dir"
		[ "$redis" -eq 0 ] || run_redis "$dir"
	done
}

main "$@"
