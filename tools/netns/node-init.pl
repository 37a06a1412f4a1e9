#!/usr/bin/perl
# PID 1 of one test node (tools/netns/nodes.sh): starts the command it is given (the node's sshd)
# and then reaps every process that ends up orphaned inside the node, as init does on a real
# machine. Without it, a process started detached over SSH that exits stays a zombie forever
# (this machine's own pid 1 does not reap) and still answers `kill -0`.
use strict;
use warnings;
use POSIX ();

my $child = fork();
die "node-init: fork: $!\n" unless defined $child;
if ($child == 0) {
    exec {$ARGV[0]} @ARGV or die "node-init: exec $ARGV[0]: $!\n";
}

# Stopping the node: pass the signal to everything in it. As pid 1 of a PID namespace this
# process ignores signals it has no handler for, so `kill -TERM` from inside the node would
# otherwise do nothing.
$SIG{TERM} = sub { kill 'TERM', -1; POSIX::_exit(0) };

for (;;) {
    # Blocks while there is any child; with none (sshd was killed and nothing else runs), wait
    # for an orphan to be handed over.
    sleep 1 if waitpid(-1, 0) < 0;
}
