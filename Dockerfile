# syntax=docker/dockerfile:1
# Canopy collector and agent image (docs/install.md#container-image):
#   docker build -t canopy:0.1.0 .
#   docker run -p 8082:8082 -p 6343:6343/udp -p 2055:2055/udp -p 4739:4739/udp -p 162:9162/udp \
#     -e CANOPY_API_LISTEN=0.0.0.0:8082 -e CANOPY_AUTH_TOKENS='[{token: "a-long-random-token", role: admin}]' \
#     -v canopy-data:/var/lib/canopy canopy:0.1.0
#   docker run --network host --pid host --cap-add NET_RAW ... canopy:0.1.0 agent --collector ws://HOST:8082
# The image holds what `npm pack` publishes, installed as a user would install it: compiled JS, no tsx.

# --- build: compile the TypeScript and the UI, pack, and install the tarball with its native addons
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libpcap-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# The root package's own install script (node-gyp of binding.gyp) runs after the sources are copied.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm pack --pack-destination /tmp \
 && npm install --global --prefix /opt/canopy --no-audit --no-fund /tmp/canopy-*.tgz \
 && npm cache clean --force

# --- run: Node 20 slim, the installed package, the tools the agent calls, an unprivileged user
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 libpcap0.8 lldpd tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 canopy \
 && useradd --system --uid 10001 --gid canopy --home-dir /var/lib/canopy --shell /usr/sbin/nologin canopy \
 && mkdir -p /var/lib/canopy /etc/canopy \
 && chown canopy:canopy /var/lib/canopy
COPY --from=build /opt/canopy /opt/canopy
ENV NODE_ENV=production \
    CANOPY_STORAGE_DATADIR=/var/lib/canopy
WORKDIR /var/lib/canopy
VOLUME ["/var/lib/canopy"]
# API/UI, sFlow, NetFlow, IPFIX, SNMP traps (unprivileged 9162: map the host's 162 onto it)
EXPOSE 8082/tcp 6343/udp 2055/udp 4739/udp 9162/udp
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8082/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/canopy/bin/canopy"]
CMD ["collector"]
