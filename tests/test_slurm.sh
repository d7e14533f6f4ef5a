#!/bin/sh
# test_slurm: scripts/sweep.sh --emit-slurm on a real one-node Slurm cluster on localhost
# (Debian's slurm-wlm and munge): the job array, submitted with sbatch, records the rows a
# local sweep records, timings aside. munged, slurmctld and slurmd run with their own
# configuration, socket, ports and state in a temporary directory, and exactly those daemons
# are stopped at the end. Missing packages are a failure (.ci/run installs them); daemons that
# cannot start here skip the test, saying why.
. tests/lib.sh
tmp=$(mktemp -d)
SLURM_CONF=$tmp/slurm.conf
export SLURM_CONF

# running PID: alive, and not a zombie that nobody has reaped yet (daemons' parent is init).
running() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:.*zombie' "/proc/$1/status"; }

# stop: the daemons this test started, by their pid files, and wait until they are gone.
stop() {
	for d in slurmd slurmctld munged; do
		[ -s "$tmp/$d.pid" ] && kill "$(cat "$tmp/$d.pid")" 2>/dev/null
	done
	i=0
	while [ $i -lt 100 ]; do
		up=
		for d in slurmd slurmctld munged; do
			[ -s "$tmp/$d.pid" ] && running "$(cat "$tmp/$d.pid")" && up=$d
		done
		[ -n "$up" ] || break
		sleep 0.1
		i=$((i + 1))
	done
}
trap 'stop; rm -rf "$tmp"' EXIT

# skip REASON: the daemons cannot run here; say why, with the end of their logs.
skip() {
	echo "test_slurm: skipped: $1" >&2
	for f in "$tmp"/*.log; do [ -s "$f" ] && sed 's/^/  /' "$f" | tail -n 5 >&2; done
	report test_slurm
	exit 0
}

for tool in munged slurmctld slurmd sbatch squeue sinfo; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "test_slurm: $tool is missing (Debian: apt-get install slurm-wlm munge; .ci/run does)" >&2
		fail=$((fail + 1))
		report test_slurm
		exit 1
	fi
done

# munge, which Slurm authenticates with: a fresh key and a socket of our own.
mkdir -m 700 "$tmp/munge" "$tmp/state" "$tmp/spool"
dd if=/dev/urandom of="$tmp/munge/key" bs=1024 count=1 2>/dev/null
chmod 400 "$tmp/munge/key"
munged --force --socket="$tmp/munge/socket" --key-file="$tmp/munge/key" \
	--pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munge/seed" \
	2>>"$tmp/munged.log" || skip "munged does not start"

user=$(id -un)
port=$((20000 + $$ % 20000))
cpus=$(getconf _NPROCESSORS_ONLN)
cat >"$SLURM_CONF" <<EOF
ClusterName=bptraintest
SlurmctldHost=localhost
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CredType=cred/munge
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" 2>>"$tmp/slurmctld.log" || skip "slurmctld does not start"
slurmd -f "$SLURM_CONF" -N localhost 2>>"$tmp/slurmd.log" || skip "slurmd does not start"
i=0
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || skip "the node is not idle after 30 s ($(sinfo -h -o %T 2>&1))"

# A tiny sweep, emitted and submitted, then the same sweep run locally.
write_tiny_mnist "$tmp/tiny" 30
sweep="--lr 0.5,0.05 --hidden 8/4,8 --iters 30 --repeats 2 -j 2"
common="--data $tmp/tiny --batch 10 --init-std 0.1 --val 10"
sh scripts/sweep.sh $sweep --out "$tmp/slurm.csv" --emit-slurm "$tmp/sweep.slurm" \
	--slurm-time 0:10:00 --slurm-mem 100M -- $common 2>"$tmp/err"
check "the sweep writes its Slurm script ($(cat "$tmp/err"))" [ -s "$tmp/sweep.slurm" ]
job=$(cd "$tmp" && sbatch --parsable sweep.slurm 2>"$tmp/err")
check "sbatch accepts it ($(cat "$tmp/err"))" [ -n "$job" ]
i=0
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] && [ $i -lt 1800 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the job array finishes within 3 minutes" [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]
check "its 8 tasks append 8 rows" [ "$(rows "$tmp/slurm.csv")" -eq 8 ]
check "... complete" complete_rows "$tmp/slurm.csv"
check "... each run once" unique_runs "$tmp/slurm.csv"
check "... all ok" [ "$(csv_cut "$tmp/slurm.csv" status exit | sort -u)" = "ok,0" ]
check "each task's output and error files are next to the CSV" \
	[ "$(ls "$tmp" | grep -c "^slurm-${job}_[1-8]\.out$")" -eq 8 -a \
		"$(ls "$tmp" | grep -c "^slurm-${job}_[1-8]\.err$")" -eq 8 ]
check "a task's error file has its run's line" grep -q "val_acc .* --seed" "$tmp/slurm-${job}_1.err"
sh scripts/sweep.sh $sweep --out "$tmp/local.csv" -- $common >/dev/null 2>&1
check "the rows equal a local sweep's (timings aside)" [ "$(untimed "$tmp/slurm.csv")" = "$(untimed "$tmp/local.csv")" ]
sh scripts/sweep.sh $sweep --out "$tmp/slurm.csv" -- $common >"$tmp/out" 2>"$tmp/err"
check "the local sweep then finds every run recorded and prints the summary" \
	sh -c 'grep -q "8 already in .*, 0 to run" "$1" && grep -q "^ranked by mean val_acc" "$2"' sh "$tmp/err" "$tmp/out"
report test_slurm
