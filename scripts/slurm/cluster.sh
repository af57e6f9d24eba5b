#!/usr/bin/env bash
# A one-node Slurm cluster started by hand (no systemd), for test/scaling/slurm.test.ts and for trying the scripts that
# `quanta sweep ... --emit slurm` writes. Needs root and the Debian packages slurmctld, slurmd, slurm-client
# and munge.
#
#   scripts/slurm/cluster.sh start STATE_DIR   # prints `export SLURM_CONF=STATE_DIR/slurm.conf`
#   scripts/slurm/cluster.sh stop STATE_DIR
#
# `start` creates the munge key if missing and starts munged unless one already answers, writes
# STATE_DIR/slurm.conf (this host, all its CPUs, its memory less a margin, one partition `debug`), starts
# slurmctld and slurmd on it, and waits until the node is idle. The daemons' PIDs go to STATE_DIR/*.pid and
# their logs to STATE_DIR/*.log. `stop` kills exactly those PIDs (munged only if `start` started it). Both are
# idempotent: `start` on a running STATE_DIR only waits for the node, `stop` on a stopped one does nothing.
# Ports: 6817/6818 unless taken (then the next free pair), or QUANTA_SLURM_PORT (slurmctld; slurmd +1).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2"
state=$(cd "$2" && pwd)
conf=$state/slurm.conf
export SLURM_CONF=$conf

log() { echo "cluster.sh: $*" >&2; }

# the PID in a pid file if that process is alive
alive_pid() {
  local f=$1 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_pid() {
  local name=$1 f=$2 pid
  if pid=$(alive_pid "$f"); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) ignored SIGTERM for 5 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name ($pid)"
  fi
  rm -f "$f"
}

# nothing listens on 127.0.0.1:$1 (ss if there is one, else a connect attempt)
port_free() {
  if command -v ss >/dev/null; then
    ! ss -Htln "sport = :$1" | grep -q .
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 700 /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    log "created /etc/munge/munge.key"
  fi
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged already running: using it"
    return
  fi
  install -d -o munge -g munge -m 755 /run/munge
  install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
  # munged refuses to run as root with a key owned by munge: run it as the munge user (it daemonizes and
  # writes its pid file; the pid file here is ours, so `stop` knows it started it)
  rm -f "$state/munged.pid"
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/quanta-munged.pid
  for _ in $(seq 1 50); do
    [ -s /run/munge/quanta-munged.pid ] && break
    sleep 0.1
  done
  cp /run/munge/quanta-munged.pid "$state/munged.pid"
  munge -n </dev/null | unmunge >/dev/null || {
    log "munged does not answer"
    exit 1
  }
  log "started munged ($(cat "$state/munged.pid"))"
}

write_conf() {
  local host cpus mem_mb real_mb margin_mb port
  host=$(hostname -s)
  cpus=$(nproc)
  mem_mb=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024))
  # slurmd drains a node that has less memory than RealMemory: leave 10% (at least 512 MB) for the system
  margin_mb=$((mem_mb / 10 > 512 ? mem_mb / 10 : 512))
  real_mb=$((mem_mb - margin_mb))
  if [ -n "${QUANTA_SLURM_PORT:-}" ]; then
    port=$QUANTA_SLURM_PORT
  else
    port=6817
    while ! port_free "$port" || ! port_free $((port + 1)); do port=$((port + 2)); done
  fi
  mkdir -p "$state/ctld" "$state/spool"
  cat >"$conf" <<EOF
# written by scripts/slurm/cluster.sh: a one-node test cluster on $host
ClusterName=quanta-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# a requeued job may start again only after the job credential lifetime + 1 s (default 120 s)
AuthInfo=cred_expire=5
MailProg=/bin/true
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups here (a container, no systemd): track job processes by their parent pids, bind nothing
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# every finished job (and requeued attempt) as one line: what sacct would tell, without slurmdbd
JobCompType=jobcomp/filetxt
JobCompLoc=$state/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobRequeue=1
KillWait=30
# finished jobs leave squeue/scontrol after a few seconds
MinJobAge=5
# schedule on every submit and job end at once; a short periodic pass for requeued and array jobs
SchedulerParameters=sched_interval=2,batch_sched_delay=0,bf_interval=2
MpiDefault=none
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
# a job that asks for no memory gets 1 GB a CPU (not the whole node)
DefMemPerCPU=1024
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n 1; }

start() {
  [ "$(id -u)" = 0 ] || {
    log "needs root (munged as the munge user, slurmd running jobs as their users)"
    exit 1
  }
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sinfo >/dev/null || {
    log "needs slurmctld, slurmd and slurm-client (apt-get install -y slurmctld slurmd slurm-client munge)"
    exit 1
  }
  start_munge
  if alive_pid "$state/slurmctld.pid" >/dev/null && alive_pid "$state/slurmd.pid" >/dev/null; then
    log "slurmctld and slurmd already running for $state"
  else
    stop_pid slurmd "$state/slurmd.pid"
    stop_pid slurmctld "$state/slurmctld.pid"
    write_conf
    # -c: a clean start (no jobs or node states saved by an earlier run of this STATE_DIR)
    slurmctld -c -f "$conf"
    slurmd -c -f "$conf"
  fi
  local s=''
  for _ in $(seq 1 300); do
    s=$(node_state)
    case $s in idle | mixed | allocated) break ;; esac
    sleep 0.1
  done
  case $s in
  idle | mixed | allocated) ;;
  *)
    log "the node is '$s', not idle, after 30 s; the logs: $state/slurmctld.log, $state/slurmd.log"
    exit 1
    ;;
  esac
  log "node $(hostname -s) is $s (slurmctld $(cat "$state/slurmctld.pid"), slurmd $(cat "$state/slurmd.pid"))"
  echo "export SLURM_CONF=$conf"
}

stop() {
  stop_pid slurmd "$state/slurmd.pid"
  stop_pid slurmctld "$state/slurmctld.pid"
  stop_pid munged "$state/munged.pid"
}

case $action in
start) start ;;
stop) stop ;;
*) usage ;;
esac
