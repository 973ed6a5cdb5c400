#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs net_test.c against liblkl.so inside a network namespace of its own:
# the TAPs, their host addresses (10.99.0.1/24, 10.99.1.1/24) and every
# host peer (socat, ping) live there, and the namespace is deleted on exit.
# Nothing is sent anywhere else. Needs root (netns, TAPs).
#
#   tests/c/net_test.sh [LIBDIR]   LIBDIR holds liblkl.so (/tmp/netbuild);
#                                  net_test is built there
#   NET_TEST_MIB=N                 size of each bulk transfer (64)
#   NET_TEST_CFLAGS=...            extra flags for net_test (sanitizers)
#
# For each of offloads on and off: lkl pings the host, sends N MiB to the
# host and receives N MiB from it (sha256 compared), and the host pings
# lkl. Also: a second TAP at once with jumbo frames (offloads off), and
# attaching as an unprivileged user.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib=${1:-/tmp/netbuild}
mib=${NET_TEST_MIB:-64}
ns=lkltest$$
work=$(mktemp -d /tmp/lkl-net-test.XXXXXX)
pids=

cleanup() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL $*"
	exit 1
}

in_ns() {
	ip netns exec "$ns" "$@"
}

# Waits up to 60 s for file $1 while process $2 runs.
wait_file() {
	i=0
	while [ ! -e "$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -le 600 ] || return 1
		sleep 0.1
	done
}

# shellcheck disable=SC2086 # NET_TEST_CFLAGS is a list of flags
gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror ${NET_TEST_CFLAGS:-} \
	-I "$root/linux/host" "$here/net_test.c" -o "$lib/net_test" \
	-L "$lib" -llkl -Wl,-rpath,"$lib"

ip netns add "$ns"
in_ns ip link set lo up
for i in 0 1; do
	in_ns ip tuntap add mode tap "lkltap$i"
	in_ns ip addr add "10.99.$i.1/24" dev "lkltap$i"
	in_ns ip link set "lkltap$i" up
done
in_ns ip link set lkltap1 mtu 9000
# For the unprivileged attach: TAPs that user nobody and root own.
in_ns ip tuntap add mode tap user 65534 lkltapu
in_ns ip tuntap add mode tap user 0 lkltapr

head -c "${mib}M" /dev/urandom >"$work/data"
want=$(sha256sum <"$work/data" | cut -d' ' -f1)

# run_case OFFLOAD [TAP2]
run_case() {
	echo "== offload $1${2:+, second TAP $2}"
	rm -f "$work/fromlkl" "$work/tolkl" "$work/listening" "$work/ready" \
		"$work/done"
	in_ns timeout 120 socat -u TCP-LISTEN:5001,bind=10.99.0.1,reuseaddr \
		OPEN:"$work/fromlkl",creat,trunc &
	receiver=$!
	pids="$pids $receiver"
	in_ns timeout 180 "$lib/net_test" run lkltap0 "$1" "$work" ${2:-} &
	test=$!
	pids="$pids $test"

	wait_file "$work/listening" "$test" || fail "lkl never listened"
	in_ns timeout 120 socat -u OPEN:"$work/data" TCP:10.99.0.2:5002 &
	sender=$!
	pids="$pids $sender"

	wait_file "$work/ready" "$test" || fail "lkl never got ready"
	# Two seconds of 8 KiB UDP datagrams to a closed port, as fast as the
	# host can: lkl must still answer pings afterwards.
	in_ns timeout 2 socat -u OPEN:/dev/zero UDP-SENDTO:10.99.0.2:5003 ||
		true
	in_ns ping -c 5 -i 0.2 -W 2 10.99.0.2 >"$work/ping" ||
		{ cat "$work/ping"; fail "host ping to lkl"; }
	tail -n 2 "$work/ping" | sed 's/^/host ping: /'
	touch "$work/done"

	wait "$test" || fail "net_test (offload $1)"
	wait "$receiver" || fail "host receiver"
	wait "$sender" || fail "host sender"
	pids=

	got=$(sha256sum <"$work/fromlkl" | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "lkl -> host data differs"
	echo "ok   lkl -> host: $mib MiB, sha256 equal"
	got=$(sha256sum <"$work/tolkl" | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "host -> lkl data differs"
	echo "ok   host -> lkl: $mib MiB, sha256 equal"
}

run_case 1
run_case 0 lkltap1

# Unprivileged: /dev/net/tun is root's; in net_test's own mount namespace
# (ip netns exec makes one) a node open to all stands in for it.
echo "== attaching without permission or without /dev/net/tun"
mknod "$work/tun" c 10 200
chmod 666 "$work/tun"
attach() {
	in_ns sh -c 'mount --bind "$1" /dev/net/tun &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$2/net_test" attach "$3"' sh "$work/tun" "$lib" "$1" |
		sed -n 's/^attach //p'
}
got=$(attach lkltapu)
[ "${got:-x}" -ge 1 ] 2>/dev/null || fail "nobody attaches its own TAP ($got)"
echo "ok   nobody attaches its own TAP (id $got)"
got=$(attach lkltapr)
[ "$got" = -1 ] || fail "nobody attaching root's TAP: $got, not -EPERM"
echo "ok   nobody attaching root's TAP is -EPERM"
got=$(attach lkltapnew)
[ "$got" = -1 ] || fail "nobody creating a TAP: $got, not -EPERM"
echo "ok   nobody creating a TAP is -EPERM"
got=$(in_ns sh -c 'mount -t tmpfs none /dev/net &&
	exec "$1/net_test" attach lkltap0' sh "$lib" | sed -n 's/^attach //p')
[ "$got" = -2 ] || fail "without /dev/net/tun: $got, not -ENOENT"
echo "ok   without /dev/net/tun it is -ENOENT"
echo PASS
