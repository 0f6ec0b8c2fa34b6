#!/bin/sh
# check_shipped.sh [MODEL_DIR...]: issue D's magenta.js check of the shipped
# models.  For five held-out test tunes (FNV-1a 32 of the file name mod 100
# >= 95, the split latentroll train never trains on), latentroll encodes
# window 0 and decodes it with argmax; check.js loads the same model
# directory in magenta.js 1.23.1, decodes the same z and compares tokens
# (and mu).  Needs `npm ci` in tools/parity once; exit 1 on a mismatch.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
LR=${LATENTROLL:-$top/latentroll}
data=${SHARED_DIR:-$top/../shared}/data/nottingham
[ $# -gt 0 ] || set -- "$top/share/models/mel_2bar" "$top/share/models/mel_16bar"
tmp=$(mktemp -d /tmp/lr_shipped.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
for m in "$@"; do
	steps=$(/usr/bin/python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["dataConverter"]["args"]["numSteps"])' \
	    "$m/config.json")
	# Test-split tunes that give a window of this length, first five.
	n=0
	args=
	for f in $(ls "$data" | sort); do
		/usr/bin/python3 -c 'import sys
h = 0x811c9dc5
for c in sys.argv[1].encode():
	h = ((h ^ c) * 0x01000193) & 0xffffffff
sys.exit(0 if h % 100 >= 95 else 1)' "$f" || continue
		"$LR" encode --model "$m" "$data/$f" >"$tmp/e$n.json" \
		    2>/dev/null || continue
		"$LR" decode --model "$m" --z "$tmp/e$n.json" >"$tmp/d$n.json"
		echo "$(basename "$m"): $f ($steps steps)"
		args="$args $tmp/e$n.json=$tmp/d$n.json"
		n=$((n + 1))
		[ $n -lt 5 ] || break
	done
	# One line per window: token agreement and mu's relative error.
	node "$here/check.js" "$m" $args >"$tmp/out" 2>"$tmp/err" || st=1
	/usr/bin/python3 -c 'import json, sys
for l in open(sys.argv[1]):
	if l.startswith("{"):
		d = json.loads(l)
		print("  window %d: tokens %s, mu rel err %.2g, min logit gap %.3g"
		    % (d["window"], "same" if d.get("tokens_ok") else "DIFFER",
		    d.get("mu_rel_err", float("nan")), d.get("min_gap", 0)))
' "$tmp/out"
	grep "^check.js" "$tmp/err" | sed "s/^/  /"
done
exit ${st:-0}
