#!/bin/sh
# ship_model.sh RUN_DIR NAME [float32|uint16|uint8] [--force]: turn a
# training run (`latentroll train --out RUN_DIR`) into share/models/NAME,
# the way issue D asks, in one command:
#   1. export the run's model (quantized on request) to a fresh directory;
#   2. copy its curve.tsv (step, accuracies, KL, loss);
#   3. `latentroll attrs` on the corpus: attribute_vecs.json, the 7x7
#      attribute experiment and the interpolation quality, into the card;
#   4. `latentroll eval --split test`: the card's "test" numbers;
#   5. replace share/models/NAME only if the new model's test sampled
#      accuracy beats the shipped one's (or with --force), then regenerate
#      the README's models section (tools/readme_models.py).
# Nothing under share/ changes until every step has succeeded.  Needs the
# corpus (SHARED_DIR, default ../shared) and a built ./latentroll.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
LR=${LATENTROLL:-$top/latentroll}
PY=/usr/bin/python3
# Run from the top so the cards record ../shared/..., not this machine's
# absolute path (SHARED_DIR, when set, is recorded as given).
cd "$top"
data=${SHARED_DIR:-../shared}/data/nottingham
force=0
args=
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	*) args="$args $a" ;;
	esac
done
# shellcheck disable=SC2086
set -- $args
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: tools/ship_model.sh RUN_DIR NAME [float32|uint16|uint8]" \
	    "[--force]" >&2
	exit 2
fi
run=$1
name=$2
dtype=${3:-float32}
dest=$top/share/models/$name
[ -d "$data" ] || { echo "ship_model.sh: $data: no corpus" >&2; exit 1; }
tmp=$(mktemp -d "$top/share/models/.ship.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$LR" export --model "$run" --out "$tmp/$name" --dtype "$dtype"
cp "$run/curve.tsv" "$tmp/$name/curve.tsv"
echo "ship_model.sh: attrs" >&2
"$LR" attrs --force --model "$tmp/$name" --data "$data" >"$tmp/attrs.json"
echo "ship_model.sh: eval --split test" >&2
"$LR" eval --model "$tmp/$name" --data "$data" --split test >"$tmp/ev.json"
shared_abs=$(cd "${SHARED_DIR:-../shared}" && pwd -P)
"$PY" - "$tmp/ev.json" "$tmp/$name/model_card.json" "$shared_abs" \
    "$(cd "$top" && pwd -P)" <<'EOF'
import json, os, sys
ev = json.load(open(sys.argv[1]))
card = json.load(open(sys.argv[2]))
# A run started with this machine's absolute path to the corpus: the card
# names it as ../shared, as every shipped file must.
dirs = []
for d in card.get("data", {}).get("dir", "").split(","):
    if d.startswith(sys.argv[3] + "/"):
        d = "../shared" + d[len(sys.argv[3]):]
    if d.startswith("/"):
        sys.exit("ship_model.sh: the run's data %s is an absolute path "
                 "outside ../shared: a shipped card may not name it" % d)
    dirs.append(d)
if dirs:
    card["data"]["dir"] = ",".join(dirs)
# The model a run started from (--init, --init-from), resolved to an
# absolute path by the trainer: a shipped model is named from the top of
# the tree (share/models/NAME); any other absolute path is refused.
hp = card.get("hyper_parameters", {})
for k in ("init", "init_from"):
    v = hp.get(k)
    if not isinstance(v, str) or not v.startswith("/"):
        continue
    real = os.path.realpath(v)
    if real.startswith(sys.argv[4] + "/"):
        hp[k] = real[len(sys.argv[4]) + 1:]
    else:
        sys.exit("ship_model.sh: the run started from %s, an absolute "
                 "path outside the tree: a shipped card may not name it" % v)
ev.pop("model", None)
ev["command"] = "latentroll eval --model DIR --data nottingham --split test"
card["test"] = ev
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as f:
    json.dump(card, f, indent=1, sort_keys=True)
    f.write("\n")
os.rename(tmp, sys.argv[2])
EOF
new=$("$PY" -c 'import json,sys
print(json.load(open(sys.argv[1]))["test"]["sampled_acc"])' \
    "$tmp/$name/model_card.json")
old=0
if [ -f "$dest/model_card.json" ]; then
	old=$("$PY" -c 'import json,sys
print(json.load(open(sys.argv[1])).get("test", {}).get("sampled_acc", 0))' \
	    "$dest/model_card.json")
fi
echo "ship_model.sh: $name: test sampled accuracy $new (shipped: $old)" >&2
if [ "$force" -eq 0 ] && ! "$PY" -c 'import sys
sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))' "$new" "$old"; then
	echo "ship_model.sh: $name: not better than the shipped model;" \
	    "share/ unchanged (use --force)" >&2
	exit 1
fi
# Same shard names as before, or share/local.am must change too.
for f in $(cd "$tmp/$name" && ls); do
	case $f in
	group1-shard*)
		grep -q "share/models/$name/$f" "$top/share/local.am" || {
			echo "ship_model.sh: $f is not in share/local.am:" \
			    "add it there first" >&2
			exit 1
		} ;;
	esac
done
rm -rf "$tmp/old"
[ -d "$dest" ] && mv "$dest" "$tmp/old"
mv "$tmp/$name" "$dest"
"$PY" "$top/tools/readme_models.py" "$top"
echo "ship_model.sh: shipped $dest" >&2
