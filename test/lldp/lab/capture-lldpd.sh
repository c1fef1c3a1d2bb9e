#!/usr/bin/env bash
# Captures real lldpd LLDP frames between two throw-away namespaces joined by a veth:
#   llx-<id>-sw (lldpd as a "switch": port-id subtype ifname, capability bridge, mgmt 10.231.0.11)
#   llx-<id>-h  (lldpd as a host, mgmt 10.231.0.1)
# Usage: capture-lldpd.sh OUT.pcap [FACTS.json]. Writes the setup facts (MACs, names, addresses) to
# FACTS.json so tests compare decoded values with what was configured, not with decoder output.
# Needs root, lldpd, tcpdump. Removes its namespaces and stops only the PIDs it started.
set -euo pipefail
# lldpd reads its config after dropping privileges: what this script writes must be readable
# whatever umask the caller runs with.
umask 022
out=${1:?usage: capture-lldpd.sh OUT.pcap [FACTS.json]}
facts=${2:-${out%.pcap}.json}
id="$$"
sw="llx-$id-sw"; h="llx-$id-h"
run=$(mktemp -d /tmp/llx-run.XXXXXX)
chmod 755 "$run" # lldpd drops privileges before opening its control socket
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
  done
  ip netns del "$sw" 2>/dev/null || true
  ip netns del "$h" 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT

SW_MAC=02:11:11:00:00:01
H_MAC=02:11:11:00:00:02
ip netns add "$sw"
ip netns add "$h"
ip link add llx"$id"a netns "$sw" type veth peer name llx"$id"b netns "$h"
ip -n "$sw" link set llx"$id"a name sw1-p1
ip -n "$h" link set llx"$id"b name eth0
ip -n "$sw" link set sw1-p1 address "$SW_MAC"
ip -n "$h" link set eth0 address "$H_MAC"
ip -n "$sw" addr add 10.231.0.11/24 dev sw1-p1
ip -n "$h" addr add 10.231.0.1/24 dev eth0
for ns in "$sw" "$h"; do ip -n "$ns" link set lo up; done
ip -n "$sw" link set sw1-p1 up
ip -n "$h" link set eth0 up
mkdir -p /run/lldpd

printf 'configure system hostname llx-sw1\nconfigure lldp tx-interval 1\nconfigure lldp portidsubtype ifname\nconfigure system capabilities enabled bridge\nconfigure system ip management pattern 10.231.0.11\n' >"$run/sw.conf"
printf 'configure system hostname llx-h1\nconfigure lldp tx-interval 1\nconfigure system ip management pattern 10.231.0.1\n' >"$run/h.conf"

ip netns exec "$sw" tcpdump -i sw1-p1 -U -w "$run/cap.pcap" ether proto 0x88cc 2>"$run/tcpdump.log" &
pids+=($!)
sleep 0.5
ip netns exec "$sw" lldpd -d -u "$run/sw.sock" -I sw1-p1 -O "$run/sw.conf" >"$run/sw.log" 2>&1 &
pids+=($!)
ip netns exec "$h" lldpd -d -u "$run/h.sock" -I eth0 -O "$run/h.conf" >"$run/h.log" 2>&1 &
pids+=($!)

# Wait until both sides have sent frames carrying their configured names (≥2 frames each, ~3 s).
ok=0
for _ in $(seq 100); do
  sleep 0.1
  n=$(tcpdump -r "$run/cap.pcap" 2>/dev/null | wc -l || true)
  if [ "${n:-0}" -ge 6 ]; then ok=1; break; fi
done
sleep 0.3
[ "$ok" = 1 ] || { echo "no LLDP frames captured" >&2; cat "$run"/*.log >&2; exit 1; }
cp "$run/cap.pcap" "$out"
cat >"$facts" <<EOF
{
  "lldpdVersion": "$(lldpd -v)",
  "switch": { "mac": "$SW_MAC", "ifname": "sw1-p1", "sysName": "llx-sw1", "mgmt": "10.231.0.11", "enabledCaps": ["bridge"] },
  "host": { "mac": "$H_MAC", "ifname": "eth0", "sysName": "llx-h1", "mgmt": "10.231.0.1" }
}
EOF
echo "captured $n frames into $out"
