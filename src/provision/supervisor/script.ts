/**
 * The node-side supervisor, installed at /opt/rke/bin/corral-supervise (POSIX sh: nodes need
 * nothing but a shell and coreutils). Kept here as a string so that the plain `tsc` build carries it.
 */
export const SUPERVISE_SCRIPT = `#!/bin/sh
# corral-supervise: keeps one Corral unit running on this node. Installed by \`corral up\`; do not edit.
#
#   corral-supervise <name>                  runs /opt/rke/units/<name>.run and restarts it when it
#                                            exits (backoff 1 s doubling to 30 s, back to 1 s after
#                                            60 s of running); SIGTERM stops it (the child gets TERM,
#                                            then KILL after 10 s)
#   corral-supervise --start <name> [mode]   (re)starts the unit detached from the caller, under
#                                            this supervisor (mode corral, the default) or systemd
#   corral-supervise --stop <name>           stops the unit and waits until it is gone
#   corral-supervise --status <name>         prints supervised=0|1 running=0|1 pid= restarts= hash=
#   corral-supervise --list                  prints the names of the units defined here
#
# Files: /opt/rke/units/<name>.run (the command), <name>.hash (what it was made from);
# /opt/rke/run/<name>.pid (the process), <name>.supervisor.pid, <name>.restarts;
# /var/log/corral/<name>.log (its output; at 10 MB copied to <name>.log.1 and emptied).
set -u
units=/opt/rke/units
rundir=/opt/rke/run
logs=/var/log/corral
log_max=10485760
stop_grace=10
healthy_after=60
backoff_max=30

# Whether a pid is a live process; sets ppid to its parent. A zombie is not: it has exited, holds
# no port or file, and (where init does not reap orphans) may never go away.
alive() {
	[ -n "\${1:-}" ] || return 1
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	set -- \${stat##*) }
	ppid=\${2:-}
	case $1 in Z* | X* | x*) return 1 ;; esac
	return 0
}

# The command line of a pid with spaces between its words (and one after the last).
cmdline() {
	tr '\\000' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# Prints the pid of the unit's supervisor when it runs (a pid file can outlive a reboot).
supervisor_pid() {
	sp=$(cat "$rundir/$1.supervisor.pid" 2>/dev/null) || return 1
	alive "$sp" || return 1
	case $(cmdline "$sp") in *corral-supervise" $1 ") echo "$sp" ;; *) return 1 ;; esac
}

# Prints the pid of the unit's process when it runs: a live pid that is the supervisor's child or
# (its supervisor killed) whose command is the unit's binary. A pid file can outlive a reboot.
unit_pid() {
	up=$(cat "$rundir/$1.pid" 2>/dev/null) || return 1
	alive "$up" || return 1
	if sp=$(supervisor_pid "$1") && alive "$up" && [ "$ppid" = "$sp" ]; then
		echo "$up"
		return 0
	fi
	bin=$(sed -n 's/^# binary: //p' "$units/$1.run" 2>/dev/null)
	case $(cmdline "$up") in "$bin "*) echo "$up" ;; *) return 1 ;; esac
}

# Writes a small file so that readers never see it half written.
put() {
	echo "$1" >"$2.tmp" && mv -f "$2.tmp" "$2"
}

systemd_unit() {
	echo "corral-$1.service"
}

has_systemd_unit() {
	[ -f "/etc/systemd/system/$(systemd_unit "$1")" ] && command -v systemctl >/dev/null 2>&1
}

rotate_log() {
	size=$(wc -c <"$log" 2>/dev/null) || return 0
	# Copy and truncate: the process keeps its descriptor (opened for appending) and goes on writing.
	[ "$size" -gt "$log_max" ] && cp "$log" "$log.1" && : >"$log"
	return 0
}

# Waits up to $2 tenths of a second for pid $1 to end; fails if it still runs.
wait_gone() {
	i=0
	while alive "$1"; do
		[ "$i" -ge "$2" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

supervise() {
	name=$1
	log=$logs/$name.log
	mkdir -p "$rundir" "$logs"
	child=
	stopping=
	waiter=
	supervisor=$$
	put "$supervisor" "$rundir/$name.supervisor.pid"
	put 0 "$rundir/$name.restarts"
	trap '' HUP
	trap on_term TERM INT

	# Checks the log's size while the supervisor runs, and ends by itself within 10 s of it (it is
	# not killed: its \`sleep\` would be left to an init that may never reap it).
	(
		while alive "$supervisor"; do
			sleep 10
			rotate_log
		done
	) &

	restarts=0
	backoff=1
	while [ -z "$stopping" ]; do
		rotate_log
		started=$(date +%s)
		sh "$units/$name.run" >>"$log" 2>&1 </dev/null &
		child=$!
		[ -n "$stopping" ] && kill -TERM "$child"
		put "$child" "$rundir/$name.pid"
		# \`wait\` returns early when a trapped signal arrives: then wait again until the process is
		# gone, and once stopping, give it stop_grace seconds before killing it.
		while :; do
			wait "$child"
			status=$?
			alive "$child" || break
			[ -n "$stopping" ] || continue
			wait_gone "$child" $((stop_grace * 10)) || kill -KILL "$child" 2>/dev/null
		done
		child=
		[ -n "$stopping" ] && break
		ran=$(($(date +%s) - started))
		[ "$ran" -ge "$healthy_after" ] && backoff=1
		echo "corral-supervise: $name exited (status $status) after \${ran}s; starting it again in \${backoff}s" >>"$log"
		sleep "$backoff" &
		waiter=$!
		[ -n "$stopping" ] && kill "$waiter"
		wait "$waiter"
		wait "$waiter" 2>/dev/null
		waiter=
		[ -n "$stopping" ] && break
		backoff=$((backoff * 2))
		[ "$backoff" -gt "$backoff_max" ] && backoff=$backoff_max
		restarts=$((restarts + 1))
		put "$restarts" "$rundir/$name.restarts"
	done

	rm -f "$rundir/$name.pid" "$rundir/$name.supervisor.pid"
	echo "corral-supervise: $name stopped" >>"$log"
	exit 0
}

on_term() {
	[ -n "$stopping" ] && return
	stopping=1
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
	[ -n "$waiter" ] && kill "$waiter" 2>/dev/null
	return 0
}

start() {
	name=$1
	mode=\${2:-corral}
	[ -f "$units/$name.run" ] || {
		echo "corral-supervise: no unit $name ($units/$name.run)" >&2
		exit 1
	}
	stop "$name"
	mkdir -p "$rundir" "$logs"
	if [ "$mode" = systemd ]; then
		systemctl start "$(systemd_unit "$name")"
		return
	fi
	rm -f "$rundir/$name.pid"
	setsid nohup "$0" "$name" </dev/null >/dev/null 2>&1 &
	# Returns once the process is started, so that a status right after sees it.
	i=0
	while [ ! -s "$rundir/$name.pid" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

stop() {
	name=$1
	if has_systemd_unit "$name"; then
		systemctl stop "$(systemd_unit "$name")" 2>/dev/null
	fi
	if sp=$(supervisor_pid "$name"); then
		kill -TERM "$sp"
		wait_gone "$sp" $(((stop_grace + 5) * 10)) || kill -KILL "$sp" 2>/dev/null
	fi
	# A process whose supervisor was killed still holds its ports.
	if pid=$(unit_pid "$name"); then
		kill -TERM "$pid"
		wait_gone "$pid" $((stop_grace * 10)) || kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 50
	fi
	rm -f "$rundir/$name.pid" "$rundir/$name.supervisor.pid"
}

status() {
	name=$1
	supervised=0
	running=0
	pid=
	restarts=
	if has_systemd_unit "$name"; then
		state=$(systemctl show -p ActiveState --value "$(systemd_unit "$name")" 2>/dev/null)
		main=$(systemctl show -p MainPID --value "$(systemd_unit "$name")" 2>/dev/null)
		restarts=$(systemctl show -p NRestarts --value "$(systemd_unit "$name")" 2>/dev/null)
		case $state in active | activating | reloading) supervised=1 ;; esac
		if [ "\${main:-0}" != 0 ] && alive "$main"; then
			running=1
			pid=$main
		fi
	fi
	if [ "$supervised" = 0 ] && supervisor_pid "$name" >/dev/null; then supervised=1; fi
	if [ "$running" = 0 ] && p=$(unit_pid "$name"); then
		running=1
		pid=$p
	fi
	# Read after the pid: the supervisor counts a restart before it starts the new process.
	if [ -z "$restarts" ]; then restarts=$(cat "$rundir/$name.restarts" 2>/dev/null) || restarts=0; fi
	hash=$(cat "$units/$name.hash" 2>/dev/null) || hash=
	echo "supervised=$supervised running=$running pid=$pid restarts=\${restarts:-0} hash=$hash"
}

list() {
	for f in "$units"/*.run; do
		[ -f "$f" ] || continue
		f=\${f##*/}
		echo "\${f%.run}"
	done
}

case \${1:-} in
--start) start "\${2:?unit name}" "\${3:-corral}" ;;
--stop) stop "\${2:?unit name}" ;;
--status) status "\${2:?unit name}" ;;
--list) list ;;
-* | '')
	sed -n '2,16s/^# \\{0,1\\}//p' "$0" >&2
	exit 2
	;;
*) supervise "$1" ;;
esac
`;
