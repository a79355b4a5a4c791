#!/bin/bash
# Run DejaGnu's runtest, then print "N passed, M failed" from the .sum files.
# The .exp files may run in several runtest processes at once.
set -euo pipefail

readonly myname=${0##*/}

usage() {
	cat <<EOF
Usage: $myname [runtest arguments]

Used as RUNTEST by 'make check': runs \${RUNTEST_PROG:-runtest} with the
given arguments, then prints DejaGnu's counts as one line
"N passed, M failed", where failed counts FAIL, XPASS, KPASS, UNRESOLVED
and Tcl ERRORs.  --version is passed straight to runtest (automake probes
with it).

KML_TEST_JOBS (default: the number of CPUs) runtest processes run the
.exp files, one runtest per file, the longest first (the seconds in
SRCDIR/exp-seconds; files not listed there first of all).  Each guest
has one CPU unless a test asks for more, so one runtest leaves a CPU idle.
Every file's own .sum and .log stay in TOOL.runs/; TOOL.sum and TOOL.log
are merged from them in DejaGnu's order, and TOOL.times has each file's
wall seconds.  KML_TEST_JOBS=1, or arguments that choose tests some other
way than by .exp names (--directory, --ignore, --outdir, FILE.exp=TESTS),
run one runtest as it is.

Exit status: runtest's (1 when any of them failed), or 1 when it
reported success but a count above is not zero or no test passed at all.
EOF
}

# The results that count as failed (with the logs' Tcl ERRORs).
readonly FAILED_RESULT='^(FAIL|XPASS|KPASS|UNRESOLVED): '

runtest=${RUNTEST_PROG:-runtest}
tool=""
srcdir=""
selection=()
common_args=()

# Lines matching an extended regular expression, summed over files.
count() {
	local pattern=$1 file

	shift
	for file in "$@"; do
		grep -cE "$pattern" "$file" || true
	done | awk '{ n += $1 } END { print n + 0 }'
}

# Sets tool, srcdir, selection (the .exp names) and common_args (the
# others) from runtest's arguments; fails when they choose tests in a way
# one runtest per .exp file would not reproduce.
parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--tool) tool=${2:-} ;;
		--tool=*) tool=${1#*=} ;;
		--srcdir) srcdir=${2:-} ;;
		--srcdir=*) srcdir=${1#*=} ;;
		--di*|--ig*|--ou*|*.exp=*) return 1 ;;
		*.exp) selection+=("$1"); shift; continue ;;
		esac
		common_args+=("$1")
		case $1 in
		--tool|--srcdir) common_args+=("${2:-}"); shift ;;
		esac
		shift
	done
	[ -n "$tool" ] && [ -d "$srcdir" ]
}

# The .exp files to run, relative to srcdir, in DejaGnu's order: a name
# with a directory as runtest globs it, a bare name in every directory.
test_files() {
	local name

	(
		cd "$srcdir"
		if [ ${#selection[@]} -eq 0 ]; then
			find . -mindepth 2 -path "./$tool.*" -name '*.exp'
		else
			for name in "${selection[@]}"; do
				case $name in
				*/*) compgen -G "$name" || true ;;
				*) find . -mindepth 2 -path "./$tool.*" -name "$name" ;;
				esac
			done
		fi
	) | sed 's|^\./||' | LC_ALL=C sort -u
}

# The files of test_files, longest first by SRCDIR/exp-seconds.
ordered_tests() {
	local seconds=$srcdir/exp-seconds

	[ -r "$seconds" ] || seconds=/dev/null
	awk 'NR == FNR { if ($1 ~ /^[0-9]+$/) secs[$2] = $1; next }
	     { print ($0 in secs ? secs[$0] : 1000000), FNR, $0 }' \
		"$seconds" - | sort -k1,1nr -k2,2n | cut -d' ' -f3-
}

# The part of a DejaGnu .sum or .log before its first test file.
dejagnu_head() {
	awk '/^Running .*\.exp \.\.\.$/ { exit } { print }' "$1"
}

# The part with the test files' results, up to the summary.
dejagnu_body() {
	awk '/^Running .*\.exp \.\.\.$/ { on = 1 }
	     /^\t\t=== .* Summary/ { exit }
	     on { lines[++n] = $0 }
	     END { while (n > 0 && lines[n] == "") n--
		   for (i = 1; i <= n; i++) print lines[i] }' "$1"
}

# What follows the summary's counts (kml_version's line).
dejagnu_tail() {
	awk 'done { print; next }
	     /^\t\t=== .* Summary/ { sum = 1; next }
	     sum && !/^(# of |$)/ { done = 1; print }' "$1"
}

# DejaGnu's summary block of the .sum files given.
dejagnu_summary() {
	local result name n line

	printf '\n\t\t=== %s Summary ===\n\n' "$tool"
	for result in PASS:expected\ passes FAIL:unexpected\ failures \
		XPASS:unexpected\ successes XFAIL:expected\ failures \
		KPASS:unknown\ successes KFAIL:known\ failures \
		UNRESOLVED:unresolved\ testcases UNTESTED:untested\ testcases \
		UNSUPPORTED:unsupported\ tests; do
		name=${result#*:}
		n=$(count "^${result%%:*}: " "$@")
		[ "$n" -gt 0 ] || continue
		line="# of $name"
		[ ${#line} -ge 24 ] || line+=$'\t'
		printf '%s\t%s\n' "$line" "$n"
	done
}

# TOOL.sum and TOOL.log from those of each file's run, in runs order.
merge_results() {
	local rundir=$1 kind file first=""
	local -a files

	shift
	for kind in sum log; do
		files=()
		for file in "$@"; do
			file=$rundir/$file/$tool.$kind
			[ -e "$file" ] && files+=("$file")
		done
		[ ${#files[@]} -gt 0 ] || continue
		first=${files[0]}
		{
			dejagnu_head "$first"
			for file in "${files[@]}"; do
				dejagnu_body "$file"
			done
			if [ "$kind" = sum ]; then
				dejagnu_summary "${files[@]}"
				dejagnu_tail "$first"
			fi
		} >"$tool.$kind"
	done
}

# What a file's run reports on the console: a line of counts, then its
# results that are not passes or expected failures.
report_test() {
	local dir=$1 test=$2 status=$3 secs=$4 sum=$1/$tool.sum log=$1/$tool.log

	if [ ! -e "$sum" ]; then
		printf '%s: runtest wrote no .sum file (exit %s); its output:\n' "$test" "$status"
		cat "$dir/out"
		return
	fi
	printf '%s: %s passed, %s failed, %s s\n' "$test" \
		"$(count '^PASS: ' "$sum")" \
		"$(count "$FAILED_RESULT" "$sum")" "$secs"
	grep -E "$FAILED_RESULT" "$sum" || true
	[ ! -e "$log" ] || grep -E '^ERROR: ' "$log" || true
}

# runtest once per .exp file, KML_TEST_JOBS at a time; 0 when all
# returned 0.
run_split() {
	local jobs=$1 rundir=$tool.runs status=0 i=0 rc pid test secs
	local -a tests=() order=() dirs=()
	local -A test_of=() index_of=() start_of=()

	mapfile -t tests < <(test_files)
	if [ ${#tests[@]} -eq 0 ]; then
		printf '%s: no .exp file matches\n' "$myname" >&2
		return 1
	fi
	mapfile -t order < <(printf '%s\n' "${tests[@]}" | ordered_tests)
	for test in "${tests[@]}"; do
		index_of[$test]=$(printf '%03d' "$i")
		dirs+=("${index_of[$test]}")
		i=$((i + 1))
	done
	printf '%s: %d test files, %d at a time\n' "$myname" ${#tests[@]} "$jobs"
	rm -rf "$rundir"
	mkdir -p "$rundir"
	: >"$tool.times"
	i=0
	while [ "$i" -lt ${#order[@]} ] || [ ${#test_of[@]} -gt 0 ]; do
		if [ "$i" -lt ${#order[@]} ] && [ ${#test_of[@]} -lt "$jobs" ]; then
			test=${order[$i]}
			i=$((i + 1))
			mkdir -p "$rundir/${index_of[$test]}"
			"$runtest" "${common_args[@]}" --outdir "$rundir/${index_of[$test]}" "$test" \
				>"$rundir/${index_of[$test]}/out" 2>&1 </dev/null &
			test_of[$!]=$test
			start_of[$!]=$SECONDS
			continue
		fi
		rc=0
		wait -n -p pid || rc=$?
		test=${test_of[$pid]}
		unset "test_of[$pid]"
		[ "$rc" -eq 0 ] || status=1
		secs=$((SECONDS - start_of[$pid]))
		echo "$secs $test" >>"$tool.times"
		report_test "$rundir/${index_of[$test]}" "$test" "$rc" "$secs"
	done
	sort -k1,1nr -o "$tool.times" "$tool.times"
	merge_results "$rundir" "${dirs[@]}"
	if [ -e "$tool.sum" ]; then
		echo
		sed -n '/^\t\t=== .* Summary/,$p' "$tool.sum"
	fi
	return "$status"
}

main() {
	local status=0 passed failed errors jobs sums=()

	case ${1:-} in
	--version) exec "$runtest" --version ;;
	-h|--help) usage; exit 0 ;;
	esac

	jobs=${KML_TEST_JOBS:-$(nproc)}
	case $jobs in
	*[!0-9]*|0)
		printf '%s: KML_TEST_JOBS must be a positive number, not "%s"\n' \
			"$myname" "$jobs" >&2
		exit 2 ;;
	esac
	rm -f ./*.sum
	if [ "$jobs" -gt 1 ] && parse_args "$@"; then
		run_split "$jobs" || status=$?
	else
		"$runtest" "$@" || status=$?
	fi
	for sum in ./*.sum; do
		[ -e "$sum" ] && sums+=("$sum")
	done
	if [ ${#sums[@]} -eq 0 ]; then
		printf '%s: runtest wrote no .sum file\n' "$myname" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	passed=$(count '^PASS: ' "${sums[@]}")
	failed=$(count "$FAILED_RESULT" "${sums[@]}")
	errors=$(count '^ERROR: ' "${sums[@]/%.sum/.log}")
	failed=$((failed + errors))
	if [ "$status" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then
		status=1
	fi
	echo "$passed passed, $failed failed"
	exit "$status"
}

main "$@"
