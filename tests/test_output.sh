#!/bin/sh
# test_output: what bptrain prints for scripts: --format text|csv|json, --quiet, --log, --plot,
# progress only on a terminal. CSV and JSON are parsed and cross-checked with the text table;
# SVGs are checked with a real XML parser (xmllint) and the plotted points read back.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

need_tool() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "test_output: $1 is missing ($2): run .ci/run or install it" >&2
		fail=$((fail + 1))
		report test_output
		exit 1
	fi
}
need_tool xmllint "Debian package libxml2-utils"
need_tool node "Debian package nodejs, used as a strict JSON parser"
need_tool script "Debian package bsdutils, gives bptrain a terminal for the progress check"

write_tiny_mnist "$tmp/tiny" 30
# Test labels all 0, so test_acc differs from train_acc and a mix-up of the two shows.
{ printf "$(be32 2049)$(be32 30)"; head -c 30 /dev/zero; } >"$tmp/tiny/t10k-labels-idx1-ubyte"
base="--data $tmp/tiny --iters 20 --batch 10 --hidden 8 --lr 0.5 --init-std 0.1 --seed 3"

# The text table: epoch, iter, loss, train_acc, test_acc of each row.
run_bptrain $base
check "text run exits 0 ($err)" [ "$status" -eq 0 ]
check "no progress on stderr when it is not a terminal ($err)" [ -z "$err" ]
printf '%s\n' "$out" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }' >"$tmp/text_rows"
check "text has 7 epoch rows (20 iterations, 3 per epoch)" [ "$(wc -l <"$tmp/text_rows")" -eq 7 ]
check "text header names the columns as CSV and JSON do" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^epoch +iter +loss +train_acc +test_acc +test_loss +time_s +samples_per_s$"' sh "$out"
text_last=$(printf '%s\n' "$out" | tail -n 1)
check "text ends with the summary line ($text_last)" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^train_acc=.* status=ok$"' sh "$text_last"
# value KEY LINE: the value of KEY=... in a summary line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# CSV: a header, one row per epoch, one final row; every row has the header's field count.
run_bptrain $base --format csv
check "csv run exits 0" [ "$status" -eq 0 ]
printf '%s\n' "$out" >"$tmp/out.csv"
header=$(head -n 1 "$tmp/out.csv")
check "csv header starts with the record fields ($header)" \
	[ "${header#record,epoch,iter,loss,current_lr,train_acc,val_acc,val_loss,test_acc,test_loss,time_s,samples_per_s,train_s,total_s,status,}" != "$header" ]
check "csv: header + 7 epoch rows + 1 final row" [ "$(wc -l <"$tmp/out.csv")" -eq 9 ]
check "csv: every row has as many fields as the header" \
	awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$tmp/out.csv"
check "csv: 7 epoch rows then the final row" \
	[ "$(cut -d, -f1 "$tmp/out.csv" | tr '\n' ' ')" = "record epoch epoch epoch epoch epoch epoch epoch final " ]
# Columns by name, so the check does not depend on their order.
csv_rows() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["record"] == "epoch" { printf "%d %d %.4f %.4f %.4f\n", $col["epoch"],
			$col["iter"], $col["loss"], $col["train_acc"], $col["test_acc"] }' "$1"
}
csv_rows "$tmp/out.csv" >"$tmp/csv_rows"
check "csv epoch rows equal the text table to 4 decimals" cmp -s "$tmp/csv_rows" "$tmp/text_rows"
final_csv=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$1 == "final" { printf "train_acc=%.4f test_acc=%.4f loss=%.4f iters=%d max_iters=%d status=%s lr=%s seed=%s",
		$col["train_acc"], $col["test_acc"], $col["loss"], $col["iters"], $col["max_iters"], $col["status"],
		$col["lr"], $col["seed"] }' "$tmp/out.csv")
for key in train_acc test_acc loss iters max_iters status lr seed; do
	check "csv final $key equals the text summary's" \
		[ "$(value $key "$final_csv")" = "$(value $key "$text_last")" ]
done
check "csv: configuration on every row (data dir in the last column)" \
	[ "$(grep -c ",$tmp/tiny\$" "$tmp/out.csv")" -eq 8 ]

# JSON lines: each line parses on its own; same numbers as the text table.
run_bptrain $base --format json
check "json run exits 0" [ "$status" -eq 0 ]
printf '%s\n' "$out" >"$tmp/out.json"
json_rows() {
	node -e '
		const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
		if (lines.pop() !== "") throw new Error("no final newline");
		for (const line of lines) {
			const r = JSON.parse(line);
			if (r.record === "epoch")
				console.log(r.epoch, r.iter, r.loss.toFixed(4), r.train_acc.toFixed(4),
					r.test_acc.toFixed(4));
			else
				console.log("final", r.record, r.epoch, r.iter, r.status, r.hidden, r.lr,
					r.iters, r.max_iters, r.batch, r.init_std, r.seed, r.data, r.net,
					typeof r.train_s, typeof r.total_s);
		}' "$1"
}
json_rows "$tmp/out.json" >"$tmp/json_all"
parsed=$?
check "json: every line is a JSON object (node exit $parsed)" [ "$parsed" -eq 0 ]
grep -v '^final' "$tmp/json_all" >"$tmp/json_rows"
check "json epoch records equal the text table to 4 decimals" cmp -s "$tmp/json_rows" "$tmp/text_rows"
check "json: 8 records, the last one final with the whole configuration ($(tail -n 1 "$tmp/json_all"))" \
	[ "$(wc -l <"$tmp/json_all")" -eq 8 -a "$(tail -n 1 "$tmp/json_all")" = \
		"final final 7 20 ok 8 0.5 20 20 10 0.1 3 $tmp/tiny 16-8-3 number number" ]

# --quiet: only the summary, in each format.
run_bptrain $base --quiet
check "--quiet text prints one line" [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]
check "--quiet text line is the summary" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^train_acc=.* status=ok$"' sh "$out"
run_bptrain $base -q --format csv
check "--quiet csv prints the header and the final row" \
	[ "$(printf '%s\n' "$out" | cut -d, -f1 | tr '\n' ' ')" = "record final " ]
run_bptrain $base -q --format json
check "--quiet json prints the final object only" \
	sh -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ] && printf "%s\n" "$1" | grep -q "^{\"record\":\"final\""' sh "$out"

# --log: stdout stays the human table; the file gets CSV or JSON lines by its name.
run_bptrain $base --log "$tmp/run.csv"
check "--log run exits 0" [ "$status" -eq 0 ]
printf '%s\n' "$out" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }' >"$tmp/log_text_rows"
check "--log leaves the stdout table as it was" cmp -s "$tmp/log_text_rows" "$tmp/text_rows"
csv_rows "$tmp/run.csv" >"$tmp/log_csv_rows"
check "--log FILE.csv gets the CSV records" cmp -s "$tmp/log_csv_rows" "$tmp/text_rows"
check "--log FILE.csv ends with the final row" [ "$(tail -n 1 "$tmp/run.csv" | cut -d, -f1)" = final ]
run_bptrain $base --quiet --log "$tmp/run.jsonl"
json_rows "$tmp/run.jsonl" | grep -v '^final' >"$tmp/log_json_rows"
check "--log FILE.jsonl gets all JSON records, even with --quiet" \
	cmp -s "$tmp/log_json_rows" "$tmp/text_rows"
run_bptrain $base --log "$tmp/nodir/run.csv"
check "--log into a missing directory exits 1 ($status)" [ "$status" -eq 1 ]
check "--log error names the file ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q -- "--log: .*nodir/run.csv"' sh "$err"
if [ -w /dev/full ]; then
	run_bptrain $base --log /dev/full
	check "--log to a full disk exits 1 ($status)" [ "$status" -eq 1 ]
fi

# A diverging run still ends with a final record saying so.
run_bptrain --data "$tmp/tiny" --iters 200 --batch 10 --lr 1e6 --init-std 10 --format json
check "diverging json run exits 1" [ "$status" -eq 1 ]
check "its final record says diverged" \
	sh -c 'printf "%s\n" "$1" | tail -n 1 | grep -q "\"status\":\"diverged\""' sh "$out"

# --plot: well-formed SVG with one point per epoch in each series, at the right height.
run_bptrain $base --plot "$tmp/curves.svg"
check "--plot run exits 0 ($err)" [ "$status" -eq 0 ]
check "--plot writes well-formed XML" xmllint --noout "$tmp/curves.svg"
check "--plot leaves no temporary file" [ "$(ls "$tmp" | grep -c 'curves.svg.')" -eq 0 ]
xp() { xmllint --xpath "$1" "$tmp/curves.svg" 2>/dev/null; }
check "the root element is svg in the SVG namespace" \
	[ "$(xp 'namespace-uri(/*)')" = "http://www.w3.org/2000/svg" ]
for s in train_acc test_acc loss; do
	check "series $s has 7 points" \
		[ "$(xp "count(//*[local-name()='g'][@id='$s']/*[local-name()='circle'])")" = 7 ]
	check "series $s has a legend entry" \
		[ "$(xp "count(//*[local-name()='text'][@class='legend'][.='$s'])")" = 1 ]
done
check "the title shows the configuration" \
	sh -c 'xmllint --xpath "string(//*[local-name()=\"text\"][@class=\"title\"])" "$1" |
		grep -q "16-8-3 relu: lr 0.5, batch 10, 20 iterations, init-std 0.1, seed 3"' sh "$tmp/curves.svg"
# Each point's tooltip holds "iteration X: name Y"; read them back with their coordinates.
points() {
	n=$(xp "count(//*[local-name()='g'][@id='$1']/*[local-name()='circle'])")
	i=1
	while [ "$i" -le "${n:-0}" ]; do
		c="(//*[local-name()='g'][@id='$1']/*[local-name()='circle'])[$i]"
		printf '%s %s %s\n' "$(xp "string($c/*[local-name()='title'])")" "$(xp "string($c/@cx)")" \
			"$(xp "string($c/@cy)")"
		i=$((i + 1))
	done
}
points test_acc >"$tmp/test_points"
awk '{ printf "%d %.4f\n", $2, $4 }' "$tmp/test_points" | sed 's/://' >"$tmp/plot_test"
awk '{ print $2, $5 }' "$tmp/text_rows" >"$tmp/want_test"
check "plotted test_acc values equal the table's" cmp -s "$tmp/plot_test" "$tmp/want_test"
# Screen position must be a straight, increasing function of iteration (x) and a decreasing
# one of the value (y): any two points give the same scale.
linear() {
	awk -v col="$1" -v pix="$2" -v sign="$3" '
		{ v[NR] = $col + 0; p[NR] = $pix + 0 }
		END {
			if (NR < 3) exit 1
			for (i = 2; i <= NR; i++) for (j = 1; j < i; j++) {
				if (v[i] == v[j]) { if (p[i] != p[j]) exit 1; continue }
				k = (p[i] - p[j]) / (v[i] - v[j])
				if (k * sign <= 0) exit 1
				if (!have) { k0 = k; have = 1 }
				else if (k - k0 > 0.02 * (k0 > 0 ? k0 : -k0) + 1e-6 || k0 - k > 0.02 * (k0 > 0 ? k0 : -k0) + 1e-6) exit 1
			}
		}' "$4"
}
sed 's/://' "$tmp/test_points" >"$tmp/tp"
check "x position grows linearly with the iteration" linear 2 5 1 "$tmp/tp"
points loss | sed 's/://' >"$tmp/lp"
check "loss points: y position falls linearly as the loss grows" linear 4 6 -1 "$tmp/lp"

run_bptrain $base --plot "$tmp/nodir/curves.svg"
check "--plot into a missing directory exits 1 ($status)" [ "$status" -eq 1 ]
check "--plot error names the flag ($err)" sh -c 'printf "%s\n" "$1" | grep -q -- "--plot"' sh "$err"
check "a plot that cannot be written is found before training (no table)" [ -z "$out" ]
# A plot that fails only at the end (the directory removed during the run) still leaves the
# table and the summary.
mkdir "$tmp/gone"
"$BPTRAIN" $base --iters 400000 --plot "$tmp/gone/curves.svg" >"$tmp/gone.out" 2>"$tmp/gone.err" &
gone_pid=$!
wait_for_table "$tmp/gone.out"
rmdir "$tmp/gone"
kill -INT $gone_pid
wait $gone_pid
check "the table is still printed when the plot fails at the end" \
	sh -c 'tail -n 1 "$1" | grep -q "status=interrupted"' sh "$tmp/gone.out"
check "... and the plot's failure is named ($(cat "$tmp/gone.err" | head -n 2))" grep -q -- "--plot" "$tmp/gone.err"
# Odd characters in the configuration are escaped, not pasted into the XML.
mkdir -p "$tmp/a&b<c>\"q'"
cp "$tmp"/tiny/* "$tmp/a&b<c>\"q'/"
run_bptrain --data "$tmp/a&b<c>\"q'" --iters 5 --batch 10 --plot "$tmp/odd.svg"
check "a data dir with &<>\"' still gives well-formed XML" xmllint --noout "$tmp/odd.svg"

# The same odd directory and a deep net's "8,4" survive CSV quoting and JSON escaping: read
# back with node's JSON parser and a strict RFC 4180 reader.
run_bptrain --data "$tmp/a&b<c>\"q'" --iters 5 --batch 10 --hidden 8,4 -q --format json
check "json escapes the data dir and keeps hidden as \"8,4\"" node -e '
	const r = JSON.parse(process.argv[1]);
	if (r.data !== process.argv[2] || r.hidden !== "8,4") process.exit(1);' "$out" "$tmp/a&b<c>\"q'"
# A quote alone needs quoting as much as a comma does.
for odd in 'a,b"c' 'a"b'; do
	mkdir -p "$tmp/$odd"
	cp "$tmp"/tiny/* "$tmp/$odd/"
	run_bptrain --data "$tmp/$odd" --iters 5 --batch 10 --hidden 8,4 --format csv
	check "csv quotes fields with commas and quotes (RFC 4180): $odd" node -e '
	// A strict RFC 4180 reader: quoted fields, doubled quotes, nothing else.
	function parse(line) {
		const out = []; let i = 0;
		for (;;) {
			let f = "";
			if (line[i] === "\"") {
				for (i++; ; i++) {
					if (i >= line.length) throw new Error("unterminated quote");
					if (line[i] === "\"") { if (line[i + 1] === "\"") { f += "\""; i++; } else { i++; break; } }
					else f += line[i];
				}
			} else while (i < line.length && line[i] !== ",") { if (line[i] === "\"") throw new Error("stray quote"); f += line[i++]; }
			out.push(f);
			if (i >= line.length) return out;
			if (line[i++] !== ",") throw new Error("junk after a quoted field");
		}
	}
	const lines = process.argv[1].split("\n"), head = parse(lines[0]);
	for (const line of lines.slice(1)) {
		const row = parse(line);
		if (row.length !== head.length) process.exit(1);
		const get = k => row[head.indexOf(k)];
		if (get("hidden") !== "8,4" || get("data") !== process.argv[2]) process.exit(1);
	}' "$out" "$tmp/$odd"
done

# Bad values: exit 2, naming the flag.
for args in "--format xml" "--format=" "--log=" "--plot x.png" "--plot .svg" "--plot="; do
	run_bptrain $base $args
	flag=${args%%[ =]*}
	check "'$args' exits 2 ($status)" [ "$status" -eq 2 ]
	check "'$args' error names $flag ($err)" sh -c 'printf "%s\n" "$1" | grep -q -- "$2"' sh "$err" "$flag"
done
for args in "--gradcheck --format csv" "--gradcheck --log x.csv" "--gradcheck-all --plot x.svg"; do
	run_bptrain $base $args
	check "'$args' exits 2 ($status)" [ "$status" -eq 2 ]
	check "'$args' error names --gradcheck ($err)" sh -c 'printf "%s\n" "$1" | grep -q -- "--gradcheck"' sh "$err"
done
run_bptrain --help
for flag in --format --quiet --log --plot; do
	check "--help lists $flag" sh -c 'printf "%s\n" "$1" | grep -q -- "$2"' sh "$out" "$flag"
done

# Progress: shown on a terminal (script(1) gives bptrain one), never with --quiet. script's
# stdin is /dev/null: run.sh runs this test under timeout(1), in a process group of its own,
# and a script reading a terminal from there (make test typed at one) is stopped by SIGTTOU
# when it sets the terminal raw, until the time limit kills it.
script -qec "$BPTRAIN $base --format csv >$tmp/pty.csv" "$tmp/typescript" </dev/null >/dev/null 2>&1
check "progress shows on a terminal" grep -q 'epoch 1/7' "$tmp/typescript"
check "progress stays off stdout" [ "$(grep -c 'epoch 1/7' "$tmp/pty.csv")" -eq 0 ]
# On a 40-column terminal every redraw fits in 39 columns (a wider one would wrap and leave
# copies behind), and still has the bar, the percent, the time left and the note of the
# first evaluation (always drawn, as the first step is; the rest are drawn at most 4 times a
# second, like the steps).
script -qec "stty cols 40; $BPTRAIN $base --hidden 64 --iters 300 >/dev/null" "$tmp/narrow" </dev/null >/dev/null 2>&1
tr '\r' '\n' <"$tmp/narrow" | grep -E '%.* left' >"$tmp/narrow_lines"
check "40 columns: progress lines were drawn" [ -s "$tmp/narrow_lines" ]
check "40 columns: no progress line is wider than 39" \
	awk 'length($0) > 39 { bad = 1 } END { exit bad }' "$tmp/narrow_lines"
check "40 columns: a bar, percent and time left" grep -qE '^epoch [0-9]+/[0-9]+ \[[#.]+\] +[0-9]+% .* left' "$tmp/narrow_lines"
check "40 columns: the evaluation is named" grep -q 'evaluating' "$tmp/narrow_lines"
script -qec "$BPTRAIN $base -q" "$tmp/typescript2" </dev/null >/dev/null 2>&1
check "--quiet shows no progress on a terminal" [ "$(grep -c ' left' "$tmp/typescript2")" -eq 0 ]

# --log-every N: a "step" record every N iterations (their mean loss) in JSON, CSV and the
# log; the text table stays per epoch.
write_tiny_mnist "$tmp/steps" 30
steps="--data $tmp/steps --iters 6 --batch 10 --hidden 4 --log-every 2"
run_bptrain $steps --format json --log "$tmp/steps.csv"
printf '%s\n' "$out" >"$tmp/steps.json"
step_iters=$(node -e '
	const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	const steps = lines.map(JSON.parse).filter(r => r.record === "step");
	if (!steps.every(r => typeof r.loss === "number" && r.loss > 0)) throw new Error("loss");
	console.log(steps.map(r => r.iter).join(" "));' "$tmp/steps.json")
check "--log-every 2 --iters 6: step records at 2 4 6 ($step_iters)" [ "$step_iters" = "2 4 6" ]
# 3 steps an epoch: a step record names the epoch it is in.
step_epochs=$(node -e '
	const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	const steps = lines.map(JSON.parse).filter(r => r.record === "step");
	console.log(steps.map(r => r.iter + ":" + r.epoch).join(" "));' "$tmp/steps.json")
check "--log-every: steps 2, 4, 6 are in epochs 1, 2, 2 ($step_epochs)" \
	[ "$step_epochs" = "2:1 4:2 6:2" ]
check "--log-every: the CSV log has the same 3 step rows" \
	[ "$(grep -c '^step,' "$tmp/steps.csv")" -eq 3 ]
run_bptrain $steps
check "--log-every leaves the text table alone" \
	[ "$(printf '%s\n' "$out" | grep -c '^step')" -eq 0 -a "$status" -eq 0 ]
run_within 10 $steps --log-every x
check "--log-every x is a usage error naming the flag" [ "$status" -eq 2 ]
check "... in one line ($err)" one_line_naming "$err" "--log-every"

# --plot-runs: several runs' step records, one line per value of --group, drawn by the same
# SVG writer; mismatched or missing records are one-line errors naming the file.
for opt in sgd adam; do
	run_bptrain --data "$tmp/steps" --iters 6 --batch 10 --hidden 4 --log-every 2 \
		--optimizer $opt --log "$tmp/run-$opt.csv" -q
done
cat "$tmp/run-sgd.csv" "$tmp/run-adam.csv" >"$tmp/runs.csv"
run_bptrain --plot-runs "$tmp/runs.csv" --group optimizer --plot "$tmp/runs.svg"
check "--plot-runs exits 0 ($err)" [ "$status" -eq 0 ]
check "--plot-runs writes well-formed XML" xmllint --noout "$tmp/runs.svg"
series=$(xmllint --xpath 'count(//*[local-name()="g"][@class="series"])' "$tmp/runs.svg" 2>/dev/null)
check "--plot-runs draws one line per optimizer ($series)" [ "$series" = 2 ]
check "... named sgd and adam" sh -c 'grep -q "id=\"sgd\"" "$1" && grep -q "id=\"adam\"" "$1"' sh "$tmp/runs.svg"
run_bptrain --data "$tmp/steps" --iters 4 --batch 10 --hidden 4 --log-every 2 --optimizer momentum \
	--log "$tmp/run-short.csv" -q
cat "$tmp/runs.csv" "$tmp/run-short.csv" >"$tmp/mixed.csv"
run_bptrain --plot-runs "$tmp/mixed.csv" --group optimizer --plot "$tmp/mixed.svg"
check "--plot-runs refuses runs at different iterations (exit $status)" [ "$status" -eq 1 ]
check "... naming the file ($err)" one_line_naming "$err" "$tmp/mixed.csv"
run_bptrain --plot-runs "$tmp/runs.csv" --group colour --plot "$tmp/x.svg"
check "--plot-runs with an unknown column exits 1 ($err)" [ "$status" -eq 1 ]
run_bptrain --plot-runs "$tmp/steps.csv.none" --group optimizer --plot "$tmp/x.svg"
check "--plot-runs of a missing file exits 1 ($err)" [ "$status" -eq 1 ]
run_within 10 --plot-runs "$tmp/runs.csv" --plot "$tmp/x.svg"
check "--plot-runs without --group is a usage error ($err)" [ "$status" -eq 2 ]
run_within 10 --group optimizer --iters 5
check "--group without --plot-runs is a usage error ($err)" [ "$status" -eq 2 ]
# --plot-sweep rings the best run: the highest metric, wherever it is in the file.
printf 'config,status,seed,lr,val_acc,test_acc,train_acc\n' >"$tmp/sweep.csv"
for i in 3 9 1 5; do printf 'c%s,ok,42,0.%s,,0.%s,0.5\n' $i $i $i >>"$tmp/sweep.csv"; done
run_bptrain --plot-sweep "$tmp/sweep.csv" --x lr --plot "$tmp/sweep.svg"
best=$(xmllint --xpath "string(//*[@class='best']/*[local-name()='title'])" "$tmp/sweep.svg" 2>/dev/null)
check "--plot-sweep rings the run of test_acc 0.9 as the best ($best)" \
	[ "$best" = "the best run: c9 --seed 42: test_acc 0.9" ]

# --facet and --metric: the epoch records' train_acc in a grid, a panel per init_std, a line
# per batchnorm in each; the points read back from the polylines are the records' values.
for std in 0.1 0.5 1; do
	for bn in "" --batchnorm; do
		run_bptrain --data "$tmp/steps" --iters 12 --batch 10 --hidden 4 --init-std $std $bn \
			--log "$tmp/g-$std$bn.csv" -q
		cat "$tmp/g-$std$bn.csv" >>"$tmp/grid.csv"
	done
done
run_bptrain --plot-runs "$tmp/grid.csv" --group batchnorm --facet init_std --metric train_acc \
	--plot "$tmp/grid.svg"
check "--facet exits 0 ($err)" [ "$status" -eq 0 ]
check "--facet writes well-formed XML" xmllint --noout "$tmp/grid.svg"
gx() { xmllint --xpath "$1" "$tmp/grid.svg" 2>/dev/null; }
check "--facet: a panel per init_std" [ "$(gx 'count(//*[local-name()="g"][@class="panel"])')" = 3 ]
check "--facet: panels named by column and value" \
	[ "$(gx 'string((//*[local-name()="text"][@class="panel-title"])[2])')" = "init_std 0.5" ]
check "--facet: two lines in each panel" [ "$(gx 'count(//*[local-name()="g"][@class="series"])')" = 6 ]
check "--facet: a legend entry per batchnorm value" \
	[ "$(gx 'count(//*[local-name()="text"][@class="legend"])')" = 2 ]
npoints=$(gx 'string((//*[local-name()="polyline"])[1]/@points)' | wc -w)
check "--facet --metric train_acc: a point per epoch record ($npoints)" [ "$npoints" -eq 4 ]
# The lines, in document order (panel by panel, batchnorm 0 then 1), are the runs in the
# order the CSV has them; every point's height is one straight decreasing function of its
# train_acc (the panels share the y axis).
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$1 == "epoch" { print $c["train_acc"] }' "$tmp/grid.csv" >"$tmp/grid_values"
gx '//*[local-name()="polyline"]/@points' | tr ' ' '\n' | sed -n 's/.*,\([0-9.]*\)"*$/\1/p' >"$tmp/grid_ys"
check "--facet: as many points as epoch records" \
	[ "$(wc -l <"$tmp/grid_ys")" -eq "$(wc -l <"$tmp/grid_values")" ]
check "--facet: each point's height is the same straight function of its record's train_acc" \
	awk 'NR == FNR { v[FNR] = $1; n = FNR; next } { y[FNR] = $1 }
	END {
		lo = hi = 1
		for (i = 1; i <= n; i++) { if (v[i] < v[lo]) lo = i; if (v[i] > v[hi]) hi = i }
		if (v[hi] == v[lo] || y[hi] >= y[lo]) exit 1
		k = (y[hi] - y[lo]) / (v[hi] - v[lo])
		for (i = 1; i <= n; i++) { d = y[lo] + k * (v[i] - v[lo]) - y[i]; if (d > 0.02 || d < -0.02) exit 1 }
	}' "$tmp/grid_values" "$tmp/grid_ys"
run_bptrain --plot-runs "$tmp/grid.csv" --group batchnorm --metric no_such_field --plot "$tmp/x.svg"
check "--metric with an unknown field exits 1 naming it ($err)" \
	sh -c '[ "$1" -eq 1 ] && printf "%s\n" "$2" | grep -q no_such_field' sh "$status" "$err"
run_bptrain --plot-runs "$tmp/grid.csv" --group batchnorm --facet seed --metric test_acc --plot "$tmp/one.svg"
check "--facet with one value: one panel" \
	[ "$(xmllint --xpath 'count(//*[local-name()="g"][@class="panel"])' "$tmp/one.svg")" = 1 ]
run_within 10 --facet init_std --iters 5
check "--facet without --plot-runs is a usage error ($err)" [ "$status" -eq 2 ]
run_within 10 --metric train_acc --iters 5
check "--metric without --plot-runs is a usage error ($err)" [ "$status" -eq 2 ]

report test_output
