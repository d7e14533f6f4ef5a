#!/bin/sh
# test_install: `make install` gives a tool that works from any directory: the binary, the
# fetch script as bptrain-fetch-mnist (without a checkout: its checksums are built in), the
# manual page; an installed bptrain finds the data where bptrain-fetch-mnist puts it.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/make.out" 2>&1
check "make install exits 0 ($(tail -n 2 "$tmp/make.out"))" [ $? -eq 0 ]
bin=$tmp/root/usr/bin
for f in "$bin/bptrain" "$bin/bptrain-fetch-mnist" "$bin/bptrain-sweep" \
	"$tmp/root/usr/share/man/man1/bptrain.1"; do
	check "installed: ${f#"$tmp/root"}" [ -f "$f" ]
done
check "the binary and the script are executable" [ -x "$bin/bptrain" -a -x "$bin/bptrain-fetch-mnist" ]

# From another directory, with no ./mnist: the data under $XDG_DATA_HOME/bptrain/mnist.
write_tiny_mnist "$tmp/xdg/bptrain/mnist" 30
mkdir "$tmp/elsewhere"
out=$(cd "$tmp/elsewhere" && XDG_DATA_HOME="$tmp/xdg" "$bin/bptrain" --iters 3 --batch 10 --hidden 4 2>&1)
check "installed bptrain finds \$XDG_DATA_HOME/bptrain/mnist ($(printf '%s\n' "$out" | sed -n 2p))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^data $2/bptrain/mnist: 30 train"' sh "$out" "$tmp/xdg"
out=$(cd "$tmp/elsewhere" && HOME="$tmp/nohome" XDG_DATA_HOME= "$bin/bptrain" --iters 3 2>&1)
check "with no data anywhere: one line naming bptrain-fetch-mnist ($out)" \
	one_line_naming "$out" "bptrain-fetch-mnist"

# The installed fetch script runs without a checkout: its help names the XDG directory, and
# it stops on a bad setting before fetching anything.
out=$("$bin/bptrain-fetch-mnist" --help 2>&1)
check "bptrain-fetch-mnist --help works outside the tree" \
	sh -c 'printf "%s\n" "$1" | grep -q "XDG_DATA_HOME"' sh "$out"
out=$(cd "$tmp/elsewhere" && BPTRAIN_MNIST_SOURCE=nowhere "$bin/bptrain-fetch-mnist" 2>&1)
check "bptrain-fetch-mnist refuses a bad source before fetching ($out)" \
	sh -c 'printf "%s\n" "$1" | grep -q "BPTRAIN_MNIST_SOURCE"' sh "$out"
# Its built-in checksums are the checkout's.
check "the built-in checksums are mnist/SHA256SUMS'" sh -c '
	sed -n "/^ba8910/,/^ff7bcf/p" "$1" | cmp -s - mnist/SHA256SUMS' sh "$bin/bptrain-fetch-mnist"
# The installed sweep runs the installed bptrain (found on PATH), on the XDG data.
out=$(cd "$tmp/elsewhere" && unset BPTRAIN && PATH="$bin:$PATH" XDG_DATA_HOME="$tmp/xdg" "$bin/bptrain-sweep" \
	--lr 0.1,0.5 --iters 3 --batch 10 --hidden 4 --val 10 --out "$tmp/elsewhere/s.csv" 2>&1)
check "bptrain-sweep runs from anywhere ($(printf '%s\n' "$out" | tail -n 2 | tr '\n' ' '))" \
	[ "$(grep -c ',ok,' "$tmp/elsewhere/s.csv" 2>/dev/null)" -eq 2 ]
if command -v man >/dev/null; then
	check "man renders the installed page" sh -c 'MANPAGER=cat man -l "$1" 2>/dev/null | grep -q "bptrain"' \
		sh "$tmp/root/usr/share/man/man1/bptrain.1"
fi
report test_install
