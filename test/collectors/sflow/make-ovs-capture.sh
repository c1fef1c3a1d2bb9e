#!/usr/bin/env bash
# Produces fixtures/pcaps/ovs-sflow.pcap: real sFlow v5 from Open vSwitch (userspace "netdev"
# datapath, no kernel module) while ICMP, ICMPv6, UDP and TCP cross its bridge. Everything lives in
# namespaces prefixed "sfx-" and is removed on exit; only the PIDs started here are signalled.
# Usage: bash test/collectors/sflow/make-ovs-capture.sh [OUT.pcap]
set -euo pipefail
OUT=${1:-$(dirname "$0")/../../../fixtures/pcaps/ovs-sflow.pcap}
RUN=$(mktemp -d /tmp/sfx-ovs.XXXXXX)
NSS="sfx-h1 sfx-h2 sfx-sw"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$RUN"/ovs-vswitchd.pid "$RUN"/ovsdb-server.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.3
  for ns in $NSS; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$RUN"
}
trap cleanup EXIT
for ns in $NSS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add name eth0 address 02:00:00:00:a1:01 netns sfx-h1 type veth peer name sw-p1 address 02:00:00:00:a0:01 netns sfx-sw
ip link add name eth0 address 02:00:00:00:a2:01 netns sfx-h2 type veth peer name sw-p2 address 02:00:00:00:a0:02 netns sfx-sw
ip -n sfx-h1 addr add 10.98.0.1/24 dev eth0
ip -n sfx-h2 addr add 10.98.0.2/24 dev eth0
for x in "sfx-h1 eth0" "sfx-h2 eth0" "sfx-sw sw-p1" "sfx-sw sw-p2"; do
  set -- $x; ip -n "$1" link set "$2" up; ip netns exec "$1" ethtool -K "$2" tx off >/dev/null   # LAB.md gotcha 2
done
export OVS_RUNDIR=$RUN OVS_DBDIR=$RUN OVS_LOGDIR=$RUN
VSCTL="ovs-vsctl --db=unix:$RUN/db.sock --timeout=10"
ovsdb-tool create "$RUN/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ip netns exec sfx-sw ovsdb-server "$RUN/conf.db" --remote=punix:"$RUN/db.sock" \
  --pidfile="$RUN/ovsdb-server.pid" --unixctl="$RUN/ovsdb-server.ctl" --log-file="$RUN/ovsdb.log" -vconsole:off --detach
$VSCTL --no-wait init
$VSCTL --no-wait add-br br0 -- set bridge br0 datapath_type=netdev
ip netns exec sfx-sw ovs-vswitchd unix:"$RUN/db.sock" --pidfile="$RUN/ovs-vswitchd.pid" \
  --unixctl="$RUN/ovs-vswitchd.ctl" --log-file="$RUN/vswitchd.log" -vconsole:off --detach 2>/dev/null
$VSCTL add-port br0 sw-p1 -- add-port br0 sw-p2
for _ in $(seq 50); do ip -n sfx-sw link show br0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n sfx-sw addr add 10.98.0.254/24 dev br0
ip -n sfx-sw link set br0 up
# Capture on the switch's loopback, where the sFlow target lives; wait until tshark is capturing.
ip netns exec sfx-sw tshark -q -i lo -F pcap -f 'udp port 6343' -a duration:12 -w "$RUN/cap.pcap" 2>"$RUN/tshark.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q 'Capturing on' "$RUN/tshark.err" && break; sleep 0.1; done
sleep 0.5
$VSCTL -- --id=@s create sflow agent=br0 header=128 sampling=1 polling=2 targets='"127.0.0.1:6343"' \
  -- set bridge br0 sflow=@s >/dev/null
sleep 1
ip netns exec sfx-h1 ping -c 10 -i 0.2 10.98.0.2 >/dev/null
# UDP and TCP across the bridge (node is the only scripting tool guaranteed here).
ip netns exec sfx-h2 node -e '
const d=require("dgram").createSocket("udp4");d.bind(5353,"10.98.0.2");
const s=require("net").createServer(c=>{c.end("pong\n")}).listen(8080,"10.98.0.2");
setTimeout(()=>{d.close();s.close()},5000)' &
PIDS+=($!)
sleep 0.5
ip netns exec sfx-h1 node -e '
const d=require("dgram").createSocket("udp4");
let n=0;const t=setInterval(()=>{d.send("hello sflow "+n,5353,"10.98.0.2");if(++n===10){clearInterval(t);d.close()}},100);
for(let i=0;i<3;i++)setTimeout(()=>{const c=require("net").connect(8080,"10.98.0.2",()=>c.write("ping\n"));c.on("data",()=>c.end());c.on("error",()=>{})},300*i)'
ip netns exec sfx-h1 ping -6 -c 4 -i 0.2 "$(ip -n sfx-h2 -6 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)%eth0" >/dev/null || true
wait "${PIDS[0]}" || true
mkdir -p "$(dirname "$OUT")"
cp "$RUN/cap.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
