#!/bin/sh
# test_limits: every range --help states holds at its very ends, for every flag that has one:
# the largest value accepted and the next one refused, the smallest likewise (an off-by-one
# in a bound, or a bound --help misstates, fails here). The ranges are read from --help
# itself, so a new flag is covered without touching this file. Values are checked by
# parsing alone: "--flag V --version" exits 0 when V is accepted and 2 when refused.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# accepts FLAG VALUE / refuses FLAG VALUE
accepts() { "$BPTRAIN" "$1" "$2" --version >/dev/null 2>&1; }
refuses() {
	"$BPTRAIN" "$1" "$2" --version >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] && one_line_naming "$(cat "$tmp/err")" "$1"
}

# Each flag's --help entry on one line, then "FLAG KIND LO HI" for those with a range of
# numbers: KIND is int, from (a float, LO included) or above (a float, LO excluded).
"$BPTRAIN" --help | awk '
	/^  -/ { if (cur != "") print cur; cur = $0; next }
	/^      / { sub(/^ +/, " "); cur = cur $0; next }
	{ if (cur != "") print cur; cur = "" }
	END { if (cur != "") print cur }' >"$tmp/entries"
awk '{
	flag = ""
	for (i = 1; i <= NF; i++) if ($i ~ /^--[a-z]/) { flag = $i; break }
	if (flag == "" || $0 ~ /at most [0-9]+ hidden/) next
	line = $0
	# The last "(... X to Y" of the entry is its range.
	while (match(line, /\((from |above )?-?[0-9.e+]+ to -?[0-9.e+]+/)) {
		r = substr(line, RSTART + 1, RLENGTH - 1)
		line = substr(line, RSTART + RLENGTH)
	}
	if (r == "") next
	n = split(r, w, " ")
	kind = n == 4 ? w[1] : "int"
	print flag, kind, w[n - 2], w[n]
	r = ""
}' "$tmp/entries" >"$tmp/ranges"
check "--help states ranges for at least 20 flags ($(wc -l <"$tmp/ranges"))" \
	[ "$(wc -l <"$tmp/ranges")" -ge 20 ]

while read -r flag kind lo hi; do
	case $flag in
	--seed) # beyond awk's exact integers: the bounds as text
		check "--seed $hi accepted" accepts --seed "$hi"
		check "--seed $hi + 1 refused" refuses --seed 9223372036854775808
		check "--seed 0 accepted" accepts --seed 0
		check "--seed -1 refused" refuses --seed -1
		continue ;;
	esac
	case $kind in
	int)
		check "$flag $hi (its maximum) accepted" accepts "$flag" "$hi"
		check "$flag $((hi + 1)) refused" refuses "$flag" "$((hi + 1))"
		check "$flag $lo (its minimum) accepted" accepts "$flag" "$lo"
		check "$flag $((lo - 1)) refused" refuses "$flag" "$((lo - 1))"
		;;
	from | above)
		# The next float above the maximum: a relative step of 1e-6 is well past it.
		over=$(awk -v h="$hi" 'BEGIN { printf "%.9g", h * (1 + 1e-6) + 1e-30 }')
		check "$flag $hi (its maximum) accepted" accepts "$flag" "$hi"
		check "$flag $over refused" refuses "$flag" "$over"
		if [ "$kind" = from ]; then
			check "$flag $lo (its minimum) accepted" accepts "$flag" "$lo"
			check "$flag below $lo refused" refuses "$flag" "$(awk -v l="$lo" 'BEGIN { printf "%.9g", l - 1e-3 }')"
		else
			check "$flag $lo (excluded) refused" refuses "$flag" "$lo"
		fi
		;;
	esac
done <"$tmp/ranges"

# --hidden: a list of at most 7 sizes of 1 to 65536.
check "--hidden 65536 accepted" accepts --hidden 65536
check "--hidden 65537 refused" refuses --hidden 65537
check "--hidden 0 refused" refuses --hidden 0
check "--hidden of 7 layers accepted" accepts --hidden 1,2,3,4,5,6,7
check "--hidden of 8 layers refused" refuses --hidden 1,2,3,4,5,6,7,8

report test_limits
