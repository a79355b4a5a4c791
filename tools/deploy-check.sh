#!/bin/bash
# make deploy-check: boot the Debian guest with the KML kernel and run the
# deployment steps inside it as root.
set -euo pipefail

readonly myname=${0##*/}
readonly EXIT_USAGE=2
# Where the guest unpacks what is copied in, and runs the steps.
readonly GUEST_DIR=/root/kml-deploy

usage() {
	cat <<EOF
Usage: $myname --guest KML_GUEST --image IMAGE --kmlinfo FILE --kmlstat FILE
       [options]

Boot the Debian disk image IMAGE (tools/mkdebian.sh) with the KML kernel
(tools/kml-guest --rootfs; the image is not changed) and run the steps
inside it as root, as a user would on their machine: the files given are
copied into $GUEST_DIR in the guest (a tar archive on a second virtio
disk), then each steps script runs there in the given order (default:
tools/deploy-steps.sh).  Its output is shown and kept in
OUTDIR/deploy-check.log; the steps print one PASS: or FAIL: line per
check.

Options:
  --guest FILE     tools/kml-guest of the build directory
  --image FILE     the Debian disk image
  --kernel FILE    the kernel to boot (default: kml-guest's)
  --kmlinfo FILE   the project's kmlinfo, copied in
  --kmlstat FILE   the project's kmlstat, copied in
  --file SRC[:NAME]
                   one more file to copy in (e.g. a .deb), as NAME
                   (default: SRC's name); repeatable
  --steps FILE     a shell script to run in the guest as root, in
                   $GUEST_DIR; repeatable, run in order (the first --steps
                   replaces the default)
  --outdir DIR     where the log goes (default: deploy-check)
  --timeout SECS   limit of the guest run (default: 900)
  -h, --help       show this help

Exit status: 0 every check passed, 1 a check failed, the guest failed or
no check ran, 2 usage error.
EOF
}

msg() { printf '%s: %s\n' "$myname" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

guest=
image=
kernel=
kmlinfo=
kmlstat=
files=()
steps=()
outdir=deploy-check
timeout_secs=900

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--guest) guest=${2:?}; shift ;;
		--image) image=${2:?}; shift ;;
		--kernel) kernel=${2:?}; shift ;;
		--kmlinfo) kmlinfo=${2:?}; shift ;;
		--kmlstat) kmlstat=${2:?}; shift ;;
		--file) files+=("${2:?}"); shift ;;
		--steps) steps+=("${2:?}"); shift ;;
		--outdir) outdir=${2:?}; shift ;;
		--timeout) timeout_secs=${2:?}; shift ;;
		-h|--help) usage; exit 0 ;;
		*) msg "unknown option '$1' (try --help)"; exit "$EXIT_USAGE" ;;
		esac
		shift
	done
	if [ -z "$guest" ] || [ -z "$image" ] || [ -z "$kmlinfo" ] || [ -z "$kmlstat" ]; then
		msg "--guest, --image, --kmlinfo and --kmlstat are required (try --help)"
		exit "$EXIT_USAGE"
	fi
	[ ${#steps[@]} -gt 0 ] ||
		steps=("$(cd "$(dirname "$0")" && pwd)/deploy-steps.sh")
}

check_deps() {
	local file

	[ -x "$guest" ] || die "$guest is not an executable (tools/kml-guest of the build directory)"
	[ -r "$image" ] || die "disk image $image not found (tools/mkdebian.sh)"
	[ -z "$kernel" ] || [ -r "$kernel" ] || die "kernel $kernel not found"
	for file in "$kmlinfo" "$kmlstat" "${steps[@]}" ${files[@]+"${files[@]}"}; do
		[ -r "${file%%:*}" ] || die "${file%%:*} not found"
	done
}

# What goes into the guest, under STAGE: kmlinfo, kmlstat, the files, and
# the steps as steps/NN-NAME.
stage_payload() {
	local stage=$1 file name n=0

	mkdir -p "$stage/steps"
	install -m 0755 "$kmlinfo" "$stage/kmlinfo"
	install -m 0755 "$kmlstat" "$stage/kmlstat"
	for file in ${files[@]+"${files[@]}"}; do
		name=${file##*:}
		[ "$name" != "$file" ] || name=${file##*/}
		[[ $name != */* && $name != steps && $name != .* ]] ||
			die "--file $file: NAME must be a plain file name"
		cp "${file%%:*}" "$stage/$name"
	done
	for file in "${steps[@]}"; do
		n=$((n + 1))
		install -m 0755 "$file" "$(printf '%s/steps/%02d-%s' "$stage" "$n" "${file##*/}")"
	done
}

# The guest's command: unpack the archive of /dev/vdb, run every steps
# script in order, the status 1 if one failed.
guest_command() {
	cat <<EOF
mkdir -p $GUEST_DIR && tar -xf /dev/vdb -C $GUEST_DIR && cd $GUEST_DIR || exit 1
status=0
for steps in steps/*; do echo "deploy-check: \$steps"; ./"\$steps" || status=1; done
exit \$status
EOF
}

# A kernel without a block layer ignores root=/dev/vda and looks for the
# init in its built-in initramfs; one without virtio-blk or ext4 finds no
# root file system.
explain_boot_failure() {
	grep -Eq 'Requested init /sbin/kml-init failed|Unable to mount root fs|Cannot open root device' "$1" ||
		return 0
	echo "deploy-check: the kernel did not mount the disk image as its root file system: it needs CONFIG_BLOCK, CONFIG_VIRTIO_BLK and CONFIG_EXT4_FS built in (kernel-patch/kml.config has them)"
}

main() {
	local tmpdir log status passed failed start=$SECONDS
	local -a guest_args

	parse_args "$@"
	check_deps
	mkdir -p "$outdir"
	log=$outdir/deploy-check.log
	tmpdir=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now
	trap "rm -rf '$tmpdir'" EXIT

	stage_payload "$tmpdir/stage"
	tar --owner=0 --group=0 --numeric-owner -cf "$tmpdir/payload.tar" \
		-C "$tmpdir/stage" .
	guest_args=(--rootfs "$image" --disk "$tmpdir/payload.tar" --timeout "$timeout_secs")
	[ -z "$kernel" ] || guest_args+=(--kernel "$kernel")
	msg "booting $image with ${kernel:-the default kernel of $guest} (QEMU TCG; log: $log)"
	set +e
	"$guest" "${guest_args[@]}" run -- "$(guest_command)" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	set -e
	passed=$(grep -c '^PASS: ' "$log" || true)
	failed=$(grep -c '^FAIL: ' "$log" || true)
	echo
	echo "deploy-check: $passed passed, $failed failed, guest exit status $status ($((SECONDS - start)) s)"
	if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ] || [ "$passed" -eq 0 ]; then
		explain_boot_failure "$log"
		echo "deploy-check: FAIL (log: $log)"
		exit 1
	fi
	echo "deploy-check: PASS"
}

main "$@"
