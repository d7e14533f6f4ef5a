#!/bin/sh
# test_man: the manual page docs/bptrain.1 is what scripts/mkman.sh makes from the binary's
# --help (so it cannot drift from the flag table), every flag of --help has an entry, and
# troff renders it without a warning.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sh scripts/mkman.sh "$BPTRAIN" >"$tmp/bptrain.1"
check "docs/bptrain.1 is up to date (run make man)" cmp -s "$tmp/bptrain.1" docs/bptrain.1
flags=$("$BPTRAIN" --help | grep -c '^  -')
entries=$(sed -n '/^\.SH OPTIONS/,/^\.SH EXIT STATUS/p' "$tmp/bptrain.1" | grep -c '^\.TP')
check "an entry per flag of --help ($flags flags, $entries entries)" [ "$entries" -eq "$flags" ]
for flag in --epochs --val --save --augment --gradcheck; do
	check "the page has $flag" grep -q -- "fB\\\\-\\\\-${flag#--}" "$tmp/bptrain.1"
done
if command -v groff >/dev/null; then
	LC_ALL=C.UTF-8 groff -man -Tutf8 -ww "$tmp/bptrain.1" >"$tmp/page" 2>"$tmp/warnings"
	check "groff renders the page without warnings ($(head -n 3 "$tmp/warnings"))" [ ! -s "$tmp/warnings" ]
	check "the rendered page shows --epochs' text" grep -q "instead of" "$tmp/page"
else
	echo "test_man: no groff here; the rendering check is skipped"
fi
report test_man
