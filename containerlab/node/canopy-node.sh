#!/usr/bin/env bash
# Configures one containerlab node (run by the topology's `exec`). Mirrors what `canopy lab up`
# builds from the canopy.* labels; NOT verified here (no container engine in CI).
#   canopy-node.sh switch bridge|ovs br0=IF,IF [ip=CIDR] [sflow=HOST:PORT] [forward] [route=DST=GW+GW] [netflow=IF:5,9,10@HOST]
#   canopy-node.sh hypervisor underlay=IF ip=CIDR vm=IF remote=IP vni=N [sflow=HOST:PORT]
#   canopy-node.sh host [route=DST=GW]
set -euo pipefail
role=$1; shift
kind=""; [ "$role" = switch ] && { kind=$1; shift; }
declare -A o; routes=()
for a in "$@"; do case $a in route=*) routes+=("${a#route=}");; *=*) o[${a%%=*}]=${a#*=};; *) o[$a]=1;; esac; done
me=$(hostname); mgmt=$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
data=$(ls /sys/class/net | grep -E '^eth[1-9]' | paste -sd, -)
for i in ${data//,/ }; do ethtool -K "$i" tx off >/dev/null 2>&1 || true; ip link set "$i" up; done
vsctl() { ovs-vsctl --timeout=15 "$@"; }
if [ "$role" != host ] && { [ "$kind" = ovs ] || [ "$role" = hypervisor ]; }; then
  /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random --no-ovs-vswitchd
  /usr/share/openvswitch/scripts/ovs-ctl start --no-ovsdb-server
fi
if [ "$role" = switch ]; then
  ports=${o[br0]//,/ }
  if [ "$kind" = ovs ]; then
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev; for p in $ports; do vsctl add-port br0 "$p"; done
    [ -n "${o[sflow]:-}" ] && vsctl -- --id=@s create sflow agent=eth0 header=128 sampling=1 polling=1 targets="\"${o[sflow]}\"" -- set bridge br0 sflow=@s
  else
    ip link add br0 type bridge; for p in $ports; do ip link set "$p" master br0; done
  fi
  ip link set br0 up; [ -n "${o[ip]:-}" ] && ip addr add "${o[ip]}" dev br0
  [ -n "${o[forward]:-}" ] && sysctl -qw net.ipv4.ip_forward=1
fi
if [ "$role" = hypervisor ]; then
  vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev -- add-port br-phy "${o[underlay]}"
  vsctl add-br br-int -- set bridge br-int datapath_type=netdev -- add-port br-int "${o[vm]}"
  vsctl add-br br-tun -- set bridge br-tun datapath_type=netdev
  vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int \
     -- add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun
  vsctl add-port br-tun vxlan0 -- set interface vxlan0 type=vxlan options:remote_ip="${o[remote]}" options:key="${o[vni]}"
  ip link set br-phy up; ip addr add "${o[ip]}" dev br-phy
fi
for r in "${routes[@]}"; do dst=${r%%=*}; gws=${r#*=}
  if [[ $gws == *+* ]]; then hops=(); for g in ${gws//+/ }; do hops+=(nexthop via "$g"); done; ip route replace "$dst" "${hops[@]}"
  else ip route replace "$dst" via "$gws"; fi
done
conf=/etc/lldpd.d/canopy.conf; mkdir -p /etc/lldpd.d
printf 'configure system hostname %s\nconfigure lldp tx-interval 1\nconfigure system ip management pattern %s\n' "$me" "$mgmt" > $conf
if [ "$role" = switch ]; then
  echo 'configure lldp portidsubtype ifname' >> $conf
  cat > /etc/snmp/snmpd.conf <<CONF
agentaddress udp:161
sysName $me
rocommunity public default
createUser canopy SHA "canopyauth1" AES "canopypriv1"
rouser canopy authpriv
master agentx
CONF
  snmpd -C -c /etc/snmp/snmpd.conf -m none
  sleep 1; lldpd -x -I "$data"
  [ "$kind" = bridge ] && (snmp-bridge-mib br0 >/dev/null 2>&1 &)
else
  lldpd -I "$data"
fi
if [ -n "${o[netflow]:-}" ]; then nf=${o[netflow]}; nif=${nf%%:*}; rest=${nf#*:}; vers=${rest%@*}; host=${rest#*@}
  for v in ${vers//,/ }; do port=2055; [ "$v" = 10 ] && port=4739; softflowd -i "$nif" -v "$v" -n "$host:$port" -p "/run/softflowd-$v.pid" -c "/run/softflowd-$v.ctl"; done
fi
