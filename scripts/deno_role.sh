#!/bin/sh
# Runs one role on Deno: `deno task data|cache|client [flags]` calls this.
#
# Why a shell: inside `deno task`, a command named `deno` resolves first to
# node_modules/.bin/deno, and the task runner starts every npm bin it finds there as a
# JavaScript file — but the npm package `deno` puts the native binary there, so
# `deno run …` written in a task fails with "Uncaught SyntaxError … node_modules/deno/deno".
# sh looks `deno` up on the PATH the task runner set (node_modules/.bin first, then yours)
# and executes the binary as a binary. The flags match `foresight run --runtime deno`.
set -eu
role=$1
shift
# `deno task cache -- --origin …` passes the separator on: drop it.
if [ "${1:-}" = "--" ]; then shift; fi
cd "$(dirname "$0")/.."
# A client writes its verified files when given --out.
write=""
case " $* " in *" --out "* | *" --out="*) write="--allow-write" ;; esac
exec deno run --v8-flags=--max-semi-space-size=4 --allow-net --allow-env --allow-read --allow-sys \
  $write "roles/$role.ts" "$@"
