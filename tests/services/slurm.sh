#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine: munged, slurmctld and slurmd for localhost.
#
#   tests/services/slurm.sh          install (apt-get, root only) if needed, configure, start
#   tests/services/slurm.sh stop     stop the daemons this script started
#
# Debian's slurm-wlm and munge; the controller and the only node are this host, with all its
# CPUs and memory in one partition `compendium`. No accounting database: finished jobs stay
# visible to `scontrol show job` for an hour (MinJobAge), which is what the runner reads.
# Prints `ready: <partition>` when sbatch works; exits non-zero with one line saying why not.
set -euo pipefail

PARTITION=compendium
CONF_DIR=/etc/slurm
STATE=/var/lib/slurm-compendium
LOGS=/var/log/slurm-compendium

fail() { echo "slurm: $*" >&2; exit 1; }

if [[ "${1:-start}" == stop ]]; then
    pkill -x slurmd 2>/dev/null || true
    pkill -x slurmctld 2>/dev/null || true
    exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v munged >/dev/null; then
    [[ $(id -u) -eq 0 ]] || fail "slurm-wlm and munge are not installed and this is not root"
    command -v apt-get >/dev/null || fail "slurm-wlm and munge are not installed and there is no apt-get"
    echo "installing Debian's slurm-wlm and munge with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq slurm-wlm munge >/dev/null; } \
        || fail "apt-get could not install slurm-wlm and munge"
fi

if sinfo -h -p "$PARTITION" -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
    echo "ready: $PARTITION (already running)"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || fail "the cluster is not running and starting it needs root"

# munge: one key, its daemon running as the munge user.
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
fi
munge -n | unmunge >/dev/null 2>&1 || fail "munge does not work (see /var/log/munge)"

# slurm.conf for this host: the node line is what slurmd measures here.
HOST=$(hostname -s)
NODE=$(slurmd -C | head -n 1)
install -d "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS"
cat >"$CONF_DIR/slurm.conf" <<EOF
# Written by tests/services/slurm.sh: a single-node cluster on $HOST.
ClusterName=compendium
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SchedulerType=sched/backfill
$NODE State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

pkill -x slurmctld 2>/dev/null || true
pkill -x slurmd 2>/dev/null || true
sleep 1
slurmctld || fail "slurmctld did not start (see $LOGS/slurmctld.log)"
slurmd || fail "slurmd did not start (see $LOGS/slurmd.log)"
for _ in $(seq 1 30); do
    if sinfo -h -p "$PARTITION" -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
        echo "ready: $PARTITION"
        exit 0
    fi
    sleep 1
done
fail "the node did not come up in 30 s: $(sinfo -h -o '%t %E' 2>&1 | head -n 1)"
