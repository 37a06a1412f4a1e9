#!/usr/bin/env bash
# The provisioner's test world: sets of "nodes" on this machine, each a network namespace on the
# set's own bridge with its own mount, UTS and PID namespaces and a real sshd, so `corral up`
# reaches them over SSH exactly as it would reach real machines. Needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state_root=${CORRAL_NODES_DIR:-/var/tmp/corral-nodes}
alloc_dir=/run/corral-nodes
prefix=${CORRAL_NODES_PREFIX:-10.77}
sshd=/usr/sbin/sshd

# Folders a node owns: bind-mounted from the node's host folder so that nodes do not share them
# with each other or with this machine, and tests can look into them from outside.
private_dirs=(
  /etc/kubernetes /etc/cni /etc/systemd/system
  /var/lib/etcd /var/lib/kubelet /var/lib/kube-proxy /var/lib/cni /var/lib/corral
  /opt/rke /opt/cni
  /var/log/corral /var/log/kube-audit /var/log/pods /var/log/containers
  /run/corral /tmp /root
  # The container runtime's: containerd's state and sockets, pod network namespaces, flannel's lease.
  /etc/containerd /var/lib/containerd /run/containerd /run/netns /run/flannel
)

# The cgroup v1 hierarchies mounted here (name and mount options), e.g. "memory memory" or
# "systemd none,name=systemd". Each node gets a subtree of each, below this shell's own cgroup.
cgroup_v1_hierarchies() {
  awk '$3 == "cgroup" {
    n = split($2, p, "/"); m = split($4, o, ","); opts = ""
    for (i = 1; i <= m; i++) if (o[i] !~ /^(rw|ro|relatime|nosuid|nodev|noexec)$/) opts = opts (opts ? "," : "") o[i]
    print p[n], opts }' /proc/mounts
}

# The host folder of a node's cgroup in one hierarchy.
node_cgroup_dir() { # hierarchy mount name, options, node
  local cur
  if [[ $2 == *name=* ]]; then
    cur=$(awk -F: -v n="${2##*name=}" '$2 == "name=" n { print $3 }' /proc/self/cgroup)
  else
    cur=$(awk -F: -v c="$2" '{ split($2, cs, ","); for (i in cs) if (cs[i] == c) print $3 }' /proc/self/cgroup | head -n1)
  fi
  echo "/sys/fs/cgroup/$1${cur%/}/corral-nodes/$3"
}

# Makes the node's cgroup subtree in every hierarchy; prints the cgroup.procs files to join.
make_node_cgroups() { # node
  local name opts dir parent
  while read -r name opts; do
    dir=$(node_cgroup_dir "$name" "$opts" "$1")
    mkdir -p "$dir"
    if [[ $name == cpuset ]]; then
      # A v1 cpuset cgroup without cpus and mems takes no processes.
      for parent in "$(dirname "$dir")" "$dir"; do
        [[ -s $parent/cpuset.cpus ]] || cat "$(dirname "$parent")/cpuset.cpus" >"$parent/cpuset.cpus"
        [[ -s $parent/cpuset.mems ]] || cat "$(dirname "$parent")/cpuset.mems" >"$parent/cpuset.mems"
      done
    fi
    echo "$dir/cgroup.procs"
  done < <(cgroup_v1_hierarchies)
}

# Every process in the node's cgroups (containers too, which live in network namespaces of their own).
node_cgroup_pids() { # node
  local name opts dir
  while read -r name opts; do
    dir=$(node_cgroup_dir "$name" "$opts" "$1")
    [[ -d $dir ]] && find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(cgroup_v1_hierarchies) | sort -u
}

remove_node_cgroups() { # node
  local name opts dir
  while read -r name opts; do
    dir=$(node_cgroup_dir "$name" "$opts" "$1")
    [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    true
  done < <(cgroup_v1_hierarchies)
}

usage() {
  cat <<EOF
Usage: $(basename "$0") up <set> <count> [--owner TEXT]
       $(basename "$0") down <set>
       $(basename "$0") ls [--json]

Test nodes for the provisioner. Each node <set>-<i> (i from 0) is a network namespace on the
set's bridge with its own mount, UTS (hostname <set>-<i>) and PID namespaces, reachable from this
machine at ${prefix}.<n>.(10+i) where <n> is the set's subnet, and runs a real sshd on port 22
accepting the set's ed25519 client key for root.

  up    creates the set and prints it as JSON: nodes (index, name, address, hostDir, initPid),
        privateKeyPath, knownHostsPath (an empty file), subnet, gateway.
        Each node's private folders (/etc/kubernetes, /var/lib/etcd, /opt/rke, /tmp, ...) are
        <hostDir>/<path> on this machine. --owner is recorded for cleanup by test runs.
  down  stops every process in the set's nodes and removes namespaces, links and folders.
        Idempotent; also cleans up after a crash.
  ls    lists the sets (--json: their descriptions as a JSON array).

Environment: CORRAL_NODES_DIR (default /var/tmp/corral-nodes), CORRAL_NODES_PREFIX (default 10.77).
EOF
}

die() {
  echo "nodes.sh: $*" >&2
  exit 1
}

check_set_name() {
  [[ $1 =~ ^[a-z][a-z0-9-]{0,29}$ && $1 != *- ]] ||
    die "bad set name '$1': use 1-30 of a-z, 0-9 and '-', starting with a letter"
}

# The /24 index a set holds, from its allocation record (empty when it holds none).
set_index() {
  local f
  for f in "$alloc_dir"/net-*; do
    [[ -f $f && "$(cat "$f" 2>/dev/null)" == "$1" ]] && { echo "${f##*-}"; return; }
  done
  true
}

set_namespaces() {
  ip netns list | awk '{print $1}' | grep -E "^$1-[0-9]+\$" || true
}

# Pids of the processes in a network namespace that are still running. Zombies do not count:
# nothing on this machine reaps orphans, so a killed process may stay a zombie for good.
live_pids() {
  local pid state
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || continue
    [[ $state == Z || -z $state ]] || echo "$pid"
  done
}

json_escape() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '%s' "$s"
}

cmd_down() {
  local set=$1
  check_set_name "$set"
  local idx ns pids deadline
  idx=$(set_index "$set")
  local namespaces
  namespaces=$(set_namespaces "$set")
  deadline=$((SECONDS + 10))
  for ns in $namespaces; do
    # Again and again: a process may fork while its siblings are being killed.
    while pids=$( (live_pids "$ns"; node_cgroup_pids "$ns") | sort -u) && [[ -n $pids ]]; do
      ((SECONDS < deadline)) || die "processes in $ns did not exit: $(echo $pids)"
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.05
    done
    ip netns delete "$ns" 2>/dev/null || true
    remove_node_cgroups "$ns"
  done
  if [[ -n $idx ]]; then
    # Deleting a namespace removes its veth pair; a crash between creating a pair and moving
    # one end into the namespace leaves the host end behind.
    local link
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^crl${idx}(n[0-9]+|br)\$" || true); do
      ip link delete "$link" 2>/dev/null || true
    done
  fi
  rm -rf "${state_root:?}/$set"
  [[ -n $idx ]] && rm -f "$alloc_dir/net-$idx"
  return 0
}

# Claims a free /24 for the set under a lock: two test files start sets at the same time.
allocate() {
  local set=$1 idx
  mkdir -p "$alloc_dir"
  exec 9>"$alloc_dir/lock"
  flock 9
  [[ -z "$(set_index "$set")" ]] || die "set '$set' already exists; run: $0 down $set"
  for idx in $(seq 1 254); do
    [[ -e $alloc_dir/net-$idx ]] && continue
    ip link show "crl${idx}br" &>/dev/null && continue
    [[ -n "$(ip -4 route show "$prefix.$idx.0/24" 2>/dev/null)" ]] && continue
    echo "$set" >"$alloc_dir/net-$idx"
    exec 9>&-
    echo "$idx"
    return
  done
  die "no free ${prefix}.N.0/24 left; remove sets with: $0 ls / $0 down <set>"
}

wait_for_ssh() { # address, node log
  local deadline=$((SECONDS + 15))
  until timeout 1 bash -c ": </dev/tcp/$1/22" 2>/dev/null; do
    ((SECONDS < deadline)) || die "sshd on $1 did not start; its log ($2): $(tail -5 "$2" 2>/dev/null)"
    sleep 0.05
  done
}

# Host pid of the node's PID 1 (node-init.pl): the process in the node whose pid inside its own
# PID namespace is 1. Tests enter the node's namespaces through it.
init_pid() {
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    if grep -qE '^NSpid:\s+[0-9]+\s+1$' "/proc/$pid/status" 2>/dev/null &&
      grep -q node-init "/proc/$pid/cmdline" 2>/dev/null; then
      echo "$pid"
      return
    fi
  done
}

start_node() { # set, idx, i
  local set=$1 idx=$2 i=$3
  local ns="$set-$i" addr="$prefix.$idx.$((10 + i))"
  local dir="$state_root/$set/$i" root="$state_root/$set/$i/root"
  local host_if="crl${idx}n$i" peer_if="crl${idx}p$i"

  ip netns add "$ns"
  ip link add "$host_if" type veth peer name "$peer_if" netns "$ns"
  ip link set "$host_if" master "crl${idx}br" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$peer_if" name eth0
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$prefix.$idx.1"

  mkdir -p "$dir/ssh" "$root"
  local d
  for d in "${private_dirs[@]}"; do
    mkdir -p "$root$d" "$d"
  done
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  echo "$ns" >"$dir/hostname"
  cp "$state_root/$set/hosts" "$dir/hosts"
  ssh-keygen -q -t ed25519 -N '' -C "$ns" -f "$dir/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -N '' -C "$ns" -f "$dir/ssh/ssh_host_ecdsa_key"
  cat >"$dir/ssh/sshd_config" <<EOF
ListenAddress $addr
Port 22
HostKey $dir/ssh/ssh_host_ed25519_key
HostKey $dir/ssh/ssh_host_ecdsa_key
PidFile $dir/ssh/sshd.pid
AuthorizedKeysFile $state_root/$set/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys live under /var/tmp (world-writable), which strict modes would refuse.
StrictModes no
PrintMotd no
PrintLastLog no
MaxSessions 100
MaxStartups 100:30:200
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
  mkdir -p /run/sshd # sshd's privilege-separation folder (the nodes share this machine's /run)
  "$sshd" -t -f "$dir/ssh/sshd_config" || die "sshd rejects $dir/ssh/sshd_config"

  {
    echo 'set -e'
    # The machine's handles of other network namespaces (the other nodes') are no business of a node.
    echo "awk '\$2 ~ \"^/run/netns/\" {print \$2}' /proc/self/mounts | xargs -r -n1 umount -l"
    for d in "${private_dirs[@]}"; do
      echo "mount --bind '$root$d' '$d'"
    done
    # `ip netns exec` mounted a fresh /sys without the cgroup file systems: mount them again, as
    # the node's cgroup namespace shows them (its own subtree as the root), like a host's.
    echo "mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup"
    local cg_name cg_opts
    while read -r cg_name cg_opts; do
      echo "mkdir -p /sys/fs/cgroup/$cg_name && mount -t cgroup -o '$cg_opts' cgroup /sys/fs/cgroup/$cg_name"
    done < <(cgroup_v1_hierarchies)
    echo "mount --bind '$dir/hostname' /etc/hostname"
    echo "mount --bind '$dir/hosts' /etc/hosts"
    echo "hostname '$ns'"
    echo "mkdir -p /run/sshd"
    echo "exec perl '$dir/node-init.pl' '$sshd' -D -f '$dir/ssh/sshd_config' -E '$dir/sshd.log'"
  } >"$dir/boot.sh"
  # A copy beside the node's files: the checkout may live under a folder the node hides (/tmp, /root).
  cp "$here/node-init.pl" "$dir/node-init.pl"

  local procs
  procs=$(make_node_cgroups "$ns" | tr '\n' ' ')
  # Detached (own session, stdio closed) so that the node outlives whoever ran `up`; in the node's
  # cgroups before its cgroup namespace is made, so that they are its root.
  # shellcheck disable=SC2016
  setsid -f sh -c 'for f in $1; do echo $$ >"$f"; done; shift; exec "$@"' sh "$procs" \
    ip netns exec "$ns" \
    unshare --mount --uts --pid --cgroup --fork --mount-proc --propagation private \
    /bin/sh "$dir/boot.sh" </dev/null >"$dir/boot.log" 2>&1
}

cmd_up() {
  local set=$1 count=$2 owner=$3
  check_set_name "$set"
  [[ $count =~ ^[1-9][0-9]?$ ]] || die "count must be 1-99, got '$count'"
  [[ $EUID -eq 0 ]] || die "must run as root (network namespaces, mounts)"
  local idx
  idx=$(allocate "$set")
  # Anything that fails from here leaves a half-made set: remove it.
  trap 'status=$?; if ((status != 0)); then cmd_down "$set" >/dev/null 2>&1 || true; fi' EXIT
  trap 'exit 130' INT TERM HUP

  local setdir="$state_root/$set" i
  rm -rf "$setdir"
  mkdir -p "$setdir"
  printf '%s' "$owner" >"$setdir/owner"
  ssh-keygen -q -t ed25519 -N '' -C "corral-nodes-$set" -f "$setdir/id_ed25519"
  cp "$setdir/id_ed25519.pub" "$setdir/authorized_keys"
  : >"$setdir/known_hosts"
  {
    echo "127.0.0.1 localhost"
    for ((i = 0; i < count; i++)); do echo "$prefix.$idx.$((10 + i)) $set-$i"; done
  } >"$setdir/hosts"

  ip link add "crl${idx}br" type bridge
  ip addr add "$prefix.$idx.1/24" dev "crl${idx}br"
  ip link set "crl${idx}br" up

  for ((i = 0; i < count; i++)); do start_node "$set" "$idx" "$i"; done

  local nodes="" pid
  for ((i = 0; i < count; i++)); do
    local addr="$prefix.$idx.$((10 + i))"
    wait_for_ssh "$addr" "$setdir/$i/sshd.log"
    pid=$(init_pid "$set-$i")
    [[ -n $pid ]] || die "node $set-$i has no init process"
    nodes+="${nodes:+,}{\"index\":$i,\"name\":\"$set-$i\",\"address\":\"$addr\",\"hostDir\":\"$setdir/$i/root\",\"initPid\":$pid,\"hostKeys\":[\"$(cut -d' ' -f1,2 "$setdir/$i/ssh/ssh_host_ed25519_key.pub")\",\"$(cut -d' ' -f1,2 "$setdir/$i/ssh/ssh_host_ecdsa_key.pub")\"]}"
  done
  local json="{\"name\":\"$set\",\"subnet\":\"$prefix.$idx.0/24\",\"gateway\":\"$prefix.$idx.1\",\"bridge\":\"crl${idx}br\",\"dir\":\"$setdir\",\"privateKeyPath\":\"$setdir/id_ed25519\",\"publicKeyPath\":\"$setdir/id_ed25519.pub\",\"knownHostsPath\":\"$setdir/known_hosts\",\"owner\":\"$(json_escape "$owner")\",\"nodes\":[$nodes]}"
  echo "$json" >"$setdir/set.json"
  echo "$json"
}

cmd_ls() {
  local json=$1 f set idx first=1
  [[ $json == 1 ]] && printf '['
  [[ $json == 1 ]] || printf '%-32s %-16s %-6s %s\n' SET SUBNET NODES OWNER
  for f in "$alloc_dir"/net-*; do
    [[ -f $f ]] || continue
    set=$(cat "$f")
    idx=${f##*-}
    if [[ $json == 1 ]]; then
      # A set whose `up` crashed has no description: still list it, so it can be removed.
      local desc="$state_root/$set/set.json"
      ((first)) || printf ','
      first=0
      if [[ -s $desc ]]; then
        tr -d '\n' <"$desc"
      else
        printf '{"name":"%s","subnet":"%s","owner":"%s","nodes":[]}' "$set" "$prefix.$idx.0/24" \
          "$(json_escape "$(cat "$state_root/$set/owner" 2>/dev/null || true)")"
      fi
    else
      printf '%-32s %-16s %-6s %s\n' "$set" "$prefix.$idx.0/24" "$(set_namespaces "$set" | wc -l)" \
        "$(cat "$state_root/$set/owner" 2>/dev/null || true)"
    fi
  done
  [[ $json == 1 ]] && echo ']'
  return 0
}

case ${1:-} in
  up)
    [[ $# -eq 3 || ($# -eq 5 && $4 == --owner) ]] || { usage >&2; exit 2; }
    cmd_up "$2" "$3" "${5:-}"
    ;;
  down)
    [[ $# -eq 2 ]] || { usage >&2; exit 2; }
    cmd_down "$2"
    ;;
  ls)
    [[ $# -eq 1 || ($# -eq 2 && $2 == --json) ]] || { usage >&2; exit 2; }
    cmd_ls "$([[ ${2:-} == --json ]] && echo 1 || echo 0)"
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
