// `npm run bench`: the relay benchmark driven from Node (see bench/relay.ts for the flags).
import { runBench } from "./run.mjs";

await runBench("relay");
