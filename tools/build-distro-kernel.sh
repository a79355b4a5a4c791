#!/bin/bash
# Build a KML kernel for real machines as Debian packages: Debian's own
# amd64 configuration (package linux-config-6.12) plus KERNEL_MODE_LINUX,
# on the kernel tree that tools/build-kernel.sh keeps, with `make
# bindeb-pkg'.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
readonly CONFIG_PKG=linux-config-6.12
readonly CONFIG_FILE=usr/src/$CONFIG_PKG/config.amd64_none_amd64.xz
# The kernel's own default: the build generates a key and signs the
# modules with it (Debian's key is not available outside Debian's build).
readonly SIG_KEY=certs/signing_key.pem

usage() {
	cat <<EOF
Usage: $myname [options]

Configure the KML kernel tree with Debian's amd64 configuration (the
file config.amd64_none_amd64.xz of package $CONFIG_PKG: the one of
Debian's linux-image-6.12 amd64 package) plus CONFIG_KERNEL_MODE_LINUX=y,
and build it as Debian packages with 'make bindeb-pkg', out of tree.
The result is a kernel for real machines, installed like any other:

  apt install ./linux-image-<version>-kml_<version>_amd64.deb

The kernel tree is the one tools/build-kernel.sh unpacks and patches
(BUILDDIR/src, Debian's linux-source-6.12 with kernel-patch/series
applied): 'make -C build' (or 'make -C build distro-kernel', which runs
this script) creates it first.  $CONFIG_PKG need not be installed: it
is fetched with 'apt-get download' and unpacked in BUILDDIR/debian-config.

Options:
  --builddir DIR        build directory (default: ./linux): objects in
                        DIR/obj-debian, packages in DIR
  --kernel-tree DIR     the patched kernel tree (default: BUILDDIR/src)
  --srcdir DIR          project source directory, for the check that the
                        tree has the current kernel-patch/series
                        (default: this script's ../)
  --debian-config FILE  start from FILE (plain or .xz, e.g. a Debian
                        kernel's /boot/config-*) instead of $CONFIG_PKG
  --modules MODE        which of Debian's ~4000 modules to build:
                        all   (default) every one, as Debian does: the
                              kernel boots and finds its drivers on any
                              machine Debian's own kernel supports; the
                              longest build (hours on 2 cores)
                        local 'make localmodconfig': only the modules
                              loaded now (lsmod) on the machine that runs
                              this, or in the lsmod output of --lsmod; a
                              much shorter build, but hardware not in use
                              at that moment (USB disks, another NIC, a
                              file system not mounted) has no driver later
                        none  'make mod2noconfig': every '=m' becomes
                              'not set', only what Debian builds in stays;
                              Debian builds the disk controllers, NVMe,
                              ext4 and most drivers as modules, so such a
                              kernel does NOT boot a real machine; for
                              build tests only
  --lsmod FILE          lsmod output of the target machine (--modules local)
  --localversion STR    CONFIG_LOCALVERSION (default: -kml): the kernel is
                        <version>STR, beside Debian's kernels
  --no-debug-info       CONFIG_DEBUG_INFO_NONE: a shorter build and far less
                        disk, but no BTF (CONFIG_DEBUG_INFO_BTF, which BPF
                        CO-RE tools need); default: Debian's debug info
  --dbg-package         also build linux-image-*-dbg (the debug symbols,
                        several hundred MB); default: not built
  --config-only         stop after the configuration (DIR/obj-debian/.config)
  -j N                  parallel jobs (default: number of CPUs)
  -h, --help            show this help

On top of Debian's configuration the script sets, with scripts/config:
KERNEL_MODE_LINUX=y, LOCALVERSION, SYSTEM_TRUSTED_KEYS="" and
SYSTEM_REVOCATION_KEYS="" (no file of Debian's certificates is needed),
MODULE_SIG_KEY="$SIG_KEY" (the build generates its own module
signing key), then runs 'make olddefconfig' and checks that KML took.
It reports the options KML depends on at run time: KML stays off (and
/trusted programs run in user mode) while kernel IBT or FRED is active,
or under lockdown (Secure Boot).  Boot with ibt=off on CPUs with kernel
IBT.  Page table isolation needs nothing: KML tasks run on the kernel
page tables, and every other task keeps it.

Needs (Debian packages): make gcc flex bison bc perl xz-utils dpkg apt
for the configuration; dpkg-dev debhelper kmod rsync cpio libelf-dev
libssl-dev openssl zstd dwarves (pahole, for BTF) for the packages.

Exit status: 0 done, 1 failure, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }
usage_error() { msg "$* (try --help)"; exit "$EXIT_USAGE"; }

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$PWD/linux
ktree=
debian_config=
modules=all
lsmod_file=
localversion=-kml
debug_info=1
dbg_package=0
config_only=0
jobs=$(nproc)

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--builddir) builddir=${2:?}; shift ;;
		--kernel-tree) ktree=${2:?}; shift ;;
		--srcdir) srcdir=$(cd "${2:?}" && pwd); shift ;;
		--debian-config) debian_config=${2:?}; shift ;;
		--modules)
			modules=${2:?}
			case $modules in
			all|local|none) ;;
			*) usage_error "unknown --modules '$modules': all, local or none" ;;
			esac
			shift
			;;
		--lsmod) lsmod_file=${2:?}; shift ;;
		--localversion) localversion=${2?}; shift ;;
		--no-debug-info) debug_info=0 ;;
		--dbg-package) dbg_package=1 ;;
		--config-only) config_only=1 ;;
		-j) jobs=${2:?}; shift ;;
		-j*) jobs=${1#-j} ;;
		-h|--help) usage; exit 0 ;;
		*) usage_error "unknown option '$1'" ;;
		esac
		shift
	done
	case $jobs in
	''|*[!0-9]*|0) usage_error "-j needs a positive number, not '$jobs'" ;;
	esac
	case $localversion in
	*[!A-Za-z0-9.+_-]*) usage_error "--localversion '$localversion': letters, digits and . + _ - only" ;;
	esac
	if [ -n "$lsmod_file" ]; then
		[ "$modules" = local ] || usage_error "--lsmod goes with --modules local"
		[ -r "$lsmod_file" ] || die "--lsmod $lsmod_file: no such file"
		lsmod_file=$(cd "$(dirname "$lsmod_file")" && pwd)/${lsmod_file##*/}
	fi
	if [ "$dbg_package" -eq 1 ] && [ "$debug_info" -eq 0 ]; then
		usage_error "--dbg-package needs the debug info: drop --no-debug-info"
	fi
}

# What the configuration needs, and what the packages need.  With
# --config-only a missing build package is only reported; pahole is
# reported either way, since Kconfig drops DEBUG_INFO_BTF without it.
check_deps() {
	local tool pkg missing=() build_missing=()

	for tool in make:make gcc:gcc flex:flex bison:bison bc:bc perl:perl \
		    xz:xz-utils dpkg-deb:dpkg; do
		pkg=${tool#*:}
		tool=${tool%%:*}
		command -v "$tool" >/dev/null || missing+=("$pkg")
	done
	if [ -z "$debian_config" ] && [ ! -r "/$CONFIG_FILE" ]; then
		command -v apt-get >/dev/null || missing+=(apt)
	fi
	if [ "$modules" = local ] && [ -z "$lsmod_file" ]; then
		command -v lsmod >/dev/null || [ -x /sbin/lsmod ] ||
			die "--modules local needs lsmod (apt-get install kmod) or --lsmod FILE"
	fi
	[ ${#missing[@]} -eq 0 ] ||
		die "missing tools: apt-get install ${missing[*]}"

	for tool in dpkg-buildpackage:dpkg-dev dh_testdir:debhelper \
		    depmod:kmod rsync:rsync cpio:cpio openssl:openssl \
		    zstd:zstd pahole:dwarves; do
		pkg=${tool#*:}
		tool=${tool%%:*}
		command -v "$tool" >/dev/null || [ -x "/sbin/$tool" ] ||
			build_missing+=("$pkg")
	done
	[ -e /usr/include/gelf.h ] || build_missing+=(libelf-dev)
	[ -e /usr/include/openssl/opensslv.h ] || build_missing+=(libssl-dev)
	[ ${#build_missing[@]} -eq 0 ] && return
	if [ "$config_only" -eq 0 ]; then
		die "missing packages for the build: apt-get install ${build_missing[*]}"
	fi
	msg "warning: the build (without --config-only) will need: apt-get install ${build_missing[*]}"
	case " ${build_missing[*]} " in
	*" dwarves "*)
		[ "$debug_info" -eq 0 ] ||
			msg "warning: without pahole (dwarves) Kconfig drops DEBUG_INFO_BTF from this configuration"
		;;
	esac
}

# The series as tools/build-kernel.sh hashes it into BUILDDIR/series.applied.
series_hash() {
	local series=$srcdir/kernel-patch/series

	{
		cat "$series"
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series" |
			while read -r patch _; do
				printf '%s\n' "$srcdir/kernel-patch/$patch"
			done | xargs -r cat
	} | sha256sum | cut -d' ' -f1
}

# The tree must be a KML tree, not in the middle of 'git am', and (when
# tools/build-kernel.sh left its stamp beside it) carry the current series.
check_tree() {
	local stamp=${ktree%/}/../series.applied

	[ -d "$ktree" ] ||
		die "no kernel tree at $ktree: 'make -C build' (tools/build-kernel.sh --builddir $builddir) unpacks and patches it"
	grep -q '^config KERNEL_MODE_LINUX$' "$ktree/arch/x86/Kconfig" 2>/dev/null ||
		die "$ktree has no KERNEL_MODE_LINUX option: not a tree with kernel-patch/series applied ('make -C build' makes one)"
	if [ -d "$ktree/.git/rebase-apply" ]; then
		die "$ktree is being patched ('git am' in progress, by tools/build-kernel.sh?): wait until it is done and run again"
	fi
	if [ -r "$stamp" ] && [ -r "$srcdir/kernel-patch/series" ]; then
		[ "$(cat "$stamp")" = "$(series_hash)" ] ||
			die "$ktree does not carry the kernel-patch/series of $srcdir (series.applied differs): run 'make -C build' (tools/build-kernel.sh) first"
	else
		msg "warning: no series.applied beside $ktree: cannot tell whether it has the current kernel-patch/series"
	fi
	if [ -d "$ktree/.git" ] &&
		[ -n "$(git -C "$ktree" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		msg "warning: $ktree has uncommitted changes; they are built as they are"
	fi
	[ ! -e "$ktree/.config" ] ||
		die "$ktree has a .config (an in-tree build): an out-of-tree build needs a clean tree ('make -C $ktree mrproper')"
}

# Debian's configuration as a plain file in the work directory; prints
# its name.  An installed $CONFIG_PKG is used as it is; otherwise the
# candidate version is downloaded once (again when apt has a newer one).
get_debian_config() {
	local work=$builddir/debian-config out deb f version apt_opts=()

	out=$work/config.debian
	mkdir -p "$work"
	if [ -n "$debian_config" ]; then
		[ -r "$debian_config" ] || die "--debian-config $debian_config: no such file"
		msg "Debian configuration: $debian_config"
		case $debian_config in
		*.xz) xz -dc "$debian_config" >"$out" ;;
		*) cat "$debian_config" >"$out" ;;
		esac
	elif [ -r "/$CONFIG_FILE" ]; then
		msg "Debian configuration: /$CONFIG_FILE (installed $CONFIG_PKG)"
		xz -dc "/$CONFIG_FILE" >"$out"
	else
		version=$(apt-cache policy "$CONFIG_PKG" 2>/dev/null |
			sed -n 's/^ *Candidate: //p')
		case $version in
		''|'(none)')
			die "apt knows no $CONFIG_PKG: it is in Debian 12's security and updates archives (bookworm-security); apt-get update, or --debian-config FILE"
			;;
		esac
		deb=
		for f in "$work/${CONFIG_PKG}"_*.deb; do
			[ -e "$f" ] || continue
			[ "$(dpkg-deb -f "$f" Version)" = "$version" ] && deb=$f
		done
		if [ -z "$deb" ]; then
			msg "downloading $CONFIG_PKG $version (apt-get download, into $work; nothing is installed)"
			rm -f "$work/${CONFIG_PKG}"_*.deb
			# As root, apt's download user _apt may not write here:
			# download as root at once instead of after a warning.
			[ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
			(cd "$work" && apt-get "${apt_opts[@]}" -q download "$CONFIG_PKG=$version") >&2 ||
				die "apt-get download $CONFIG_PKG=$version failed (see above)"
			deb=$(find "$work" -maxdepth 1 -name "${CONFIG_PKG}_*.deb" | head -n 1)
			[ -n "$deb" ] || die "apt-get download left no $CONFIG_PKG package in $work"
		fi
		# Not grep -q: dpkg-deb would die of SIGPIPE (pipefail).
		dpkg-deb -c "$deb" | grep "[.]/$CONFIG_FILE\$" >/dev/null ||
			die "$deb has no $CONFIG_FILE (its files: dpkg-deb -c $deb)"
		rm -rf "$work/root"
		dpkg-deb -x "$deb" "$work/root"
		msg "Debian configuration: $CONFIG_FILE of ${deb##*/}"
		xz -dc "$work/root/$CONFIG_FILE" >"$out"
	fi
	grep -q '^CONFIG_X86_64=y$' "$out" ||
		die "$out is not an x86-64 kernel configuration"
	printf '%s\n' "$out"
}

kmake() {
	make -C "$ktree" O="$objtree" LOCALVERSION= "$@"
}

# CONFIG_NAME's line in the configuration, or "NAME is not set".
config_line() {
	grep -E "^(# )?CONFIG_$1[= ]" "$objtree/.config" || printf 'CONFIG_%s is not set (no such option here)\n' "$1"
}

configure_kernel() {
	local base=$1 config=$objtree/.config saved=$objtree/.config.kml-prev
	local kver cver sc=("$ktree/scripts/config" --file "$objtree/.config")

	mkdir -p "$objtree"
	kver=$(make -s --no-print-directory -C "$ktree" kernelversion)
	cver=$(sed -n 's,^# Linux/x86 \([^ ]*\) Kernel Configuration$,\1,p' "$base")
	[ "$cver" = "$kver" ] ||
		msg "warning: the Debian configuration is of Linux ${cver:-?}, the tree is $kver: olddefconfig gives new options their defaults"
	# Keep the old .config's time when the result is the same, so that an
	# unchanged configuration rebuilds nothing.
	rm -f "$saved"
	[ ! -e "$config" ] || cp -p "$config" "$saved"

	msg "configuring $objtree: Debian's configuration + KERNEL_MODE_LINUX=y, LOCALVERSION=$localversion, modules: $modules"
	cp "$base" "$config"
	"${sc[@]}" --enable KERNEL_MODE_LINUX \
		--set-str LOCALVERSION "$localversion" \
		--disable LOCALVERSION_AUTO \
		--set-str SYSTEM_TRUSTED_KEYS "" \
		--set-str SYSTEM_REVOCATION_KEYS "" \
		--set-str MODULE_SIG_KEY "$SIG_KEY"
	if [ "$debug_info" -eq 0 ]; then
		"${sc[@]}" --enable DEBUG_INFO_NONE \
			--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
			--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5
	fi
	kmake -s olddefconfig
	case $modules in
	local)
		msg "make localmodconfig: keeping the modules in ${lsmod_file:-the output of lsmod} (log: $objtree/localmodconfig.log)"
		# Its oldconfig asks about options that became visible: no
		# terminal, so that each gets its default.
		kmake -s ${lsmod_file:+LSMOD="$lsmod_file"} localmodconfig \
			</dev/null >"$objtree/localmodconfig.log" ||
			die "make localmodconfig failed (see above and $objtree/localmodconfig.log)"
		;;
	none)
		msg "make mod2noconfig: no modules (this kernel does not boot a real machine)"
		kmake -s mod2noconfig
		;;
	esac
	kmake -s olddefconfig

	if [ -e "$saved" ] && cmp -s "$config" "$saved"; then
		touch -r "$saved" "$config"
		msg "the configuration is unchanged"
	fi
	rm -f "$saved"
	check_config "$base"
}

# What the script asked for must be in the final .config.
check_config() {
	local base=$1 config=$objtree/.config bad=0 line

	for line in 'CONFIG_KERNEL_MODE_LINUX=y' \
		    "CONFIG_LOCALVERSION=\"$localversion\""; do
		grep -qxF "$line" "$config" && continue
		msg "'$line' did not take: $(config_line "${line#CONFIG_}" | head -n 1)"
		bad=1
	done
	if grep -q '^CONFIG_MODULE_SIG=y$' "$config" &&
		! grep -qxF "CONFIG_MODULE_SIG_KEY=\"$SIG_KEY\"" "$config"; then
		msg "MODULE_SIG_KEY is not $SIG_KEY: $(config_line MODULE_SIG_KEY)"
		bad=1
	fi
	for line in SYSTEM_TRUSTED_KEYS SYSTEM_REVOCATION_KEYS; do
		if grep -q "^CONFIG_$line=\"..*\"" "$config"; then
			msg "$line still names a file: $(config_line "$line")"
			bad=1
		fi
	done
	if [ "$modules" = none ] && grep -q '=m$' "$config"; then
		msg "--modules none left modules: $(grep -c '=m$' "$config")"
		bad=1
	fi
	if [ "$debug_info" -eq 0 ] && grep -q '^CONFIG_DEBUG_INFO=y$' "$config"; then
		msg "--no-debug-info did not take: CONFIG_DEBUG_INFO=y"
		bad=1
	fi
	[ "$bad" -eq 0 ] || die "the configuration in $objtree is not what was asked for"
	if [ "$debug_info" -eq 1 ] && grep -q '^CONFIG_DEBUG_INFO_BTF=y$' "$base" &&
		! grep -q '^CONFIG_DEBUG_INFO_BTF=y$' "$config"; then
		msg "warning: Debian's CONFIG_DEBUG_INFO_BTF=y did not take (pahole missing? apt-get install dwarves)"
	fi
	report_config "$base"
}

# The setting of CONFIG_SYMBOL, and NOTE below it when it is built in.
report_option() {
	local symbol=$1 note=$2

	printf '  %s\n' "$(config_line "$symbol")" >&2
	if grep -q "^CONFIG_$symbol=y\$" "$objtree/.config"; then
		printf '    %s\n' "$note" >&2
	fi
}

# What decides at run time whether KML can be used, as configured.
report_config() {
	local base=$1 config=$objtree/.config mit

	msg "configuration: $(grep -c '=y$' "$config") options built in (=y), $(grep -c '=m$' "$config") modules (=m); Debian's: $(grep -c '=y$' "$base") and $(grep -c '=m$' "$base")"
	msg "what KML depends on at run time (doc/KERNEL.md, doc/SECURITY.md):"
	mit=$(grep -c '^CONFIG_MITIGATION_.*=y$' "$config" || true)
	printf '  %s\n' "$(config_line CPU_MITIGATIONS) ($mit MITIGATION_* options =y)" >&2
	report_option MITIGATION_PAGE_TABLE_ISOLATION \
		"PTI is active on CPUs affected by Meltdown: KML tasks run on the kernel page tables, every other task keeps PTI"
	report_option X86_KERNEL_IBT \
		'kernel IBT is active on CPUs with CET-IBT (flag "ibt" in /proc/cpuinfo); KML stays off there unless booted with ibt=off'
	report_option X86_FRED \
		"FRED is active only with fred=on on the command line: do not add it"
	report_option LOCK_DOWN_IN_EFI_SECURE_BOOT \
		"Secure Boot turns on lockdown, which refuses KML: boot with Secure Boot off"
	printf '  %s\n' "$(config_line XEN_PV)" "$(config_line AMD_MEM_ENCRYPT)" >&2
	printf '    (KML stays off in a Xen PV guest and in an SEV-ES guest)\n' >&2
}

# The packages: 'make bindeb-pkg' runs dpkg-buildpackage in the object
# tree, which writes the packages to its parent directory (the build
# directory).  The output goes to the terminal and to a log.
build_packages() {
	local marker=$objtree/.bindeb-start log=$builddir/distro-kernel.log
	local release debs=() deb dpkg_flags=${DPKG_FLAGS:-}

	[ "$dbg_package" -eq 1 ] ||
		dpkg_flags="-Ppkg.linux-upstream.nokerneldbg${dpkg_flags:+ $dpkg_flags}"
	touch "$marker"
	msg "building the packages in $objtree with -j$jobs (make bindeb-pkg; log: $log)"
	msg "with Debian's configuration this takes hours on 2 cores"
	# terse: debian/rules would otherwise print every compiler command.
	if ! DEB_BUILD_OPTIONS="terse${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
		kmake -j"$jobs" DPKG_FLAGS="$dpkg_flags" bindeb-pkg 2>&1 | tee "$log"; then
		die "the packages did not build (make's errors are above and in $log; objects in $objtree)"
	fi
	release=$(cat "$objtree/include/config/kernel.release")
	while IFS= read -r deb; do
		debs+=("$deb")
	done < <(find "$builddir" -maxdepth 1 -name '*.deb' -newer "$marker" | sort)
	[ ${#debs[@]} -gt 0 ] || die "make bindeb-pkg produced no .deb in $builddir"
	msg "built kernel $release:"
	for deb in "${debs[@]}"; do
		printf '  %s (%s)\n' "$deb" "$(du -h "$deb" | cut -f1)" >&2
	done
	print_install "$release" "${debs[@]}"
}

print_install() {
	local release=$1 image=

	shift
	for deb in "$@"; do
		case ${deb##*/} in
		linux-image-"$release"_*) image=$deb ;;
		esac
	done
	cat >&2 <<EOF

To install (as root; Debian's hooks make the initramfs and the boot entry):
  apt install ${image:-$builddir/linux-image-${release}_*.deb}
  (linux-headers-$release too for DKMS modules; not linux-libc-dev: it
  would replace Debian's user-space kernel headers)

Boot parameters KML needs on a real machine (doc/KERNEL.md, doc/SECURITY.md):
  - Secure Boot off: this kernel is not signed by Debian, and the lockdown
    Secure Boot turns on refuses KML.
  - ibt=off if the CPU has kernel IBT (the flag "ibt" in /proc/cpuinfo;
    Intel 11th-generation Core, Xeon Sapphire Rapids and later).
  - not fred=on.
  Add them to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub and run
  update-grub.  After booting $release, 'dmesg | grep KML:' says
  "programs under /trusted run in kernel mode", or why not.
EOF
}

main() {
	local start=$SECONDS base

	parse_args "$@"
	check_deps
	mkdir -p "$builddir"
	builddir=$(cd "$builddir" && pwd)
	ktree=${ktree:-$builddir/src}
	[ ! -d "$ktree" ] || ktree=$(cd "$ktree" && pwd)
	objtree=$builddir/obj-debian
	check_tree
	base=$(get_debian_config)
	configure_kernel "$base"
	if [ "$config_only" -eq 1 ]; then
		msg "configuration ready: $objtree/.config ($((SECONDS - start)) s); without --config-only the packages are built"
		return
	fi
	build_packages
	msg "done ($((SECONDS - start)) s)"
}

main "$@"
