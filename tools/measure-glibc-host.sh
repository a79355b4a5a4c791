#!/bin/bash
# Measure the patched glibc on the host's stock kernel (the syscall fallback
# of every system call site) against Debian's glibc.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly SLIBDIR=lib/x86_64-linux-gnu

usage() {
	cat <<EOF
Usage: $myname --sysroot DIR --bench PROG [options]

On this machine's own kernel (no KML entry: the patched glibc takes its
syscall fallback everywhere), compare glibc builds by running the same
programs on each one's ld.so and libraries:
  debian     the host's glibc (/$SLIBDIR)
  unpatched  --base-sysroot, if given: build-glibc.sh with an empty
             series, to tell the patch from the build
  patched    --sysroot, the KML glibc

1. Instructions (valgrind --tool=callgrind; exact and repeatable, user
   space only: the kernel's share is the same for all since all use the
   syscall instruction): per getppid() call, by the difference of two
   runs of syscall-bench with 1x and 2x the iterations, with the raw
   syscall loop (no glibc) as control; and the total of each workload.
2. Wall time: syscall-bench's getppid and raw syscall (ns per call,
   median of 5 batches), the configurations taking turns ROUNDS times;
   and hyperfine over the workloads.  Wall time on a shared machine is
   noisy: read it with the load figure printed next to it.

Workloads (coreutils and findutils, Debian's binaries): sort of 200000
numbers, sha256sum of 64 MiB, cat of 64 MiB, ls -lR /usr/include,
find /usr/share -name '*.gz'.

Options:
  --sysroot DIR       the patched glibc's sysroot
  --base-sysroot DIR  an unpatched build's sysroot (optional)
  --bench PROG        bench/syscall-bench, built for the host
  --outdir DIR        raw results (default: glibc-host-measure)
  --rounds N          turns of the wall-time getppid runs (default: 10)
  --runs N            hyperfine runs per workload (default: 20)
  --no-callgrind      skip part 1
  --no-wall           skip part 2
  -h, --help          show this help

Exit status: 0 measured, 1 error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

sysroot=
base_sysroot=
bench=
outdir=glibc-host-measure
rounds=10
runs=20
callgrind=1
wall=1

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--sysroot) sysroot=${2:?}; shift ;;
		--base-sysroot) base_sysroot=${2:?}; shift ;;
		--bench) bench=${2:?}; shift ;;
		--outdir) outdir=${2:?}; shift ;;
		--rounds) rounds=${2:?}; shift ;;
		--runs) runs=${2:?}; shift ;;
		--no-callgrind) callgrind=0 ;;
		--no-wall) wall=0 ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$sysroot" ] || [ -z "$bench" ]; then
		msg "--sysroot and --bench are required (try --help)"
		exit "$EXIT_USAGE"
	fi
	case $rounds$runs in
	*[!0-9]*) msg "--rounds and --runs need numbers"; exit "$EXIT_USAGE" ;;
	esac
}

check_deps() {
	local s

	[ "$callgrind" -eq 0 ] || command -v valgrind >/dev/null ||
		die "valgrind not found: apt-get install valgrind"
	[ "$wall" -eq 0 ] || command -v hyperfine >/dev/null ||
		die "hyperfine not found: apt-get install hyperfine"
	[ -x "$bench" ] || die "$bench is not an executable"
	for s in "$sysroot" ${base_sysroot:+"$base_sysroot"}; do
		[ -x "$s/lib64/ld-linux-x86-64.so.2" ] || die "$s has no lib64/ld-linux-x86-64.so.2"
	done
}

# The configurations: name and sysroot ("" for the host's).
configs=()
declare -A root=()

add_config() {
	configs+=("$1")
	root[$1]=$2
}

# "debian | unpatched | patched": the configurations as table cells.
header_cells() {
	local cells

	cells=$(IFS='|'; echo "${configs[*]}")
	printf '%s' "${cells//|/ | }"
}

# The command prefix that runs a program on a configuration's glibc.
ldso_of() {
	local r=${root[$1]}

	printf '%s --library-path %s' "$r/lib64/ld-linux-x86-64.so.2" "$r/$SLIBDIR"
}

make_inputs() {
	input=$outdir/input
	mkdir -p "$input"
	[ -s "$input/numbers.txt" ] ||
		awk 'BEGIN { srand(1); for (i = 0; i < 200000; i++) print int(rand() * 1e9) }' \
			>"$input/numbers.txt"
	[ -s "$input/64m.bin" ] ||
		head -c 67108864 /dev/urandom >"$input/64m.bin"
	workloads=(
		"sort:/usr/bin/sort $input/numbers.txt"
		"sha256sum:/usr/bin/sha256sum $input/64m.bin"
		"cat:/usr/bin/cat $input/64m.bin"
		"ls-lR:/usr/bin/ls -lR /usr/include"
		"find:/usr/bin/find /usr/share -name *.gz"
	)
}

# Total instructions of a command under callgrind.
instructions() {
	local out=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.err" ||
		die "callgrind failed: $*; see $out.err"
	sed -n 's/^totals: *//p' "$out"
}

# Instructions per call of a syscall-bench benchmark: two runs, 1x and 2x
# the iterations; each makes N/10 warm-up calls and N timed ones (-r 1).
per_call() {
	local cfg=$1 name=$2 i1 i2 n1 n2
	local -a ldso

	read -ra ldso <<<"$(ldso_of "$cfg")"
	i1=$(instructions "$outdir/callgrind/$cfg-$name-1" "${ldso[@]}" "$bench" -b "$name" -r 1 -m 1)
	i2=$(instructions "$outdir/callgrind/$cfg-$name-2" "${ldso[@]}" "$bench" -b "$name" -r 1 -m 2)
	n1=$("${ldso[@]}" "$bench" -b "$name" -r 1 -m 1 | awk -v b="$name" '$1 == b { print $2 }')
	n2=$((2 * n1))
	awk -v i1="$i1" -v i2="$i2" -v c1="$((n1 + n1 / 10))" -v c2="$((n2 + n2 / 10))" \
		'BEGIN { printf "%.2f\n", (i2 - i1) / (c2 - c1) }'
}

measure_callgrind() {
	local cfg w name cmd
	local -a ldso argv

	mkdir -p "$outdir/callgrind"
	msg "callgrind: instructions per call"
	{
		printf '\n## Instructions (callgrind, user space)\n\n'
		printf '| per call | %s |\n' "$(header_cells)"
		printf '|---|%s\n' "$(printf -- '---|%.0s' "${configs[@]}")"
		for name in getppid syscall; do
			printf '| %s |' "$name"
			for cfg in "${configs[@]}"; do
				printf ' %s |' "$(per_call "$cfg" "$name")"
			done
			printf '\n'
		done
		printf '\n| workload, total | %s |\n' "$(header_cells)"
		printf '|---|%s\n' "$(printf -- '---|%.0s' "${configs[@]}")"
		for w in "${workloads[@]}"; do
			name=${w%%:*}
			cmd=${w#*:}
			msg "callgrind: $name"
			printf '| %s |' "$name"
			for cfg in "${configs[@]}"; do
				read -ra ldso <<<"$(ldso_of "$cfg")"
				read -ra argv <<<"$cmd"
				printf ' %s |' "$(instructions "$outdir/callgrind/$cfg-$name" \
					"${ldso[@]}" "${argv[@]}")"
			done
			printf '\n'
		done
	} | tee -a "$report"
}

measure_wall() {
	local r cfg w name cmd
	local -a ldso cmds

	mkdir -p "$outdir/wall"
	msg "wall time: syscall-bench getppid and syscall, $rounds rounds"
	: >"$outdir/wall/bench.txt"
	for ((r = 1; r <= rounds; r++)); do
		for cfg in "${configs[@]}"; do
			read -ra ldso <<<"$(ldso_of "$cfg")"
			"${ldso[@]}" "$bench" -b getppid,syscall -r 5 |
				awk -v c="$cfg" '!/^#/ { print c, $1, $3 }' >>"$outdir/wall/bench.txt"
		done
	done
	{
		printf '\n## Wall time\n\nload average before: %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
		printf '| ns per call, median (min-max) of %d rounds | %s |\n' "$rounds" \
			"$(header_cells)"
		printf '|---|%s\n' "$(printf -- '---|%.0s' "${configs[@]}")"
		for name in getppid syscall; do
			printf '| %s |' "$name"
			for cfg in "${configs[@]}"; do
				awk -v c="$cfg" -v b="$name" '$1 == c && $2 == b { print $3 }' \
					"$outdir/wall/bench.txt" | sort -n |
					awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
						printf " %.1f (%.1f-%.1f) |", m, v[1], v[NR] }'
			done
			printf '\n'
		done
		printf '\n| workload, ms (hyperfine mean ± sd, %d runs) | %s |\n' "$runs" \
			"$(header_cells)"
		printf '|---|%s\n' "$(printf -- '---|%.0s' "${configs[@]}")"
	} | tee -a "$report"
	for w in "${workloads[@]}"; do
		name=${w%%:*}
		cmd=${w#*:}
		cmds=()
		for cfg in "${configs[@]}"; do
			cmds+=("$(ldso_of "$cfg") $cmd")
		done
		msg "hyperfine: $name"
		hyperfine -N --style none --warmup 3 --runs "$runs" \
			--export-json "$outdir/wall/$name.json" "${cmds[@]}" \
			>"$outdir/wall/$name.txt" 2>&1 ||
			die "hyperfine failed; see $outdir/wall/$name.txt"
		python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("| %s |%s" % (sys.argv[2], "".join(" %.1f ± %.1f |" % (x["mean"] * 1e3, x["stddev"] * 1e3) for x in r)))
' "$outdir/wall/$name.json" "$name" | tee -a "$report"
	done
	printf '\nload average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
}

main() {
	parse_args "$@"
	check_deps
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	report=$outdir/report.md
	add_config debian ""
	[ -z "$base_sysroot" ] || add_config unpatched "$base_sysroot"
	add_config patched "$sysroot"
	make_inputs
	{
		printf '# glibc on the host: %s\n\n' "${configs[*]}"
		printf 'CPU: %s; kernel %s; %s\n' \
			"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
			"$(uname -r)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	} >"$report"
	[ "$callgrind" -eq 0 ] || measure_callgrind
	[ "$wall" -eq 0 ] || measure_wall
	msg "report: $report"
}

main "$@"
