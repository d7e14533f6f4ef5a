#!/bin/sh
# test_baddata: damaged and hostile data directories, as bptrain meets them. Every one must end
# in exit 1 with exactly one line on stderr naming the damaged file (or directory), nothing on
# stdout, and no hang (each run is killed after 10 s; a good refusal takes milliseconds).
. tests/lib.sh
tmp=$(mktemp -d)
chmod 755 "$tmp" # so that the unprivileged run below can reach the files
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

write_tiny_mnist "$tmp/good" 30
run_bptrain --data "$tmp/good" --iters 3 --batch 10 --hidden 4
check "the undamaged set trains ($err)" [ "$status" -eq 0 ]

# fresh: a copy of the good set in $tmp/d to damage.
fresh() {
	rm -rf "$tmp/d"
	cp -r "$tmp/good" "$tmp/d"
}

# expect_refusal WHAT NAME: bptrain on $tmp/d exits 1 with one line on stderr naming NAME.
expect_refusal() {
	run_within 10 --data "$tmp/d" --iters 3 --batch 10 --hidden 4
	check "$1: exits 1 (got $status)" [ "$status" -eq 1 ]
	check "$1: one line naming $2 ($err)" one_line_naming "$err" "$2"
	check "$1: nothing on stdout" [ -z "$out" ]
}

# bytes FILE: its size.
bytes() { wc -c <"$1" | tr -d ' '; }

# Cut every file at every header byte, in the middle of its payload, and one byte short;
# give it a trailing byte; break its magic; put the other kind of file in its place.
for set in train t10k; do
	for kind in images labels; do
		case $kind in
		images) name=$set-images-idx3-ubyte header=16 other=$set-labels-idx1-ubyte ndim=3 ;;
		labels) name=$set-labels-idx1-ubyte header=8 other=$set-images-idx3-ubyte ndim=1 ;;
		esac
		size=$(bytes "$tmp/good/$name")
		cut=0
		while [ $cut -lt $header ]; do
			fresh
			head -c $cut "$tmp/good/$name" >"$tmp/d/$name"
			expect_refusal "$name cut to $cut bytes" "$name"
			cut=$((cut + 1))
		done
		for cut in $(((header + size) / 2)) $((size - 1)); do
			fresh
			head -c $cut "$tmp/good/$name" >"$tmp/d/$name"
			expect_refusal "$name cut to $cut of $size bytes" "$name"
		done
		fresh
		printf 'x' >>"$tmp/d/$name"
		expect_refusal "$name with a trailing byte" "$name"
		fresh
		# IDX type 0x0D is float32: the right shape, the wrong element type.
		{ printf "\\000\\000\\015\\00$ndim"; tail -c +5 "$tmp/good/$name"; } >"$tmp/d/$name"
		expect_refusal "$name with a float-type magic" "$name"
		fresh
		cp "$tmp/good/$other" "$tmp/d/$name"
		expect_refusal "$other in place of $name" "$name"
	done
done

# Headers that lie about the dimensions. hdr COUNT ROWS COLS: an image-file header.
hdr() { printf "$(be32 2051)$(be32 "$1")$(be32 "$2")$(be32 "$3")"; }
for dims in "0 4 4" "30 0 4" "30 4 0" "4294967295 4294967295 4294967295" \
	"4294967295 28 28" "60000 28 28" "20000000 28 28" "31 4 4" "29 4 4"; do
	fresh
	{ hdr $dims; tail -c +17 "$tmp/good/train-images-idx3-ubyte"; } \
		>"$tmp/d/train-images-idx3-ubyte"
	expect_refusal "image header claiming $dims" train-images-idx3-ubyte
done
for count in 0 29 31 4294967295; do
	fresh
	{ printf "$(be32 2049)$(be32 $count)"; tail -c +9 "$tmp/good/t10k-labels-idx1-ubyte"; } \
		>"$tmp/d/t10k-labels-idx1-ubyte"
	expect_refusal "label header claiming $count labels" t10k-labels-idx1-ubyte
done

# Consistent files whose counts disagree with each other: 30 images, 29 labels.
fresh
write_tiny_mnist "$tmp/short" 29
cp "$tmp/short/train-labels-idx1-ubyte" "$tmp/d/"
expect_refusal "29 labels for 30 images" train-labels-idx1-ubyte

# Labels that are not digits.
for label in 10 255; do
	fresh
	{ head -c 20 "$tmp/good/train-labels-idx1-ubyte"; printf "\\$(printf '%03o' $label)"
	  tail -c +22 "$tmp/good/train-labels-idx1-ubyte"; } >"$tmp/d/x"
	mv "$tmp/d/x" "$tmp/d/train-labels-idx1-ubyte"
	expect_refusal "label $label" train-labels-idx1-ubyte
done
# All labels 0: valid IDX, but nothing to learn.
fresh
{ printf "$(be32 2049)$(be32 30)"; head -c 30 /dev/zero; } >"$tmp/d/train-labels-idx1-ubyte"
expect_refusal "every training label 0" train-labels-idx1-ubyte
# Test labels the net has no output for (train only uses 0-1, test has 2).
fresh
{ printf "$(be32 2049)$(be32 30)"; i=0; while [ $i -lt 30 ]; do printf '\001'; i=$((i + 1)); done; } \
	>"$tmp/d/train-labels-idx1-ubyte"
expect_refusal "test labels beyond the training labels" t10k-labels-idx1-ubyte

# Images that are not 28x28: the input layer takes its size from the files (16 here) ...
run_bptrain --data "$tmp/good" --iters 3 --batch 10 --hidden 4
check "4x4 images build a 16-input net" sh -c 'printf "%s\n" "$1" | grep -q "net 16-4-3 "' sh "$out"
# ... but the two sets must agree: 5x5 test images against 4x4 training images.
fresh
{ hdr 30 5 5; head -c 750 /dev/zero; } >"$tmp/d/t10k-images-idx3-ubyte"
expect_refusal "5x5 test images, 4x4 training images" t10k-images-idx3-ubyte

# Not regular files, or not there.
fresh
: >"$tmp/d/train-images-idx3-ubyte"
expect_refusal "empty image file" train-images-idx3-ubyte
for name in train-images-idx3-ubyte t10k-labels-idx1-ubyte; do
	fresh
	rm "$tmp/d/$name"
	expect_refusal "missing $name" "$name"
	mkdir "$tmp/d/$name"
	expect_refusal "a directory as $name" "$name"
	rmdir "$tmp/d/$name"
	if mkfifo "$tmp/d/$name"; then
		expect_refusal "a FIFO as $name (must not block)" "$name"
		rm "$tmp/d/$name"
	fi
	ln -s "$tmp/nowhere" "$tmp/d/$name"
	expect_refusal "a dangling symlink as $name" "$name"
	rm "$tmp/d/$name"
	ln -s /dev/zero "$tmp/d/$name"
	expect_refusal "/dev/zero as $name (must not read forever)" "$name"
	rm "$tmp/d/$name"
done
fresh
: >"$tmp/file"
run_within 10 --data "$tmp/file" --iters 3
check "a regular file as --data exits 1" [ "$status" -eq 1 ]
check "a regular file as --data is named ($err)" one_line_naming "$err" "$tmp/file"

# Unreadable: root reads anything, so as root the run drops to uid 65534 with setpriv.
fresh
chmod 000 "$tmp/d/t10k-images-idx3-ubyte"
if [ "$(id -u)" -ne 0 ]; then
	expect_refusal "unreadable t10k-images-idx3-ubyte" t10k-images-idx3-ubyte
elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
	test -r "$tmp/d/train-images-idx3-ubyte" 2>/dev/null; then
	# Only the damaged file is unreadable to that user; the rest of the path is not.
	BPTRAIN_WRAPPER="setpriv --reuid=65534 --regid=65534 --clear-groups"
	expect_refusal "unreadable t10k-images-idx3-ubyte (as uid 65534)" t10k-images-idx3-ubyte
	BPTRAIN_WRAPPER=
else
	echo "test_baddata: note: running as root without a way to drop privileges;" \
		"the unreadable-file check is skipped (test_idx covers it)"
fi
report test_baddata
