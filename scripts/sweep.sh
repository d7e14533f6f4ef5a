#!/bin/sh
# sweep.sh - hyperparameter sweeps over bptrain: a grid or a random search, each configuration
# run with several seeds, N at a time. A run is claimed before it starts, so sweeps sharing a
# CSV, and resumes, never run it twice; its row (bptrain's own final CSV record after the
# sweep's columns) is appended in one write under a lock. Configurations are ranked on
# validation accuracy; --plot draws them with bptrain --plot-sweep; --emit-slurm writes the
# sweep as a Slurm job array. POSIX sh and awk, xargs -P and flock(1). See docs/sweeps.md.
set -u
set -f # flag values are never file patterns

say() { printf 'sweep: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
usage_error() { say "$* (see --help)"; exit 2; }

usage() {
	cat <<'EOF'
usage: scripts/sweep.sh [options] --FLAG VALUES ... [-- FLAGS FOR EVERY RUN]

Run bptrain over a grid (or a random sample) of flag values; rank the configurations on a
validation set (--val 10000, the training file's last images, unless --val is given).

  --FLAG a,b,c        a bptrain flag and its values; the grid is every combination
                      (in a --hidden value, / separates layers: --hidden 100/50,200)
  --FLAG lo:hi[:log]  with --random: a range, sampled uniformly (log-uniformly)
  --random N          random search: N configurations (--sweep-seed S, default 1)
  --repeats N         run each configuration with seeds 42, 43, ... (default 1)
  --seed a,b,c        ... or with these seeds
  -j, --jobs N        runs at once (default 1), each with --threads 1 unless given
  --out FILE          the CSV the rows are appended to (default runs.csv)
  --plot FILE.svg     draw the runs (bptrain --plot-sweep)
  --emit-slurm FILE   write a Slurm job-array script instead of running the sweep, with
  --slurm-time T      the time limit per run (default 1:00:00) and
  --slurm-mem M       the memory per run (default 1G)
  --bptrain PATH      the bptrain to run (default: the one next to scripts/, else PATH's)
  --dry-run           print the command of each run still to do

Values must not contain blanks, quotes or backslashes. Exit status: 0 every run is recorded
(failed runs as failed), 1 runtime failure or interrupted, 2 bad usage.
EOF
}

# The awk that several steps share: fields of bptrain's CSV (RFC 4180), sh quoting, columns.
LIB='
function csvsplit(s, f,    n) {
	for (n = 0; ; s = substr(s, RLENGTH + 2)) {
		match(s, /^("([^"]|"")*"|[^,"]*)/)
		f[++n] = substr(s, 1, RLENGTH)
		if (f[n] ~ /^"/) { f[n] = substr(f[n], 2, RLENGTH - 2); gsub(/""/, "\"", f[n]) }
		if (RLENGTH == length(s)) return n
		if (substr(s, RLENGTH + 1, 1) != ",") return -1
	}
}
function csvq(s) { if (s !~ /[",\r\n]/) return s; gsub(/"/, "\"\"", s); return "\"" s "\"" }
function shq(s) { gsub(/'\''/, "'\''\\'\'''\''", s); return "'\''" s "'\''" }
function colnum(hdr, name,    h, i) { for (i = csvsplit(hdr, h); i > 0 && h[i] != name; i--); return i }
'

# abspath PATH: $abs set to PATH made absolute (its directory must exist); the dot keeps a
# name's trailing line breaks from the command substitution.
abspath() {
	case "$1" in /*) abs=${1%/*} ;; */*) abs=./${1%/*} ;; *) abs=. ;; esac
	abs=$(cd "${abs:-/}" && pwd && echo .) || return 1
	abs=${abs%?.}
	abs=${abs%/}/${1##*/}
}

# header BPTRAIN: the CSV's header, the sweep's columns and then bptrain's record fields,
# which bptrain itself writes, here for two 1x1 images (a few milliseconds).
header() {
	d=$(mktemp -d) || return 1
	for s in train t10k; do
		printf '\0\0\10\3\0\0\0\2\0\0\0\1\0\0\0\1\0\377' >"$d/$s-images-idx3-ubyte"
		printf '\0\0\10\1\0\0\0\2\0\1' >"$d/$s-labels-idx1-ubyte"
	done
	h=$("$1" --data "$d" --iters 1 --batch 1 --hidden 1 --format csv -q 2>/dev/null | head -n 1)
	rm -rf "$d"
	case "$h" in record,*) printf 'config,exit,error,%s\n' "$h" ;; *) return 1 ;; esac
}

# unrecorded PLAN: the runs of PLAN (lines "SEED FLAGS...") that have no row in $out yet.
unrecorded() {
	[ -s "$out" ] || { cat "$1"; return; }
	awk "$LIB"'FNR == NR { if (FNR == 1) { s = colnum($0, "seed"); n = csvsplit($0, h) }
		else if (csvsplit($0, f) == n) done[f[s] " " f[1]] = 1; next } !($0 in done)' "$out" "$1"
}

# ---- one run: sweep.sh --run-one OUT BPTRAIN SEED FLAGS... ----------------------------------
# The local runner and the Slurm tasks both end up here. A local sweep exports SWEEP_PID,
# which its runs die with, and SWEEP_STATE, the directory of its progress and stop files.
run_one() {
	out=$1 bptrain=$2 seed=$3
	shift 3
	config=$* state=${SWEEP_STATE:-} t= stopped= prev=
	trap 'stopped=1' INT TERM HUP # bptrain gets the signal too; its run is not recorded
	trap '[ -z "$t" ] || rm -rf "$t"' EXIT
	if [ -n "$state" ]; then # the sweep waits for this lock before it exits
		exec 7>>"$state/workers" && flock -s 7 && wanted || exit 0
	fi
	# The claim is held while any of the run's processes lives: nobody else runs it.
	mkdir -p "$out.claims" && exec 9>>"$out.claims/$(printf '%s\n' "$seed $config" | cksum | tr ' ' -)" &&
		exec 8>>"$out" || fail "$out: cannot claim $config --seed $seed"
	flock -n 9 || { say "waiting for another process running $config --seed $seed"; flock 9; } &&
		flock 8 || fail "$out: cannot lock it (flock)"
	[ -s "$out" ] || header "$bptrain" >>"$out" || fail "$out: cannot write its header"
	[ -n "$(printf '%s\n' "$seed $config" | unrecorded -)" ] ||
		{ progress "already recorded: $config --seed $seed"; exit 0; }
	flock -u 8
	set --
	for word in $config; do
		[ "$prev" = --hidden ] && word=$(printf '%s' "$word" | tr / ,)
		set -- "$@" "$word"
		prev=$word
	done
	case " $config " in *" --threads "* | *" --threads="*) ;; *)
		"$bptrain" --help 2>/dev/null | grep -q -- --threads && set -- "$@" --threads 1 ;;
	esac
	t=$(mktemp -d) || exit 1
	start=$(date +%s) dog=
	[ -z "$state" ] || { watchdog & dog=$!; }
	# The braces take sh's own note of a run killed by a signal ("Terminated") off stderr.
	{ sh -c 'echo $$ >"$0"; exec "$@"' "$t/pid" "$bptrain" "$@" --seed "$seed" --format csv -q \
		>"$t/out" 2>"$t/err" 8>&- 9>&-; } 2>/dev/null
	rc=$?
	[ -z "$dog" ] || kill "$dog" 2>/dev/null
	# Stopped (Ctrl-C, scancel, the sweep gone): no row, so a resume runs it again.
	case $rc in 129 | 130 | 143) exit 0 ;; esac
	[ -z "$stopped" ] && { [ -z "$state" ] || wanted; } && append
}

# wanted: this sweep still runs (it was not stopped, nor killed, even by kill -9).
wanted() { [ ! -e "$state/stop" ] && kill -0 "$SWEEP_PID" 2>/dev/null; }

watchdog() {
	# Not run_one's traps: its kill (TERM) must end this loop, and the run's files are not
	# this process's to remove.
	trap - INT TERM HUP EXIT
	exec 7>&- 8>&- 9>&- >/dev/null 2>&1
	while wanted; do sleep 1; done
	# The run is gone with its directory when it has ended by itself.
	until [ -s "$t/pid" ] || [ ! -d "$t" ]; do sleep 1; done
	[ ! -s "$t/pid" ] || kill -TERM "$(cat "$t/pid")"
}

# append: the row, in one write under the CSV's lock; a write that fails is cut off again, and
# stops the sweep. bptrain's record goes in as it is; a run without one gets seed, status and
# the wall time.
append() {
	flock 8 || fail "$out: cannot lock it (flock)"
	row=$(hdr=$(head -n 1 "$out") config=$config seed=$seed rc=$rc wall=$(($(date +%s) - start)) \
		err=$(head -n 1 "$t/err" | tr -d '\r' | cut -c 1-200) awk "$LIB"'
		NR == 1 { rh = $0 } NR == 2 { rec = $0 }
		END {
			e = ENVIRON["rc"] ? ENVIRON["err"] : ""; row = csvq(ENVIRON["config"]) "," ENVIRON["rc"] "," csvq(e)
			if (rec == "") { r["seed"] = ENVIRON["seed"]; r["status"] = "failed"; r["total_s"] = ENVIRON["wall"] }
			else if ("config,exit,error," rh != ENVIRON["hdr"]) exit 3
			n = csvsplit(rec == "" ? ENVIRON["hdr"] : rh, f); csvsplit(rec, v)
			for (i = rec == "" ? 4 : 1; i <= n; i++) if (rec == "") row = row "," r[f[i]]; else r[f[i]] = v[i]
			print (rec == "" ? row : row "," rec)
			if (r["status"] == "ok" && !ENVIRON["rc"])
				printf "val_acc %s test_acc %.4f in %.1f s", r["val_acc"] == "" ? "-" : sprintf("%.4f", r["val_acc"]),
					r["test_acc"], r["total_s"]
			else printf "%s (exit %d)%s", r["status"], ENVIRON["rc"], e == "" ? "" : ": " e
		}' "$t/out") || fail "$out: its columns are not this bptrain's records"
	size=$(($(wc -c <"$out")))
	nl=
	[ -z "$(tail -c 1 "$out")" ] || nl='\n' # a row cut by a crash stays on its own line
	if ! printf "$nl%s\n" "${row%%
*}" >>"$out" 2>/dev/null; then
		dd if=/dev/null of="$out" bs=1 seek="$size" 2>/dev/null
		fail "$out: cannot append a row (disk full?); $config --seed $seed is not recorded"
	fi
	progress "${row#*
}: $config --seed $seed"
}

fail() {
	say "$*"
	[ -z "$state" ] || { echo "$*" >"$state/failed" && : >"$state/stop"; }
	exit 1
}

# progress TEXT: "[k/N] TEXT; about T left" in a local sweep (under the CSV's lock).
progress() {
	[ -n "$state" ] || { say "$1"; return; }
	echo >>"$state/done"
	k=$(($(wc -l <"$state/done")))
	left=$((($(date +%s) - SWEEP_START) * (SWEEP_TODO - k) / k))
	say "[$k/$SWEEP_TODO] $1; $([ "$k" -lt "$SWEEP_TODO" ] &&
		printf 'about %dm%02ds left' $((left / 60)) $((left % 60)) || echo done)"
}

if [ "${1:-}" = --run-one ]; then
	[ $# -ge 4 ] || usage_error "--run-one needs OUT BPTRAIN SEED [FLAGS...]"
	shift
	run_one "$@"
	exit 0
fi

# ---- the sweep -------------------------------------------------------------------------------
random=0 sweep_seed=1 repeats= seeds= jobs=1 out=runs.csv plot= slurm= dry_run=0 val=
slurm_time=1:00:00 slurm_mem=1G bptrain=${BPTRAIN:-} params= extras=
int() { # int OPTION VALUE [MIN]
	case "$2" in '' | *[!0-9]*) usage_error "$1: '$2' is not an integer >= ${3:-0}" ;; esac
	[ "$2" -ge "${3:-0}" ] 2>/dev/null || usage_error "$1: '$2' is not an integer >= ${3:-0}"
}
# Runs are lines of blank-separated words, and values are lists: no blanks, quotes, commas.
words() { case "$2" in *[[:space:]\"\'\\]*) usage_error "$1: '$2' has a blank, quote or backslash" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--*=*) opt=${1%%=*} value=${1#*=} n=1 ;;
	*) opt=$1 value=${2-} n=$(($# > 1 ? 2 : 0)) ;;
	esac
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--dry-run) dry_run=1; shift; continue ;;
	--) shift; break ;;
	-*) [ "$n" -gt 0 ] || usage_error "$opt: missing value"; shift "$n" ;;
	*) usage_error "unexpected argument '$opt'" ;;
	esac
	case "$opt" in
	--random) int "$opt" "$value" 1; random=$value ;;
	--sweep-seed) int "$opt" "$value"; sweep_seed=$value ;;
	--repeats) int "$opt" "$value" 1; repeats=$value ;;
	-j | --jobs) int "$opt" "$value" 1; jobs=$value ;;
	--out) out=$value ;;
	--plot) case "$value" in ?*.svg) plot=$value ;; *) usage_error "--plot: '$value' does not end in .svg" ;; esac ;;
	--emit-slurm) slurm=$value ;;
	--slurm-time) case "$value" in '' | *[!0-9:-]*) usage_error "$opt: '$value' is not [D-]HH:MM:SS" ;; esac
		slurm_time=$value ;;
	--slurm-mem) case "${value%[KMGT]}" in '' | *[!0-9]*) usage_error "$opt: '$value' is not like 1G" ;; esac
		slurm_mem=$value ;;
	--bptrain) bptrain=$value ;;
	--seed) case "$value" in '' | *[!0-9,]* | ,* | *, | *,,*) usage_error "--seed: '$value' is not a list of integers" ;; esac
		seeds=$(printf '%s' "$value" | tr , ' ') ;;
	--format | --quiet | --log | -q) usage_error "$opt: the sweep sets bptrain's output itself" ;;
	--*) words "$opt" "$value"
		case "$value" in '' | ,* | *, | *,,*) usage_error "$opt: '$value' is not a list of values" ;; esac
		[ "$opt" != --val ] || val=1
		params="$params$opt $value
" ;;
	*) usage_error "unknown option '$opt'" ;;
	esac
done
for word in "$@"; do
	words -- "$word"
	case "$word" in
	*,*) usage_error "-- $word: commas are not allowed in a run's flags" ;;
	--seed | --seed=* | --format* | --quiet | -q | --log*) usage_error "-- $word: the sweep sets this itself" ;;
	--val | --val=*) val=1 ;;
	esac
	extras="$extras${extras:+ }$word"
done
[ -n "$params" ] || usage_error "nothing to sweep: give at least one --FLAG VALUES"
[ -z "$seeds" ] || [ -z "$repeats" ] || usage_error "--seed and --repeats both choose the seeds: give one"
[ -n "$seeds" ] || seeds=$(awk -v n="${repeats:-1}" 'BEGIN { for (i = 0; i < n; i++) printf "%d ", 42 + i }')
# Hyperparameters are chosen on a validation set, never on the test set.
[ -n "$val" ] || extras="$extras${extras:+ }--val 10000"

# The bptrain to run: --bptrain, $BPTRAIN, the one next to scripts/, or the one on PATH.
abspath "$0"
self=$abs
[ -n "$bptrain" ] || { bptrain=${self%/*}/../bptrain; [ -x "$bptrain" ] || bptrain=bptrain; }
case "$bptrain" in */*) ;; *) bptrain=$(command -v "$bptrain") ||
	die "no bptrain '$bptrain': build it (make) or pass --bptrain PATH" ;; esac
[ -f "$bptrain" ] && [ -x "$bptrain" ] && abspath "$bptrain" || die "$bptrain: not an executable"
bptrain=$abs
help=$("$bptrain" --help 2>/dev/null) || die "$bptrain --help failed: is it bptrain?"
printf '%s' "$params" | while read -r flag spec; do
	printf '%s\n' "$help" | grep -q -- "^ *$flag " || { say "$flag is not a bptrain flag (see bptrain --help)"; exit 2; }
done || exit 2
command -v flock >/dev/null || die "needs flock(1), from util-linux"
# A directory, a device or a FIFO would never hold the rows.
[ -n "$out" ] && { [ ! -e "$out" ] || [ -f "$out" ]; } || usage_error "--out: '$out' is not a regular file"
abspath "$out" || usage_error "--out: no directory for $out"
out=$abs
hdr=$(header "$bptrain") || die "$bptrain does not write bptrain's CSV records"
[ ! -s "$out" ] || [ "$(head -n 1 "$out")" = "$hdr" ] ||
	die "--out: $out is not a CSV of this bptrain's sweeps (its header differs); use another --out"
tmp=$(mktemp -d) || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# ---- plan: one line "SEED FLAGS..." per run ---------------------------------------------------
printf '%s' "$params" | random=$random sweep_seed=$sweep_seed seeds=$seeds extras=$extras awk '
	function fail(msg) { printf "sweep: %s: %s (see --help)\n", flag[n], msg > "/dev/stderr"; bad = 1; exit 2 }
	function isnum(s) { return s ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
	# Park-Miller minimal standard generator: exact in doubles, so every awk draws the same.
	function uniform() { state = (state * 16807) % 2147483647; return state / 2147483647 }
	function sample(i,    u) {
		if (!(i in lo)) return val[i, 1 + int(uniform() * nval[i])]
		u = uniform()
		if (!lg[i]) return whole[i] ? lo[i] + int(u * (hi[i] - lo[i] + 1)) : sprintf("%.3g", lo[i] + u * (hi[i] - lo[i]))
		u = exp(log(lo[i]) + u * (log(hi[i] + whole[i]) - log(lo[i])))
		return whole[i] ? (int(u) > hi[i] ? hi[i] : int(u)) : sprintf("%.3g", u)
	}
	function emit(cfg,    k) {
		if (ENVIRON["extras"] != "") cfg = cfg " " ENVIRON["extras"]
		for (k = 1; k <= nseeds; k++) if (!seen[seed[k] " " cfg]++) print seed[k], cfg
	}
	{
		flag[++n] = $1
		if ($2 !~ /:/) { nval[n] = split($2, v, ","); for (k = 1; k <= nval[n]; k++) val[n, k] = v[k]; next }
		m = split($2, part, ":")
		if (m > 3 || (m == 3 && part[3] != "log") || !isnum(part[1]) || !isnum(part[2]))
			fail("\"" $2 "\" is not a range lo:hi or lo:hi:log")
		if (part[1] + 0 >= part[2] + 0) fail("range " $2 " is empty (lo >= hi)")
		if (m == 3 && part[1] + 0 <= 0) fail("a :log range needs lo > 0")
		if (!ENVIRON["random"]) fail("a range like " $2 " needs --random N")
		lo[n] = part[1] + 0; hi[n] = part[2] + 0; lg[n] = m == 3
		whole[n] = part[1] ~ /^-?[0-9]+$/ && part[2] ~ /^-?[0-9]+$/
	}
	END {
		if (bad) exit 2
		nseeds = split(ENVIRON["seeds"], seed, " ")
		# Small seeds give a tiny first draw: mix the seed and skip a few draws.
		state = (ENVIRON["sweep_seed"] * 48271 + 12345) % 2147483646 + 1
		for (i = 0; i < 8; i++) uniform()
		for (s = 1; s <= ENVIRON["random"]; s++) {
			cfg = ""
			for (i = 1; i <= n; i++) cfg = cfg (i > 1 ? " " : "") flag[i] " " sample(i)
			emit(cfg)
		}
		# The grid: count through every combination, the last flag fastest.
		for (i = 1; i <= n; i++) idx[i] = 1
		while (!ENVIRON["random"]) {
			cfg = ""
			for (i = 1; i <= n; i++) cfg = cfg (i > 1 ? " " : "") flag[i] " " val[i, idx[i]]
			emit(cfg)
			for (i = n; i >= 1 && ++idx[i] > nval[i]; i--) idx[i] = 1
			if (i < 1) break
		}
	}' >"$tmp/plan" || exit 2
total=$(($(wc -l <"$tmp/plan")))
nconfig=$(($(cut -d' ' -f2- "$tmp/plan" | sort -u | wc -l)))

# ---- the runs as sh: the commands --dry-run prints, or a Slurm job array of the same ----------
# commands FILE: every word quoted for sh, each path too (they may hold anything but, for an
# #SBATCH line, a line break).
commands() {
	self=$self out=$out bptrain=$bptrain slurm=$slurm extras=$extras jobs=$jobs total=$total \
		nconfig=$nconfig time=$slurm_time mem=$slurm_mem awk "$LIB"'
	function e(k) { return ENVIRON[k] }
	BEGIN { run = "sh " shq(e("self")) " --run-one " shq(e("out")) " " shq(e("bptrain")) }
	{ w = ""; for (i = 1; i <= NF; i++) w = w " " shq($i) }
	e("slurm") == "" { print run w; next }
	{ arm[NR] = NR ")" (NF ? " set --" w : "") " ;;" }
	END {
		if (e("slurm") == "") exit
		threads = 1; n = split(e("extras"), x, " ")
		for (i = 1; i <= n; i++) if (x[i] == "--threads") threads = x[i + 1]; else if (x[i] ~ /^--threads=/) threads = substr(x[i], 11)
		# #SBATCH takes "..." with \ escapes, and % starts a file name pattern (%A, %a).
		f = e("out"); sub(/\.csv$/, "", f); gsub(/[\\"]/, "\\\\&", f); gsub(/%/, "%%", f)
		printf "#!/bin/sh\n# A bptrain sweep of %d runs (%d configurations) as a Slurm job array, written by\n", e("total"), e("nconfig")
		print "# scripts/sweep.sh: submit it with sbatch. Each task appends its row to the CSV."
		printf "#SBATCH --job-name=bptrain-sweep\n#SBATCH --array=1-%d%s\n#SBATCH --ntasks=1\n", e("total"), (e("jobs") + 0 > 1 ? "%" e("jobs") : "")
		printf "#SBATCH --cpus-per-task=%s\n#SBATCH --time=%s\n#SBATCH --mem=%s\n", threads, e("time"), e("mem")
		printf "#SBATCH \"--output=%s-%%A_%%a.out\"\n#SBATCH \"--error=%s-%%A_%%a.err\"\n", f, f
		printf "set -uf\ncd %s || exit 1\ncase ${SLURM_ARRAY_TASK_ID:?run this with sbatch} in\n", shq(e("PWD"))
		for (i = 1; i <= NR; i++) print arm[i]
		print "*) echo \"bptrain sweep: no run $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\nesac"
		print "exec " run " \"$@\""
	}' "$1"
}
if [ -n "$slurm" ]; then
	case "$out" in *"
"*) usage_error "--emit-slurm: the CSV's name has a line break, which an #SBATCH line cannot hold" ;; esac
	[ ! -d "$slurm" ] || usage_error "--emit-slurm: $slurm is a directory"
	commands "$tmp/plan" >"$slurm.$$.tmp" && chmod +x "$slurm.$$.tmp" && mv "$slurm.$$.tmp" "$slurm" ||
		{ rm -f "$slurm.$$.tmp"; die "--emit-slurm: cannot write $slurm"; }
	say "wrote $slurm: $total runs ($nconfig configurations) as a Slurm job array; submit it with sbatch"
	exit 0
fi

# ---- run what is not recorded yet -----------------------------------------------------------
unrecorded "$tmp/plan" >"$tmp/todo"
todo=$(($(wc -l <"$tmp/todo")))
[ "$dry_run" -eq 0 ] || { commands "$tmp/todo"; exit; }
mode=grid
[ "$random" -eq 0 ] || mode="random search (--sweep-seed $sweep_seed)"
say "$mode: $nconfig configurations, $total runs; $((total - todo)) already in $out, $todo to run, $jobs at a time"
{ exec 8>>"$out" && flock 8 && { [ -s "$out" ] || echo "$hdr" >>"$out"; } && exec 8>&-; } 2>/dev/null ||
	die "--out: cannot write $out"
if [ "$todo" -gt 0 ]; then
	SWEEP_PID=$$ SWEEP_STATE=$tmp SWEEP_TODO=$todo SWEEP_START=$(date +%s)
	export SWEEP_PID SWEEP_STATE SWEEP_TODO SWEEP_START
	xargs -L 1 -P "$jobs" sh "$self" --run-one "$out" "$bptrain" <"$tmp/todo" &
	xargs_pid=$!
	# Ctrl-C or kill: every run stops (its watchdog sees the stop file) and records nothing,
	# and the runs xargs starts after it end at once.
	trap ': >"$tmp/stop"' INT TERM HUP
	while wait "$xargs_pid"; kill -0 "$xargs_pid" 2>/dev/null; do :; done
	flock "$tmp/workers" true # every run, and its bptrain, has ended
	trap 'exit 1' INT TERM HUP
	[ ! -e "$tmp/failed" ] || die "stopped: $(cat "$tmp/failed")"
	[ ! -e "$tmp/stop" ] || die "interrupted: finished runs are in $out; run the same command again to resume"
fi

# ---- summary: configurations ranked by mean validation accuracy ------------------------------
# This sweep's rows also go to mine.csv for the plot, and its x and colour to axes: the first
# two flags that vary, by their names in the records.
mine=$tmp/mine.csv axes=$tmp/axes awk "$LIB"'
	function fmt(x) { return x == "" ? "     -" : sprintf("%.4f", x) }
	function better(a, b) { # more ok runs first, then the higher mean, the faster, the first
		if (!ok[a] != !ok[b]) return ok[a] > 0
		return m[a] != m[b] ? m[a] > m[b] : tm[a] != tm[b] ? tm[a] < tm[b] : a < b
	}
	function cell(text, i) { return sprintf(i < nv ? "  %-10s" : "  %s", text) }
	FNR == NR { c = substr($0, index($0, " ") + 1); if (!(c in id)) { id[c] = ++nc; cfg[nc] = c } next }
	FNR == 1 { nh = csvsplit($0, H); for (i = 1; i <= nh; i++) col[H[i]] = i; print > ENVIRON["mine"]; next }
	csvsplit($0, f) == nh && (f[1] in id) {
		print > ENVIRON["mine"]
		c = id[f[1]]; runs[c]++; nrun++
		if (f[col["status"]] != "ok" || f[col["exit"]] != "0") { failed++; next }
		ok[c]++; noval += f[col["val_acc"]] == ""; tr[c] += f[col["train_acc"]]; tm[c] += f[col["total_s"]]
		for (k = 1; k <= 2; k++) { v = f[col[k == 1 ? "val_acc" : "test_acc"]]; s[k, c] += v; q[k, c] += v * v }
	}
	END {
		k = noval ? 2 : 1
		for (c = 1; c <= nc; c++) {
			n = ok[c]; m[c] = n ? s[k, c] / n : ""; t[c] = n ? s[2, c] / n : ""; tr[c] = n ? tr[c] / n : ""
			tm[c] = n ? tm[c] / n : ""; v = n > 1 ? (q[k, c] - n * m[c] * m[c]) / (n - 1) : 0
			sd[c] = n > 1 ? sprintf("%.4f", v > 0 ? sqrt(v) : 0) : "-"
			order[c] = c
			for (i = c; i > 1 && better(c, order[i - 1]); i--) order[i] = order[i - 1]
			order[i] = c
			np = split(cfg[c], w, " ")
			for (i = 1; i < np; i += 2)
				if (!(w[i] in first)) { flags[++nf] = w[i]; first[w[i]] = w[i + 1] }
				else if (first[w[i]] != w[i + 1]) vary[w[i]] = 1
		}
		for (i = 1; i <= nf; i++) if (flags[i] in vary) cols[++nv] = flags[i]
		if (k == 1) print "ranked by mean val_acc (the validation set, --val); test_acc is shown, not used to choose"
		else print "ranked by mean test_acc: not every run has a validation set (--val), so this chooses on the test set"
		printf "%4s  %s%s %9s %8s %6s", "rank", k == 1 ? "val_acc ± sd   " : "test_acc ± sd  ", k == 1 ? "  test_acc" : "",
			"train_acc", "time_s", "ok"
		for (i = 1; i <= nv; i++) printf "%s", cell(substr(cols[i], 3), i)
		print nv ? "" : "  configuration"
		for (r = 1; r <= nc; r++) {
			c = order[r]; if (!runs[c]) continue
			printf "%4d  %s ± %-6s%s %9s %8s %6s", r, fmt(m[c]), sd[c], k == 1 ? sprintf(" %9s", fmt(t[c])) : "",
				fmt(tr[c]), tm[c] == "" ? "-" : sprintf("%.2f", tm[c]), ok[c] + 0 "/" runs[c]
			delete val; np = split(cfg[c], w, " "); for (i = 1; i < np; i += 2) val[w[i]] = w[i + 1]
			for (i = 1; i <= nv; i++) printf "%s", cell(val[cols[i]], i)
			print nv ? "" : "  " cfg[c]
		}
		if (failed) printf "sweep: %d of %d runs failed (status and first error line in the CSV)\n", failed, nrun > "/dev/stderr"
		if (!nv) cols[++nv] = flags[1]
		for (i = 1; i <= nv && na < 2; i++) {
			x = cols[i] == "--iters" ? "max_iters" : substr(cols[i], 3); gsub(/-/, "_", x)
			if (x in col) axis[++na] = x
		}
		print axis[1], axis[2] > ENVIRON["axes"]
	}' "$tmp/plan" "$out" || die "cannot write the summary"
recorded=$(($(wc -l <"$tmp/mine.csv") - 1))
[ "$recorded" -ge "$total" ] || say "$((total - recorded)) of $total runs are not recorded yet (another sweep may be running them)"
[ -n "$plot" ] || exit 0
read -r x color <"$tmp/axes"
[ -n "$x" ] || die "--plot: no swept flag is a column of bptrain's records"
"$bptrain" --plot-sweep "$tmp/mine.csv" --x "$x" ${color:+--color "$color"} --plot "$plot" || die "--plot: $plot not written"
say "wrote $plot"
