#!/bin/sh
# `pnpm start` after the build: the server, as the production command of docs/deployment.md runs
# it. With a PostgreSQL server or the in-memory store node gets a larger young generation, which
# buys throughput; with the embedded database (no LATCHKEY_DATABASE_URL), whose one connection sets
# the pace, it buys little and costs some 30 MiB resident (docs/deployment.md#memory), so it is
# left out. `exec` keeps one process, so that the supervisor's SIGTERM reaches the server.
if [ -n "${LATCHKEY_DATABASE_URL:-}" ] || [ "${LATCHKEY_STORAGE:-}" = "memory" ]; then
  exec node --max-semi-space-size=32 packages/app/dist/main.js
fi
exec node packages/app/dist/main.js
