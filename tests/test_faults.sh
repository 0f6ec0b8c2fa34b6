#!/bin/sh
# test_faults.sh: every saver (MIDI clip, set, settings, JSON document,
# training state, model folder, WAV take; tests/fault_save.c) onto a full
# disk, into a read-only folder and into a folder that vanished: each save
# fails with one line naming its path and the file saved before is
# intact.  The full
# and read-only cases need a small tmpfs of their own: in a private mount
# namespace (unshare -m as root, unshare -rm as a user where user
# namespaces are allowed), else they SKIP with the reason; the vanished
# folder needs nothing (the settings file alone makes its folder again,
# as documented: ~/.config/latentroll may not exist yet).
top_builddir=${top_builddir:-.}
FS=${FAULT_SAVE:-$top_builddir/tests/fault_save}
pass=0
fail=0
T=$(mktemp -d /tmp/lr_faults.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM

# count LOG: add a fault_save run's "N passed, N failed" line.
count() {
	line=$(tail -1 "$1")
	case $line in
	*" passed, "*" failed")
		pass=$((pass + ${line%% passed*}))
		f=${line#*passed, }
		fail=$((fail + ${f%% failed*}))
		;;
	*)
		fail=$((fail + 1))
		echo "FAIL: no summary from fault_save: $line" >&2
		;;
	esac
	grep -v '^[0-9]* passed' "$1"
}

if [ "$1" = inner ]; then
	# In the private namespace: $2 is the mount point.
	M=$2
	mount -t tmpfs -o size=1m,mode=0777 lr_faults "$M" || exit 98
	mkdir "$M/d" && "$FS" good "$M/d" >/dev/null || exit 97
	dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null
	# A 1-byte file takes a page: the last bytes go too.
	i=0
	while [ $i -lt 64 ] && : 2>/dev/null >"$M/fill.$i" &&
	    printf x 2>/dev/null >>"$M/fill.$i"; do
		i=$((i + 1))
	done
	echo "== full disk: $(df -k "$M" | awk 'NR == 2 { print $4 }') KiB free"
	"$FS" bad "$M/d"
	mount -o remount,ro "$M" || exit 98
	echo "== read-only folder"
	"$FS" bad "$M/d"
	exit 0
fi

if [ ! -x "$FS" ]; then
	echo "SKIP: $FS not built"
	echo "0 passed, 0 failed"
	exit 77
fi

# The folder that vanished (removed after the good saves).
mkdir "$T/v" && "$FS" good "$T/v" >/dev/null || exit 99
rm -rf "$T/v"
echo "== vanished folder"
"$FS" gone "$T/v" >"$T/gone.log" 2>&1
count "$T/gone.log"

mkdir "$T/mnt"
if [ "$(id -u)" -eq 0 ]; then
	NS="unshare -m"
else
	NS="unshare -rm"
fi
if ! $NS true 2>/dev/null; then
	echo "SKIP: full disk and read-only folder: no private mount" \
	    "namespace ($NS: needs root or user namespaces)"
else
	$NS sh "$0" inner "$T/mnt" >"$T/ns.log" 2>&1
	rc=$?
	if [ $rc -eq 98 ] || [ $rc -eq 97 ]; then
		echo "SKIP: full disk and read-only folder: no tmpfs in the" \
		    "namespace (status $rc): $(tail -1 "$T/ns.log")"
	else
		# Two runs (full, read-only), each with its summary line.
		grep -v '^[0-9]* passed' "$T/ns.log"
		for line in $(grep -E '^[0-9]+ passed, [0-9]+ failed$' \
		    "$T/ns.log" | tr ' ,' '__'); do
			p=${line%%_passed*}
			f=${line#*passed__}
			f=${f%%_failed}
			pass=$((pass + p))
			fail=$((fail + f))
		done
		n=$(grep -cE '^[0-9]+ passed, [0-9]+ failed$' "$T/ns.log")
		if [ "$n" -ne 2 ]; then
			fail=$((fail + 1))
			echo "FAIL: full/read-only runs: $n summaries (status" \
			    "$rc)" >&2
		fi
	fi
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
