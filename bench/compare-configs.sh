#!/bin/bash
# The guest instruction counts of several `make bench' runs side by side,
# one run per kernel configuration (bench/run-bench.sh --config).
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2

usage() {
	cat <<EOF
Usage: $myname [--output FILE] NAME=RESULTS.CSV...

Print the icount medians (guest instructions per call, exact) of each
benchmark from the results.csv files of bench/run-bench.sh, one group of
columns per configuration NAME: baseline (the stock kernel, /usr/bin),
trapped (the KML kernel, /usr/bin), direct (the KML kernel, /trusted)
and direct/trapped.  A figure a run does not have is n/a.

  --output FILE   also write the table to FILE
  -h, --help      show this help

Exit status: 0 done, 1 a file is missing or not a results.csv, 2 usage
error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

readonly CSV_HEADER=kernel,role,mode,path,benchmark,iterations,median,min,max,unit,clocksource,tsc_mhz

output=
runs=()

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--output) output=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		-*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		*=?*) runs+=("$1") ;;
		*) msg "'$1': say NAME=RESULTS.CSV (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	[ ${#runs[@]} -gt 0 ] || { msg "give at least one NAME=RESULTS.CSV (try --help)"; exit "$EXIT_USAGE"; }
}

# One awk over all the files: the first file's benchmark order, then one
# group of four columns per file.
print_table() {
	local run names=() files=()

	for run in "${runs[@]}"; do
		names+=("${run%%=*}")
		files+=("${run#*=}")
		[ -r "${run#*=}" ] || die "${run#*=} (${run%%=*}) not found: run make bench first"
		[ "$(head -n 1 "${run#*=}")" = "$CSV_HEADER" ] ||
			die "${run#*=} (${run%%=*}) is not a results.csv of bench/run-bench.sh"
	done
	awk -F, -v names="${names[*]}" '
		FNR == 1 { file++; next }
		$3 != "icount" { next }
		file == 1 && !($5 in seen) { seen[$5] = 1; order[++n] = $5 }
		$2 == "baseline" && $4 == "/usr/bin" { v[file, "baseline", $5] = $7 }
		$2 == "trapped" || $2 == "direct" { v[file, $2, $5] = $7 }
		function cell(f, role, b) {
			return (f, role, b) in v ? v[f, role, b] : "n/a"
		}
		END {
			split(names, name, " ")
			print "Guest instructions per call (QEMU -icount shift=0,sleep=off: exact), by kernel configuration"
			printf "%-15s", ""
			for (f = 1; f <= file; f++)
				printf(f < file ? " | %-39s" : " | %s", name[f])
			printf "\n%-15s", "call"
			for (f = 1; f <= file; f++)
				printf " | %9s %9s %9s %9s", "baseline", "trapped", "direct", "dir/trap"
			printf "\n"
			for (i = 1; i <= n; i++) {
				printf "%-15s", order[i]
				for (f = 1; f <= file; f++) {
					t = cell(f, "trapped", order[i]); d = cell(f, "direct", order[i])
					r = t != "n/a" && d != "n/a" && t > 0 ? sprintf("%.2f", d / t) : "n/a"
					printf " | %9s %9s %9s %9s", cell(f, "baseline", order[i]), t, d, r
				}
				printf "\n"
			}
			print "baseline: the stock kernel of the configuration, /usr/bin; trapped and direct: its KML kernel, /usr/bin and /trusted."
		}' "${files[@]}"
}

main() {
	parse_args "$@"
	if [ -n "$output" ]; then
		print_table | tee "$output"
	else
		print_table
	fi
}

main "$@"
