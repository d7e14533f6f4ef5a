#!/bin/sh
# test_docs: every example in README.md and docs/*.md is run, and what it prints must be
# what the page shows. A fenced block is an example when its first line is a `$ command`
# (a session: each `$` line is run in turn, in one shell, and the lines after it are its
# output) or when the line just before its fence is `<!-- example: COMMAND -->` (the block
# is COMMAND's output; `<!-- example (annotated): COMMAND -->` lets each line carry a note
# after three blanks). Any other block must say `<!-- not an example -->` before its fence,
# so a new example cannot go untested by being left unmarked.
#
# In a block, a line `...` stands for any number of lines and `...` inside a line for any
# text: the page elides, the test does not invent. Only what differs from run to run is
# masked, on both sides: timings (time_s and samples_per_s columns, train_s, total_s,
# seconds, a sweep's "in N s" and time left), the thread count (online CPUs) and the
# example's directory (shown as /home/me/bptrain). Accuracies, losses and counts are
# compared exactly: a seeded run gives the same bits on any --threads.
#
# The examples of one page share a directory, in page order (a model saved by one is loaded
# by the next); each page starts in a fresh one, holding bptrain, mnist/, scripts/ and
# tests/ (bptrain-fault, test_progress) as the repository's top directory would.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_docs
if ! command -v xxd >/dev/null 2>&1; then
	echo "test_docs: xxd is missing (Debian package xxd, for docs/model-format.md): run .ci/run or install it" >&2
	fail=$((fail + 1))
	report test_docs
	exit 1
fi

top=$(pwd)
case "$BPTRAIN" in /*) bin=$BPTRAIN ;; *) bin=$top/$BPTRAIN ;; esac
data_abs=$(cd "$data" && pwd)
# docs/output.md's progress line comes from the unit test's --line mode (a real run's line
# depends on when it is drawn): the one built beside $BPTRAIN (make test-asan's), else tests/.
progress=${bin%/*}/test_progress
[ -x "$progress" ] || progress=$top/tests/test_progress
# The sweep runs the same bptrain as the rest ($BPTRAIN before the one next to scripts/);
# --data's default must be ./mnist, as on the page, not the caller's $BPTRAIN_DATA.
BPTRAIN=$bin
export BPTRAIN
unset BPTRAIN_DATA

# extract PAGE OUTDIR: one directory per example (script, expected, where, annotated),
# and OUTDIR/unmarked listing blocks that are neither example nor marked.
extract() {
	awk -v out="$2" -v page="$1" '
	function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
	function open_example(kind) {
		n++
		dir = out "/" n
		system("mkdir -p " q(dir))
		print page ":" start >(dir "/where")
		close(dir "/where")
		if (kind == "annotated") { printf "" >(dir "/annotated"); close(dir "/annotated") }
		script = dir "/script"
		expected = dir "/expected"
		printf "" >expected
		print "__s=0" >script
	}
	!fence && /^ *```/ {
		fence = 1
		start = FNR
		match($0, /^ */)
		indent = RLENGTH
		kind = ""
		c = prev
		if (c ~ /^ *<!-- example: .* -->$/) kind = "example"
		else if (c ~ /^ *<!-- example \(annotated\): .* -->$/) kind = "annotated"
		else if (c ~ /^ *<!-- not an example/) kind = "skip"
		if (kind == "example" || kind == "annotated") {
			sub(/^ *<!-- example[^:]*: /, "", c)
			sub(/ -->$/, "", c)
			open_example(kind)
			print c >script
		}
		first = 1
		next
	}
	fence && /^ *```/ {
		fence = 0
		if (n && script != "") { close(script); close(expected) }
		script = ""
		prev = $0
		next
	}
	fence {
		line = substr($0, indent + 1)
		if (first && kind == "") {
			if (line ~ /^\$ /) { kind = "session"; open_example("session") }
			else { print page ":" start >>(out "/unmarked"); kind = "skip" }
		}
		first = 0
		if (kind == "skip") next
		print line >expected
		# A session prints each command as the page shows it, then runs it with $? as the
		# previous command left it, for a `$ echo $?`.
		if (kind == "session" && line ~ /^\$ /) {
			cmd = substr(line, 3)
			print "printf \047%s\\n\047 " q(line) >script
			print "(exit $__s); " cmd >script
			print "__s=$?" >script
		}
		next
	}
	{ prev = $0 }
	' "$1"
}

# mask FILE: what varies between runs of the same command, replaced by a placeholder.
mask() {
	sed -E \
		-e 's/^( +[0-9]+ +[0-9]+ .*) +[0-9]+\.[0-9]+ +[0-9]+$/\1 <s> <s>/' \
		-e 's/(^| )(train_s|total_s|seconds)=[0-9.]+/\1\2=<s>/g' \
		-e 's/"(time_s|samples_per_s|train_s|total_s)":[0-9.e+-]+/"\1":<s>/g' \
		-e 's/ in [0-9.]+ s: / in <s> s: /' \
		-e 's/; about [0-9]+m[0-9]+s left$/; about <s> left/' \
		-e 's/^( +[0-9]+ +[0-9.-]+ ± [0-9.-]+ +[0-9.-]+ +[0-9.-]+) +[0-9.]+ /\1 <s> /' \
		-e 's/, [0-9]+ threads(,|$)/, <n> threads\1/' \
		"$1"
}

# matches EXPECTED ACTUAL: ACTUAL's lines are EXPECTED's, a `...` line standing for any
# number of lines and `...` in a line for any text.
matches() {
	awk '
	function glob(p, s,   n, part, k, pos, at, last) {
		n = split(p, part, /\.\.\./)
		if (n == 1) return p == s
		if (substr(s, 1, length(part[1])) != part[1]) return 0
		pos = length(part[1]) + 1
		for (k = 2; k < n; k++) {
			at = index(substr(s, pos), part[k])
			if (!at) return 0
			pos += at - 1 + length(part[k])
		}
		last = part[n]
		return length(s) - pos + 1 >= length(last) && substr(s, length(s) - length(last) + 1) == last
	}
	function m(i, j,   k) {
		while (i <= ne) {
			if (e[i] == "...") {
				for (k = j; k <= na + 1; k++)
					if (m(i + 1, k)) return 1
				return 0
			}
			if (j > na || !glob(e[i], a[j])) return 0
			i++
			j++
		}
		return j > na
	}
	NR == FNR { e[++ne] = $0; next }
	{ a[++na] = $0 }
	END { exit !m(1, 1) }
	' "$1" "$2"
}

# workdir DIR: a fresh directory that looks like the top of the repository to the examples.
workdir() {
	mkdir -p "$1/tests"
	ln -s "$bin" "$1/bptrain"
	ln -s "$data_abs" "$1/mnist"
	ln -s "$top/scripts" "$1/scripts"
	ln -s "$top/tests/bptrain-fault" "$1/tests/bptrain-fault"
	ln -s "$progress" "$1/tests/test_progress"
}

examples=0
for page in README.md docs/*.md; do
	name=$(printf '%s' "$page" | tr '/.' '__')
	ex=$tmp/ex/$name
	mkdir -p "$ex"
	extract "$page" "$ex"
	if [ -s "$ex/unmarked" ]; then
		while read -r where; do
			check "$where: a code block that is neither an example nor marked <!-- not an example -->" false
		done <"$ex/unmarked"
	fi
	work=$tmp/work/$name
	workdir "$work"
	for d in $(ls "$ex" | grep -E '^[0-9]+$' | sort -n); do
		d=$ex/$d
		where=$(cat "$d/where")
		examples=$((examples + 1))
		(cd "$work" && timeout -k 5 300 sh "$d/script") </dev/null >"$d/raw" 2>&1
		# The directory the example ran in is shown as a reader's checkout would be.
		awk -v dir="$work" -v as=/home/me/bptrain '{
			while ((i = index($0, dir)) > 0) $0 = substr($0, 1, i - 1) as substr($0, i + length(dir))
			print }' "$d/raw" >"$d/actual"
		mask "$d/actual" >"$d/actual.masked"
		if [ -f "$d/annotated" ]; then
			sed -E 's/ {3,}[^ ].*$//' "$d/expected" >"$d/expected.notes_cut"
			mask "$d/expected.notes_cut" >"$d/expected.masked"
		else
			mask "$d/expected" >"$d/expected.masked"
		fi
		if matches "$d/expected.masked" "$d/actual.masked"; then
			check "$where" true
		else
			check "$where: the example prints what the page shows" false
			echo "--- $where, the page (masked) / +++ what it printed (masked):" >&2
			diff -u "$d/expected.masked" "$d/actual.masked" >&2
		fi
	done
done
check "examples were found ($examples)" [ "$examples" -gt 0 ]

# The comparison itself: a page that drifts by one digit, or whose elided line is not there,
# must fail (the first example's own output, so nothing is run again).
fails() { ! "$@"; }
d=$tmp/ex/README_md/1
sed '$s/[0-9]/X/' "$d/actual.masked" >"$tmp/drift"
check "a digit changed in the summary line does not match" fails matches "$tmp/drift" "$d/actual.masked"
printf '...\nno such line\n...\n' >"$tmp/elided"
check "... stands for lines that are there, not for a missing one" fails matches "$tmp/elided" "$d/actual.masked"
printf '...\n%s\n...\n' "$(sed -n 2p "$d/actual.masked")" >"$tmp/elided"
check "... around a line that is there matches" matches "$tmp/elided" "$d/actual.masked"
report test_docs
