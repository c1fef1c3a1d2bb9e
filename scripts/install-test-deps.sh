#!/usr/bin/env bash
# Installs the Debian packages the real-peer tests use (lldpd, snmpd, Open vSwitch, softflowd,
# pmacct, tshark, snmpsim, …) when running as root and they are missing. A temporary policy-rc.d
# keeps Debian's postinst scripts from starting lldpd/snmpd/OVS in the root namespace, and we
# check afterwards that none did. Not root or no apt: say what is missing; the tests that need
# it skip with that reason.
set -uo pipefail
PKGS=(lldpd snmpd snmp libsnmp-perl openvswitch-switch openvswitch-common softflowd pmacct tshark snmpsim
      chromium graphviz libpcap-dev tcpreplay iproute2 iputils-ping ethtool tcpdump build-essential procps psmisc openssl
      # install checks (test/install/): playbook syntax + lint, unit verify, alert rules (promtool),
      # and debootstrap for the outside-suite chroot run (npm run install:e2e)
      ansible ansible-lint systemd debootstrap prometheus
      # storage.backend postgres tests run their own server (initdb/pg_ctl in a temp dir,
      # test/support/postgres-server.ts); the packaged cluster stays stopped under the policy-rc.d below
      postgresql
      # flows.bus nats tests run their own JetStream server (test/support/nats-server.ts); the packaged
      # service stays stopped under the policy-rc.d below
      nats-server
      # flows.store clickhouse tests run their own clickhouse-server as nobody in a temp dir
      # (test/support/clickhouse-server.ts); the packaged service stays stopped likewise
      clickhouse-server clickhouse-client)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "system packages missing (not root or no apt-get; lab tests will skip): ${missing[*]}"
  exit 0
fi
echo "installing: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
had_policy=0; [ -e "$policy" ] && had_policy=1 && cp -p "$policy" "$policy.canopy-saved"
printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"
restore() {
  if [ $had_policy = 1 ]; then mv -f "$policy.canopy-saved" "$policy"; else rm -f "$policy"; fi
}
trap restore EXIT
export DEBIAN_FRONTEND=noninteractive
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
apt-get update -qq || { echo "apt-get update failed"; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/canopy-apt.log 2>&1 || { tail -30 /tmp/canopy-apt.log; exit 1; }
restore; trap - EXIT
# No daemon may have started in the root namespace.
bad=0
for name in lldpd snmpd ovsdb-server ovs-vswitchd softflowd sfacctd nfacctd prometheus prometheus-node-exporter nats-server clickhouse-serv; do
  for pid in $(pgrep -x "$name" 2>/dev/null); do
    if [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
      echo "ERROR: $name (pid $pid) is running in the root namespace after install"; bad=1
    fi
  done
done
[ $bad = 0 ] && echo "system packages installed; no daemon started in the root namespace"
exit $bad
