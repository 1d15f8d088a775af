# volplex as a container image, for hosts that pull from a registry. (The tests build the
# equivalent image from Debian packages with packaging/rootfs/build.sh and `docker import`,
# since no registry is reachable where they run.)
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/volplex
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY packaging/bundle.mjs packaging/bundle.mjs
COPY src src
COPY drivers drivers
COPY test test
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends glusterfs-client s3fs nfs-common fuse3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/volplex
ENV VOLPLEX_DEPLOYMENT=container
COPY --from=build /opt/volplex/node_modules node_modules
COPY --from=build /opt/volplex/dist/*.js dist/
COPY package.json ./
COPY config config
COPY bin bin
RUN ln -s /opt/volplex/bin/volplex.js /usr/local/bin/volplex
# Exits 1 on any FAIL (a client a volume needs, an unbound allowed root, a dead mount, the metrics listener).
HEALTHCHECK --interval=60s --timeout=30s CMD ["volplex", "doctor"]
ENTRYPOINT ["node", "/opt/volplex/dist/volplex.js", "serve"]
