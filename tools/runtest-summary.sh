#!/bin/bash
# Run DejaGnu's runtest, then print "N passed, M failed" from the .sum files.
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

Exit status: runtest's, or 1 when it reported success but a count above
is not zero or no test passed at all.
EOF
}

runtest=${RUNTEST_PROG:-runtest}

# Lines matching an extended regular expression, summed over files.
count() {
	local pattern=$1 file

	shift
	for file in "$@"; do
		grep -cE "$pattern" "$file" || true
	done | awk '{ n += $1 } END { print n + 0 }'
}

main() {
	local status=0 passed failed errors sums=()

	case ${1:-} in
	--version) exec "$runtest" --version ;;
	-h|--help) usage; exit 0 ;;
	esac

	rm -f ./*.sum
	"$runtest" "$@" || status=$?
	for sum in ./*.sum; do
		[ -e "$sum" ] && sums+=("$sum")
	done
	if [ ${#sums[@]} -eq 0 ]; then
		printf '%s: runtest wrote no .sum file\n' "$myname" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	passed=$(count '^PASS: ' "${sums[@]}")
	failed=$(count '^(FAIL|XPASS|KPASS|UNRESOLVED): ' "${sums[@]}")
	errors=$(count '^ERROR: ' "${sums[@]/%.sum/.log}")
	failed=$((failed + errors))
	if [ "$status" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then
		status=1
	fi
	echo "$passed passed, $failed failed"
	exit "$status"
}

main "$@"
