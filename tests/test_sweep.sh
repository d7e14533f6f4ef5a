#!/bin/sh
# test_sweep: scripts/sweep.sh on a tiny synthetic data set (and briefly on MNIST): the CSV is
# bptrain's own records, the ranking is on validation accuracy, resume, failure recording,
# random search, the plot (drawn by bptrain), and every failure of issue #14: a full disk, an
# --out that is a directory, a device or a FIFO, two sweeps on one CSV, a sweep killed with -9
# and resumed, Ctrl-C, hostile names and values in printed commands and the Slurm script.
# SWEEP=FILE runs the same checks on another version of the script.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SWEEP=${SWEEP:-scripts/sweep.sh}
SWEEP=$(cd "$(dirname "$SWEEP")" && pwd)/$(basename "$SWEEP")

for tool in xmllint setsid flock; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "test_sweep: $tool is missing (xmllint: libxml2-utils; setsid, flock: util-linux): run .ci/run" >&2
		fail=$((fail + 1))
		report test_sweep
		exit 1
	fi
done

write_tiny_mnist "$tmp/tiny" 30
real=$(cd "$(dirname "$BPTRAIN")" && pwd)/$(basename "$BPTRAIN")
common="--data $tmp/tiny --batch 10 --init-std 0.1 --val 10"

# A stand-in for bptrain that logs each run's arguments, can hide --threads from --help, and
# can sleep first (STUB_SLEEP seconds, for runs of seed STUB_SLEEP_SEED or any seed), writing
# its pid to started.PID; SIGINT or SIGTERM stop it as they stop bptrain, after a moment (its
# last evaluation). Otherwise the real bptrain.
cat >"$tmp/stub" <<EOF
#!/bin/sh
if [ "\$1" = --help ]; then
	if [ -n "\${STUB_NO_THREADS:-}" ]; then "$real" --help | grep -v -- --threads; else "$real" --help; fi
	exit 0
fi
case " \$* " in *" --seed "*) [ -z "\${STUB_LOG:-}" ] || printf '%s\n' "\$*" >>"\$STUB_LOG" ;; esac
case "\${STUB_SLEEP_SEED:-none} \$*" in "any "*" --seed "* | *" --seed \${STUB_SLEEP_SEED:-none}"*)
	echo \$\$ >"$tmp/started.\$\$"
	sleep "\$STUB_SLEEP" &
	nap=\$!
	trap 'kill \$nap; sleep 0.5; exit 130' INT
	trap 'kill \$nap; sleep 0.5; exit 143' TERM
	wait \$nap ;;
esac
exec "$real" "\$@"
EOF
chmod +x "$tmp/stub"

# sweep ARGS...: run the sweep (killed after 120 s: the old script could hang), stdout in
# $out, stderr in $err, exit status in $status.
sweep() {
	timeout -k 5 120 sh "$SWEEP" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
says() { printf '%s\n' "$err" | grep -q -- "$1"; }
pwned() { [ -z "$(find "$tmp" -name 'PWNED*' | head -n 1)" ]; }
# alive PIDFILES...: whether any of the stubs that wrote them is still running.
alive() { for p in "$@"; do [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && return 0; done; return 1; }
gone() { ! alive "$@"; }
# all COMMAND...: every COMMAND, a string of sh, succeeds (for a check of several things).
all() { for c in "$@"; do eval "$c" || return 1; done; }
wait_started() { # wait_started N: until N stubs have started sleeping
	i=0
	while [ "$(ls "$tmp" | grep -c '^started\.')" -lt "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
}

# ---- a grid with repeats, two at a time: one row per run, bptrain's own record ----
grid="--lr 0.5,0.0001 --hidden 8,4 --iters 30 --repeats 2 -j 2"
sweep $grid --out "$tmp/runs.csv" -- $common
check "grid sweep exits 0 ($err)" [ "$status" -eq 0 ]
check "grid: 2 x 2 configurations x 2 seeds = 8 rows" [ "$(rows "$tmp/runs.csv")" -eq 8 ]
want_header="config,exit,error,$("$real" --iters 1 $common --format csv -q | head -n 1)"
check "the CSV's header is the sweep's columns, then bptrain's own record fields" \
	[ "$(head -n 1 "$tmp/runs.csv")" = "$want_header" ]
check "no row is cut" complete_rows "$tmp/runs.csv"
check "no run is recorded twice" unique_runs "$tmp/runs.csv"
check "repeats use seeds 42 and 43" [ "$(csv_cut "$tmp/runs.csv" seed | sort -u | tr '\n' ' ')" = "42 43 " ]
check "all runs ok with exit 0" [ "$(csv_cut "$tmp/runs.csv" status exit | sort -u)" = "ok,0" ]
check "rows record the configuration" grep -q "^--lr 0.0001 --hidden 4 --iters 30 $common,0,,final," "$tmp/runs.csv"
# A row's record is what bptrain itself writes for that configuration and seed.
"$real" --lr 0.0001 --hidden 4 --iters 30 $common --seed 43 --format csv -q | tail -n 1 >"$tmp/direct"
timings='s/,[0-9.]*,[0-9.]*,[0-9.]*,ok,/,T,T,T,ok,/'
check "a row's fields after the sweep's are bptrain's final record (timings aside)" \
	[ "$(grep "^--lr 0.0001 --hidden 4 .*,43,0,10,0," "$tmp/runs.csv" | cut -d, -f4- | sed "$timings")" = \
		"$(sed "$timings" "$tmp/direct")" ]

# The summary ranks on validation accuracy, with test accuracy beside it.
printf '%s\n' "$out" >"$tmp/summary"
check "the summary says it ranks on val_acc" grep -q '^ranked by mean val_acc' "$tmp/summary"
check "summary has a title, a header and 4 ranked rows" [ "$(wc -l <"$tmp/summary")" -eq 6 ]
check "summary columns: val_acc ranks, test_acc beside it, then the swept flags" \
	grep -Eq "^rank +val_acc ± sd +test_acc +train_acc +time_s +ok +lr +hidden$" "$tmp/summary"
check "summary ranks are 1..4" [ "$(tail -n +3 "$tmp/summary" | awk '{ printf "%s ", $1 }')" = "1 2 3 4 " ]
check "summary val_acc never increases down the table" \
	awk 'NR > 2 { if (NR > 3 && $2 > prev) exit 1; prev = $2 }' "$tmp/summary"
# Mean and sd of val_acc, and mean test_acc, per configuration straight from the CSV.
csv_cut "$tmp/runs.csv" lr hidden val_acc test_acc | awk -F, '{ k = $1 " " $2; n[k]++; s[k] += $3; q[k] += $3 * $3; t[k] += $4 }
	END { for (k in n) { m = s[k] / n[k]; v = (q[k] - n[k] * m * m) / (n[k] - 1)
		printf "%s %.4f %.4f %.4f\n", k, m, sqrt(v > 0 ? v : 0), t[k] / n[k] } }' | sort >"$tmp/want_means"
awk 'NR > 2 { print $(NF - 1), $NF, $2, $4, $5 }' "$tmp/summary" | sort >"$tmp/got_means"
check "summary mean ± sd of val_acc and mean test_acc equal the CSV's" cmp -s "$tmp/want_means" "$tmp/got_means"
check "each finished run says [k/N] once, k = 1..8" \
	[ "$(printf '%s\n' "$err" | sed -n 's/^sweep: \[\([0-9]*\)\/8\] .*/\1/p' | sort -n | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 " ]
check "... with the time left, and done at the last" \
	sh -c '[ "$(printf "%s\n" "$1" | grep -c "^sweep: \[[1-7]/8\] .*about [0-9]*m[0-9][0-9]s left$")" -eq 7 ] &&
		printf "%s\n" "$1" | grep -q "^sweep: \[8/8\] .*; done$"' sh "$err"

# ---- resume ----
sweep $grid --out "$tmp/runs.csv" -- $common
check "re-running a finished sweep runs nothing ($err)" says "8 already in .*, 0 to run"
check "... and adds no rows" [ "$(rows "$tmp/runs.csv")" -eq 8 ]
# Drop three rows and leave half a line, as a crash in the middle of a write would.
head -n 6 "$tmp/runs.csv" >"$tmp/cut.csv"
printf '%s' "--lr 0.0001 --hidden 4 --iters 30 --da" >>"$tmp/cut.csv"
sweep $grid --out "$tmp/cut.csv" -- $common
check "resume runs only the 3 missing runs ($err)" says "5 already in .*, 3 to run"
check "after resume: 8 complete runs" [ "$(grep -c ',final,' "$tmp/cut.csv")" -eq 8 ]
check "after resume: no run twice" unique_runs "$tmp/cut.csv"
check "the half line stays on its own line, not glued to a new row" \
	[ "$(grep -c '^--lr 0.0001 --hidden 4 --iters 30 --da$' "$tmp/cut.csv")" -eq 1 ]

# ---- a full disk: a failed append fails the sweep, and no row is ever cut ----
# A file size limit stands in for the full disk: writes past 1024 bytes fail (EFBIG), the
# second row part-way.
mkdir "$tmp/full"
(trap '' XFSZ; ulimit -f 2; exec timeout -k 5 120 sh "$SWEEP" $grid --out "$tmp/full/runs.csv" -- $common) \
	>"$tmp/out" 2>"$tmp/err"
status=$?
err=$(cat "$tmp/err")
check "a sweep whose rows cannot be written exits 1 ($status)" [ "$status" -eq 1 ]
check "... naming the CSV ($err)" says "$tmp/full/runs.csv.*cannot append"
check "... with no row cut" complete_rows "$tmp/full/runs.csv"
check "... and stops: it does not run the other 6" [ "$(printf '%s\n' "$err" | grep -c '\[[0-9]*/8\] ok')" -le 2 ]

# ---- --out must be a regular file or not exist ----
mkdir "$tmp/dir.csv"
mkfifo "$tmp/fifo.csv"
STUB_LOG="$tmp/outlog" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/dir.csv" -- $common
check "--out a directory exits 2 at once ($status)" [ "$status" -eq 2 ]
check "... naming --out in one line ($err)" one_line_naming "$err" "--out"
check "... and runs nothing" [ ! -e "$tmp/outlog" ]
for dev in /dev/full /dev/null "$tmp/fifo.csv"; do
	STUB_LOG="$tmp/outlog" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$dev" -- $common
	check "--out $dev exits 2 at once, not a hang ($status)" [ "$status" -eq 2 ]
	check "... naming --out ($err)" one_line_naming "$err" "--out"
	check "... and runs nothing" [ ! -e "$tmp/outlog" ]
done

# ---- two sweeps on one CSV run each run once ----
STUB_SLEEP=0.3 STUB_SLEEP_SEED=any timeout -k 5 120 sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/shared.csv" -- $common >/dev/null 2>"$tmp/shared1.err" &
first=$!
STUB_SLEEP=0.3 STUB_SLEEP_SEED=any timeout -k 5 120 sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/shared.csv" -- $common >/dev/null 2>"$tmp/shared2.err"
second_status=$?
wait "$first"
first_status=$?
check "two sweeps sharing a CSV both exit 0 ($first_status, $second_status)" \
	[ "$first_status" -eq 0 -a "$second_status" -eq 0 ]
check "... and record each of the 8 runs exactly once" \
	all '[ "$(rows "$tmp/shared.csv")" -eq 8 ]' 'unique_runs "$tmp/shared.csv"'
check "... in complete rows" complete_rows "$tmp/shared.csv"
rm -f "$tmp"/started.*

# ---- a sweep killed with -9 takes its runs with it; a resume runs each once ----
STUB_SLEEP=30 STUB_SLEEP_SEED=any setsid sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/nine.csv" -- $common >/dev/null 2>"$tmp/nine.err" &
pid=$!
wait_started 2
check "two runs were in flight when the sweep was killed" [ "$(ls "$tmp" | grep -c '^started\.')" -eq 2 ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sweep $grid --bptrain "$tmp/stub" --out "$tmp/nine.csv" -- $common
check "the resume after kill -9 exits 0 ($err)" [ "$status" -eq 0 ]
i=0
while alive "$tmp"/started.* && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "the killed sweep's runs are gone within 5 s of it" gone "$tmp"/started.*
# Whatever is left of the killed sweep (its process group) may still append: wait for it.
i=0
while kill -0 -"$pid" 2>/dev/null && [ $i -lt 400 ]; do sleep 0.1; i=$((i + 1)); done
check "after the resume: 8 runs, each recorded once" \
	all '[ "$(rows "$tmp/nine.csv")" -eq 8 ]' 'unique_runs "$tmp/nine.csv"'
kill -KILL -"$pid" 2>/dev/null
rm -f "$tmp"/started.*

# ---- kill (SIGTERM) of the sweep alone stops its runs too ----
STUB_SLEEP=30 STUB_SLEEP_SEED=any setsid sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/term.csv" -- $common >/dev/null 2>"$tmp/term.err" &
pid=$!
wait_started 2
kill -TERM "$pid"
wait "$pid"
term_status=$?
check "a sweep killed with SIGTERM exits 1 ($term_status)" [ "$term_status" -eq 1 ]
check "... once its runs have stopped" gone "$tmp"/started.*
check "... recording none of them" [ "$(rows "$tmp/term.csv")" -eq 0 ]
kill -KILL -"$pid" 2>/dev/null
rm -f "$tmp"/started.*

# ---- Ctrl-C: the runs stop and record nothing, and nothing prints after the sweep exits ----
# A background job ignores SIGINT; env gives the sweep the default, as in a terminal.
STUB_SLEEP=30 STUB_SLEEP_SEED=43 env --default-signal=INT setsid sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/killed.csv" -- $common >/dev/null 2>"$tmp/killed.err" &
pid=$!
wait_started 2
check "two runs were in flight at the Ctrl-C" [ "$(ls "$tmp" | grep -c '^started\.')" -eq 2 ]
kill -INT -"$pid" # the terminal sends SIGINT to the whole foreground group
wait "$pid"
killed_status=$?
size=$(wc -c <"$tmp/killed.err")
sleep 2
check "an interrupted sweep exits 1 ($killed_status)" [ "$killed_status" -eq 1 ]
check "it says how to resume" grep -q "run the same command again to resume" "$tmp/killed.err"
check "... on its last line" sh -c 'tail -n 1 "$1" | grep -q "resume"' sh "$tmp/killed.err"
check "nothing is printed after it exits" [ "$(wc -c <"$tmp/killed.err")" -eq "$size" ]
check "... nor sh's notes of killed processes" sh -c '! grep -q Terminated "$1"' sh "$tmp/killed.err"
check "its runs have stopped" gone "$tmp"/started.*
check "the two finished runs are recorded, the interrupted ones are not" \
	[ "$(csv_cut "$tmp/killed.csv" seed | tr '\n' ' ')" = "42 42 " ]
check "... as complete rows" complete_rows "$tmp/killed.csv"
sweep $grid --out "$tmp/killed.csv" -- $common
check "the interrupted sweep resumes: 6 to run ($err)" says "2 already in .*, 6 to run"
check "... to 8 rows, all complete, none twice" \
	all '[ "$(rows "$tmp/killed.csv")" -eq 8 ]' 'complete_rows "$tmp/killed.csv"' 'unique_runs "$tmp/killed.csv"'
kill -KILL -"$pid" 2>/dev/null
rm -f "$tmp"/started.*

# ---- failures are recorded, not dropped ----
bad="--lr 0.5,1e6 --hidden 8,0 --iters 30 --out $tmp/fail.csv -- --data $tmp/tiny --batch 10 --init-std 10 --val 10"
sweep $bad
check "a sweep with failing runs still exits 0 ($status)" [ "$status" -eq 0 ]
check "failing sweep: all 4 runs recorded" [ "$(rows "$tmp/fail.csv")" -eq 4 ]
check "a usage failure is recorded as failed, exit 2, its error, its seed" \
	grep -q '^--lr 0.5 --hidden 0 [^,]*,2,bptrain: --hidden: .*,42,.*$' "$tmp/fail.csv"
check "... with status failed" [ "$(csv_cut "$tmp/fail.csv" hidden status | grep -c '^,failed$')" -eq 2 ]
check "a diverged run is bptrain's record, status diverged, exit 1" \
	grep -q '^--lr 1e6 --hidden 8 [^,]*,1,"*bptrain: training diverged.*,final,.*,diverged,' "$tmp/fail.csv"
check "the rows are complete" complete_rows "$tmp/fail.csv"
check "the summary says how many failed" says "3 of 4 runs failed"
check "the one good configuration ranks first" \
	sh -c 'printf "%s\n" "$1" | sed -n 3p | grep -Eq "^ +1 +1\.0000 .* 1/1 +0\.5 +8$"' sh "$out"
check "failed configurations rank last with 0/1 ok" [ "$(printf '%s\n' "$out" | tail -n 3 | grep -c ' 0/1 ')" -eq 3 ]
sweep $bad
check "recorded failures are not re-run" says ", 0 to run"

# ---- random search ----
rand="--random 8 --lr 0.001:1:log --hidden 2:40 --activation relu,sigmoid --iters 30"
sweep $rand --sweep-seed 7 --dry-run --out "$tmp/rand.csv" -- $common
first=$out
sweep $rand --sweep-seed 7 --dry-run --out "$tmp/rand.csv" -- $common
check "random search: the same --sweep-seed gives the same runs" [ -n "$first" -a "$first" = "$out" ]
check "random search: 8 runs" [ "$(printf '%s\n' "$first" | wc -l)" -eq 8 ]
sweep $rand --sweep-seed 8 --dry-run --out "$tmp/rand.csv" -- $common
check "random search: another seed, other runs" [ "$first" != "$out" ]
printf '%s\n' "$first" | tr -d "'" |
	sed 's/.* --lr \([^ ]*\) --hidden \([^ ]*\) --activation \([^ ]*\) .*/\1 \2 \3/' >"$tmp/samples"
check "lr samples lie in [0.001, 1]" awk '{ if ($1 < 0.001 || $1 > 1) exit 1 }' "$tmp/samples"
# Half of a log-uniform sample lies below the geometric middle 0.0316; a uniform one would
# put 3% there.
check "log-uniform lr: at least 3 of 8 samples below 0.0316" awk '$1 < 0.0316 { lo++ } END { exit !(lo >= 3) }' "$tmp/samples"
check "hidden samples are integers in [2, 40]" awk '{ if ($2 !~ /^[0-9]+$/ || $2 < 2 || $2 > 40) exit 1 }' "$tmp/samples"
check "list values are picked from the list" awk '$3 != "relu" && $3 != "sigmoid" { exit 1 }' "$tmp/samples"
sweep $rand --sweep-seed 7 -j 2 --out "$tmp/rand.csv" --plot "$tmp/rand.svg" -- $common
check "random sweep runs and records 8 rows ($err)" [ "$status" -eq 0 -a "$(rows "$tmp/rand.csv")" -eq 8 ]
rx() { xmllint --xpath "$1" "$tmp/rand.svg" 2>/dev/null; }
check "random sweep plot: a dot per run, no mean lines (no lr repeats), no heatmap" \
	[ "$(rx "count(//*[@class='run'])")" = 8 -a "$(rx "count(//*[@class='mean'])")" = 0 -a \
		"$(rx "count(//*[@class='cell'])")" = 0 ]
check "... coloured on a scale of hidden (8 values, numbers)" \
	[ "$(rx "count(//*[@class='run'][@fill='#1f77b4'])")" -lt 8 ]

# ---- the plot: drawn by bptrain --plot-sweep, a heatmap for the 2-D grid ----
sweep $grid --out "$tmp/runs.csv" --plot "$tmp/sweep.svg" -- $common
check "--plot writes well-formed XML ($err)" xmllint --noout "$tmp/sweep.svg"
top=$(printf '%s\n' "$out" | awk 'NR == 3 { print $2 }')
run_bptrain --plot-sweep "$tmp/runs.csv" --x lr --color hidden --plot "$tmp/direct.svg"
check "the sweep's plot is bptrain's own --plot-sweep --x lr --color hidden" cmp -s "$tmp/sweep.svg" "$tmp/direct.svg"
xp() { xmllint --xpath "$1" "$tmp/sweep.svg" 2>/dev/null; }
check "a dot per run" [ "$(xp "count(//*[local-name()='circle'][@class='run'])")" = 8 ]
check "dots coloured by hidden: two colours" \
	[ "$(xp "//*[@class='run']/@fill" | tr ' ' '\n' | grep -c . | tr -d ' ')" -ge 2 -a \
		"$(xp "//*[@class='run']/@fill" | tr ' ' '\n' | sort -u | grep -c fill)" -eq 2 ]
check "a mean line per hidden value" [ "$(xp "count(//*[@class='mean'])")" = 2 ]
check "a heatmap of 2 x 2 cells, one outlined" \
	[ "$(xp "count(//*[@class='cell'])")" = 4 -a "$(xp "count(//*[@class='best-cell'])")" = 1 ]
best_val=$(csv_cut "$tmp/runs.csv" val_acc | sort -g | tail -n 1)
check "the best run is ringed, with the highest val_acc ($best_val)" \
	sh -c 'xmllint --xpath "string(//*[@class=\"best\"]/*)" "$1" | grep -q ": val_acc $2\$"' sh "$tmp/sweep.svg" "$best_val"
check "the heatmap's best cell mean is the summary's best ($top)" \
	sh -c 'xmllint --xpath "//*[@class=\"cell\"]/*" "$1" | sed -n "s/.*mean val_acc \([0-9.]*\) of.*/\1/p" |
		awk -v t="$2" "{ if (\$1 > m) m = \$1 } END { exit !(sprintf(\"%.4f\", m) == t) }"' sh "$tmp/sweep.svg" "$top"
check "--plot leaves no temporary file" [ "$(ls "$tmp" | grep -c 'sweep.svg.')" -eq 0 ]

# ---- bptrain --plot-sweep on its own ----
expect_usage_error --plot-sweep --plot-sweep "$tmp/runs.csv" --plot "$tmp/p.svg"
expect_usage_error --x --x lr --plot "$tmp/p.svg"
expect_usage_error --color --color hidden
expect_usage_error --plot-sweep --plot-sweep "$tmp/runs.csv" --x lr --plot-runs "$tmp/runs.csv" --group lr --plot "$tmp/p.svg"
run_bptrain --plot-sweep "$tmp/runs.csv" --x nosuch --plot "$tmp/p.svg"
check "a missing column is a runtime error naming the file and the column ($err)" \
	all '[ "$status" -eq 1 ]' 'one_line_naming "$err" "$tmp/runs.csv:1: no '\''nosuch'\'' column"'
# bptrain's own CSV of three runs, concatenated (epoch rows and all): a dot per final record.
for act in relu sigmoid relu; do "$real" --activation $act --iters 30 $common --format csv 2>/dev/null; done >"$tmp/own.csv"
run_bptrain --plot-sweep "$tmp/own.csv" --x activation --plot "$tmp/own.svg"
ox() { xmllint --xpath "$1" "$tmp/own.svg" 2>/dev/null; }
check "--plot-sweep reads bptrain's own concatenated CSVs: a dot per final record ($err)" [ "$(ox "count(//*[@class='run'])")" = 3 ]
check "... a categorical x axis, its values in the order they appear" \
	[ "$(ox "//*[local-name()='text'][.='relu' or .='sigmoid']/text()" | tr '\n' ' ')" = "relu sigmoid " ]
check "... a mean line where x repeats" [ "$(ox "count(//*[@class='mean'])")" = 1 ]
check "... val_acc on the y axis when every run has one" [ "$(ox "string(//*[local-name()='title'][1])")" = \
	"bptrain sweep: val_acc of 3 runs by activation" ]
printf 'config,status,seed,lr,val_acc,test_acc,train_acc\n' >"$tmp/hand.csv"
for i in 1 2 3 4 5 6 7 8 9; do printf 'c%s,ok,42,0.%s,,0.%s,0.5\n' $i $i $i >>"$tmp/hand.csv"; done
printf 'c0,failed,42,,,,\n' >>"$tmp/hand.csv"
run_bptrain --plot-sweep "$tmp/hand.csv" --x lr --plot "$tmp/hand.svg"
check "without val_acc the y axis is test_acc; failed rows are left out ($err)" [ "$(xmllint --xpath \
	"string(//*[local-name()='title'][1])" "$tmp/hand.svg")" = "bptrain sweep: test_acc of 9 runs by lr" ]
run_bptrain --plot-sweep "$tmp/hand.csv" --x lr --metric train_acc --plot "$tmp/hand.svg"
check "--metric train_acc puts train_acc on the y axis ($err)" [ "$(xmllint --xpath \
	"string(//*[local-name()='title'][1])" "$tmp/hand.svg")" = "bptrain sweep: train_acc of 9 runs by lr" ]
run_bptrain --plot-sweep "$tmp/hand.csv" --x lr --color config --plot "$tmp/hand.svg"
check "a colour column of 9 names is an error naming the file ($err)" \
	all '[ "$status" -eq 1 ]' 'one_line_naming "$err" "more than 8 values of '\''config'\''"'
head -n 1 "$tmp/hand.csv" >"$tmp/empty.csv"
run_bptrain --plot-sweep "$tmp/empty.csv" --x lr --plot "$tmp/hand.svg"
check "no run that ended ok is an error ($err)" all '[ "$status" -eq 1 ]' 'one_line_naming "$err" "no run that ended ok"'

# ---- --threads 1 only when bptrain has --threads, and not when the user chose ----
STUB_LOG="$tmp/threads.log" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/t1.csv" -- $common
check "bptrain with --threads: each run gets --threads 1" grep -q -- '--threads 1 ' "$tmp/threads.log"
STUB_LOG="$tmp/threads2.log" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/t2.csv" -- $common --threads 2
check "-- --threads 2 is kept and no --threads 1 added" \
	sh -c 'grep -q -- "--threads 2" "$1" && ! grep -q -- "--threads 1" "$1"' sh "$tmp/threads2.log"
STUB_NO_THREADS=1 STUB_LOG="$tmp/threads3.log" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/t3.csv" -- $common
check "bptrain without --threads: no --threads flag ($err)" \
	sh -c '[ -s "$1" ] && ! grep -q -- --threads "$1"' sh "$tmp/threads3.log"

# ---- validation: --val 10000 unless given; without one, the summary says it ranks on test ----
sweep --lr 0.5 --iters 3 --dry-run --out "$tmp/v.csv"
check "a sweep adds --val 10000 to every run" sh -c 'printf "%s\n" "$1" | grep -q "'\''--val'\'' '\''10000'\''$"' sh "$out"
sweep --lr 0.5,0.05 --val 5,10 --iters 3 --dry-run --out "$tmp/v.csv" -- --data "$tmp/tiny"
check "... unless --val is swept" [ "$(printf '%s\n' "$out" | grep -o "'--val'" | wc -l)" -eq 4 ]
sweep --lr 0.5,0.05 --iters 30 --out "$tmp/noval.csv" -- --data "$tmp/tiny" --batch 10 --val 0
check "-- --val 0: no validation set ($err)" [ "$status" -eq 0 -a "$(csv_cut "$tmp/noval.csv" val | sort -u)" = 0 ]
check "... and the summary says it ranks on the test set" \
	sh -c 'printf "%s\n" "$1" | head -n 1 | grep -q "^ranked by mean test_acc: not every run has a validation set"' sh "$out"

# ---- hostile names and values: nothing but bptrain runs ----
# Paths with blanks, quotes, ; and $( ), a value with ; and $( ) and ` `, written to printed
# commands and to the Slurm script; each "touch PWNED" that ran would leave a file.
h="$tmp/a b'c;\$(touch PWNED1)\`touch PWNED2\`"
mkdir -p "$h/scripts" "$tmp/cwd"
cp "$SWEEP" "$h/scripts/sweep.sh"
cp "$tmp/stub" "$h/bp;touch PWNED3"
evil="--activation relu;touch\${IFS}PWNED4 --init \$(touch\${IFS}PWNED5)\`touch\${IFS}PWNED6\`"
cd "$tmp/cwd" || exit 1
timeout 60 sh "$h/scripts/sweep.sh" --lr 0.5 $evil --iters 3 --bptrain "$h/bp;touch PWNED3" \
	--out "$h/runs;touch PWNED7.csv" --dry-run -- $common >"$tmp/cmds" 2>"$tmp/err"
check "--dry-run with hostile names prints a command ($(cat "$tmp/err"))" [ -s "$tmp/cmds" ]
STUB_LOG="$tmp/evil.log" timeout 60 sh "$tmp/cmds" 2>/dev/null
check "the printed commands, fed to sh, run nothing but bptrain" pwned
check "... and hand bptrain the hostile values unchanged" grep -qF -- "--activation relu;touch\${IFS}PWNED4 --init \$(touch" "$tmp/evil.log"
check "... which records the run (bptrain refuses the value)" grep -q ',2,bptrain: --activation' "$h/runs;touch PWNED7.csv"
# The issue's own two: a path with a blank (sh would run the program named by its first
# part, here one that leaves a file) and a value with ; in the printed commands.
mkdir -p "$tmp/pw/my dir/scripts"
printf 'touch PWNED11\n' >"$tmp/pw/my"
cp "$SWEEP" "$tmp/pw/my dir/scripts/sweep.sh"
timeout 60 sh "$tmp/pw/my dir/scripts/sweep.sh" --lr 0.5 --activation 'relu;touch${IFS}PWNED12;' \
	--iters 3 --bptrain "$tmp/stub" --out "$tmp/pw/my dir/runs.csv" --dry-run -- $common >"$tmp/cmds2" 2>"$tmp/err"
STUB_LOG="$tmp/evil2.log" timeout 60 sh "$tmp/cmds2" >/dev/null 2>&1
check "--dry-run's commands run the script of a path with a blank, and a value with ; stays a value" \
	all pwned '[ -s "$tmp/evil2.log" ]'
nl="$h/job
touch PWNED8
.slurm"
timeout 60 sh "$h/scripts/sweep.sh" --lr 0.5 $evil --iters 3 --bptrain "$h/bp;touch PWNED3" \
	--out "$h/slurm;touch PWNED9.csv" --emit-slurm "$nl" -- $common 2>"$tmp/err"
check "--emit-slurm with hostile names writes a valid script ($(cat "$tmp/err"))" sh -n "$nl"
SLURM_ARRAY_TASK_ID=1 STUB_LOG="$tmp/evil_slurm.log" timeout 60 sh "$nl" 2>/dev/null
check "the Slurm task runs nothing but bptrain" pwned
check "... with the same arguments as the printed command" cmp -s "$tmp/evil.log" "$tmp/evil_slurm.log"
check "its #SBATCH lines are one per option, the log names quoted" \
	sh -c '[ "$(grep -c "^#SBATCH \"--output=" "$1")" -eq 1 ] && [ "$(grep -c "^#SBATCH" "$1")" -eq 8 ]' sh "$nl"
timeout 60 sh "$h/scripts/sweep.sh" --lr 0.5 --iters 3 --bptrain "$real" --out "$h/x
touch PWNED10.csv" --emit-slurm "$tmp/nl.slurm" -- $common 2>"$tmp/err"
check "a line break in the CSV's name is refused for Slurm, as no #SBATCH line can hold it" \
	[ $? -eq 2 -a ! -e "$tmp/nl.slurm" ]
cd - >/dev/null || exit 1
check "no hostile name ran anything" pwned

# ---- Slurm: the generated script runs the same per-task commands as the local runner ----
slurm_grid="--lr 0.5,0.05 --hidden 8/4,8 --iters 30 --repeats 2"
sweep $slurm_grid -j 3 --out "$tmp/slurm.csv" --emit-slurm "$tmp/sweep.slurm" -- $common
check "--emit-slurm exits 0 ($err)" [ "$status" -eq 0 ]
check "--emit-slurm runs nothing" [ ! -e "$tmp/slurm.csv" ]
check "the Slurm script is valid sh" sh -n "$tmp/sweep.slurm"
check "it is a job array of 8 tasks, 3 at a time" grep -qx '#SBATCH --array=1-8%3' "$tmp/sweep.slurm"
check "one CPU per task" grep -qx '#SBATCH --cpus-per-task=1' "$tmp/sweep.slurm"
check "default time and memory limits" \
	sh -c 'grep -qx "#SBATCH --time=1:00:00" "$1" && grep -qx "#SBATCH --mem=1G" "$1"' sh "$tmp/sweep.slurm"
check "its output and error files are next to the CSV" \
	sh -c 'grep -qxF "#SBATCH \"--output=$2/slurm-%A_%a.out\"" "$1" && grep -qxF "#SBATCH \"--error=$2/slurm-%A_%a.err\"" "$1"' \
	sh "$tmp/sweep.slurm" "$tmp"
sweep --lr 0.5 --iters 3 --slurm-time 2-00:30:00 --slurm-mem 300M --out "$tmp/x.csv" --emit-slurm "$tmp/t.slurm" -- --threads 2
check "--slurm-time, --slurm-mem and -- --threads 2 reach the #SBATCH lines" \
	sh -c 'grep -qx "#SBATCH --time=2-00:30:00" "$1" && grep -qx "#SBATCH --mem=300M" "$1" &&
		grep -qx "#SBATCH --cpus-per-task=2" "$1"' sh "$tmp/t.slurm"
# Run every task as Slurm would, then the same sweep locally: same rows but for timings.
i=1
while [ $i -le 8 ]; do
	SLURM_ARRAY_TASK_ID=$i sh "$tmp/sweep.slurm" 2>/dev/null
	i=$((i + 1))
done
check "the 8 Slurm tasks append 8 rows" [ "$(rows "$tmp/slurm.csv")" -eq 8 ]
check "... in the sweep CSV format" complete_rows "$tmp/slurm.csv"
sweep $slurm_grid -j 2 --out "$tmp/local.csv" -- $common
check "Slurm rows equal the local runner's rows (timings aside)" [ "$(untimed "$tmp/slurm.csv")" = "$(untimed "$tmp/local.csv")" ]
SLURM_ARRAY_TASK_ID=3 sh "$tmp/sweep.slurm" 2>/dev/null
check "a resubmitted task skips its recorded run" [ "$(rows "$tmp/slurm.csv")" -eq 8 ]
SLURM_ARRAY_TASK_ID=9 sh "$tmp/sweep.slurm" 2>/dev/null
check "a task number past the end fails" [ $? -ne 0 ]
# With the argument-logging stub: the printed commands and the tasks call bptrain alike.
sweep $slurm_grid --bptrain "$tmp/stub" --out "$tmp/stub_slurm.csv" --emit-slurm "$tmp/stub.slurm" -- $common
sweep $slurm_grid --bptrain "$tmp/stub" --out "$tmp/stub_dry.csv" --dry-run -- $common
printf '%s\n' "$out" >"$tmp/stub_cmds"
i=1
while [ $i -le 8 ]; do
	SLURM_ARRAY_TASK_ID=$i STUB_LOG="$tmp/args_slurm" sh "$tmp/stub.slurm" 2>/dev/null
	sed -n "${i}p" "$tmp/stub_cmds" | STUB_LOG="$tmp/args_dry" sh 2>/dev/null
	i=$((i + 1))
done
STUB_LOG="$tmp/args_local" sweep $slurm_grid -j 2 --bptrain "$tmp/stub" --out "$tmp/stub_local.csv" -- $common
sort "$tmp/args_local" >"$tmp/a2"
check "task i runs the i-th printed command (--dry-run)" all '[ -s "$tmp/args_slurm" ]' 'cmp -s "$tmp/args_slurm" "$tmp/args_dry"'
check "Slurm tasks and local runs call bptrain with the same arguments" \
	[ "$(sort "$tmp/args_slurm")" = "$(cat "$tmp/a2")" ]
check "a --hidden 8/4 value reaches bptrain as 8,4" grep -q -- '--hidden 8,4 ' "$tmp/a2"

# ---- usage errors exit 2 with a message ----
expect_usage() {
	sweep "$@"
	check "'$*' exits 2 ($status: $err)" [ "$status" -eq 2 ]
	check "'$*' explains itself" [ -n "$err" ]
}
expect_usage --lr 0.001:1 --out "$tmp/u.csv"
expect_usage --bogus 1,2 --out "$tmp/u.csv"
expect_usage --lr
expect_usage --lr 0.1,,0.2
expect_usage --lr 1:0.1 --random 3
expect_usage --lr 0:1:log --random 3
expect_usage --lr 0.1 --seed 1,2 --repeats 2
expect_usage --lr 0.1 --random 0
expect_usage --lr 0.1 -j x
expect_usage --lr 0.1 --plot x.png
expect_usage --lr 0.1 --format csv
expect_usage --lr 0.1 --slurm-time 1h --emit-slurm "$tmp/u.slurm"
expect_usage --lr 0.1 --slurm-mem lots --emit-slurm "$tmp/u.slurm"
expect_usage --lr 0.1 -- --hidden 8,4
expect_usage --lr "0.1 0.2"
expect_usage
check "no usage error wrote a file" [ ! -e "$tmp/u.csv" -a ! -e "$tmp/u.slurm" ]
sweep --help
check "--help exits 0 and shows the usage" sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "^usage: scripts/sweep.sh"' sh "$status" "$out"

# ---- on MNIST: the default --val 10000 ----
require_mnist test_sweep
sweep --lr 0.5,0.05 --iters 20 -j 2 --out "$tmp/mnist.csv" -- --data "$data"
check "on MNIST, the default runs hold out 10000 images ($err)" \
	[ "$(csv_cut "$tmp/mnist.csv" val status | sort -u)" = "10000,ok" ]
check "... and rank on their val_acc" sh -c 'printf "%s\n" "$1" | grep -q "^ranked by mean val_acc"' sh "$out"

# A finished sweep leaves no process behind: each run's watchdog ends with its run. (One was
# found polling forever for its run's pid file after a test that ran a sweep was killed and
# its directory removed; the watchdog now also ends when the run's directory is gone.)
sweep --lr 0.1,0.5 --iters 3 --batch 10 --hidden 4 --val 10 --data "$tmp/tiny" \
	--out "$tmp/leftover.csv"
sleep 2
check "no process of a finished sweep remains" \
	sh -c '! ps -eo args= | grep -F -- "--run-one $1" | grep -v grep >/dev/null' sh "$tmp/leftover.csv"

report test_sweep
