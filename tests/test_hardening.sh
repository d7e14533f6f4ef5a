#!/bin/sh
# test_hardening: what an adversary or an unlucky user runs into (issue "Hardening, round 2"):
# honest numbers for runs that fail, valid JSON for any path, data whose shape or size is
# wrong, limits checked from the header before anything is read, the signal that stopped a
# run. Each check fails on the code before the fix it guards.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

write_tiny_mnist "$tmp/tiny" 30
tiny="--data $tmp/tiny --batch 10 --hidden 8"

# A run that diverges before its first evaluation measured nothing but the loss that
# stopped it: the accuracies are empty, not 0, in the summary and absent in JSON.
run_bptrain $tiny --iters 20 --init-std 100 --hidden 64,64 --lr 10
check "diverging run exits 1 ($status)" [ "$status" -eq 1 ]
last=$(printf '%s\n' "$out" | tail -n 1)
check "diverged: status=diverged" [ "$(value status "$last")" = diverged ]
check "diverged: train_acc and test_acc are empty ($last)" \
	[ -z "$(value train_acc "$last")$(value test_acc "$last")" ]
check "diverged: loss is the loss that stopped it ($(value loss "$last"))" \
	awk -v l="$(value loss "$last")" 'BEGIN { exit !(l > 10000) }'
check "diverged: the hint names --lr and --init-std ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q -- "--lr" && printf "%s\n" "$1" | grep -q -- "--init-std"' sh "$err"
run_bptrain $tiny --iters 20 --init-std 100 --hidden 64,64 --lr 10 --format json
check "diverged JSON: no train_acc key, a numeric loss" node -e '
	const r = JSON.parse(process.argv[1].trim().split("\n").pop());
	if ("train_acc" in r || "test_acc" in r || typeof r.loss !== "number") process.exit(1);' "$out"

# A net stuck at chance ends "ok" but says it did not learn, after a whole epoch.
require_mnist test_hardening
run_bptrain --data "$data" --lr 8 --iters 600 -q
check "--lr 8: still exit 0" [ "$status" -eq 0 ]
check "--lr 8: warns that the net did not learn ($err)" one_line_naming "$err" "did not learn"
run_bptrain --data "$data" --iters 600 -q
check "a net that learns gets no warning ($err)" [ -z "$err" ]

# JSON stays valid whatever bytes a path holds.
odd="$tmp/odd$(printf '\377\376')dir"
mkdir "$odd"
cp "$tmp"/tiny/* "$odd/"
run_bptrain --data "$odd" --iters 5 --batch 10 --hidden 4 --format json
check "a non-UTF-8 --data path: every JSON line parses" node -e '
	for (const line of process.argv[1].trim().split("\n")) JSON.parse(line);' "$out"
check "... and the bad bytes became U+FFFD" sh -c 'printf "%s\n" "$1" | grep -q "odd\\\\ufffd\\\\ufffddir"' sh "$out"

# Test images of another shape with the same number of pixels (4x4 against 2x8) are refused.
mkdir "$tmp/shape"
cp "$tmp"/tiny/train-* "$tmp"/tiny/t10k-labels-idx1-ubyte "$tmp/shape/"
{ printf "$(be32 2051)$(be32 30)$(be32 2)$(be32 8)"; tail -c +17 "$tmp/tiny/t10k-images-idx3-ubyte"; } \
	>"$tmp/shape/t10k-images-idx3-ubyte"
run_bptrain --data "$tmp/shape" --iters 5 --batch 10
check "2x8 test images against 4x4 training images exit 1 ($status)" [ "$status" -eq 1 ]
check "... naming both shapes ($err)" sh -c 'printf "%s\n" "$1" | grep -q "2x8" && printf "%s\n" "$1" | grep -q "4x4"' sh "$err"

# A batch larger than the training set is refused, naming --batch.
run_bptrain $tiny --iters 5 --batch 31
check "--batch 31 of 30 images exits 1 ($status)" [ "$status" -eq 1 ]
check "... naming --batch ($err)" one_line_naming "$err" "--batch"

# Limits come from the header: a sparse 4 GiB file claiming one image of 65536x65536 is
# refused without being read (under a 1 GB address-space limit, reading it would fail
# differently), and a set of 2 large images does not ask for 1000 rows of buffers.
mkdir "$tmp/huge"
cp "$tmp"/tiny/t10k-* "$tmp/huge/"
{ printf "$(be32 2051)$(be32 1)$(be32 65536)$(be32 65536)"; } >"$tmp/huge/train-images-idx3-ubyte"
truncate -s $((16 + 65536 * 65536)) "$tmp/huge/train-images-idx3-ubyte"
{ printf "$(be32 2049)$(be32 1)"; printf '\001'; } >"$tmp/huge/train-labels-idx1-ubyte"
# A sanitizer build reserves terabytes of shadow memory and cannot run under the limit at
# all: then the refusal is checked without it.
if (ulimit -v 1000000; "$BPTRAIN" --version) >/dev/null 2>&1; then limit_v=1000000; else
	limit_v=unlimited
	echo "test_hardening: this bptrain cannot run under ulimit -v (a sanitizer build?): the" \
		"address-space limits are not applied"
fi
out=$( (ulimit -v $limit_v; "$BPTRAIN" --data "$tmp/huge" --iters 1 --batch 1) 2>&1 >/dev/null)
check "a 65536x65536 image is refused from its header ($out)" \
	sh -c 'printf "%s\n" "$1" | grep -q "too large"' sh "$out"
mkdir "$tmp/big"
for split in train t10k; do
	{ printf "$(be32 2051)$(be32 2)$(be32 1000)$(be32 1000)"; head -c 2000000 /dev/zero | tr '\000' '\001'; } \
		>"$tmp/big/$split-images-idx3-ubyte"
	{ printf "$(be32 2049)$(be32 2)"; printf '\000\001'; } >"$tmp/big/$split-labels-idx1-ubyte"
done
[ "$limit_v" = unlimited ] || limit_v=1500000
out=$( (ulimit -v $limit_v; "$BPTRAIN" --data "$tmp/big" --iters 2 --batch 2 --hidden 4 -q) 2>&1)
check "2 images of 1000x1000 train in 1.5 GB of address space ($out)" \
	sh -c 'printf "%s\n" "$1" | grep -q "status=ok"' sh "$out"

# The pixel cap at its limit: 1024x1024 (2^20 pixels) trains, 1024x1025 is refused.
for shape in "1024 1024" "1024 1025"; do
	set -- $shape
	mkdir -p "$tmp/cap$2"
	for split in train t10k; do
		{ printf "$(be32 2051)$(be32 2)$(be32 $1)$(be32 $2)"; head -c $((2 * $1 * $2)) /dev/zero | tr '\000' '\002'; } \
			>"$tmp/cap$2/$split-images-idx3-ubyte"
		{ printf "$(be32 2049)$(be32 2)"; printf '\000\001'; } >"$tmp/cap$2/$split-labels-idx1-ubyte"
	done
done
run_bptrain --data "$tmp/cap1024" --iters 1 --batch 2 --hidden 2 -q
check "1024x1024 images (the cap) train ($err)" [ "$status" -eq 0 ]
run_bptrain --data "$tmp/cap1025" --iters 1 --batch 2 --hidden 2 -q
check "1024x1025 images are refused as too large ($err)" \
	sh -c '[ "$1" -eq 1 ] && printf "%s\n" "$2" | grep -q "too large"' sh "$status" "$err"

# A gzip-compressed file (Debian's Fashion-MNIST, say) is named as such.
mkdir "$tmp/gz"
cp "$tmp"/tiny/* "$tmp/gz/"
gzip -c "$tmp/tiny/train-images-idx3-ubyte" >"$tmp/gz/train-images-idx3-ubyte"
run_bptrain --data "$tmp/gz" --iters 5 --batch 10
check "a gzip file exits 1 ($status)" [ "$status" -eq 1 ]
check "... saying it is gzip-compressed ($err)" one_line_naming "$err" "gzip-compressed"
# A /proc file says it is empty but is not: the message says so, not "truncated".
mkdir "$tmp/proc"
cp "$tmp"/tiny/* "$tmp/proc/"
ln -sf /proc/self/status "$tmp/proc/t10k-labels-idx1-ubyte"
run_bptrain --data "$tmp/proc" --iters 5 --batch 10
check "a /proc file exits 1 ($status)" [ "$status" -eq 1 ]
check "... saying it has data it does not count ($err)" one_line_naming "$err" "/proc or /sys"
# --data naming a file, not a directory.
run_bptrain --data "$tmp/tiny/train-images-idx3-ubyte" --iters 5
check "--data FILE exits 1 ($status)" [ "$status" -eq 1 ]
check "... saying it is not a directory ($err)" one_line_naming "$err" "not a directory"

# SIGTERM, then an impatient SIGINT: the run reports the signal that stopped it.
"$BPTRAIN" --data "$data" --iters 100000 --hidden 200 >"$tmp/sig.out" 2>"$tmp/sig.err" &
pid=$!
wait_for_table "$tmp/sig.out"
kill -TERM $pid
# Pending together, SIGINT (2) would be delivered before SIGTERM (15): let SIGTERM land first.
sleep 0.2
kill -INT $pid
guard $pid 120
wait $pid
sig_status=$?
unguard
check "SIGTERM then SIGINT: exit 143, SIGTERM's ($sig_status)" [ "$sig_status" -eq 143 ]
check "... and the message names SIGTERM ($(cat "$tmp/sig.err"))" grep -q "SIGTERM" "$tmp/sig.err"

# A full disk says so (it used to say "Input/output error").
run_bptrain $tiny --iters 5 --log /dev/full -q
check "--log /dev/full exits 1 ($status)" [ "$status" -eq 1 ]
check "... with the real errno ($err)" one_line_naming "$err" "No space left on device"
run_bptrain $tiny --iters 5 -q
out_full=$( "$BPTRAIN" $tiny --iters 5 -q 2>&1 >/dev/full)
check "stdout on /dev/full: the real errno ($out_full)" one_line_naming "$out_full" "No space left on device"

# Output files. A symlink to a regular file: the file is replaced, the link stays a link.
mkdir "$tmp/files"
: >"$tmp/files/target.csv"
ln -s target.csv "$tmp/files/link.csv"
run_bptrain $tiny --iters 5 --log "$tmp/files/link.csv" -q
check "--log through a symlink: the link is still a link" [ -L "$tmp/files/link.csv" ]
check "... and its target got the records" grep -q '^final,' "$tmp/files/target.csv"
# --log /dev/stdout with stdout redirected to a file: the records and the summary share it,
# none written over another (opening the file again, or renaming over it, lost some).
# (Through a link of our own to /proc/self/fd/1, as /dev/stdout is: a bptrain that replaced
# the link would break the machine's /dev/stdout, as the old one did when run as root.)
ln -s /proc/self/fd/1 "$tmp/files/stdout"
"$BPTRAIN" $tiny --iters 5 --log "$tmp/files/stdout" -q >"$tmp/files/both.csv" 2>/dev/null
check "... the link to stdout is still a link" [ -L "$tmp/files/stdout" ]
check "--log /dev/stdout into a file: the CSV header is kept" \
	sh -c 'head -n 1 "$1" | grep -q "^record,epoch"' sh "$tmp/files/both.csv"
check "... with the final record and the summary line" \
	sh -c 'grep -q "^final," "$1" && grep -q "^train_acc=" "$1"' sh "$tmp/files/both.csv"
# Temporary files of dead processes are cleaned up by the next run in that directory; a live
# process's are not. A name near NAME_MAX still works (the temporary name is bounded).
: >"$tmp/files/old.csv.bptrain-999999999-0000abcd.tmp"
: >"$tmp/files/live.csv.bptrain-$$-0000abcd.tmp"
run_bptrain $tiny --iters 5 --log "$tmp/files/r.csv" -q
check "a dead process's temporary file is removed" [ ! -e "$tmp/files/old.csv.bptrain-999999999-0000abcd.tmp" ]
check "a live process's is kept" [ -e "$tmp/files/live.csv.bptrain-$$-0000abcd.tmp" ]
long=$(printf 'n%.0s' $(seq 1 250)).csv
run_bptrain $tiny --iters 5 --log "$tmp/files/$long" -q
check "a 254-byte --log name works ($err)" [ "$status" -eq 0 -a -s "$tmp/files/$long" ]
# A reader that goes away: no SIGPIPE death; the log and plot are still written, exit 1.
rm -f "$tmp/files/p.csv" "$tmp/files/p.svg"
"$BPTRAIN" --data "$data" --iters 1200 --log "$tmp/files/p.csv" --plot "$tmp/files/p.svg" \
	2>"$tmp/files/p.err" | head -n 1 >/dev/null
check "stdout closed early: the log is complete" grep -q '^final,' "$tmp/files/p.csv"
check "... the plot too" grep -q '</svg>' "$tmp/files/p.svg"
check "... and the error is named ($(cat "$tmp/files/p.err"))" grep -q "Broken pipe" "$tmp/files/p.err"
# Every output's directory is checked before training, not after it.
run_bptrain $tiny --iters 100000 --plot "$tmp/nowhere/x.svg" -q
check "--plot into a missing directory: exit 1 at once, no summary ($out)" \
	sh -c '[ "$1" -eq 1 ] && [ -z "$2" ]' sh "$status" "$out"

# An abbreviation of several flags is called ambiguous, with the flags it could be.
expect_usage_error "ambiguous" --l 0.1
run_within 10 --l 0.1
check "--l: names --lr and --log ($err)" sh -c 'printf "%s\n" "$1" | grep -q -- "--lr," && printf "%s\n" "$1" | grep -q -- "--log"' sh "$err"
run_within 10 --zz
check "--zz is still unknown ($err)" one_line_naming "$err" "unknown option '--zz'"

report test_hardening
