#!/bin/sh
# sweep.sh - hyperparameter sweeps over bptrain: a grid or a random search, each configuration
# repeated with several seeds, N runs at a time, one CSV row per run appended to --out.
# Re-running the same command skips the runs already recorded, so a sweep stopped by Ctrl-C or
# a crash resumes where it was. Ends with a table ranked by mean test accuracy and, with
# --plot, an SVG of test accuracy against each swept parameter. --emit-slurm writes the same
# sweep as a Slurm job array. See docs/sweeps.md.
#
# POSIX sh, awk, sort and xargs (with -P, as GNU and BSD xargs have); no Python.
set -u
set -f # flag values are never file patterns

PROG=sweep
HEADER=config,seed,train_acc,test_acc,loss,train_s,total_s,status,exit,error
NCOL=10

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s (see --help)\n' "$PROG" "$*" >&2; exit 2; }

usage() {
	cat <<'EOF'
usage: scripts/sweep.sh [options] --FLAG VALUES ... [-- FLAGS FOR EVERY RUN]

Run bptrain over a grid (or a random sample) of flag values and rank the results.

  --FLAG a,b,c        any bptrain flag with a comma list of values: the grid is every
                      combination (--lr 0.01,0.1 --hidden 50,100 is 4 configurations);
                      in a --hidden value, / separates layers: --hidden 100/50,200
  --FLAG lo:hi[:log]  a range, for --random: uniform (log-uniform with :log); integer
                      bounds give integers
  --random N          random search: N configurations, each range sampled and each list
                      picked from
  --sweep-seed N      seed of the random search (default 1): the same seed gives the
                      same configurations, so re-running resumes
  --repeats N         run each configuration with N seeds, 42, 43, ... (default 1)
  --seed a,b,c        run each configuration with exactly these seeds instead
  -j, --jobs N        run N bptrains at once (default 1); each gets --threads 1 unless
                      the flags say otherwise (when bptrain has --threads)
  --out FILE          CSV to append one row per run to (default runs.csv)
  --plot FILE.svg     also draw test accuracy against each swept parameter
  --emit-slurm FILE   write a Slurm job-array script for this sweep instead of running it
  --bptrain PATH      the bptrain to run (default: the one built next to scripts/,
                      else bptrain on PATH)
  --dry-run           print the command of each run still to do, run nothing
  -h, --help          show this help

Flags after -- go to every run unchanged (e.g. -- --data mnist --batch 50). Values must not
contain blanks, commas, quotes or backslashes.
Exit status: 0 every run is recorded (failed runs are recorded as failed), 1 runtime
failure or interrupted, 2 bad usage.
EOF
}

# q WORD: WORD quoted for sh, for the generated Slurm script.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# abspath PATH: PATH made absolute (the directory must exist).
abspath() {
	case "$1" in
	*/*) dir=${1%/*} ;;
	*) dir=. ;;
	esac
	dir=$(cd "${dir:-/}" && pwd) || return 1
	printf '%s/%s\n' "${dir%/}" "${1##*/}"
}

# ---- one run: sweep.sh --run-one OUT BPTRAIN SEED ARGS... ----------------------------------
# The local runner and the Slurm script both end up here, so both record runs the same way.

# recorded OUT CONFIG SEED: is this run already in OUT?
recorded() {
	[ -f "$1" ] && awk -F, -v n="$NCOL" -v k="$2" -v s="$3" \
		'NF == n && $1 == k && $2 == s { found = 1; exit } END { exit !found }' "$1"
}

# append OUT ROW: add ROW under a lock, with the header first if OUT is new, and after a
# newline if OUT ends in half a line (a crash in an earlier write).
append() {
	if command -v flock >/dev/null 2>&1; then
		flock "$1" sh "$0" --append-unlocked "$1" "$2"
	else
		append_unlocked "$1" "$2"
	fi
}
append_unlocked() {
	{
		if [ ! -s "$1" ]; then
			printf '%s\n' "$HEADER"
		elif [ -n "$(tail -c 1 "$1")" ]; then
			printf '\n'
		fi
		# One short printf is one write(2), appended whole.
		printf '%s\n' "$2"
	} >>"$1"
}

run_one() {
	out=$1
	bptrain=$2
	seed=$3
	shift 3
	config=$*
	recorded "$out" "$config" "$seed" && exit 0
	has_threads=0
	set --
	prev=
	for word in $config; do
		[ "$prev" = --hidden ] && word=$(printf '%s' "$word" | tr / ,)
		case "$word" in --threads | --threads=*) has_threads=1 ;; esac
		set -- "$@" "$word"
		prev=$word
	done
	if [ "$has_threads" -eq 0 ] && "$bptrain" --help 2>/dev/null | grep -q -- '--threads'; then
		set -- "$@" --threads 1
	fi
	errfile=$(mktemp) || exit 1
	interrupted=0
	trap 'interrupted=1' INT TERM HUP
	start=$(date +%s)
	summary=$("$bptrain" "$@" --seed "$seed" --quiet --format text 2>"$errfile")
	rc=$?
	error=$(head -n 1 "$errfile" | tr ',"\\\r\t' ';    ' | cut -c 1-200)
	rm -f "$errfile"
	# Killed by a signal (the user's Ctrl-C, scancel): no row, so a rerun does it again.
	case "$rc" in 129 | 130 | 143) interrupted=1 ;; esac
	if [ "$interrupted" -eq 1 ]; then
		say "interrupted: $config --seed $seed (not recorded)"
		exit 255 # makes xargs start nothing more
	fi
	line=$(printf '%s\n' "$summary" | tail -n 1)
	get() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	status=$(get status)
	total_s=$(get total_s)
	if [ -z "$status" ]; then
		status=failed
		total_s=$(($(date +%s) - start))
	elif [ "$rc" -ne 0 ] && [ "$status" = ok ]; then
		status=failed
	fi
	if [ "$status" = failed ] || [ "$status" = diverged ]; then
		row="$config,$seed,,,,$(get train_s),$total_s,$status,$rc,$error"
	else
		row="$config,$seed,$(get train_acc),$(get test_acc),$(get loss),$(get train_s),$total_s,$status,$rc,"
	fi
	append "$out" "$row"
	if [ "$status" = ok ]; then
		say "test_acc $(get test_acc) in ${total_s}s: $config --seed $seed"
	else
		say "$status (exit $rc): $config --seed $seed${error:+: $error}"
	fi
	exit 0
}

case "${1:-}" in
--run-one)
	shift
	[ $# -ge 3 ] || usage_error "--run-one needs OUT BPTRAIN SEED [ARGS...]"
	run_one "$@"
	;;
--append-unlocked)
	append_unlocked "$2" "$3"
	exit
	;;
esac

# ---- the sweep ------------------------------------------------------------------------------

random=0
sweep_seed=1
repeats=
seeds=
jobs=1
out=runs.csv
plot=
slurm=
bptrain=${BPTRAIN:-}
dry_run=0
params=  # lines "--flag spec"
extras=  # words for every run

is_count() { case "$1" in '' | *[!0-9]*) return 1 ;; *) [ "$1" -ge 1 ] 2>/dev/null ;; esac; }
check_words() {
	case "$2" in
	*[[:space:]\"\'\\]*) usage_error "$1: '$2' has a blank, quote or backslash" ;;
	esac
}

while [ $# -gt 0 ]; do
	opt=$1
	case "$opt" in
	--*=*) value=${opt#*=}; opt=${opt%%=*}; have_value=1 ;;
	*) value=${2-}; have_value=$(($# > 1 ? 2 : 0)) ;;
	esac
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--dry-run) dry_run=1; shift; continue ;;
	--) shift; break ;;
	-*) ;;
	*) usage_error "unexpected argument '$opt'" ;;
	esac
	[ "$have_value" != 0 ] || usage_error "$opt: missing value"
	[ "$have_value" = 2 ] && shift
	shift
	case "$opt" in
	--random) is_count "$value" || usage_error "--random: '$value' is not a count >= 1"; random=$value ;;
	--sweep-seed)
		case "$value" in '' | *[!0-9]*) usage_error "--sweep-seed: '$value' is not an integer >= 0" ;; esac
		sweep_seed=$value ;;
	--repeats) is_count "$value" || usage_error "--repeats: '$value' is not a count >= 1"; repeats=$value ;;
	-j | --jobs) is_count "$value" || usage_error "$opt: '$value' is not a count >= 1"; jobs=$value ;;
	--out) [ -n "$value" ] || usage_error "--out: empty file name"; out=$value ;;
	--plot)
		case "$value" in ?*.svg) plot=$value ;; *) usage_error "--plot: '$value' does not end in .svg" ;; esac ;;
	--emit-slurm) [ -n "$value" ] || usage_error "--emit-slurm: empty file name"; slurm=$value ;;
	--bptrain) bptrain=$value ;;
	--seed)
		case "$value" in '' | *[!0-9,]* | ,* | *, | *,,*) usage_error "--seed: '$value' is not a list of integers" ;; esac
		seeds=$(printf '%s' "$value" | tr , ' ') ;;
	--format | --quiet | --log | -q)
		usage_error "$opt: the sweep sets bptrain's output itself" ;;
	--*)
		check_words "$opt" "$value"
		case "$value" in '' | ,* | *, | *,,*) usage_error "$opt: '$value' is not a list of values" ;; esac
		params="$params$opt $value
" ;;
	*) usage_error "unknown option '$opt'" ;;
	esac
done
for word in "$@"; do
	check_words "--" "$word"
	case "$word" in *,*) usage_error "-- $word: commas are not allowed in a run's flags" ;; esac
	case "$word" in --seed | --seed=* | --format* | --quiet | -q | --log*)
		usage_error "-- $word: the sweep sets this itself" ;;
	esac
	extras="$extras${extras:+ }$word"
done
[ -n "$params" ] || usage_error "nothing to sweep: give at least one --FLAG VALUES"
if [ -n "$seeds" ] && [ -n "$repeats" ]; then
	usage_error "--seed and --repeats both choose the seeds: give one"
fi
[ -n "$seeds" ] || seeds=$(awk -v n="${repeats:-1}" 'BEGIN { for (i = 0; i < n; i++) printf "%d ", 42 + i }')

# The bptrain to run: --bptrain, $BPTRAIN, the one next to scripts/, or the one on PATH.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$bptrain" ]; then
	if [ -x "$here/../bptrain" ]; then
		bptrain=$here/../bptrain
	else
		bptrain=$(command -v bptrain) || die "no bptrain: build it (make) or pass --bptrain PATH"
	fi
fi
case "$bptrain" in */*) ;; *) bptrain=$(command -v "$bptrain") || die "no bptrain '$bptrain'" ;; esac
[ -x "$bptrain" ] || die "$bptrain: not an executable"
bptrain=$(abspath "$bptrain")
help=$("$bptrain" --help 2>/dev/null) || die "$bptrain --help failed: is it bptrain?"
printf '%s\n' "$params" | while read -r flag spec; do
	[ -n "$flag" ] || continue
	printf '%s\n' "$help" | grep -q -- "^ *$flag " ||
		{ printf '%s: %s is not a bptrain flag (see bptrain --help)\n' "$PROG" "$flag" >&2; exit 2; }
done || exit 2
out_dir=$(dirname "$out")
[ -d "$out_dir" ] || die "--out: no directory $out_dir"
out=$(abspath "$out")
self=$(abspath "$0")

tmp=$(mktemp -d) || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# ---- plan: one line "SEED ARGS..." per run -------------------------------------------------
printf '%s' "$params" | awk -v random="$random" -v sweep_seed="$sweep_seed" \
	-v seeds="$seeds" -v extras="$extras" -v prog="$PROG" '
	function fail(msg) { printf "%s: %s\n", prog, msg > "/dev/stderr"; bad = 1; exit 2 }
	# Park-Miller minimal standard generator: exact in doubles, so every awk gives the
	# same sample for the same --sweep-seed.
	function uniform() { state = (state * 16807) % 2147483647; return state / 2147483647 }
	function isint(s) { return s ~ /^-?[0-9]+$/ }
	function isnum(s) { return s ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
	function sample(i,    lo, hi, u, v) {
		if (!range[i]) return val[i, 1 + int(uniform() * nval[i])]
		lo = rlo[i]; hi = rhi[i]; u = uniform()
		if (rlog[i]) {
			if (rint[i]) { v = int(exp(log(lo) + u * (log(hi + 1) - log(lo)))); return v > hi ? hi : v }
			return sprintf("%.3g", exp(log(lo) + u * (log(hi) - log(lo))))
		}
		if (rint[i]) return lo + int(u * (hi - lo + 1))
		return sprintf("%.3g", lo + u * (hi - lo))
	}
	function emit(cfg,    k) {
		if (extras != "") cfg = cfg " " extras
		for (k = 1; k <= nseeds; k++)
			if (!seen[seed[k] " " cfg]++) print seed[k], cfg
	}
	{
		n++; flag[n] = $1; spec = $2
		if (spec ~ /:/) {
			m = split(spec, part, ":")
			if (m < 2 || m > 3 || (m == 3 && part[3] != "log") || !isnum(part[1]) || !isnum(part[2]))
				fail(flag[n] ": \"" spec "\" is not a range lo:hi or lo:hi:log")
			if (part[1] + 0 >= part[2] + 0) fail(flag[n] ": range " spec " is empty (lo >= hi)")
			if (m == 3 && part[1] + 0 <= 0) fail(flag[n] ": a :log range needs lo > 0")
			if (!random) fail(flag[n] ": a range like " spec " needs --random N")
			range[n] = 1; rlo[n] = part[1] + 0; rhi[n] = part[2] + 0; rlog[n] = m == 3
			rint[n] = isint(part[1]) && isint(part[2])
		} else
			nval[n] = split(spec, tmp, ",")
		for (k = 1; k <= nval[n]; k++) val[n, k] = tmp[k]
	}
	END {
		if (bad) exit 2
		nseeds = split(seeds, seed, " ")
		if (random) {
			# Small seeds give a tiny first draw; mix the seed and skip a few draws.
			state = (sweep_seed * 48271 + 12345) % 2147483646 + 1
			for (i = 0; i < 8; i++) uniform()
			for (s = 1; s <= random; s++) {
				cfg = ""
				for (i = 1; i <= n; i++) cfg = cfg (i > 1 ? " " : "") flag[i] " " sample(i)
				emit(cfg)
			}
			exit
		}
		# The grid: count through every combination, the last flag fastest.
		for (i = 1; i <= n; i++) idx[i] = 1
		for (;;) {
			cfg = ""
			for (i = 1; i <= n; i++) cfg = cfg (i > 1 ? " " : "") flag[i] " " val[i, idx[i]]
			emit(cfg)
			for (i = n; i >= 1 && ++idx[i] > nval[i]; i--) idx[i] = 1
			if (i < 1) break
		}
	}' >"$tmp/plan" || exit 2
total=$(wc -l <"$tmp/plan" | tr -d ' ')
nconfig=$(cut -d' ' -f2- "$tmp/plan" | sort -u | wc -l | tr -d ' ')

# ---- Slurm: the same runs as a job array, each task the same --run-one as the local runner ----
if [ -n "$slurm" ]; then
	threads=1
	set -- $extras
	while [ $# -gt 0 ]; do
		case "$1" in
		--threads) threads=${2:-1}; shift ;;
		--threads=*) threads=${1#*=} ;;
		esac
		shift
	done
	throttle=
	[ "$jobs" -gt 1 ] && throttle=%$jobs
	slurm_tmp=$slurm.$$.tmp
	{
		printf '#!/bin/sh\n'
		printf '# bptrain sweep: %s runs (%s configurations), generated by scripts/sweep.sh on %s.\n' \
			"$total" "$nconfig" "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf '# Submit with: sbatch %s   (runs already in the CSV are skipped, so resubmitting\n' "$slurm"
		printf '# resumes). Each task appends one row to %s.\n' "$out"
		printf '#SBATCH --job-name=bptrain-sweep\n'
		printf '#SBATCH --array=1-%s%s\n' "$total" "$throttle"
		printf '#SBATCH --cpus-per-task=%s\n' "$threads"
		printf '#SBATCH --ntasks=1\n'
		printf 'set -u\nset -f\n'
		printf 'cd %s || exit 1\n' "$(q "$(pwd)")"
		printf 'task=${SLURM_ARRAY_TASK_ID:?run this with sbatch, or set SLURM_ARRAY_TASK_ID}\n'
		printf 'run=$(sed -n "${task}p" <<'\''RUNS'\''\n'
		cat "$tmp/plan"
		printf 'RUNS\n)\n'
		printf '[ -n "$run" ] || { echo "bptrain sweep: no run $task" >&2; exit 1; }\n'
		printf '# The per-task command, the same as the local runner'\''s (sweep.sh --dry-run).\n'
		printf 'exec sh %s --run-one %s %s $run\n' "$(q "$self")" "$(q "$out")" "$(q "$bptrain")"
	} >"$slurm_tmp" && chmod +x "$slurm_tmp" && mv "$slurm_tmp" "$slurm" ||
		{ rm -f "$slurm_tmp"; die "--emit-slurm: cannot write $slurm"; }
	say "wrote $slurm: $total runs ($nconfig configurations) as a Slurm job array; submit with: sbatch $slurm"
	exit 0
fi

# ---- run what is not recorded yet -----------------------------------------------------------
if [ -f "$out" ]; then
	first=$(head -n 1 "$out")
	[ "$first" = "$HEADER" ] || die "--out: $out is not a sweep CSV (its first line is not the header)"
fi
awk -v n="$NCOL" -v csv="$out" 'BEGIN {
		while ((getline line < csv) > 0) if (split(line, f, ",") == n) done[f[2] " " f[1]] = 1
	} !($0 in done)' "$tmp/plan" >"$tmp/todo"
todo=$(wc -l <"$tmp/todo" | tr -d ' ')

if [ "$dry_run" -eq 1 ]; then
	while read -r run; do
		printf 'sh %s --run-one %s %s %s\n' "$self" "$out" "$bptrain" "$run"
	done <"$tmp/todo"
	exit 0
fi

mode="grid"
[ "$random" -gt 0 ] && mode="random search (--sweep-seed $sweep_seed)"
say "$mode: $nconfig configurations, $total runs; $((total - todo)) already in $out, $todo to run, $jobs at a time"
if [ "$todo" -gt 0 ]; then
	[ -s "$out" ] || printf '%s\n' "$HEADER" >>"$out" || die "--out: cannot write $out"
	# Ctrl-C reaches every run; each worker then records nothing, so no row is half a run.
	interrupted=0
	trap 'interrupted=1' INT TERM HUP
	xargs -L 1 -P "$jobs" sh "$self" --run-one "$out" "$bptrain" <"$tmp/todo"
	xstatus=$?
	trap 'exit 1' INT TERM HUP
	if [ "$interrupted" -eq 1 ] || [ "$xstatus" -ge 124 ]; then
		say "interrupted: finished runs are in $out; run the same command again to resume"
		exit 1
	fi
	[ "$xstatus" -eq 0 ] || die "some runs could not be started (xargs exit $xstatus)"
fi

# ---- summary: configurations ranked by mean test accuracy ----------------------------------
# Each row of this sweep: config, seed, test_acc, train_acc, total_s, status.
awk -F, -v n="$NCOL" 'FNR == NR { want[substr($0, index($0, " ") + 1)] = 1; next }
	NF == n && ($1 in want)' "$tmp/plan" "$out" >"$tmp/rows"
cut -d' ' -f2- "$tmp/plan" | awk '!seen[$0]++' >"$tmp/configs"

awk -F, '
	FNR == NR { nc++; cfg[nc] = $0; index_of[$0] = nc; next }
	{
		c = index_of[$1]; runs[c]++
		if ($8 != "ok") { failed[c]++; next }
		ok[c]++; sum[c] += $4; sq[c] += $4 * $4; tr[c] += $3; t[c] += $7
	}
	END {
		for (c = 1; c <= nc; c++) {
			if (!runs[c]) continue
			m = ok[c] ? sum[c] / ok[c] : -1
			sd = ok[c] > 1 ? sqrt((sq[c] - ok[c] * m * m) / (ok[c] - 1) > 0 ? (sq[c] - ok[c] * m * m) / (ok[c] - 1) : 0) : -1
			printf "%.6f\t%.6f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", m, ok[c] ? t[c] / ok[c] : 0, sd,
				ok[c] ? tr[c] / ok[c] : -1, ok[c] + 0, runs[c], failed[c] + 0, cfg[c], c
		}
	}' "$tmp/configs" "$tmp/rows" | sort -t "$(printf '\t')" -k1,1nr -k2,2n -k9,9n >"$tmp/ranked"

# The table shows the flags whose value differs between configurations.
awk -F'\t' '
	function pairs(s, f, v,    w, m, i, k) { m = split(s, w, " "); k = 0
		for (i = 1; i < m; i += 2) { k++; f[k] = w[i]; v[k] = w[i + 1] } return k }
	FNR == NR { k = pairs($0, f, v); for (i = 1; i <= k; i++) {
		if (!(f[i] in first)) { nf++; order[nf] = f[i]; first[f[i]] = v[i] }
		else if (first[f[i]] != v[i]) vary[f[i]] = 1 } next }
	FNR == 1 {
		for (i = 1; i <= nf; i++) if (order[i] in vary) { nv++; col[nv] = order[i] }
		printf "%4s  %s %9s %8s %6s", "rank", "test_acc ± sd  ", "train_acc", "time_s", "ok"
		for (i = 1; i <= nv; i++) printf (i < nv ? "  %-10s" : "  %s"), substr(col[i], 3)
		if (!nv) printf "  %s", "configuration"
		printf "\n"
	}
	{
		k = pairs($8, f, v); delete val; for (i = 1; i <= k; i++) val[f[i]] = v[i]
		acc = $1 < 0 ? "     -" : sprintf("%.4f", $1)
		sd = $3 < 0 ? "  -   " : sprintf("%.4f", $3)
		printf "%4d  %s ± %s %9s %8.2f %6s", FNR, acc, sd, ($4 < 0 ? "-" : sprintf("%.4f", $4)), $2, $5 "/" $6
		for (i = 1; i <= nv; i++) printf (i < nv ? "  %-10s" : "  %s"), val[col[i]]
		if (!nv) printf "  %s", $8
		printf "\n"
	}' "$tmp/configs" "$tmp/ranked"
failed=$(awk -F, '$8 != "ok"' "$tmp/rows" | wc -l | tr -d ' ')
recorded_runs=$(wc -l <"$tmp/rows" | tr -d ' ')
[ "$failed" -eq 0 ] || say "$failed of $recorded_runs runs failed (status and first error line in $out)"

# ---- the summary plot ------------------------------------------------------------------------
[ -n "$plot" ] || exit 0
plot_tmp=$plot.$$.tmp
awk -F, -v title="bptrain sweep: test accuracy of $recorded_runs runs ($nconfig configurations)" '
	function pairs(s, f, v,    w, m, i, k) { m = split(s, w, " "); k = 0
		for (i = 1; i < m; i += 2) { k++; f[k] = w[i]; v[k] = w[i + 1] } return k }
	function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
		gsub(/"/, "\\&quot;", s); return s }
	function isnum(s) { return s ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
	function nicestep(span, target,    raw, mag, norm) {
		if (span <= 0) return 1
		raw = span / target; mag = exp(log(10) * int(log(raw) / log(10) + (raw < 1 ? -1 : 0)))
		while (mag * 10 <= raw) mag *= 10
		while (mag > raw) mag /= 10
		norm = raw / mag
		return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag
	}
	function floorx(x) { return x == int(x) ? x : (x < 0 ? int(x) - 1 : int(x)) }
	function xpos(p, x) {
		if (cat[p]) return L + (catpos[p, x] - 0.5) / ncat[p] * W
		if (logx[p]) return L + (log(x) - log(xlo[p])) / (log(xhi[p]) - log(xlo[p])) * W
		return L + (x - xlo[p]) / (xhi[p] - xlo[p]) * W
	}
	function ypos(y, top) { return top + H - (y - ylo) / (yhi - ylo) * H }
	FNR == NR { k = pairs($0, f, v); for (i = 1; i <= k; i++) {
		if (!(f[i] in first)) { nf++; order[nf] = f[i]; first[f[i]] = v[i] }
		else if (first[f[i]] != v[i]) vary[f[i]] = 1 } next }
	$8 == "ok" {
		nr++; acc[nr] = $4 + 0; k = pairs($1, f, v)
		for (i = 1; i <= k; i++) rv[nr, f[i]] = v[i]
		cfgof[nr] = $1; sumc[$1] += $4; if (!nc[$1]++) nconf_ok++
		if (nr == 1 || $4 < amin) amin = $4 + 0
		if (nr == 1 || $4 > amax) amax = $4 + 0
	}
	END {
		L = 80; W = 540; H = 200; GAP = 60; TOP = 64
		for (i = 1; i <= nf; i++) if (order[i] in vary) { np++; par[np] = order[i] }
		if (!np) { np = 1; par[1] = order[1] }
		pad = (amax - amin) * 0.05; if (pad == 0) pad = 0.01
		ystep = nicestep(amax - amin + 2 * pad, 5)
		ylo = floorx((amin - pad) / ystep) * ystep; yhi = (floorx((amax + pad) / ystep) + 1) * ystep
		if (ylo < 0) ylo = 0
		if (yhi > 1 && amax <= 1) yhi = 1
		yd = ystep >= 1 ? 0 : int(-log(ystep) / log(10) + 0.999)
		height = TOP + np * (H + GAP) + 10
		printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"820\" height=\"%d\" viewBox=\"0 0 820 %d\" font-family=\"sans-serif\" font-size=\"12\">\n", height, height
		printf "<title>%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", esc(title)
		printf "<text class=\"title\" x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", L, esc(title)
		fixed = ""
		for (i = 1; i <= nf; i++) if (!(order[i] in vary)) fixed = fixed " " order[i] " " first[order[i]]
		printf "<text class=\"subtitle\" x=\"%d\" y=\"44\" fill=\"#555\">dots: runs; line: best configuration mean per value (grids). Fixed:%s</text>\n", L, esc(fixed)
		for (p = 1; p <= np; p++) {
			name = par[p]; top = TOP + (p - 1) * (H + GAP)
			# The axis: numeric (log when the values span 20x or more) or categorical.
			numeric = 1; delete seenv; nv = 0
			for (r = 1; r <= nr; r++) { x = rv[r, name]; if (!(x in seenv)) { seenv[x] = 1; nv++; vals[nv] = x }
				if (!isnum(x)) numeric = 0 }
			cat[p] = !numeric
			if (numeric) {
				xlo[p] = xhi[p] = vals[1] + 0
				for (i = 1; i <= nv; i++) { if (vals[i] + 0 < xlo[p]) xlo[p] = vals[i] + 0; if (vals[i] + 0 > xhi[p]) xhi[p] = vals[i] + 0 }
				logx[p] = xlo[p] > 0 && xhi[p] >= 20 * xlo[p]
				if (logx[p]) { xlo[p] /= 1.3; xhi[p] *= 1.3 }
				else { sp = xhi[p] - xlo[p]; if (sp == 0) sp = xlo[p] != 0 ? (xlo[p] < 0 ? -xlo[p] : xlo[p]) : 1
					xlo[p] -= sp * 0.08; xhi[p] += sp * 0.08 }
			} else {
				# Categories in the order they first appear.
				ncat[p] = nv; for (i = 1; i <= nv; i++) catpos[p, vals[i]] = i
			}
			printf "<g class=\"panel\" id=\"panel-%s\">\n", esc(substr(name, 3))
			for (t = ylo; t <= yhi + ystep / 1000; t += ystep) {
				printf "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", L, ypos(t, top), L + W, ypos(t, top)
				printf "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dominant-baseline=\"middle\">%.*f</text>\n", L - 6, ypos(t, top), yd, t
			}
			if (cat[p]) {
				for (i = 1; i <= nv; i++)
					printf "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", xpos(p, vals[i]), top + H + 16, esc(vals[i])
			} else if (logx[p]) {
				for (e = floorx(log(xlo[p]) / log(10)); exp(e * log(10)) <= xhi[p]; e++)
					for (m = 1; m <= 5; m += (m == 1 ? 1 : 3)) {
						if (m > 1 && xhi[p] > 1000 * xlo[p]) continue
						t = m * exp(e * log(10)); if (t < xlo[p] || t > xhi[p]) continue
						printf "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n", xpos(p, t), top, xpos(p, t), top + H
						printf "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", xpos(p, t), top + H + 16, t
					}
			} else {
				xstep = nicestep(xhi[p] - xlo[p], 6)
				for (t = (floorx(xlo[p] / xstep) + 1) * xstep; t <= xhi[p]; t += xstep) {
					printf "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n", xpos(p, t), top, xpos(p, t), top + H
					printf "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", xpos(p, t), top + H + 16, (t < xstep / 1e6 && t > -xstep / 1e6) ? 0 : t
				}
			}
			printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, top, W, H
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">test_acc</text>\n", L - 58, top + H / 2, L - 58, top + H / 2
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%s</text>\n", L + W / 2, top + H + 36, esc(substr(name, 3)), logx[p] ? " (log scale)" : ""
			# Best configuration mean at each value of this parameter.
			delete best
			for (r = 1; r <= nr; r++) { x = rv[r, name]; m = sumc[cfgof[r]] / nc[cfgof[r]]
				if (!(x in best) || m > best[x]) best[x] = m }
			# Sort the values by position for the line.
			nvs = 0; for (x in best) { nvs++; xs[nvs] = x }
			for (i = 2; i <= nvs; i++) for (j = i; j > 1 && xpos(p, xs[j]) < xpos(p, xs[j - 1]); j--) { tmpx = xs[j]; xs[j] = xs[j - 1]; xs[j - 1] = tmpx }
			# The line means something only where configurations share values (a grid); in a
			# random search every value is new, and the dots say it all.
			line = 2 * nvs <= nconf_ok
			if (line) {
			printf "<g class=\"series\" id=\"best-%s\" stroke=\"#d62728\" fill=\"#d62728\">\n<polyline fill=\"none\" stroke-width=\"2\" points=\"", esc(substr(name, 3))
			for (i = 1; i <= nvs; i++) printf "%s%.2f,%.2f", (i > 1 ? " " : ""), xpos(p, xs[i]), ypos(best[xs[i]], top)
			printf "\"/>\n"
			for (i = 1; i <= nvs; i++) printf "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\"><title>%s %s: best mean test_acc %.4f</title></circle>\n", xpos(p, xs[i]), ypos(best[xs[i]], top), esc(substr(name, 3)), esc(xs[i]), best[xs[i]]
			printf "</g>\n"
			}
			printf "<g class=\"series\" id=\"runs-%s\" fill=\"#1f77b4\" fill-opacity=\"0.55\">\n", esc(substr(name, 3))
			for (r = 1; r <= nr; r++)
				printf "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\"><title>%s: test_acc %.4f</title></circle>\n", xpos(p, rv[r, name]), ypos(acc[r], top), esc(cfgof[r]), acc[r]
			printf "</g>\n"
			printf "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#1f77b4\"/><text class=\"legend\" x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">each run</text>\n", L + W + 20, top + 14, L + W + 30, top + 14
			if (line) printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\"/><text class=\"legend\" x=\"%d\" y=\"%d\" dominant-baseline=\"middle\">best mean</text>\n", L + W + 12, top + 36, L + W + 28, top + 36, L + W + 30, top + 36
			printf "</g>\n"
		}
		printf "</svg>\n"
	}' "$tmp/configs" "$tmp/rows" >"$plot_tmp" && mv "$plot_tmp" "$plot" ||
	{ rm -f "$plot_tmp"; die "--plot: cannot write $plot"; }
say "wrote $plot"
