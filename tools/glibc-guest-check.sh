#!/bin/bash
# Run glibc's own tests in the KML guest, from /trusted and from outside it,
# and compare the two.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly SUBDIRS_DEFAULT="nptl signal posix"
# Where the guest image has them (tools/glibc-guest-run.sh knows these).
readonly GUEST_BASE=/usr/lib/glibc-tests
readonly GUEST_TRUSTED=/trusted/glibc-tests
readonly GUEST_LIBDIR=/usr/lib/x86_64-linux-gnu
readonly SYSROOT_LIBDIR=lib/x86_64-linux-gnu

usage() {
	cat <<EOF
Usage: $myname --glibc-builddir DIR --sysroot DIR --gen-init-cpio PROG
       --guest PROG --kmlstat PROG [options]

Build the test programs of glibc's SUBDIRS in the object tree of a
build-glibc.sh build (make SUBDIR/tests run-built-tests=no: built, not
run), put them into a guest image twice, under $GUEST_TRUSTED/SUBDIR
(kernel mode, direct entry) and under $GUEST_BASE/SUBDIR (user mode,
syscall fallback), run each with glibc's environment and arguments from
both places in one guest (tools/glibc-guest-run.sh), and compare.

The guest's glibc is the sysroot's, the same build as the tests: they run
directly, without the build tree's ld.so and --library-path.  Test modules
(SUBDIR/*.so) are linked into $GUEST_LIBDIR, where ld.so finds them
by name from both places (/trusted programs get AT_SECURE, which ignores
LD_LIBRARY_PATH), and to their build-tree paths for the tests that name
them so; the libraries they need come from the sysroot, or from the
host if glibc does not build them (libstdc++).  Build-tree paths in a
test's environment and arguments
become $GUEST_BASE paths, and the files they name are copied there.  Not
run: tests-container (they need glibc's test container), tests-special
(make rules, not programs), xtests.

Results, in OUTDIR:
  results.txt    SUBDIR/NAME TRUSTED OUTSIDE KERNEL-MODE TRAPPED, where a
                 result is PASS (0), UNSUPPORTED (77), FAIL (anything
                 else, TIMEOUT when timeout(1) ended it) or MISSING, and
                 KERNEL-MODE/TRAPPED are kmlstat's for the /trusted run
  summary.txt    counts per subdirectory and place, and the differences
  logs/PLACE/SUBDIR/NAME.log
                 the end of the output of each run that did not pass
  guest.log      the guest's whole console output

Options:
  --glibc-builddir DIR  build-glibc.sh's build directory (obj/ and src/)
  --sysroot DIR         the sysroot installed from that build
  --gen-init-cpio PROG  the kernel's usr/gen_init_cpio
  --guest PROG          the configured tools/kml-guest
  --kmlstat PROG        tools/kmlstat, built for the guest
  --kernel FILE         guest kernel (default: kml-guest's)
  --subdirs "A B ..."   glibc subdirectories (default: $SUBDIRS_DEFAULT)
  --tests "S/N ..."     only these tests (e.g. "nptl/tst-mutex1"), and
                        build only them
  --outdir DIR          results (default: glibc-guest-check)
  --timeout SECS        limit of one test run (default: 150)
  --smp N               guest CPUs (default: 2)
  --jobs N              tests at once in the guest (default: 4; each
                        test's two runs one after the other)
  -j N                  parallel make jobs for building the tests
                        (default: 2)
  --no-build            use the test programs already built
  -h, --help            show this help

Exit status: 0 every test has the same result in both places, 1 a
difference or an error, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

glibc_builddir=
sysroot=
gen_init_cpio=
guest=
kmlstat=
kernel=
subdirs=$SUBDIRS_DEFAULT
only=
outdir=glibc-guest-check
timeout=150
smp=2
guest_jobs=4
jobs=2
build=1

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--glibc-builddir) glibc_builddir=${2:?}; shift ;;
		--sysroot) sysroot=${2:?}; shift ;;
		--gen-init-cpio) gen_init_cpio=${2:?}; shift ;;
		--guest) guest=${2:?}; shift ;;
		--kmlstat) kmlstat=${2:?}; shift ;;
		--kernel) kernel=${2:?}; shift ;;
		--subdirs) subdirs=${2:?}; shift ;;
		--tests) only=${2:?}; only=${only//[$'\t\n']/ }; shift ;;
		--outdir) outdir=${2:?}; shift ;;
		--timeout) timeout=${2:?}; shift ;;
		--smp) smp=${2:?}; shift ;;
		--jobs) guest_jobs=${2:?}; shift ;;
		-j) jobs=${2:?}; shift ;;
		-j*) jobs=${1#-j} ;;
		--no-build) build=0 ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$glibc_builddir" ] || [ -z "$sysroot" ] || [ -z "$gen_init_cpio" ] ||
	   [ -z "$guest" ] || [ -z "$kmlstat" ]; then
		msg "--glibc-builddir, --sysroot, --gen-init-cpio, --guest and --kmlstat are required (try --help)"
		exit "$EXIT_USAGE"
	fi
	local n
	for n in "$timeout" "$smp" "$guest_jobs" "$jobs"; do
		case $n in
		''|*[!0-9]*|0) msg "--timeout, --smp, --jobs and -j need a positive number, not '$n'"
			exit "$EXIT_USAGE" ;;
		esac
	done
}

check_deps() {
	local tool

	for tool in make objcopy readelf; do
		command -v "$tool" >/dev/null || die "$tool not found: apt-get install make binutils"
	done
	[ -f "$glibc_builddir/obj/config.status" ] ||
		die "$glibc_builddir/obj is not a configured glibc object tree (build-glibc.sh --builddir)"
	[ -d "$glibc_builddir/src" ] || die "$glibc_builddir/src not found"
	[ -x "$sysroot/lib64/ld-linux-x86-64.so.2" ] || die "$sysroot has no ld.so"
	[ -x "$gen_init_cpio" ] || die "$gen_init_cpio is not an executable"
	[ -x "$guest" ] || die "$guest is not an executable"
	[ -x "$kmlstat" ] || die "$kmlstat is not an executable"
	[ -r "$tooldir/glibc-guest-run.sh" ] || die "$tooldir/glibc-guest-run.sh not found"
	[ -r "$tooldir/mkimage.sh" ] || die "$tooldir/mkimage.sh not found"
}

# Build the test programs (and their modules) without running them: all
# of each subdirectory, or with --tests only those programs (and what
# their rules name, which leaves out modules they only dlopen).
build_tests() {
	local sub test start=$SECONDS
	local -a targets

	for sub in $subdirs; do
		msg "building the tests of $sub (log: $outdir/build.log)"
		if [ -z "$only" ]; then
			make -C "$obj" -j"$jobs" run-built-tests=no "$sub/tests" \
				>>"$outdir/build.log" 2>&1 ||
				die "building $sub's tests failed; see $outdir/build.log"
			# The modules that only a test's .out rule names (those
			# it dlopens) are not built without running the tests.
			mapfile -t targets < <(list_tests "$sub" |
				awk -F '\037' -v o="$obj/$sub/" '$1 == "M" { print o $2 }')
			[ ${#targets[@]} -eq 0 ] ||
				make -r -C "$src/$sub" ..=../ subdir="$sub" objdir="$obj" \
					-j"$jobs" run-built-tests=no "${targets[@]}" \
					>>"$outdir/build.log" 2>&1 ||
				die "building $sub's test modules failed; see $outdir/build.log"
			continue
		fi
		targets=()
		for test in $only; do
			[ "${test%%/*}" = "$sub" ] && targets+=("$obj/$test")
		done
		[ ${#targets[@]} -gt 0 ] || continue
		make -r -C "$src/$sub" ..=../ subdir="$sub" objdir="$obj" \
			-j"$jobs" run-built-tests=no "${targets[@]}" \
			>>"$outdir/build.log" 2>&1 ||
			die "building $sub's tests failed; see $outdir/build.log"
	done
	msg "tests built in $((SECONDS - start)) s"
}

# "KIND US NAME US ENV US ARGS" (US: the unit separator, \x1f, since ENV
# and ARGS may be empty or hold blanks) for every test of a subdirectory,
# from its makefile: KIND T for a test to run, C for a test-container test,
# M for a test module (NAME only).
# A test that runs itself again gets @SELF@ for its path.
list_tests() {
	local sub=$1 us=$'\x1f' rule

	rule="kml-list-tests: ; @:\$(foreach t,\$(sort \$(filter-out \$(tests-unsupported) \$(tests-container),\$(tests) \$(tests-internal))),\$(info T$us\$(t)$us\$(strip \$(\$(t)-ENV))$us\$(strip \$(\$(t)-ARGS))))\$(foreach t,\$(sort \$(tests-container)),\$(info C$us\$(t)$us$us))\$(foreach m,\$(sort \$(modules-names)),\$(info M$us\$(m).so$us$us))"
	make -r -s -C "$src/$sub" ..=../ subdir="$sub" objdir="$obj" \
		run-built-tests=no host-test-program-cmd=@SELF@ \
		--eval "$rule" kml-list-tests
}

# Single-quote a string for sh.
shquote() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

# Copy a build-tree file named by a test's environment or arguments.
stage_obj_file() {
	local rel=$1

	[ -f "$obj/$rel" ] || return 0
	[ -e "$stage$GUEST_BASE/$rel" ] && return 0
	mkdir -p "$(dirname "$stage$GUEST_BASE/$rel")"
	objcopy --strip-debug "$obj/$rel" "$stage$GUEST_BASE/$rel" 2>/dev/null ||
		cp "$obj/$rel" "$stage$GUEST_BASE/$rel"
}

# The libraries the staged programs and modules need that the image has
# from nowhere else: modules that tests name by their build-tree path
# (DT_NEEDED of a module without a soname) get that path in the image too,
# and libraries come from the sysroot (libm, librt, ...) or, if glibc does
# not build them (libstdc++ of the C++ tests), from the host.
stage_needed() {
	local needed added=1

	# Until no library brings another (libstdc++ needs libm).
	while [ "$added" -gt 0 ]; do
		added=0
		while read -r needed; do
			stage_needed_one "$needed"
		done < <(find "$stage$GUEST_BASE" "$stage$GUEST_LIBDIR" -type f \
			-exec readelf -d {} + 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort -u)
	done
}

# One library of stage_needed; added counts the libraries copied.
stage_needed_one() {
	local needed=$1 host

	case $needed in
	"$obj"/*)
		stage_obj_file "${needed#"$obj"/}"
		mkdir -p "$(dirname "$stage$needed")"
		ln -sf "$GUEST_BASE/${needed#"$obj"/}" "$stage$needed"
		return
		;;
	*/*)
		msg "warning: a test needs $needed, which is not in the build tree"
		return
		;;
	esac
	# Modules are links to the image's paths, dangling here; mkimage.sh
	# always adds libgcc_s (glibc dlopens it).
	if [ -e "$stage$GUEST_LIBDIR/$needed" ] || [ -L "$stage$GUEST_LIBDIR/$needed" ] ||
	   [ "$needed" = libgcc_s.so.1 ]; then
		return
	fi
	for host in "$sysroot/$SYSROOT_LIBDIR/$needed" "$sysroot/usr/$SYSROOT_LIBDIR/$needed" \
		    "/$SYSROOT_LIBDIR/$needed" "/usr/$SYSROOT_LIBDIR/$needed"; do
		if [ -e "$host" ]; then
			cp "$(readlink -f "$host")" "$stage$GUEST_LIBDIR/$needed"
			added=$((added + 1))
			return
		fi
	done
	msg "warning: a test needs $needed, found neither in $sysroot nor on the host"
}

# The staging tree: test programs in both places, modules, data files,
# the test list and the guest's runner.
stage_tests() {
	local sub kind name envs args word rel so count=0
	local tests_file=$stage$GUEST_BASE/tests.sh

	rm -rf "$stage"
	mkdir -p "$stage$GUEST_BASE" "$stage$GUEST_TRUSTED" "$stage$GUEST_LIBDIR"
	install -m 0755 "$tooldir/glibc-guest-run.sh" "$stage$GUEST_BASE/run.sh"
	: >"$tests_file"
	: >"$outdir/container-tests.txt"
	for sub in $subdirs; do
		mkdir -p "$stage$GUEST_BASE/$sub" "$stage$GUEST_TRUSTED/$sub"
		# Tests run in their source directory; some read a file of
		# it (nptl/tst-cancel4 reads the Makefile).
		cp "$src/$sub/Makefile" "$stage$GUEST_BASE/$sub/"
		list_tests "$sub" >"$outdir/list-$sub.txt" ||
			die "cannot list the tests of $sub"
		while IFS=$'\x1f' read -r kind name envs args; do
			case $kind in
			C)
				printf '%s/%s\n' "$sub" "$name" >>"$outdir/container-tests.txt"
				continue
				;;
			M) continue ;;
			esac
			if [ -n "$only" ] && [[ " $only " != *" $sub/$name "* ]]; then
				continue
			fi
			if [ -f "$obj/$sub/$name" ]; then
				objcopy --strip-debug "$obj/$sub/$name" "$stage$GUEST_BASE/$sub/$name"
				cp "$stage$GUEST_BASE/$sub/$name" "$stage$GUEST_TRUSTED/$sub/$name"
			fi
			# Build-tree paths become the image's; the files they
			# name, and relative paths to the source directory's
			# data files, come along.
			envs=${envs//$obj/$GUEST_BASE}
			args=${args//$obj/$GUEST_BASE}
			for word in $envs $args; do
				word=${word#*=}
				word=${word//[\"\'\`]/}
				for rel in ${word//:/ }; do
					case $rel in
					"$GUEST_BASE"/*) stage_obj_file "${rel#"$GUEST_BASE"/}" ;;
					/*|-*|'') ;;
					*) if [ -f "$src/$sub/$rel" ] && [ ! -e "$stage$GUEST_BASE/$sub/$rel" ]; then
						mkdir -p "$(dirname "$stage$GUEST_BASE/$sub/$rel")"
						cp "$src/$sub/$rel" "$stage$GUEST_BASE/$sub/$rel"
					   fi ;;
					esac
				done
			done
			printf 't %s %s %s %s\n' "$sub" "$name" "$(shquote "$envs")" \
				"$(shquote "$args")" >>"$tests_file"
			count=$((count + 1))
		done <"$outdir/list-$sub.txt"
		# Test modules, found by name from both places.
		for so in "$obj/$sub"/*.so; do
			[ -f "$so" ] || continue
			case ${so##*/} in lib*) continue ;; esac
			stage_obj_file "$sub/${so##*/}"
			ln -sf "$GUEST_BASE/$sub/${so##*/}" "$stage$GUEST_LIBDIR/${so##*/}"
		done
	done
	# glibc's own libraries, also those that tests only dlopen by
	# name (nptl/tst-unload: libpthread.so.0).
	for so in "$sysroot/$SYSROOT_LIBDIR"/*.so.*; do
		[ -e "$stage$GUEST_LIBDIR/${so##*/}" ] ||
			objcopy --strip-debug "$so" "$stage$GUEST_LIBDIR/${so##*/}"
	done
	stage_needed
	[ "$count" -gt 0 ] || die "no test selected"
	ntests=$count
	msg "staged $count tests ($(du -sh "$stage" | cut -f1))"
}

make_image() {
	msg "writing the guest image $outdir/image.cpio"
	bash "$tooldir/mkimage.sh" --gen-init-cpio "$gen_init_cpio" \
		--sysroot "$sysroot" --binaries "" --trusted "" \
		--extra "$kmlstat:/usr/bin/kmlstat" --tree "$stage:/" \
		--output "$outdir/image.cpio"
}

run_guest() {
	local start=$SECONDS limit
	local -a kernel_opt=()

	[ -z "$kernel" ] || kernel_opt=(--kernel "$kernel")
	# Two runs per test at most TIMEOUT each, plus the boot.
	limit=$((ntests * 2 * timeout + 300))
	msg "running $ntests tests twice in the guest, $guest_jobs at once (log: $outdir/guest.log)"
	KML_INITRD=$outdir/image.cpio "$guest" "${kernel_opt[@]}" --smp "$smp" \
		--timeout "$limit" run -- \
		"sh $GUEST_BASE/run.sh $GUEST_BASE/tests.sh $timeout $guest_jobs" \
		>"$outdir/guest.log" 2>&1 || true
	grep -q '^KML-GLIBC-DONE' "$outdir/guest.log" ||
		die "the guest did not finish the tests; see $outdir/guest.log"
	msg "guest run took $((SECONDS - start)) s"
}

# results.txt, logs/, summary.txt; returns 1 when the places differ.
report() {
	local diffs

	rm -rf "$outdir/logs"
	tr -d '\r' <"$outdir/guest.log" | awk -v logs="$outdir/logs" -v timeout="$timeout" '
	function result(status) {
		if (status == "missing") return "MISSING"
		if (status == 0) return "PASS"
		if (status == 77) return "UNSUPPORTED"
		# timeout(1) ends the test with SIGTERM, then SIGKILL.
		if (status == 143 || status == 137 || status == 124) return "TIMEOUT"
		return "FAIL"
	}
	$1 == "KML-GLIBC-TEST" {
		r[$3, $2] = result($4)
		if ($2 == "trusted") { mode[$3] = $5; trapped[$3] = $7 }
		if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
	}
	$1 == "KML-GLIBC-LOG" {
		file = logs "/" $2 "/" $3 ".log"
		dir = file; sub(/\/[^\/]*$/, "", dir)
		if (!(dir in made)) { system("mkdir -p \"" dir "\""); made[dir] = 1 }
		line = $0; sub(/^KML-GLIBC-LOG [^ ]* [^ ]* ?/, "", line)
		print line > file
	}
	END {
		for (i = 0; i < n; i++) {
			t = order[i]
			printf "%s %s %s %s %s\n", t, r[t, "trusted"], r[t, "outside"], mode[t], trapped[t]
		}
	}' | sort >"$outdir/results.txt"

	diffs=$(awk '$2 != $3' "$outdir/results.txt")
	{
		printf 'glibc tests in the KML guest: /trusted (kernel mode) vs outside\n\n'
		printf '%-8s %-8s %5s %5s %5s %5s %5s\n' subdir place PASS UNSUP FAIL TIME MISS
		awk '{
			split($1, p, "/"); s = p[1]; subs[s] = 1
			c[s, "trusted", $2]++; c[s, "outside", $3]++
		}
		END {
			for (s in subs)
				for (k = 0; k < 2; k++) {
					pl = k ? "outside" : "trusted"
					printf "%-8s %-8s %5d %5d %5d %5d %5d\n", s, pl,
						c[s, pl, "PASS"], c[s, pl, "UNSUPPORTED"],
						c[s, pl, "FAIL"], c[s, pl, "TIMEOUT"], c[s, pl, "MISSING"]
				}
		}' "$outdir/results.txt" | sort
		printf '\n/trusted runs: %s in kernel mode, %s in user mode; %s with trapped system calls\n' \
			"$(awk '$4 == 1' "$outdir/results.txt" | wc -l)" \
			"$(awk '$4 == 0' "$outdir/results.txt" | wc -l)" \
			"$(awk '$4 == 1 && $5 != 0' "$outdir/results.txt" | wc -l)"
		printf '\nDifferent results (test, /trusted, outside):\n%s\n' "${diffs:-none}"
		printf '\nNot run: %s tests-container tests\n' \
			"$(wc -l <"$outdir/container-tests.txt")"
	} >"$outdir/summary.txt"
	cat "$outdir/summary.txt"
	[ -z "$diffs" ]
}

main() {
	parse_args "$@"
	tooldir=$(cd "$(dirname "$0")" && pwd)
	check_deps
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	obj=$(cd "$glibc_builddir/obj" && pwd)
	src=$(cd "$glibc_builddir/src" && pwd)
	stage=$outdir/stage
	readonly tooldir obj src stage outdir
	: >"$outdir/build.log"
	[ "$build" -eq 0 ] || build_tests
	stage_tests
	make_image
	run_guest
	report
}

main "$@"
