#!/bin/sh
# test_stop: how a run on real MNIST ends early. A learning rate that blows up stops at the
# first absurd loss, naming the iteration; SIGINT and SIGTERM finish the current step, print
# the evaluation so far and a summary marked interrupted, and exit 128 + the signal number.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_stop

run_bptrain --data "$data" --lr 1e6 --iters 20
check "--lr 1e6 exits 1 (got $status)" [ "$status" -eq 1 ]
check "--lr 1e6 names the iteration in one line ($err)" \
	sh -c 'one_line() { [ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ]; }
		one_line "$1" && printf "%s\n" "$1" | grep -Eq "diverged: loss is .* at iteration [0-9]+"' \
	sh "$err"
check "--lr 1e6 stops long before the last iteration" \
	sh -c 'printf "%s\n" "$1" | tail -n 1 | grep -Eq "iters=[0-9] .*status=diverged$"' sh "$out"

# interrupt SIGNAL CODE: start a long run, wait (without a time limit of our own beyond the
# guard) until training has begun, send SIGNAL, and check how the run ended.
interrupt() {
	"$BPTRAIN" --data "$data" --iters 100000000 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	# The table header is printed just before the first step; poll for it.
	wait_for_table "$tmp/out" 1200
	sleep 0.5 # some steps in, well before the first epoch ends
	kill -s "$1" $pid
	# A guard against a run that ignores the signal: kill it for good after 120 s.
	guard $pid 120
	wait $pid
	status=$?
	unguard
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	last=$(printf '%s\n' "$out" | tail -n 1)
	check "SIG$1 exits $2 (got $status)" [ "$status" -eq "$2" ]
	check "SIG$1: the summary says status=interrupted ($last)" \
		sh -c 'printf "%s\n" "$1" | grep -Eq "^train_acc=.* status=interrupted$"' sh "$last"
	# The evaluation so far: a table row for the iteration the summary reports.
	iters=$(printf '%s\n' "$last" | sed -n 's/.* iters=\([0-9]*\) .*/\1/p')
	check "SIG$1: an evaluation row for iteration $iters before the summary" \
		sh -c 'printf "%s\n" "$1" | grep -Eq "^ +[0-9]+ +$2 +[0-9.]+ +0\.[0-9]+ +0\.[0-9]+ "' \
		sh "$out" "$iters"
	check "SIG$1: one line on stderr naming the signal ($err)" one_line_naming "$err" "SIG$1"
}
interrupt INT 130
interrupt TERM 143

# Output files are written under a temporary name and renamed when complete: while a run is
# going, nothing exists under the requested name; a killed run leaves nothing there either; an
# interrupted run still completes them.
"$BPTRAIN" --data "$data" --iters 100000000 --log "$tmp/run.csv" --plot "$tmp/run.svg" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for_table "$tmp/out" 1200
sleep 0.5
check "no log under its final name while the run goes on" [ ! -e "$tmp/run.csv" ]
check "the log is being written under a temporary name" \
	sh -c 'ls "$1"/run.csv.*.tmp >/dev/null 2>&1' sh "$tmp"
kill -s INT $pid
wait $pid
check "interrupted run: the log is complete, ending with its final record" \
	sh -c 'tail -n 1 "$1" | grep -q "^final,.*,interrupted,"' sh "$tmp/run.csv"
check "interrupted run: the plot is complete" sh -c 'tail -n 1 "$1" | grep -q "</svg>"' sh "$tmp/run.svg"
check "interrupted run: no temporary files remain" \
	sh -c '! ls "$1"/*.tmp >/dev/null 2>&1' sh "$tmp"
rm -f "$tmp/run.csv" "$tmp/run.svg"
"$BPTRAIN" --data "$data" --iters 100000000 --log "$tmp/run.csv" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -s KILL $pid
wait $pid
check "a killed run leaves no log under the final name" [ ! -e "$tmp/run.csv" ]
report test_stop
