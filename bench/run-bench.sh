#!/bin/bash
# Run the syscall and redis benchmarks in QEMU guests and on the host; print the table, write CSV, JSON, PNG.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
# Requests per redis test: under icount redis-benchmark's millisecond
# clock then gives the rate to about 0.1 %; under TCG each request costs
# about half a millisecond of wall time, and the figure is noisy anyway.
readonly REDIS_REQUESTS_ICOUNT=20000
readonly REDIS_REQUESTS_TCG=5000

usage() {
	cat <<EOF
Usage: $myname --kernel LABEL=BZIMAGE [--kernel ...] [options]

Measure system call costs with syscall-bench (bench/syscall-bench.c) and
redis request costs with redis-benchmark -P 1 -c 1 (GET, SET) against
redis-server; in the guest both run by kml-bench-guest (bench/guest-bench.sh):

  in a QEMU TCG guest, for each kernel:
    boot 1  -icount shift=0,sleep=off: /usr/bin/syscall-bench and
            /usr/bin/redis-server (guest clock = 1 ns per guest
            instruction: exact counts)
    boot 2  -icount shift=0,sleep=off: the same from /trusted
    boot 3  no icount: /usr/bin and /trusted (TCG wall time, noisy)
  the redis client is /usr/bin/redis-benchmark in every case;
  on the host's CPU (syscall-bench only):
    the host build with the host's glibc, and with the patched glibc of
    --sysroot through that sysroot's ld.so (the fallback path)

A kernel is a KML kernel when the /trusted run reports the KML entry
(AT_SYSINFO in its auxiliary vector); its /usr/bin run is then "trapped"
and its /trusted run "direct".  Any other kernel is a baseline.  Give at
most one kernel of each kind.

Writes into OUTDIR: results.txt (the table), results.csv, results.json,
results.png (gnuplot), raw/ (every run's output).  Progress goes to
stderr, the table to stdout.

Options:
  --kernel LABEL=FILE  a guest kernel; LABEL is a name for the table
                       ([A-Za-z0-9_.-]); repeatable, at least one
  --initrd FILE        the bench image: kml-bench-guest, syscall-bench and
                       redis-server in /usr/bin and /trusted, the redis
                       client tools (default: guest/bench.cpio)
  --bench FILE         syscall-bench built for the host
                       (default: bench/syscall-bench)
  --guest FILE         the guest runner (default: tools/kml-guest)
  --outdir DIR         where results go (default: bench)
  --config NAME        the kernels' configuration, for the report (e.g.
                       tiny, distro; default: none named)
  --sysroot DIR        patched glibc sysroot for the host line
                       (default: \$KML_SYSROOT; none: the line says so)
  --guest-glibc TEXT   where the guest image's glibc came from, for the
                       report (default: "Debian's (host sysroot /)")
  --quick              syscall-bench -q, 500 redis requests (tries the
                       driver)
  --no-redis           no redis figures
  --bench-args ARGS    more arguments for syscall-bench (e.g. "-r 7")
  --timeout SECS       limit of one guest run (default: 600)
  --kvm                real nanoseconds under KVM: not implemented, refused
                       at once (exit status 2; see doc/RESULTS.md)
  -h, --help           show this help

Relative default paths are taken in the current directory (the build
directory when run by 'make bench').

Environment: KML_SYSROOT (see --sysroot).

Exit status: 0 done, 1 a run failed or a tool is missing, 2 usage error
or --kvm.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

configs=()
initrd=guest/bench.cpio
bench=bench/syscall-bench
guest=tools/kml-guest
outdir=bench
config_name=
sysroot=${KML_SYSROOT:-}
guest_glibc="Debian's (host sysroot /)"
quick=0
bench_args=
timeout_secs=600
redis=1

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) configs+=("${2:?}"); shift ;;
		--initrd) initrd=${2:?}; shift ;;
		--bench) bench=${2:?}; shift ;;
		--guest) guest=${2:?}; shift ;;
		--outdir) outdir=${2:?}; shift ;;
		--config) config_name=${2:?}; shift ;;
		--sysroot) sysroot=${2?}; shift ;;
		--guest-glibc) guest_glibc=${2:?}; shift ;;
		--quick) quick=1 ;;
		--no-redis) redis=0 ;;
		--bench-args) bench_args=${2?}; shift ;;
		--timeout) timeout_secs=${2:?}; shift ;;
		--kvm)
			# tools/kml-guest boots with -accel tcg only, on purpose: no
			# machine here runs these kernels under KVM, so a KVM run
			# could never be tested.  Refuse before anything is done.
			msg "--kvm (make bench KVM=1) is not implemented: tools/kml-guest runs QEMU with -accel tcg only, so there are no real-nanosecond guest figures; run without it for the icount and TCG figures, and on an installed KML machine tools/kml-bench for real nanoseconds (doc/RESULTS.md, 'make bench KVM=1'; doc/USING.md)"
			exit "$EXIT_USAGE" ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ ${#configs[@]} -eq 0 ]; then
		msg "give at least one --kernel LABEL=FILE (try --help)"
		exit "$EXIT_USAGE"
	fi
	local config
	for config in "${configs[@]}"; do
		if ! [[ $config =~ ^[A-Za-z0-9_.-]+=.+$ ]]; then
			msg "--kernel '$config': say LABEL=FILE, LABEL of [A-Za-z0-9_.-]"
			exit "$EXIT_USAGE"
		fi
	done
	# The words are syscall-bench options; they are checked by a host run.
	# shellcheck disable=SC2206
	bench_opts=($bench_args)
	[ "$quick" -eq 0 ] || bench_opts+=(-q)
}

check_deps() {
	local config

	command -v gnuplot >/dev/null ||
		die "gnuplot not found: apt-get install gnuplot-nox"
	command -v awk >/dev/null || die "awk not found: apt-get install gawk"
	[ -x "$bench" ] || die "$bench not found: run 'make' in the build directory"
	[ -x "$guest" ] || die "$guest not found: run configure in the build directory"
	[ -r "$initrd" ] || die "$initrd not found: run 'make' in the build directory"
	for config in "${configs[@]}"; do
		[ -r "${config#*=}" ] || die "kernel ${config#*=} (${config%%=*}) not found"
	done
	if [ -n "$sysroot" ] && [ -z "$(sysroot_ldso)" ]; then
		die "--sysroot $sysroot: no ld-linux-x86-64.so.2 under its lib directories"
	fi
	"$bench" "${bench_opts[@]}" -l >/dev/null ||
		die "syscall-bench refused the arguments '${bench_opts[*]}'"
}

sysroot_ldso() {
	local dir

	for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib64; do
		if [ -x "$sysroot/$dir/ld-linux-x86-64.so.2" ]; then
			printf '%s\n' "$sysroot/$dir/ld-linux-x86-64.so.2"
			return
		fi
	done
}

cleanup() {
	rm -rf "$tmpdir"
}

# Run a command, keep its output in FILE and show each benchmark line as
# progress.  Fails when the command fails or did not print "# end N" (and
# "# redis-end" when REDIS_RUNS > 0) for every run it was asked for.
run_logged() {
	local file=$1 runs=$2 redis_runs=$3 status ends

	shift 3
	set +e
	"$@" 2>&1 | tee "$file" | awk -v me="$myname" -v unit="$progress_unit" '
		/^# (exe|redis-server) / { printf "%s:     %s\n", me, $3 > "/dev/stderr" }
		/^[a-z_]+ [0-9]+ [0-9.]+ [0-9.]+ / {
			printf "%s:       %-14s %12s %s\n", me, $1, $3, unit > "/dev/stderr"
		}
		/^redis_[a-z]+ [0-9]+ [0-9.]+$/ {
			printf "%s:       %-14s %12s requests/s (guest clock)\n", me, $1, $3 > "/dev/stderr"
		}'
	status=${PIPESTATUS[0]}
	set -e
	[ "$status" -eq 0 ] || die "run failed with status $status; its output is in $file"
	ends=$(grep -cE '^# end [0-9]+$' "$file" || true)
	[ "$ends" -eq "$runs" ] ||
		die "incomplete output ($ends of $runs runs complete); see $file"
	ends=$(grep -c '^# redis-end$' "$file" || true)
	[ "$ends" -eq "$redis_runs" ] ||
		die "incomplete redis output ($ends of $redis_runs runs complete); see $file"
}

# The guest's command: kml-bench-guest (bench/guest-bench.sh) runs
# syscall-bench and the redis server from each directory.
run_guest() {
	local label=$1 kernel=$2 mode=$3 file=$4

	shift 4
	local -a opts=(--kernel "$kernel" --initrd "$initrd" --timeout "$timeout_secs")
	local -a gopts=()
	progress_unit="ns/call (TCG wall time)"
	if [ "$mode" = icount ]; then
		opts+=(--icount)
		progress_unit="guest instructions/call"
	fi
	if [ "$quick" -eq 1 ]; then
		gopts+=(-q)
	elif [ "$mode" = icount ]; then
		gopts+=(-n "$REDIS_REQUESTS_ICOUNT")
	else
		gopts+=(-n "$REDIS_REQUESTS_TCG")
	fi
	[ "$redis" -eq 1 ] || gopts+=(-R)
	[ -z "$bench_args" ] || gopts+=(-a "$bench_args")
	run_logged "$file" $# $((redis * $#)) "$guest" "${opts[@]}" run -- \
		kml-bench-guest ${gopts[@]+"${gopts[@]}"} "$@"
}

# Turn one run's output into rows of the long table:
#   label kml-entry mode path bench iterations median min max clocksource tsc-mhz
# A redis figure (requests per second of guest time) becomes the cost of
# one request: 1e9 / rate, guest instructions under icount, ns under TCG.
parse_run() {
	local file=$1 label=$2 mode=$3

	awk -v label="$label" -v mode="$mode" '
		/^# exe / { path = $3; sub(/\/[^\/]*$/, "", path); next }
		/^# redis-server / { path = $3; sub(/\/[^\/]*$/, "", path); next }
		/^redis_[a-z]+ [0-9]+ [0-9.]+$/ && $3 > 0 {
			c = sprintf("%.2f", 1e9 / $3)
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				label, entry, mode, path, $1, $2, c, c, c, cs, mhz
			next
		}
		/^# kml-entry / { entry = $3; next }
		/^# clocksource / { cs = $3; next }
		/^# tsc-mhz / { mhz = $3; next }
		/^[a-z][a-z0-9_]* [0-9]+ [0-9.]+ [0-9.]+ [0-9.]+$/ {
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				label, entry, mode, path, $1, $2, $3, $4, $5, cs, mhz
		}' "$file"
}

run_host() {
	local ldso

	host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	progress_unit=ns/call
	msg "host ($host_cpu, $(uname -r)), Debian glibc: $bench"
	run_logged "$outdir/raw/host-debian.txt" 1 0 "$bench" "${bench_opts[@]}"
	awk '/^[a-z_]+ [0-9]+ [0-9.]+ /' "$outdir/raw/host-debian.txt" |
		awk -v OFS='\t' '{ print "host", "debian-glibc", "host", "debian-glibc", $1, $2, $3, $4, $5, "-", "-" }' \
		>>"$rows"
	if [ -z "$sysroot" ]; then
		missing+=("patched glibc on the host: no sysroot given (--sysroot or KML_SYSROOT; build-glibc.sh of issue 6 will make one), so the host line has Debian's glibc only")
		return
	fi
	ldso=$(sysroot_ldso)
	msg "host, patched glibc from $sysroot: $ldso $bench"
	run_logged "$outdir/raw/host-patched.txt" 1 0 "$ldso" --library-path \
		"$sysroot/lib/x86_64-linux-gnu:$sysroot/usr/lib/x86_64-linux-gnu" \
		"$bench" "${bench_opts[@]}"
	awk '/^[a-z_]+ [0-9]+ [0-9.]+ /' "$outdir/raw/host-patched.txt" |
		awk -v OFS='\t' '{ print "host", "patched-glibc", "host", "patched-glibc", $1, $2, $3, $4, $5, "-", "-" }' \
		>>"$rows"
}

# Decide the role of each kernel from what its /trusted icount run saw.
assign_roles() {
	local config label entry

	baseline=''
	kml=''
	for config in "${configs[@]}"; do
		label=${config%%=*}
		entry=$(awk -F'\t' -v l="$label" '$1 == l && $3 == "icount" && $4 == "/trusted" { print $2; exit }' "$rows")
		if [ "$entry" = yes ]; then
			[ -z "$kml" ] || die "two KML kernels ($kml, $label): give one"
			kml=$label
		else
			[ -z "$baseline" ] || die "two baseline kernels ($baseline, $label): give one"
			baseline=$label
		fi
	done
	if [ -z "$kml" ]; then
		missing+=("KML kernel: none of the kernels given (${configs[*]%%=*}) passed the KML entry (AT_SYSINFO) to /trusted/syscall-bench; the KML kernel patches (issue 4: CPL0 for /trusted, issue 5: the direct entry) have not landed, so the trapped and direct columns are n/a")
	fi
	if [ -z "$baseline" ]; then
		missing+=("baseline kernel: no kernel without the KML entry was given (--kernel stock=FILE; make bench builds it in linux/stock-obj), so the baseline columns are n/a")
	fi
}

# CSV: the long table with a header; one row per run and benchmark.
write_csv() {
	{
		echo "kernel,role,mode,path,benchmark,iterations,median,min,max,unit,clocksource,tsc_mhz"
		awk -F'\t' -v OFS=, -v b="$baseline" -v k="$kml" '{
			role = $1 == "host" ? "host" : $1 == k ? ($4 == "/trusted" ? "direct" : "trapped") : "baseline"
			unit = $3 == "icount" ? "guest_instructions_per_call" : "ns_per_call"
			if ($5 ~ /^redis_/) sub(/call$/, "request", unit)
			print $1, role, $3, $4, $5, $6, $7, $8, $9, unit, $10, $11
		}' "$rows"
	} >"$outdir/results.csv"
}

json_string() {
	local s=$1

	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

write_json() {
	local i config first=1

	{
		printf '{\n  "generator": "bench/run-bench.sh",\n'
		printf '  "date": %s,\n' "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
		printf '  "quick": %s,\n' "$([ "$quick" -eq 1 ] && echo true || echo false)"
		printf '  "host_cpu": %s,\n' "$(json_string "$host_cpu")"
		printf '  "host_kernel": %s,\n' "$(json_string "$(uname -r)")"
		printf '  "guest_glibc": %s,\n' "$(json_string "$guest_glibc")"
		printf '  "config": %s,\n' "$(json_string "$config_name")"
		printf '  "bench_args": %s,\n' "$(json_string "${bench_opts[*]}")"
		printf '  "units": {"icount": "guest instructions per call", "tcg": "ns per call (TCG wall time)", "host": "ns per call"},\n'
		printf '  "kernels": ['
		for config in "${configs[@]}"; do
			[ "$first" -eq 1 ] || printf ','
			first=0
			local label=${config%%=*} role=baseline
			[ "$label" != "$kml" ] || role=kml
			printf '\n    {"label": %s, "file": %s, "role": "%s"}' \
				"$(json_string "$label")" "$(json_string "${config#*=}")" "$role"
		done
		printf '\n  ],\n  "missing": ['
		for i in "${!missing[@]}"; do
			[ "$i" -eq 0 ] || printf ','
			printf '\n    %s' "$(json_string "${missing[$i]}")"
		done
		printf '\n  ],\n  "results": ['
		awk -F'\t' -v k="$kml" '{
			role = $1 == "host" ? "host" : $1 == k ? ($4 == "/trusted" ? "direct" : "trapped") : "baseline"
			printf "%s\n    {\"kernel\": \"%s\", \"role\": \"%s\", \"mode\": \"%s\", \"path\": \"%s\", \"benchmark\": \"%s\", \"iterations\": %s, \"median\": %s, \"min\": %s, \"max\": %s}",
				(NR > 1 ? "," : ""), $1, role, $3, $4, $5, $6, $7, $8, $9
		}' "$rows"
		printf '\n  ]\n}\n'
	} >"$outdir/results.json"
}

# The table: one block per guest metric, then the host.  Cells are medians.
print_table() {
	local mode title

	[ -z "$config_name" ] || printf 'Kernel configuration: %s\n' "$config_name"
	for mode in icount tcg; do
		case $mode in
		icount) title="Guest instructions per call (QEMU TCG, -icount shift=0,sleep=off: exact)" ;;
		tcg) title="TCG wall time, ns per call (QEMU without icount: noisy, not hardware)" ;;
		esac
		printf '\n%s\n' "$title"
		awk -F'\t' -v mode="$mode" -v b="$baseline" -v k="$kml" -v names="$bench_names" '
			$3 == mode { v[$1, $4, $5] = $7 }
			END {
				bl = b == "" ? "n/a" : b; kl = k == "" ? "n/a" : k
				printf "%-15s %12s %12s %12s %12s  %s\n", "call", "baseline", "baseline", "trapped", "direct", "direct/trapped"
				printf "%-15s %12s %12s %12s %12s\n", "", "/usr/bin", "/trusted", "/usr/bin", "/trusted"
				printf "%-15s %12s %12s %12s %12s\n", "", "[" bl "]", "[" bl "]", "[" kl "]", "[" kl "]"
				n = split(names, list, " ")
				for (i = 1; i <= n; i++) {
					name = list[i]
					c1 = b == "" ? "n/a" : v[b, "/usr/bin", name]
					c2 = b == "" ? "n/a" : v[b, "/trusted", name]
					c3 = k == "" ? "n/a" : v[k, "/usr/bin", name]
					c4 = k == "" ? "n/a" : v[k, "/trusted", name]
					if (k == "")
						r = "n/a (no KML kernel yet)"
					else if (c3 + 0 > 0)
						r = sprintf("%.2f", c4 / c3)
					else
						r = "n/a"
					printf "%-15s %12s %12s %12s %12s  %s\n", name, c1, c2, c3, c4, r
				}
			}' "$rows"
	done
	printf '\nHost CPU, ns per call (%s, kernel %s)\n' "$host_cpu" "$(uname -r)"
	awk -F'\t' -v names="$bench_names" '
		$1 == "host" { v[$4, $5] = $7; have[$4] = 1 }
		END {
			printf "%-15s %14s %14s  %s\n", "call", "Debian glibc", "patched glibc", "patched/Debian"
			n = split(names, list, " ")
			for (i = 1; i <= n; i++) {
				name = list[i]
				if (!(("debian-glibc", name) in v))
					continue
				p = have["patched-glibc"] ? v["patched-glibc", name] : "n/a"
				r = have["patched-glibc"] ? sprintf("%.2f", p / v["debian-glibc", name]) : "n/a (no patched glibc yet)"
				printf "%-15s %14s %14s  %s\n", name, v["debian-glibc", name], p, r
			}
		}' "$rows"
	print_redis_rates
	print_mitigations
	printf '\nEvery figure includes the loop overhead (the "loop" row).\n'
	if grep -q 'redis_' "$rows"; then
		printf 'redis_set and redis_get are per request of redis-benchmark -P 1 -c 1\n'
		printf '(client and server in the guest, the whole machine counted): 1e9 / its\n'
		printf 'requests per second of guest time (icount) or of wall time (TCG).\n'
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		printf '\nNot measured:\n'
		printf -- '- %s\n' "${missing[@]}"
	fi
}

# The guest kernels' own report of their CPU vulnerability mitigations
# (bench/guest-bench.sh), from their first boot: under TCG they depend on
# the CPU model QEMU emulates, and they are the entry and exit work the
# trapped column carries.
print_mitigations() {
	local config label file

	for config in "${configs[@]}"; do
		label=${config%%=*}
		file=$outdir/raw/$label-icount-usr.txt
		grep -q '^# vulnerability ' "$file" || continue
		printf '\nCPU vulnerabilities in the guest, kernel %s (/sys/devices/system/cpu/vulnerabilities)\n' "$label"
		sed -n 's/^# vulnerability \([^ ]*\) \(.*\)$/\1\t\2/p' "$file" |
			awk -F'\t' '{ printf "%-26s %s\n", $1, $2 }'
	done
}

# redis under TCG as its users read it: requests per second.
print_redis_rates() {
	grep -q 'redis_' "$rows" || return 0
	printf '\nredis requests/s under TCG (wall time; redis-benchmark -P 1 -c 1, client /usr/bin)\n'
	awk -F'\t' -v b="$baseline" -v k="$kml" '
		function rate(label, path, name) {
			if (label == "") return "n/a"
			if (!((label, path, name) in v)) return "-"
			return sprintf("%.0f", 1e9 / v[label, path, name])
		}
		$3 == "tcg" && $5 ~ /^redis_/ { v[$1, $4, $5] = $7 }
		END {
			printf "%-15s %12s %12s %12s %12s\n", "server from", "baseline", "baseline", "trapped", "direct"
			printf "%-15s %12s %12s %12s %12s\n", "", "/usr/bin", "/trusted", "/usr/bin", "/trusted"
			split("redis_set redis_get", list, " ")
			for (i = 1; i <= 2; i++)
				printf "%-15s %12s %12s %12s %12s\n", list[i], rate(b, "/usr/bin", list[i]),
					rate(b, "/trusted", list[i]), rate(k, "/usr/bin", list[i]), rate(k, "/trusted", list[i])
		}' "$rows"
}

# Grouped bars, one panel per metric, log scale: the calls span five
# orders of magnitude (an empty loop iteration to fork).
plot() {
	local dat=$tmpdir/plot.dat hostdat=$tmpdir/host.dat mode cols

	for mode in icount tcg; do
		awk -F'\t' -v mode="$mode" -v b="$baseline" -v k="$kml" -v names="$bench_names" '
			$3 == mode { v[$1, $4, $5] = $7 }
			END {
				n = split(names, list, " ")
				for (i = 1; i <= n; i++) {
					name = list[i]
					printf "%s", name
					if (b != "") printf " %s %s", v[b, "/usr/bin", name], v[b, "/trusted", name]
					if (k != "") printf " %s %s", v[k, "/usr/bin", name], v[k, "/trusted", name]
					printf "\n"
				}
			}' "$rows" >"$dat.$mode"
	done
	awk -F'\t' -v names="$bench_names" '
		$1 == "host" { v[$4, $5] = $7; have[$4] = 1 }
		END {
			n = split(names, list, " ")
			for (i = 1; i <= n; i++) {
				if (!(("debian-glibc", list[i]) in v))
					continue
				printf "%s %s", list[i], v["debian-glibc", list[i]]
				if (have["patched-glibc"]) printf " %s", v["patched-glibc", list[i]]
				printf "\n"
			}
		}' "$rows" >"$hostdat"

	cols=()
	[ -z "$baseline" ] || cols+=("baseline ($baseline) /usr/bin" "baseline ($baseline) /trusted")
	[ -z "$kml" ] || cols+=("trapped ($kml) /usr/bin" "direct ($kml) /trusted")
	local guest_plot='' host_plot='' i
	for i in "${!cols[@]}"; do
		guest_plot+="${guest_plot:+, }f using $((i + 2)):xtic(1) title '${cols[$i]}'"
	done
	host_plot="f using 2:xtic(1) title 'Debian glibc'"
	grep -q ' .* ' "$hostdat" && host_plot+=", f using 3 title 'patched glibc'"
	local note=""
	[ -n "$kml" ] || note=" - trapped/direct: no KML kernel yet"

	gnuplot <<EOF
set terminal pngcairo size 1100,1300 font ",10" noenhanced
set output "$outdir/results.png"
set multiplot layout 3,1 title "syscall-bench${config_name:+ ($config_name kernels)}$note"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set xtics rotate by -30
set key top left
set yrange [1:*]
set title "guest instructions per call or redis request (QEMU -icount shift=0)"
f = "$dat.icount"
plot $guest_plot
set title "TCG wall time, ns per call or redis request (noisy, emulated)"
set yrange [0.1:*]
f = "$dat.tcg"
plot $guest_plot
set title "host CPU, ns per call"
f = "$hostdat"
plot $host_plot
unset multiplot
EOF
	[ -s "$outdir/results.png" ] || die "gnuplot wrote no $outdir/results.png"
}

main() {
	local config label kernel start

	parse_args "$@"
	check_deps
	tmpdir=$(mktemp -d)
	readonly tmpdir
	trap cleanup EXIT
	start=$SECONDS

	mkdir -p "$outdir/raw"
	rows=$tmpdir/rows
	: >"$rows"
	missing=()
	host_cpu=

	msg "kernels: ${configs[*]}; guest glibc: $guest_glibc; host patched glibc: ${sysroot:-none given (issue 6)}"
	msg "a kernel is a KML kernel only if /trusted/syscall-bench gets the KML entry there"
	local nruns=$((${#configs[@]} * 3 + 1)) run=0
	for config in "${configs[@]}"; do
		label=${config%%=*}
		kernel=${config#*=}
		run=$((run + 1))
		msg "[$run/$nruns] $label: icount guest, programs from /usr/bin"
		run_guest "$label" "$kernel" icount "$outdir/raw/$label-icount-usr.txt" \
			/usr/bin
		parse_run "$outdir/raw/$label-icount-usr.txt" "$label" icount >>"$rows"
		run=$((run + 1))
		msg "[$run/$nruns] $label: icount guest, programs from /trusted"
		run_guest "$label" "$kernel" icount "$outdir/raw/$label-icount-trusted.txt" \
			/trusted
		parse_run "$outdir/raw/$label-icount-trusted.txt" "$label" icount >>"$rows"
		run=$((run + 1))
		msg "[$run/$nruns] $label: TCG guest (wall time), /usr/bin and /trusted"
		run_guest "$label" "$kernel" tcg "$outdir/raw/$label-tcg.txt" \
			/usr/bin /trusted
		parse_run "$outdir/raw/$label-tcg.txt" "$label" tcg >>"$rows"
	done
	run=$((run + 1))
	msg "[$run/$nruns] host"
	run_host
	# The benchmarks in syscall-bench's order, as far as they ran (-b).
	bench_names=$({ "$bench" -l; printf 'ia32_int80\nia32_sysinfo\nredis_set\nredis_get\n'; } |
		awk -F'\t' 'NR == FNR { ran[$5] = 1; next }
			ran[$1] { printf "%s ", $1 }' "$rows" -)
	nbench=$(wc -w <<<"$bench_names")
	assign_roles
	if [ "$guest_glibc" = "Debian's (host sysroot /)" ]; then
		missing+=("patched glibc in the guest (issue 6): the bench image has Debian's glibc (GUEST_SYSROOT is /), so /trusted programs make ordinary syscall traps even on a KML kernel")
	fi
	[ "$redis" -eq 1 ] ||
		missing+=("application figure (redis GET/SET, issue 8 item 4): not run (--no-redis)")
	missing+=("real nanoseconds under KVM (make bench KVM=1): not implemented; TCG only here")

	write_csv
	write_json
	plot
	print_table | tee "$outdir/results.txt"
	printf '\nResults: %s/results.txt, results.csv, results.json, results.png (raw runs in %s/raw/); %d s.\n' \
		"$(cd "$outdir" && pwd)" "$(cd "$outdir" && pwd)" $((SECONDS - start))
	# The check at the end: every benchmark of every guest run is in the CSV.
	local want=$((${#configs[@]} * 4 * nbench)) got
	got=$(grep -vc '^host,' "$outdir/results.csv" || true)
	[ "$got" -eq $((want + 1)) ] ||
		die "expected $want guest results in $outdir/results.csv, found $((got - 1))"
}

main "$@"
