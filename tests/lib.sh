# lib.sh: shared helpers for the shell tests. Source it, call check/expect_*, end with report.
BPTRAIN=${BPTRAIN:-./bptrain}
pass=0
fail=0

# check DESCRIPTION COMMAND...: one check that passes when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $desc" >&2
	fi
}

# run_within SECONDS ARGS...: run bptrain with stdout, stderr and status in $out, $err,
# $status. A run still going after SECONDS is killed (status 124 or 137), so a hang fails
# its checks instead of blocking the suite; the limit is a guard, not a speed requirement.
run_within() {
	limit=$1
	shift
	timeout -k 5 "$limit" $BPTRAIN_WRAPPER "$BPTRAIN" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# run_bptrain ARGS...: run_within a limit generous enough for sanitizer builds.
run_bptrain() {
	run_within 300 "$@"
}

# one_line_naming TEXT NEEDLE: TEXT is exactly one line and contains NEEDLE.
one_line_naming() {
	[ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && printf '%s\n' "$1" | grep -qF -- "$2"
}

# expect_usage_error NAME ARGS...: a bad flag: exit 2, exactly one line on stderr, naming
# NAME, nothing on stdout.
expect_usage_error() {
	name=$1
	shift
	run_within 10 "$@"
	check "'$*' exits 2 (got $status)" [ "$status" -eq 2 ]
	check "'$*' names $name in its one-line error ($err)" one_line_naming "$err" "$name"
	check "'$*' prints nothing on stdout" [ -z "$out" ]
}

# be32 N: the 4 bytes of N, big-endian, as printf octal escapes.
be32() {
	printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
		$(($1 >> 8 & 255)) $(($1 & 255))
}

# write_tiny_mnist DIR COUNT: a learnable 4x4 data set of COUNT images per split, with
# labels 0-2: class c has its bright pixels in row c.
write_tiny_mnist() {
	dir=$1
	count=$2
	mkdir -p "$dir"
	for split in train t10k; do
		{
			printf "$(be32 2051)$(be32 "$count")$(be32 4)$(be32 4)"
			i=0
			while [ $i -lt "$count" ]; do
				c=$((i % 3))
				r=0
				while [ $r -lt 4 ]; do
					if [ $r -eq $c ]; then printf '\377\377\377\377'; else printf '\000\020\000\040'; fi
					r=$((r + 1))
				done
				i=$((i + 1))
			done
		} >"$dir/$split-images-idx3-ubyte"
		{
			printf "$(be32 2049)$(be32 "$count")"
			i=0
			while [ $i -lt "$count" ]; do
				printf "\\$(printf '%03o' $((i % 3)))"
				i=$((i + 1))
			done
		} >"$dir/$split-labels-idx1-ubyte"
	done
}

# require_mnist NAME: set $data to the real MNIST directory, or end test NAME as one failure
# (the tests that train on real data must not pass quietly without it).
require_mnist() {
	data=${BPTRAIN_DATA:-mnist}
	if [ ! -f "$data/train-images-idx3-ubyte" ]; then
		echo "$1: no MNIST in $data/: run scripts/fetch_mnist.sh" >&2
		fail=$((fail + 1))
		report "$1"
		exit 1
	fi
}

# wait_for_table FILE [TRIES]: poll (every 0.1 s) until bptrain's table header is in FILE,
# which is printed just before the first training step.
wait_for_table() {
	tries=0
	until grep -q '^epoch' "$1" 2>/dev/null || [ $tries -ge "${2:-1200}" ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
}

# guard PID SECONDS: kill PID for good after SECONDS unless unguard is called first; sets
# $guard. The guard's sleep dies with it and holds no output open, so tests/run.sh, which
# reads the test's output to the end, does not wait for a sleep left behind.
guard() {
	(
		trap 'kill $sleeper 2>/dev/null; exit 0' TERM
		sleep "$2" &
		sleeper=$!
		wait $sleeper && kill -s KILL "$1" 2>/dev/null
	) >/dev/null 2>&1 &
	guard=$!
}

unguard() {
	kill "$guard" 2>/dev/null
}

# Sweep CSVs (scripts/sweep.sh). rows FILE: the rows after the header.
rows() { tail -n +2 "$1" | wc -l | tr -d ' '; }
# csv_cut FILE NAME...: those columns of every row (a quoted field reads as q).
csv_cut() {
	f=$1
	shift
	awk -v names="$*" 'BEGIN { n = split(names, want, " ") } { gsub(/"([^"]|"")*"/, "q"); split($0, v, ",") }
		NR == 1 { for (i in v) at[v[i]] = i; next }
		{ s = ""; for (k = 1; k <= n; k++) s = s (k > 1 ? "," : "") v[at[want[k]]]; print s }' "$f"
}
# complete_rows FILE: every line has the header's number of fields, so no row is cut.
complete_rows() {
	awk '{ gsub(/"([^"]|"")*"/, "q") } NR == 1 { n = split($0, v, ",") }
		split($0, v, ",") != n { bad = 1 } END { exit bad }' "$1"
}
# unique_runs FILE: no (config, seed) twice.
unique_runs() { [ -z "$(csv_cut "$1" config seed | sort | uniq -d)" ]; }
# untimed FILE: the rows without their timings, sorted, to compare two sweeps' results.
untimed() {
	csv_cut "$1" config exit error epoch iter loss train_acc val_acc val_loss test_acc test_loss status seed |
		sort
}

# le64 FILE OFFSET: the little-endian u64 at OFFSET.
le64() {
	od -An -v -tu1 -j"$2" -N8 "$1" |
		awk '{ for (i = NF; i >= 1; i--) v = v * 256 + $i } END { printf "%.0f\n", v }'
}
# section FILE TAG: the payload of the model file's section tagged TAG ("NET ", "conf");
# fails if there is none.
section() {
	size=$(wc -c <"$1")
	off=16
	while [ "$off" -lt "$size" ]; do
		len=$(le64 "$1" $((off + 4)))
		if [ "$(tail -c +$((off + 1)) "$1" | head -c 4)" = "$2" ]; then
			tail -c +$((off + 13)) "$1" | head -c "$len"
			return 0
		fi
		off=$((off + 12 + len))
	done
	return 1
}
# same_model A B: two model files hold the same run: every section byte for byte, but resm
# (its seconds differ from run to run) and SUM (the checksum over them), and conf but for
# its resume= line (the file a resumed run went on from). Uses $tmp.
same_model() {
	for tag in "NET " PARM BNRS TRAN "RNG " OPTM shuf best last; do
		section "$1" "$tag" >"$tmp/s1" || : >"$tmp/s1"
		section "$2" "$tag" >"$tmp/s2" || : >"$tmp/s2"
		cmp -s "$tmp/s1" "$tmp/s2" || return 1
	done
	[ "$(section "$1" conf | grep -v '^resume=')" = "$(section "$2" conf | grep -v '^resume=')" ]
}
report() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
