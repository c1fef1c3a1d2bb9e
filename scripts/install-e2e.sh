#!/usr/bin/env bash
# `npm run install:e2e` (outside the suite; root; needs debootstrap, ansible and Node 20 here):
# runs contrib/ansible/site.yml for real, through Ansible's chroot connection, into a minimal Debian 12
# root made with debootstrap from this machine's Debian mirror, with the tarball `npm pack` makes and
# the vault encrypted. Only the service start is skipped (the root has no systemd running). Then it
# asserts the user, files and units exist, and runs each unit's ExecStart as that user inside the
# root until the collector's /healthz answers and the agent shows up on its /metrics.
#
# The debootstrapped root is cached in $CANOPY_E2E_CACHE (default /var/tmp/canopy-install-e2e) and
# copied for each run; the copy is removed at the end. Node.js 20 is not in Debian 12 (it has 18), so
# the files of this machine's `nodejs` package are copied into the root, as an operator would install
# Node 20 from their own repository before running the playbook (canopy_nodejs_install: false).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
CACHE=${CANOPY_E2E_CACHE:-/var/tmp/canopy-install-e2e}
SUITE=bookworm
start=$SECONDS
say() { printf 'install-e2e: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (chroot, mounts)"
for c in debootstrap ansible-playbook ansible-vault node npm curl; do command -v "$c" >/dev/null || fail "$c is missing (scripts/install-test-deps.sh installs the Debian ones)"; done
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=19?0:1)' || fail "Node.js 20 (>= 20.19) needed here"
dpkg -S "$(readlink -f "$(command -v node)")" >/dev/null 2>&1 || fail "node is not from a Debian package here: cannot copy it into the root"

# 1. A minimal Debian 12 root (cached).
mkdir -p "$CACHE"
BASE=$CACHE/$SUITE-minbase
if [ ! -x "$BASE/usr/bin/python3" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  say "debootstrap $SUITE (minbase + python3) from this machine's Debian mirror"
  rm -rf "$BASE.partial"
  debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$BASE.partial" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log"; fail "debootstrap"; }
  mv "$BASE.partial" "$BASE"
fi
grep -q '^12' "$BASE/etc/debian_version" || fail "the cached root is not Debian 12"

WORK=$(mktemp -d "$CACHE/run.XXXXXX")
ROOT=$WORK/root
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for m in dev/pts dev sys proc; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done
  # Never rm -rf through a mount (the root has the host's /dev bound in).
  if grep -q " $WORK/" /proc/mounts; then
    say "left $WORK in place: still mounted there"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
say "copying the root to $ROOT"
cp -a "$BASE" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The root trusts the certificate authorities this machine trusts (a TLS-inspecting proxy's included).
cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
# Node.js 20 from this machine's nodejs package (binary, npm, headers for node-gyp).
dpkg -L nodejs | while read -r f; do [ -f "$f" ] || [ -L "$f" ] && printf '%s\n' "${f#/}"; done >"$WORK/nodejs.files"
tar -C / -cf - -T "$WORK/nodejs.files" | tar -C "$ROOT" -xf -
# npm as it is here (it may have been upgraded since the package was installed).
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
rm -rf "$ROOT$npm_dir" && mkdir -p "$ROOT$npm_dir" && cp -a "$npm_dir/." "$ROOT$npm_dir/"
chroot "$ROOT" npm --version >/dev/null || fail "npm does not run in the root"
chroot "$ROOT" node --version >/dev/null || fail "node does not run in the root"

# 2. The release tarball, packed from a copy of the sources (this checkout's dist/ is left alone).
say "npm pack"
mkdir -p "$WORK/src/docs"
for f in package.json bin src tsconfig.json tsconfig.build.json binding.gyp LICENSE README.md contrib Dockerfile docs/install.md; do
  cp -a "$REPO/$f" "$WORK/src/$f"
done
ln -s "$REPO/node_modules" "$WORK/src/node_modules"
(cd "$WORK/src" && npm pack --pack-destination "$WORK" >"$WORK/pack.log" 2>&1) || { tail -20 "$WORK/pack.log"; fail "npm pack"; }
TGZ=$(ls "$WORK"/canopy-*.tgz)

# 3. Inventory: the example's group_vars (vault encrypted) and two hosts, both in the chroot.
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
INV=$WORK/inventory
mkdir -p "$INV"
cp -a "$REPO/contrib/ansible/inventory/group_vars" "$INV/"
head -c 32 /dev/urandom | base64 >"$WORK/vault-pass"
ansible-vault encrypt --vault-password-file "$WORK/vault-pass" "$INV/group_vars/all/vault.yml" >/dev/null
grep -q '^\$ANSIBLE_VAULT' "$INV/group_vars/all/vault.yml" || fail "vault not encrypted"
cat >"$INV/hosts.ini" <<EOF
[collectors]
e2e-collector ansible_connection=community.general.chroot ansible_host=$ROOT

[agents]
hv1 ansible_connection=community.general.chroot ansible_host=$ROOT
EOF
cat >"$WORK/e2e-vars.yml" <<EOF
canopy_tarball: $TGZ
canopy_start_services: false
canopy_nodejs_install: false
canopy_npm_env: { npm_config_nodedir: /usr, npm_config_cafile: /etc/ssl/certs/ca-certificates.crt, npm_config_update_notifier: "false" }
canopy_api_listen: 127.0.0.1:$PORT
canopy_snmp_traps_listen: 127.0.0.1:0
canopy_collector_extra:
  sflow: { listen: 127.0.0.1:0 }
  netflow: { listen: 127.0.0.1:0 }
  ipfix: { listen: 127.0.0.1:0 }
canopy_agent_collector: ws://127.0.0.1:$PORT
EOF

say "ansible-playbook site.yml into the chroot (this compiles better-sqlite3: a few minutes)"
t0=$SECONDS
(cd "$REPO/contrib/ansible" && ANSIBLE_CONFIG=$REPO/contrib/ansible/ansible.cfg ansible-playbook -i "$INV/hosts.ini" \
  --vault-password-file "$WORK/vault-pass" -e "@$WORK/e2e-vars.yml" site.yml) >"$WORK/play.log" 2>&1 ||
  { tail -60 "$WORK/play.log"; fail "ansible-playbook"; }
grep -A4 'PLAY RECAP' "$WORK/play.log"
say "playbook: $((SECONDS - t0)) s"

# Idempotence: a second run changes nothing.
(cd "$REPO/contrib/ansible" && ANSIBLE_CONFIG=$REPO/contrib/ansible/ansible.cfg ansible-playbook -i "$INV/hosts.ini" \
  --vault-password-file "$WORK/vault-pass" -e "@$WORK/e2e-vars.yml" site.yml) >"$WORK/play2.log" 2>&1 ||
  { tail -40 "$WORK/play2.log"; fail "second ansible-playbook run"; }
grep -E '^(e2e-collector|hv1) .*changed=0 ' "$WORK/play2.log" | wc -l | grep -q '^2$' ||
  { grep -A4 'PLAY RECAP' "$WORK/play2.log"; fail "second run changed something"; }
say "second run: nothing changed"

# 4. What the play left.
in_root() { chroot "$ROOT" "$@"; }
ent=$(in_root getent passwd canopy) || fail "no canopy user"
case "$ent" in *:/var/lib/canopy:/usr/sbin/nologin) ;; *) fail "canopy user: $ent" ;; esac
[ "$(in_root id -u canopy)" -lt 1000 ] || fail "canopy is not a system user"
for f in /opt/canopy/bin/canopy /etc/canopy/collector.yml /etc/canopy/agent.yml \
  /etc/systemd/system/canopy-collector.service /etc/systemd/system/canopy-agent.service; do
  [ -e "$ROOT$f" ] || fail "$f missing"
done
[ -d "$ROOT/opt/canopy/lib/node_modules/tsx" ] && fail "tsx installed"
# Names as the root resolves them (its canopy uid/gid mean nothing here).
[ "$(in_root stat -c '%U:%G %a' /etc/canopy/collector.yml)" = "root:canopy 640" ] || fail "collector.yml owner/mode"
[ "$(in_root stat -c '%U:%G %a' /var/lib/canopy)" = "canopy:canopy 750" ] || fail "/var/lib/canopy owner/mode"
for u in canopy-collector canopy-agent; do
  cmp -s "$REPO/contrib/systemd/$u.service" "$ROOT/etc/systemd/system/$u.service" || fail "$u.service differs from contrib/systemd"
done
grep -q 'change-me-community' "$ROOT/etc/canopy/collector.yml" || fail "collector.yml lacks the vault's SNMP credentials"
grep -q 'host: hv1' "$ROOT/etc/canopy/collector.yml" || fail "collector.yml lacks hv1's agent token"
say "user, files and units are in place"

# 5. Each unit's ExecStart, as the unit's user, with its Environment= and WorkingDirectory=.
# Fills CMD with the unit's ExecStart run as its User= in the root, with its Environment= and
# WorkingDirectory= (the values in these units have no spaces or quotes).
unit_cmd() {
  local u=$ROOT/etc/systemd/system/$1.service line user wd exec
  local env=()
  while IFS= read -r line; do env+=("${line#Environment=}"); done < <(grep '^Environment=' "$u")
  wd=$(sed -n 's/^WorkingDirectory=//p' "$u")
  user=$(sed -n 's/^User=//p' "$u")
  exec=$(sed -n 's/^ExecStart=//p' "$u")
  CMD=(chroot --userspec="$user:$user" "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="${wd:-/}" "${env[@]}"
    /bin/sh -c "cd ${wd:-/} && exec $exec")
}
say "starting the collector's ExecStart as canopy"
unit_cmd canopy-collector
"${CMD[@]}" >"$WORK/collector.log" 2>&1 &
pids+=($!)
ok=0
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then ok=1; break; fi
  sleep 0.5
done
[ $ok = 1 ] || { tail -30 "$WORK/collector.log"; fail "the collector did not answer /healthz"; }
say "collector /healthz: $(curl -s "http://127.0.0.1:$PORT/healthz")"
owner=$(in_root sh -c 'stat -c %U /var/lib/canopy/*' | sort -u | tr '\n' ' ')
[ "$owner" = "canopy " ] || fail "data files not owned by canopy: $owner"

say "starting the agent's ExecStart as canopy"
unit_cmd canopy-agent
"${CMD[@]}" >"$WORK/agent.log" 2>&1 &
pids+=($!)
token=$(node -e 'const y=require(process.argv[1]); const c=y.parse(require("fs").readFileSync(process.argv[2],"utf8")); console.log(c.auth.tokens[0].token)' \
  "$REPO/node_modules/yaml" "$ROOT/etc/canopy/collector.yml")
connected=0
for _ in $(seq 1 60); do
  m=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/metrics" | sed -n 's/^canopy_agents_connected \([0-9]*\)$/\1/p')
  if [ "${m:-0}" -ge 1 ]; then connected=1; break; fi
  sleep 0.5
done
[ $connected = 1 ] || { tail -20 "$WORK/agent.log"; fail "the agent did not connect to the collector"; }
say "agent hv1 connected (canopy_agents_connected=1)"
say "PASS in $((SECONDS - start)) s"
