#!/usr/bin/env bash
# Makes fixtures/pcaps/mirror-lab-span.pcap: a tc mirred SPAN (both directions) of a host's veth in
# namespaces created here and removed on exit, captured by tshark as a classic pcap. Traffic: ARP,
# IPv4 and IPv6 pings, a 200 kB TCP transfer (handshake, data, FIN), UDP datagrams, a TCP RST
# (closed port) and the IPv6 neighbour discovery that comes with it. Usage: capture-span.sh OUT
set -euo pipefail
out=${1:?usage: capture-span.sh OUT.pcap}
p=cms$$
h1=$p-h1 h2=$p-h2 cap=$p-cap
cleanup() { [ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null; for n in $h1 $h2 $cap; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $h1 $h2 $cap; do ip netns add $n; ip -n $n link set lo up; done
ip link add name ${p}a type veth peer name ${p}b
ip link set ${p}a netns $h1 name eth0; ip link set ${p}b netns $h2 name eth0
ip link add name ${p}c type veth peer name ${p}d
ip link set ${p}c netns $h1 name mon; ip link set ${p}d netns $cap name mon
for n in $h1 $h2; do ip netns exec $n sysctl -qw net.ipv6.conf.eth0.accept_dad=0; done
ip netns exec $h1 sysctl -qw net.ipv6.conf.mon.disable_ipv6=1; ip netns exec $cap sysctl -qw net.ipv6.conf.mon.disable_ipv6=1
ip -n $h1 addr add 10.215.0.1/24 dev eth0; ip -n $h2 addr add 10.215.0.2/24 dev eth0
ip -n $h1 addr add fd00:215::1/64 dev eth0 nodad; ip -n $h2 addr add fd00:215::2/64 dev eth0 nodad
for n in $h1 $h2; do ip -n $n link set eth0 up; done
ip -n $h1 link set mon up; ip -n $cap link set mon up
ip netns exec $h1 tc qdisc add dev eth0 clsact
for d in ingress egress; do ip netns exec $h1 tc filter add dev eth0 $d u32 match u32 0 0 action mirred egress mirror dev mon; done
ip netns exec $cap tshark -i mon -F pcap -w "$out" -q 2>/dev/null & tpid=$!
sleep 3
ip netns exec $h1 ping -c 3 -i 0.2 -q 10.215.0.2 >/dev/null
ip netns exec $h1 ping -6 -c 3 -i 0.2 -q fd00:215::2 >/dev/null
ip netns exec $h2 node -e "require('net').createServer((s) => s.resume()).listen(5001)" & spid=$!
sleep 1
ip netns exec $h1 node -e "
const s = require('net').connect(5001, '10.215.0.2', () => s.end(Buffer.alloc(200000, 1)));
s.on('close', () => { const u = require('dgram').createSocket('udp4'); let n = 0;
  const next = () => n++ < 3 ? u.send('probe' + n, 5002, '10.215.0.2', next) : u.close(); next(); });"
ip netns exec $h1 node -e "require('net').connect(5003, 'fd00:215::2').on('error', () => {})"
sleep 1
kill -INT $tpid; wait $tpid || true; tpid=
