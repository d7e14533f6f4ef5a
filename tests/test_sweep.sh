#!/bin/sh
# test_sweep: scripts/sweep.sh on a tiny synthetic data set: row counts, resume, a killed
# sweep, failure recording, summary order, random search, the summary SVG, and that the
# generated Slurm script runs exactly the commands the local runner does.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SWEEP=scripts/sweep.sh

for tool in xmllint setsid; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "test_sweep: $tool is missing (xmllint: libxml2-utils; setsid: util-linux): run .ci/run" >&2
		fail=$((fail + 1))
		report test_sweep
		exit 1
	fi
done

write_tiny_mnist "$tmp/tiny" 30
real=$(cd "$(dirname "$BPTRAIN")" && pwd)/$(basename "$BPTRAIN")
common="--data $tmp/tiny --batch 10 --init-std 0.1"

# A stand-in for bptrain that logs each run's arguments, can pretend to have --threads,
# can sleep (to be killed mid-run), and otherwise runs the real bptrain.
cat >"$tmp/stub" <<EOF
#!/bin/sh
if [ "\$1" = --help ]; then
	"$real" --help | grep -v -- --threads
	[ -z "\${STUB_THREADS:-}" ] || echo "  --threads N         worker threads"
	exit 0
fi
[ -z "\${STUB_LOG:-}" ] || printf '%s\n' "\$*" >>"\$STUB_LOG"
case " \$* " in *" --seed \${STUB_SLEEP_SEED:-none} "*) STUB_SLEEP=\${STUB_SLEEP:-0} ;; *) STUB_SLEEP= ;; esac
if [ -n "\$STUB_SLEEP" ]; then
	: >"$tmp/started.\$\$"
	sleep "\$STUB_SLEEP"
fi
if [ -n "\${STUB_THREADS:-}" ]; then
	echo "train_acc=0.5000 test_acc=0.5000 loss=1.0000 train_s=0.100 total_s=0.200 status=ok"
	exit 0
fi
exec "$real" "\$@"
EOF
chmod +x "$tmp/stub"

# sweep ARGS...: run the sweep, stdout in $out, stderr in $err, exit status in $status.
sweep() {
	sh "$SWEEP" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
rows() { tail -n +2 "$1" | wc -l | tr -d ' '; }
complete_rows() { awk -F, 'NR > 1 && NF != 10 { bad = 1 } END { exit bad }' "$1"; }
unique_runs() { [ "$(tail -n +2 "$1" | cut -d, -f1,2 | sort | uniq -d | wc -l)" -eq 0 ]; }

# ---- a grid with repeats, two at a time ----
grid="--lr 0.5,0.0001 --hidden 8,4 --iters 30 --repeats 2 -j 2"
sweep $grid --out "$tmp/runs.csv" -- $common
check "grid sweep exits 0 ($err)" [ "$status" -eq 0 ]
check "grid: 2 x 2 configurations x 2 seeds = 8 rows" [ "$(rows "$tmp/runs.csv")" -eq 8 ]
check "the CSV starts with its header" \
	[ "$(head -n 1 "$tmp/runs.csv")" = "config,seed,train_acc,test_acc,loss,train_s,total_s,status,exit,error" ]
check "every row has 10 fields" complete_rows "$tmp/runs.csv"
check "no run is recorded twice" unique_runs "$tmp/runs.csv"
check "repeats use seeds 42 and 43" [ "$(tail -n +2 "$tmp/runs.csv" | cut -d, -f2 | sort -u | tr '\n' ' ')" = "42 43 " ]
check "all runs ok with exit 0" [ "$(tail -n +2 "$tmp/runs.csv" | cut -d, -f8,9 | sort -u)" = "ok,0" ]
check "rows record the configuration" grep -q "^--lr 0.0001 --hidden 4 --iters 30 --data $tmp/tiny --batch 10 --init-std 0.1,43," "$tmp/runs.csv"
# A row's accuracy is what bptrain itself reports for that configuration and seed.
"$real" --lr 0.0001 --hidden 4 --iters 30 $common --seed 43 -q >"$tmp/direct"
direct=$(sed 's/.*test_acc=\([0-9.]*\).*/\1/' "$tmp/direct")
check "a row's test_acc equals bptrain's own for that run ($direct)" \
	grep -q "^--lr 0.0001 --hidden 4 .*,43,[0-9.]*,$direct," "$tmp/runs.csv"

# The summary: configurations by mean test accuracy, means equal to the CSV's.
printf '%s\n' "$out" >"$tmp/summary"
check "summary has a header and 4 ranked rows" [ "$(wc -l <"$tmp/summary")" -eq 5 ]
check "summary columns name the swept flags" \
	sh -c 'head -n 1 "$1" | grep -Eq "^rank +test_acc ± sd +train_acc +time_s +ok +lr +hidden$"' sh "$tmp/summary"
check "summary ranks are 1..4" [ "$(tail -n +2 "$tmp/summary" | awk '{ printf "%s ", $1 }')" = "1 2 3 4 " ]
check "summary test_acc never increases down the table" \
	awk 'NR > 1 { if (NR > 2 && $2 > prev) exit 1; prev = $2 }' "$tmp/summary"
check "the best configuration has lr 0.5" [ "$(awk 'NR == 2 { print $(NF - 1) }' "$tmp/summary")" = 0.5 ]
# Mean and sd of each configuration straight from the CSV, compared with the table.
awk -F, 'NR > 1 { split($1, w, " "); k = w[2] " " w[4]; n[k]++; s[k] += $4; q[k] += $4 * $4 }
	END { for (k in n) { m = s[k] / n[k]; v = (q[k] - n[k] * m * m) / (n[k] - 1)
		printf "%s %.4f %.4f\n", k, m, sqrt(v > 0 ? v : 0) } }' "$tmp/runs.csv" | sort >"$tmp/want_means"
awk 'NR > 1 { print $(NF - 1), $NF, $2, $4 }' "$tmp/summary" | sort >"$tmp/got_means"
check "summary mean ± sd per configuration equal the CSV's" cmp -s "$tmp/want_means" "$tmp/got_means"

# ---- resume ----
sweep $grid --out "$tmp/runs.csv" -- $common
check "re-running a finished sweep runs nothing ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q "8 already in .*, 0 to run"' sh "$err"
check "... and adds no rows" [ "$(rows "$tmp/runs.csv")" -eq 8 ]
# Drop three rows and leave half a line, as a crash in the middle of a write would.
head -n 6 "$tmp/runs.csv" >"$tmp/cut.csv"
printf '%s' "--lr 0.0001 --hidden 4 --iters 30 --da" >>"$tmp/cut.csv"
sweep $grid --out "$tmp/cut.csv" -- $common
check "resume runs only the 3 missing runs ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q "5 already in .*, 3 to run"' sh "$err"
check "after resume: 8 complete runs" \
	[ "$(awk -F, 'NR > 1 && NF == 10' "$tmp/cut.csv" | wc -l)" -eq 8 ]
check "after resume: no run twice" unique_runs "$tmp/cut.csv"
check "the half line stays on its own line, not glued to a new row" \
	[ "$(grep -c '^--lr 0.0001 --hidden 4 --iters 30 --da$' "$tmp/cut.csv")" -eq 1 ]

# ---- a sweep killed mid-run keeps its finished rows, leaves none for the killed runs ----
# Runs with seed 43 hang (the stub sleeps), so with -j 2 the sweep ends up with both slots
# on a seed-43 run after finishing two seed-42 runs; then it is killed.
rm -f "$tmp"/started.*
STUB_SLEEP=60 STUB_SLEEP_SEED=43 setsid sh "$SWEEP" $grid --bptrain "$tmp/stub" \
	--out "$tmp/killed.csv" -- $common >/dev/null 2>"$tmp/killed.err" &
pid=$!
i=0
while [ "$(ls "$tmp" | grep -c '^started\.')" -lt 2 ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "two runs were in flight when the sweep was killed" [ "$(ls "$tmp" | grep -c '^started\.')" -eq 2 ]
kill -TERM "-$pid"
wait "$pid"
killed_status=$?
# Its workers were killed too; let any straggler finish before looking at the CSV.
i=0
while kill -0 "-$pid" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "a killed sweep exits 1 ($killed_status)" [ "$killed_status" -eq 1 ]
check "it says how to resume" grep -q "run the same command again to resume" "$tmp/killed.err"
check "the two finished runs are recorded, the killed ones are not" \
	[ "$(tail -n +2 "$tmp/killed.csv" | cut -d, -f2 | tr '\n' ' ')" = "42 42 " ]
check "... as complete rows" complete_rows "$tmp/killed.csv"
sweep $grid --out "$tmp/killed.csv" -- $common
check "the killed sweep resumes: 6 to run ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q "2 already in .*, 6 to run"' sh "$err"
check "... to 8 rows" [ "$(rows "$tmp/killed.csv")" -eq 8 ]
check "... all complete" complete_rows "$tmp/killed.csv"
check "... none twice" unique_runs "$tmp/killed.csv"

# ---- failures are recorded, not dropped ----
sweep --lr 0.5,1e6 --hidden 8,0 --iters 30 --out "$tmp/fail.csv" -- --data "$tmp/tiny" --batch 10 --init-std 10
check "a sweep with failing runs still exits 0 ($status)" [ "$status" -eq 0 ]
check "failing sweep: all 4 runs recorded" [ "$(rows "$tmp/fail.csv")" -eq 4 ]
check "a usage failure is recorded as failed with exit 2 and the error" \
	grep -q '^--lr 0.5 --hidden 0 .*,42,,,,,[0-9]*,failed,2,bptrain: --hidden' "$tmp/fail.csv"
check "a diverged run is recorded as diverged with exit 1" \
	grep -q '^--lr 1e6 --hidden 8 .*,42,,,,[0-9.]*,[0-9.]*,diverged,1,bptrain: training diverged' "$tmp/fail.csv"
check "the summary says how many failed" sh -c 'printf "%s\n" "$1" | grep -q "3 of 4 runs failed"' sh "$err"
check "the one good configuration ranks first" \
	sh -c 'printf "%s\n" "$1" | sed -n 2p | grep -Eq "^ +1 +1\.0000 .* 1/1 +0\.5 +8$"' sh "$out"
check "failed configurations rank last with 0/1 ok" \
	[ "$(printf '%s\n' "$out" | tail -n 3 | grep -c ' 0/1 ')" -eq 3 ]
sweep --lr 0.5,1e6 --hidden 8,0 --iters 30 --out "$tmp/fail.csv" -- --data "$tmp/tiny" --batch 10 --init-std 10
check "recorded failures are not re-run" sh -c 'printf "%s\n" "$1" | grep -q ", 0 to run"' sh "$err"

# ---- random search ----
rand="--random 8 --lr 0.001:1:log --hidden 2:40 --activation relu,sigmoid --iters 30"
sweep $rand --sweep-seed 7 --dry-run --out "$tmp/rand.csv" -- $common
first=$out
sweep $rand --sweep-seed 7 --dry-run --out "$tmp/rand.csv" -- $common
check "random search: the same --sweep-seed gives the same runs" [ -n "$first" -a "$first" = "$out" ]
check "random search: 8 runs" [ "$(printf '%s\n' "$first" | wc -l)" -eq 8 ]
sweep $rand --sweep-seed 8 --dry-run --out "$tmp/rand.csv" -- $common
check "random search: another seed, other runs" [ "$first" != "$out" ]
printf '%s\n' "$first" | sed 's/.* --lr \([^ ]*\) --hidden \([^ ]*\) --activation \([^ ]*\) .*/\1 \2 \3/' >"$tmp/samples"
check "lr samples lie in [0.001, 1]" awk '{ if ($1 < 0.001 || $1 > 1) exit 1 }' "$tmp/samples"
# Half of a log-uniform sample lies below the geometric middle 0.0316; a uniform one would
# put 3% there.
check "log-uniform lr: at least 3 of 8 samples below 0.0316" \
	awk '$1 < 0.0316 { lo++ } END { exit !(lo >= 3) }' "$tmp/samples"
check "hidden samples are integers in [2, 40]" \
	awk '{ if ($2 !~ /^[0-9]+$/ || $2 < 2 || $2 > 40) exit 1 }' "$tmp/samples"
check "list values are picked from the list" awk '$3 != "relu" && $3 != "sigmoid" { exit 1 }' "$tmp/samples"
sweep $rand --sweep-seed 7 -j 2 --out "$tmp/rand.csv" --plot "$tmp/rand.svg" -- $common
check "random sweep runs and records 8 rows ($err)" [ "$status" -eq 0 -a "$(rows "$tmp/rand.csv")" -eq 8 ]
check "random sweep plot: 8 dots per panel, no best-mean line (no value is shared)" \
	[ "$(xmllint --xpath "count(//*[@id='runs-lr']/*)" "$tmp/rand.svg")" = 8 -a \
		"$(xmllint --xpath "count(//*[@id='best-lr'])" "$tmp/rand.svg")" = 0 ]

# ---- the summary SVG ----
sweep $grid --out "$tmp/runs.csv" --plot "$tmp/sweep.svg" -- $common
check "--plot writes well-formed XML" xmllint --noout "$tmp/sweep.svg"
xp() { xmllint --xpath "$1" "$tmp/sweep.svg" 2>/dev/null; }
check "one panel per swept parameter (lr, hidden)" \
	[ "$(xp "count(//*[local-name()='g'][@class='panel'])")" = 2 ]
check "lr panel: one point per run" \
	[ "$(xp "count(//*[local-name()='g'][@id='runs-lr']/*[local-name()='circle'])")" = 8 ]
check "lr panel: one best-mean point per lr value" \
	[ "$(xp "count(//*[local-name()='g'][@id='best-lr']/*[local-name()='circle'])")" = 2 ]
best=$(awk 'NR == 2 { print $2 }' "$tmp/out")
check "the best mean at lr 0.5 is the table's best ($best)" \
	sh -c 'xmllint --xpath "string(//*[local-name()=\"g\"][@id=\"best-lr\"]/*/*[local-name()=\"title\"][starts-with(., \"lr 0.5:\")])" "$1" | grep -q "$2\$"' sh "$tmp/sweep.svg" "$best"
check "--plot leaves no temporary file" [ "$(ls "$tmp" | grep -c 'sweep.svg.')" -eq 0 ]

# ---- --threads 1 only when bptrain has --threads, and not when the user chose ----
STUB_THREADS=1 STUB_LOG="$tmp/threads.log" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/t1.csv"
check "bptrain with --threads: each run gets --threads 1" grep -q -- '--threads 1 ' "$tmp/threads.log"
STUB_THREADS=1 STUB_LOG="$tmp/threads2.log" sweep --lr 0.5 --iters 3 --bptrain "$tmp/stub" --out "$tmp/t2.csv" -- --threads 2
check "-- --threads 2 is kept and no --threads 1 added" \
	sh -c 'grep -q -- "--threads 2" "$1" && ! grep -q -- "--threads 1" "$1"' sh "$tmp/threads2.log"
STUB_LOG="$tmp/threads3.log" sweep --lr 0.5 --iters 3 $common --bptrain "$tmp/stub" --out "$tmp/t3.csv"
check "bptrain without --threads: no --threads flag ($err)" \
	sh -c '[ -s "$1" ] && ! grep -q -- --threads "$1"' sh "$tmp/threads3.log"

# ---- Slurm: the generated script runs the same per-task commands as the local runner ----
slurm_grid="--lr 0.5,0.05 --hidden 8/4,8 --iters 30 --repeats 2"
sweep $slurm_grid -j 3 --out "$tmp/slurm.csv" --emit-slurm "$tmp/sweep.slurm" -- $common
check "--emit-slurm exits 0 ($err)" [ "$status" -eq 0 ]
check "--emit-slurm runs nothing" [ ! -e "$tmp/slurm.csv" ]
check "the Slurm script is valid sh" sh -n "$tmp/sweep.slurm"
check "it is a job array of 8 tasks, 3 at a time" grep -qx '#SBATCH --array=1-8%3' "$tmp/sweep.slurm"
check "one CPU per task" grep -qx '#SBATCH --cpus-per-task=1' "$tmp/sweep.slurm"
sweep $slurm_grid --out "$tmp/slurm.csv" --dry-run -- $common
printf '%s\n' "$out" >"$tmp/local_cmds"
sed -n '/^run=/,/^RUNS$/p' "$tmp/sweep.slurm" | sed '1d;$d' >"$tmp/slurm_runs"
exec_line=$(grep '^exec sh ' "$tmp/sweep.slurm" | sed "s/'//g; s/^exec //; s/ \$run\$//")
sed "s|^|$exec_line |" "$tmp/slurm_runs" >"$tmp/slurm_cmds"
check "Slurm task commands = the local runner's commands (--dry-run)" cmp -s "$tmp/slurm_cmds" "$tmp/local_cmds"
# Run every task as Slurm would, then the same sweep locally: same rows but for timings.
i=1
while [ $i -le 8 ]; do
	SLURM_ARRAY_TASK_ID=$i STUB_LOG="$tmp/slurm_args" sh "$tmp/sweep.slurm" 2>/dev/null
	i=$((i + 1))
done
check "the 8 Slurm tasks append 8 rows" [ "$(rows "$tmp/slurm.csv")" -eq 8 ]
check "... in the sweep CSV format" complete_rows "$tmp/slurm.csv"
sweep $slurm_grid -j 2 --out "$tmp/local.csv" -- $common
cut -d, -f1-5,8,9 "$tmp/slurm.csv" | sort >"$tmp/slurm_rows"
cut -d, -f1-5,8,9 "$tmp/local.csv" | sort >"$tmp/local_rows"
check "Slurm rows equal the local runner's rows (timings aside)" cmp -s "$tmp/slurm_rows" "$tmp/local_rows"
SLURM_ARRAY_TASK_ID=3 sh "$tmp/sweep.slurm" 2>/dev/null
check "a resubmitted task skips its recorded run" [ "$(rows "$tmp/slurm.csv")" -eq 8 ]
SLURM_ARRAY_TASK_ID=9 sh "$tmp/sweep.slurm" 2>/dev/null
check "a task number past the end fails" [ $? -ne 0 ]
# With the argument-logging stub: the bptrain command lines themselves are the same.
sweep $slurm_grid --bptrain "$tmp/stub" --out "$tmp/stub_slurm.csv" --emit-slurm "$tmp/stub.slurm" -- $common
i=1
while [ $i -le 8 ]; do
	SLURM_ARRAY_TASK_ID=$i STUB_LOG="$tmp/args_slurm" sh "$tmp/stub.slurm" 2>/dev/null
	i=$((i + 1))
done
STUB_LOG="$tmp/args_local" sweep $slurm_grid -j 2 --bptrain "$tmp/stub" --out "$tmp/stub_local.csv" -- $common
sort "$tmp/args_slurm" >"$tmp/a1"
sort "$tmp/args_local" >"$tmp/a2"
check "Slurm tasks and local runs call bptrain with the same arguments" \
	[ -s "$tmp/a1" ] && cmp -s "$tmp/a1" "$tmp/a2"
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
expect_usage --lr 0.1 -- --hidden 8,4
expect_usage
check "no usage error wrote a CSV" [ ! -e "$tmp/u.csv" ]
sweep --help
check "--help exits 0 and shows the usage" sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "^usage: scripts/sweep.sh"' sh "$status" "$out"

report test_sweep
