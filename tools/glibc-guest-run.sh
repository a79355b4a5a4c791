#!/bin/sh
# Run glibc's test programs in the KML guest, from /trusted and from outside
# it (tools/glibc-guest-check.sh builds the image and reads the output).
#
# Usage: glibc-guest-run.sh TESTS-FILE TIMEOUT JOBS
#        glibc-guest-run.sh --shard WORKDIR TIMEOUT K   (its own workers)
#
# TESTS-FILE holds one line per test, written by glibc-guest-check.sh:
#   t SUBDIR NAME 'ENV' 'ARGS'
# with the test's environment and arguments from glibc's makefiles ($(NAME-ENV),
# $(NAME-ARGS)), build-tree paths already moved to this image's and @SELF@
# standing for the test's own path.  Each test runs twice, as glibc's
# `make check' would run it (environment cleared but for LC_ALL=C and its
# own variables, in the directory of its objects, TIMEOUTFACTOR for the
# slow guest), within TIMEOUT seconds, under kmlstat so that the way its system calls entered the
# kernel is known, and prints one line per run:
#   KML-GLIBC-TEST PLACE SUBDIR/NAME STATUS KERNEL-MODE DIRECT TRAPPED
# PLACE is trusted (/trusted/glibc-tests) or outside (/usr/lib/glibc-tests).
# JOBS tests run at once (as under make -jJOBS check), each test's two
# runs one after the other.  The workers are started by xargs -P, not as
# the shell's background jobs: those would start with SIGINT and SIGQUIT
# ignored, and tests such as signal/tst-sigset2 check that they are not.
# A run that did not exit 0 or 77 also prints the end of its output as
#   KML-GLIBC-LOG PLACE SUBDIR/NAME LINE
# The last line is "KML-GLIBC-DONE N" for N runs.
#
# POSIX sh (busybox): this runs in the guest.

work=/tmp/glibc-tests
base=/usr/lib/glibc-tests
runs=0
# The tests' own time limit (20 s by default, times TIMEOUTFACTOR) ends
# before timeout(1)'s (TIMEOUT), so that a slow test fails by its own
# report; set with TIMEOUT in a worker.
factor=

# kmlstat's summary (-o FILE) as "KERNEL-MODE DIRECT TRAPPED".
kml_counts() {
	awk '/kernel mode/ { mode = $NF }
	     $2 == "direct" { direct = $1 }
	     $2 == "trapped" { trapped = $1 }
	     END { printf "%s %s %s\n", mode == "" ? "-" : mode,
		   direct == "" ? "-" : direct, trapped == "" ? "-" : trapped }' "$1"
}

t() {
	sub=$1
	name=$2
	envs=$3
	args=$4
	for place in trusted outside; do
		case $place in
		trusted) prog=/trusted/glibc-tests/$sub/$name ;;
		outside) prog=$base/$sub/$name ;;
		esac
		log=$work/$place/$sub/$name
		mkdir -p "${log%/*}"
		if [ ! -x "$prog" ]; then
			echo "KML-GLIBC-TEST $place $sub/$name missing - - -"
			continue
		fi
		a=$(printf '%s' "$args" | sed "s|@SELF@|$prog|g")
		# The test's own environment and arguments are shell words from
		# glibc's makefiles: eval, as make's shell would.
		# busybox timeout execs the command in its own process, so
		# kmlstat's child ends up being the test (its counters restart
		# at each exec).
		(cd "$base/$sub" &&
			eval "exec kmlstat -o $log.kml timeout -k 10 $timeout env -i \
				PATH=/usr/bin:/usr/sbin LC_ALL=C \
				TIMEOUTFACTOR=$factor $envs $prog $a") \
			>"$log.out" 2>&1 </dev/null
		status=$?
		runs=$((runs + 1))
		echo "KML-GLIBC-TEST $place $sub/$name $status $(kml_counts "$log.kml")"
		case $status in
		0|77) ;;
		*) tail -n 15 "$log.out" | sed "s|^|KML-GLIBC-LOG $place $sub/$name |" ;;
		esac
	done
}

usage() {
	echo "usage: $0 TESTS-FILE TIMEOUT JOBS" >&2
	exit 2
}

# A worker: run the tests of shard K, leave the number of runs in
# shardK.runs.
if [ "${1-}" = --shard ]; then
	[ $# -eq 4 ] || usage
	work=$2
	timeout=$3
	factor=$((timeout / 30 + 1))
	# shellcheck source=/dev/null
	. "$work/shard$4"
	echo "$runs" >"$work/shard$4.runs"
	exit 0
fi

if [ $# -ne 3 ] || [ ! -r "$1" ]; then
	usage
fi
timeout=$2
jobs=$3
rm -rf "$work"
mkdir -p "$work" /dev/shm /dev/pts
# What glibc's tests expect of a system beyond the guest's own mounts:
# POSIX shared memory (sem_open) and pseudo-terminals (posix_openpt), as
# far as the kernel has them.
mountpoint -q /dev/shm || mount -t tmpfs shm /dev/shm
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts 2>/dev/null
i=0
while [ "$i" -lt "$jobs" ]; do
	awk -v n="$jobs" -v k="$i" 'NR % n == k' "$1" >"$work/shard$i"
	echo "$i"
	i=$((i + 1))
done | xargs -P "$jobs" -n 1 sh "$0" --shard "$work" "$timeout"
echo "KML-GLIBC-DONE $(cat "$work"/shard*.runs | awk '{ n += $1 } END { print n + 0 }')"
