# The Corral image: `corral agent` in imported clusters (the import manifest runs it with the
# argument "agent"), and `corral server` elsewhere. Build: docker build -t corral/agent:<version> .
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /corral
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 1000:1000
ENTRYPOINT ["node", "/corral/dist/src/cli/main.js"]
CMD ["agent"]
