# train_lib.sh: what the training scripts share (test_resume.sh,
# test_dist.sh, test_killresume.sh source it): the binary and the corpus,
# or a SKIP line with the reason; check DESCRIPTION EXPR; and a small
# corpus of links in $tmp/data (never copies of ../shared).
LR=$top_builddir/latentroll
pass=0
fail=0

check() {
	if eval "$2"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1" >&2
	fi
}

if [ ! -x "$LR" ]; then
	echo "SKIP: $LR not built"
	echo "0 passed, 0 failed"
	exit 77
fi
data=${SHARED_DIR:-}/data/nottingham
if [ -z "${SHARED_DIR:-}" ] || [ ! -d "$data" ]; then
	echo "SKIP: SHARED_DIR/data/nottingham not found"
	echo "0 passed, 0 failed"
	exit 77
fi

# small_corpus DIR: links to the corpus' first 40 tunes in DIR.
small_corpus() {
	mkdir "$1" || return 1
	for f in $(ls "$data"/*.mid | head -40); do
		ln -s "$f" "$1/"
	done
}
