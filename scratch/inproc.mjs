// net/node.ts
import * as net from "node:net";

// errors.ts
var ForesightError = class extends Error {
  /** Stable machine-readable code. */
  code;
  /**
   * @param code stable code
   * @param message "Cannot X: detail"
   * @param options the underlying cause, if any
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "ForesightError";
    this.code = code;
  }
};
function isForesightError(e, code) {
  return e instanceof ForesightError && (code === void 0 || e.code === code);
}

// net/byte_queue.ts
var DONE = { value: void 0, done: true };
var ByteQueue = class {
  #chunks = [];
  #bytes = 0;
  #ended = false;
  #error;
  #stopped = false;
  #paused = false;
  #waiter;
  #high;
  #pause;
  #resume;
  /** @param options the pause/resume hooks and the high-water mark */
  constructor(options) {
    this.#high = options.highWaterMark ?? 1024 * 1024;
    this.#pause = options.pause;
    this.#resume = options.resume;
  }
  /** Bytes queued and not yet read. */
  get bufferedBytes() {
    return this.#bytes;
  }
  /**
   * Adds a chunk; ignored once the queue has ended or the reader stopped.
   *
   * @param chunk bytes the queue now owns
   */
  push(chunk) {
    if (this.#ended || this.#stopped) return;
    const waiter = this.#waiter;
    if (waiter !== void 0) {
      this.#waiter = void 0;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (!this.#paused && this.#bytes >= this.#high) {
      this.#paused = true;
      this.#pause();
    }
  }
  /**
   * Marks the end of the data: the reader gets what is queued, then EOF or
   * `error`. Later calls are ignored.
   *
   * @param error why the stream broke; omit for a clean EOF
   */
  end(error) {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const waiter = this.#waiter;
    if (waiter === void 0) return;
    this.#waiter = void 0;
    this.#error = void 0;
    if (error === void 0) waiter.resolve(DONE);
    else waiter.reject(error);
  }
  /**
   * Resolves to the next chunk, to `done` at EOF, or rejects with the error
   * given to {@link ByteQueue.end}.
   *
   * @throws {ForesightError} `INTERNAL` when another `next()` is still pending
   */
  next() {
    const chunk = this.#chunks.shift();
    if (chunk !== void 0) {
      this.#bytes -= chunk.byteLength;
      if (this.#paused && !this.#stopped && this.#bytes <= this.#high / 2) {
        this.#paused = false;
        this.#resume();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#ended || this.#stopped) {
      const error = this.#error;
      this.#error = void 0;
      return error === void 0 ? Promise.resolve(DONE) : Promise.reject(error);
    }
    if (this.#waiter !== void 0) {
      return Promise.reject(new ForesightError("INTERNAL", "Cannot read: another read is pending"));
    }
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }
  /** Stops reading: drops queued chunks and leaves the source paused. */
  return() {
    this.#stopped = true;
    this.#chunks = [];
    this.#bytes = 0;
    this.#waiter?.resolve(DONE);
    this.#waiter = void 0;
    if (!this.#paused && !this.#ended) {
      this.#paused = true;
      this.#pause();
    }
    return Promise.resolve(DONE);
  }
  /** The queue is its own iterator. */
  [Symbol.asyncIterator]() {
    return this;
  }
};

// net/socket_error.ts
var REASONS = {
  ECONNREFUSED: ["CONN_REFUSED", "connection refused"],
  ECONNRESET: ["CONN_RESET", "connection reset by peer"],
  EPIPE: ["CONN_RESET", "broken pipe"],
  ECONNABORTED: ["CONN_RESET", "connection aborted"],
  ETIMEDOUT: ["TIMEOUT", "timed out"],
  EHOSTUNREACH: ["CONN_REFUSED", "host unreachable"],
  ENETUNREACH: ["CONN_REFUSED", "network unreachable"],
  ENOTFOUND: ["CONN_REFUSED", "host not found"],
  EADDRINUSE: ["CONFIG", "address already in use"],
  EADDRNOTAVAIL: ["CONFIG", "address not available"],
  EACCES: ["CONFIG", "permission denied"]
};
function formatAddress(address) {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
function socketError(error, action, fallback) {
  if (error instanceof ForesightError) return error;
  const code = error?.code;
  const known = typeof code === "string" ? REASONS[code] : void 0;
  const detail = known?.[1] ?? (error instanceof Error ? error.message : String(error));
  return new ForesightError(known?.[0] ?? fallback, `Cannot ${action}: ${detail}`, {
    cause: error
  });
}
function closedError(action, cause) {
  const why = cause === void 0 ? "" : ` (${cause.message})`;
  return new ForesightError("CONN_CLOSED", `Cannot ${action}: connection closed${why}`, { cause });
}

// net/connect_deadline.ts
var DEFAULT_CONNECT_TIMEOUT_MS = 1e4;
function connectWithin(options, attempt) {
  const { signal, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = options;
  const action = `connect to ${formatAddress(options)}`;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const cancel = new AbortController();
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const giveUp = (error) => {
      if (!settle()) return;
      cancel.abort(error);
      reject(error);
    };
    const onAbort = () => giveUp(signal?.reason);
    const timer = setTimeout(() => {
      giveUp(new ForesightError("TIMEOUT", `Cannot ${action}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    attempt(cancel.signal).then(
      (conn) => settle() ? resolve(conn) : conn.close(),
      (error) => settle() && reject(socketError(error, action, "CONN_REFUSED"))
    );
  });
}

// net/node.ts
var NodeConn = class {
  remote;
  readable;
  closed;
  #socket;
  #where;
  #error;
  #writeEnded = false;
  #closing = false;
  constructor(socket) {
    this.#socket = socket;
    this.remote = { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    this.#where = formatAddress(this.remote);
    socket.setNoDelay(true);
    const queue = this.readable = new ByteQueue({
      pause: () => socket.pause(),
      resume: () => socket.resume()
    });
    socket.on("data", (b) => queue.push(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    socket.on("end", () => queue.end());
    socket.on("error", (e) => this.#error ??= socketError(e, `use ${this.#where}`, "CONN_CLOSED"));
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#writeEnded = true;
        queue.end(this.#error);
        resolve(this.#error);
      });
    });
  }
  write(bytes) {
    const action = `write to ${this.#where}`;
    if (this.#writeEnded || this.#socket.destroyed) {
      return Promise.reject(closedError(action, this.#error));
    }
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (e) => e ? reject(closedError(action, this.#error ?? e)) : resolve());
    });
  }
  async closeWrite() {
    if (this.#writeEnded || this.#socket.destroyed) return;
    this.#writeEnded = true;
    const finished = new Promise((resolve) => this.#socket.end(() => resolve()));
    await Promise.race([finished, this.closed]);
  }
  close(reason) {
    if (this.#closing) return;
    this.#closing = true;
    if (reason === void 0) {
      this.#socket.destroy();
      return;
    }
    this.#error ??= closedError(`use ${this.#where}`, reason);
    this.#socket.resetAndDestroy();
  }
};
function connect2(options) {
  return connectWithin(options, (signal) => new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port, allowHalfOpen: true });
    signal.addEventListener("abort", () => socket.destroy(), { once: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new NodeConn(socket));
    });
  }));
}
async function listen(address, onConnection) {
  const server = net.createServer({ allowHalfOpen: true }, (s2) => onConnection(new NodeConn(s2)));
  await new Promise((resolve, reject) => {
    server.once("error", (e) => reject(socketError(e, `listen on ${formatAddress(address)}`, "CONFIG")));
    server.listen(address.port, address.host, () => resolve());
  });
  server.on("error", () => {
  });
  const bound = server.address();
  let open = true;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => {
      if (open) server.close();
      open = false;
      return Promise.resolve();
    }
  };
}
var nodeAdapter = { runtime: "node", connect: connect2, listen };

// core/clock.ts
var realClock = {
  now: () => performance.now(),
  sleep: (ms) => ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms))
};

// core/demand_ledger.ts
var ORIGIN = -1;
var DemandLedger = class {
  /** Highest file id. */
  files;
  #count;
  #owner;
  #added = 0;
  #direct = 0;
  #handed = 0;
  /** @param files highest file id (ids are 1..files) */
  constructor(files) {
    this.files = files;
    this.#count = new Int32Array(files + 1);
    this.#owner = new Int16Array(files + 1).fill(ORIGIN);
  }
  #check(file) {
    if (!Number.isInteger(file) || file < 1 || file > this.files) {
      throw new ForesightError("PROTOCOL", `Cannot use file ${file}: ids run from 1 to ${this.files}`);
    }
  }
  /** Adds one outstanding request for each file of a client's list. */
  add(list) {
    for (const f of list) this.#check(f);
    for (const f of list) {
      this.#count[f]++;
      this.#added++;
    }
  }
  /** Requests for `file` the origin still owns. */
  outstanding(file) {
    this.#check(file);
    return this.#count[file];
  }
  /** Who owns `file`'s demand: {@link ORIGIN} or a cache index. */
  owner(file) {
    this.#check(file);
    return this.#owner[file];
  }
  /**
   * Moves `count` of `file`'s outstanding requests (default: all) to `cache`
   * and returns how many moved. The cache becomes the file's owner once the
   * origin keeps none; a partial hand-off (foresight: some requesters fetch
   * the file directly) leaves the rest, and the ownership, at the origin. A
   * count of 0 changes nothing (pull-through caches own no demand).
   *
   * @throws {ForesightError} PROTOCOL when the origin no longer owns the file, or owns fewer than `count` requests
   */
  handOff(file, cache2, count) {
    this.#check(file);
    if (count === 0) return 0;
    if (this.#owner[file] !== ORIGIN) {
      throw new ForesightError("PROTOCOL", `Cannot hand file ${file} to cache ${cache2}: cache ${this.#owner[file]} owns it`);
    }
    const held = this.#count[file];
    const n = count ?? held;
    if (!Number.isInteger(n) || n < 0 || n > held) {
      throw new ForesightError("PROTOCOL", `Cannot hand ${n} requests for file ${file} to cache ${cache2}: the origin owns ${held}`);
    }
    this.#count[file] = held - n;
    if (held === n) this.#owner[file] = cache2;
    this.#handed += n;
    return n;
  }
  /** Gives `count` requests for `file` back to the origin (a cache failed or declined them). */
  takeBack(file, count) {
    this.#check(file);
    this.#owner[file] = ORIGIN;
    this.#count[file] += count;
    this.#handed -= count;
  }
  /**
   * Records one request for `file` served by the origin itself. Returns false,
   * changing nothing, when the origin owns no outstanding request for it.
   */
  serveDirect(file) {
    this.#check(file);
    if (this.#owner[file] !== ORIGIN || this.#count[file] <= 0) return false;
    this.#count[file]--;
    this.#direct++;
    return true;
  }
  /** Totals: requests added, served directly, handed to caches, still at the origin. */
  totals() {
    return {
      added: this.#added,
      direct: this.#direct,
      handed: this.#handed,
      outstanding: this.#added - this.#direct - this.#handed
    };
  }
};

// core/virtual_files.ts
var POOL_BYTES = 1048573;
var MAX_SLICE = POOL_BYTES;
function mix32(x) {
  x = Math.imul(x ^ x >>> 16, 2146121005);
  x = Math.imul(x ^ x >>> 15, 2221713035);
  return (x ^ x >>> 16) >>> 0;
}
var FileSource = class {
  /** Bytes per unit of file id (file n has n × unit bytes). */
  unit;
  /** The run seed. */
  seed;
  #pool;
  /**
   * @param options seed of the run; unit bytes per file id (default 1024)
   */
  constructor(options) {
    this.seed = options.seed >>> 0;
    this.unit = options.unit ?? 1024;
    const pool = new Uint8Array(POOL_BYTES * 2);
    const words = new Uint32Array(pool.buffer, 0, Math.floor(POOL_BYTES / 4) + 1);
    let s2 = mix32(this.seed ^ 2654435769) || 1;
    for (let i = 0; i < words.length; i++) {
      s2 ^= s2 << 13;
      s2 ^= s2 >>> 17;
      s2 ^= s2 << 5;
      words[i] = s2 >>> 0;
    }
    pool.copyWithin(POOL_BYTES, 0, POOL_BYTES);
    this.#pool = pool;
  }
  /** Size in bytes of file `n`. */
  size(n) {
    return n * this.unit;
  }
  /** Offset in the pool at which file `n` starts. */
  #start(n) {
    return mix32(Math.imul(n, 2654435761) ^ mix32(this.seed + 1663821227)) % POOL_BYTES;
  }
  /**
   * A view of `length` bytes of file `n` from `offset` (no copy).
   *
   * @throws {ForesightError} INTERNAL when the range leaves the file or exceeds {@link MAX_SLICE}
   */
  slice(n, offset, length) {
    if (offset < 0 || length < 0 || offset + length > this.size(n) || length > MAX_SLICE) {
      throw new ForesightError(
        "INTERNAL",
        `Cannot slice file ${n}: range ${offset}+${length} is outside its ${this.size(n)} bytes`
      );
    }
    const at = (this.#start(n) + offset) % POOL_BYTES;
    return this.#pool.subarray(at, at + length);
  }
  /** True when `data` equals file `n`'s bytes at `offset`. */
  verify(n, offset, data) {
    if (offset < 0 || offset + data.length > this.size(n)) return false;
    let done = 0;
    while (done < data.length) {
      const len = Math.min(MAX_SLICE, data.length - done);
      const want = this.slice(n, offset + done, len);
      for (let i = 0; i < len; i++) {
        if (want[i] !== data[done + i]) return false;
      }
      done += len;
    }
    return true;
  }
};

// core/pacer.ts
var Pacer = class {
  #bytesPerMs;
  #clock;
  #slackMs;
  #freeAt = -Infinity;
  #bytes = 0;
  /**
   * @param bytesPerSecond link rate; `Infinity` disables pacing
   * @param clock time source
   * @param slackMs how far behind schedule a sender may be and still catch up
   * @throws {ForesightError} CONFIG when the rate is not positive
   */
  constructor(bytesPerSecond, clock, slackMs = 5) {
    if (!(bytesPerSecond > 0)) {
      throw new ForesightError("CONFIG", `Cannot pace a link: rate ${bytesPerSecond} B/s is not positive`);
    }
    this.#bytesPerMs = bytesPerSecond / 1e3;
    this.#clock = clock;
    this.#slackMs = slackMs;
  }
  /** Bytes let through so far. */
  get bytes() {
    return this.#bytes;
  }
  /** Waits until `n` more bytes may be sent at this link's rate. */
  async take(n) {
    this.#bytes += n;
    if (this.#bytesPerMs === Infinity) return;
    const now = this.#clock.now();
    const start = now - this.#freeAt <= this.#slackMs ? Math.max(this.#freeAt, now - this.#slackMs) : now;
    this.#freeAt = start + n / this.#bytesPerMs;
    const wait = this.#freeAt - now;
    if (wait > 0.5) await this.#clock.sleep(wait);
  }
};

// core/scenario.ts
import * as v2 from "valibot";

// protocol/scenario_schema.ts
import * as v from "valibot";
var whole = (min, max) => v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max));
var rate = v.pipe(v.number(), v.finite(), v.gtValue(0));
var POLICY_NAMES = ["seed", "nocache", "lru", "belady", "foresight"];
var ScenarioSchema = v.pipe(
  v.object({
    files: whole(1, 2e6),
    caches: whole(1, 1e3),
    clients: whole(1, 1e4),
    requests: whole(1, 2e6),
    capacityKiB: whole(0, 2 ** 40),
    rateOriginClient: rate,
    rateOriginCache: rate,
    rateCacheClient: rate,
    scale: v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(1e6)),
    seed: whole(-(2 ** 31), 2 ** 32 - 1),
    policy: v.picklist(POLICY_NAMES)
  }),
  v.check((s2) => s2.requests <= s2.files, "requests must not exceed files (each client's requests are distinct)")
);

// core/scenario.ts
var DEFAULT_SCALE = 20;
var CANONICAL = Object.freeze({
  files: 1e4,
  caches: 2,
  clients: 4,
  requests: 1e3,
  capacityKiB: 25600,
  rateOriginClient: 1e3,
  rateOriginCache: 2e3,
  rateCacheClient: 3e3,
  scale: DEFAULT_SCALE,
  seed: 1,
  policy: "seed"
});
function rng(seed) {
  let state = seed >>> 0;
  return () => {
    state = state + 2654435769 >>> 0;
    let z = state;
    z = Math.imul(z ^ z >>> 16, 2246822507);
    z = Math.imul(z ^ z >>> 13, 3266489909);
    return ((z ^ z >>> 16) >>> 0) / 4294967296;
  };
}
function requestList(seed, index, files, requests) {
  const next = rng(Math.imul(seed >>> 0, 16777619) ^ Math.imul(index + 1, 1540483477));
  const chosen = /* @__PURE__ */ new Set();
  for (let j = files - requests + 1; j <= files; j++) {
    const t = 1 + Math.floor(next() * j);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}
function shardOf(file, caches2) {
  return file % caches2;
}
function wireRate(kibPerSecond, scale) {
  return kibPerSecond * 1024 * scale;
}

// core/cache_store.ts
var CacheStore = class {
  /** Capacity in bytes. */
  capacity;
  #entries = /* @__PURE__ */ new Map();
  #onEvict;
  #used = 0;
  #peak = 0;
  #evicted = 0;
  /**
   * @param capacity bytes this cache may hold at most
   * @param options `onEvict` is called with every file evicted (by count or by {@link evict})
   */
  constructor(capacity, options = {}) {
    this.capacity = capacity;
    this.#onEvict = options.onEvict;
  }
  /** Bytes reserved now. */
  get used() {
    return this.#used;
  }
  /** Bytes free now. */
  get free() {
    return this.capacity - this.#used;
  }
  /** Most bytes ever reserved at once. */
  get peak() {
    return this.#peak;
  }
  /** Files evicted so far. */
  get evicted() {
    return this.#evicted;
  }
  /** Files held now. */
  get size() {
    return this.#entries.size;
  }
  /** The entry for `file`, if held. */
  get(file) {
    return this.#entries.get(file);
  }
  /** All entries (read-only view for stats). */
  entries() {
    return this.#entries.values();
  }
  /** True when `size` more bytes fit. */
  fits(size) {
    return this.#used + size <= this.capacity;
  }
  /**
   * Reserves space for a file that is about to arrive, owing `count` requests.
   *
   * @throws {ForesightError} CAPACITY when it does not fit, PROTOCOL when already held
   */
  reserve(file, size, count) {
    if (this.#entries.has(file)) {
      throw new ForesightError("PROTOCOL", `Cannot store file ${file}: it is already cached`);
    }
    if (!this.fits(size)) {
      throw new ForesightError(
        "CAPACITY",
        `Cannot store file ${file}: ${size} bytes do not fit in ${this.free} free of ${this.capacity}`
      );
    }
    const entry = { file, size, count, received: 0, readers: 0 };
    this.#entries.set(file, entry);
    this.#used += size;
    if (this.#used > this.#peak) this.#peak = this.#used;
    if (count === 0) this.#maybeEvict(entry);
    return entry;
  }
  /** Records `bytes` more bytes of `file` received. */
  arrived(file, bytes) {
    const entry = this.#must(file);
    if (entry.received + bytes > entry.size) {
      throw new ForesightError("PROTOCOL", `Cannot store file ${file}: ${entry.received + bytes} bytes exceed its size ${entry.size}`);
    }
    entry.received += bytes;
    return entry;
  }
  /**
   * Starts serving one request for `file`: takes one from its count.
   *
   * @throws {ForesightError} PROTOCOL when the file is not held or is owed to nobody
   */
  beginRead(file) {
    const entry = this.#must(file);
    if (entry.count <= 0) {
      throw new ForesightError("PROTOCOL", `Cannot serve file ${file}: no request for it is outstanding here`);
    }
    entry.count--;
    entry.readers++;
    return entry;
  }
  /** Finishes serving a request; evicts the file when nothing is owed and nobody reads. Returns true when evicted. */
  endRead(file) {
    const entry = this.#must(file);
    entry.readers--;
    return this.#maybeEvict(entry);
  }
  /**
   * Evicts `file` whatever its count (a cache that chooses its victims, e.g.
   * LRU). Returns false, changing nothing, when it is not held or still read.
   */
  evict(file) {
    const entry = this.#entries.get(file);
    if (!entry || entry.readers > 0) return false;
    this.#remove(entry);
    return true;
  }
  /** Drops `file` at once whatever its count (a push that failed). Returns its remaining count. */
  drop(file) {
    const entry = this.#entries.get(file);
    if (!entry) return 0;
    this.#entries.delete(file);
    this.#used -= entry.size;
    return entry.count;
  }
  #maybeEvict(entry) {
    if (entry.count > 0 || entry.readers > 0) return false;
    this.#remove(entry);
    return true;
  }
  #remove(entry) {
    this.#entries.delete(entry.file);
    this.#used -= entry.size;
    this.#evicted++;
    this.#onEvict?.(entry.file);
  }
  #must(file) {
    const entry = this.#entries.get(file);
    if (!entry) throw new ForesightError("PROTOCOL", `Cannot use file ${file}: it is not cached`);
    return entry;
  }
};

// core/cache_brain.ts
var CacheBrain = class {
  /** The store of held files. */
  store;
  #size;
  #waitForPushes;
  #hint = null;
  #pending = null;
  #hits = 0;
  #misses = 0;
  /**
   * @param capacity bytes
   * @param size a file's size in bytes
   * @param options see {@link CacheBrainOptions}
   */
  constructor(capacity, size, options = {}) {
    this.store = new CacheStore(capacity, { onEvict: options.onEvict });
    this.#size = size;
    this.#waitForPushes = options.waitForPushes ?? false;
  }
  /** Hits answered so far. */
  get hits() {
    return this.#hits;
  }
  /** Misses answered so far. */
  get misses() {
    return this.#misses;
  }
  /** The refill asked for and not yet answered, if any. */
  get pending() {
    return this.#pending;
  }
  /** A push from the origin begins: reserve its space (throws CAPACITY when it does not fit). */
  pushed(file, size, count, next) {
    if (this.#pending === file) this.#pending = null;
    this.#hint = next;
    this.store.reserve(file, size, count);
  }
  /** The origin declined the refill of `file`; `next` is its new hint. */
  declined(file, next) {
    if (this.#pending === file) this.#pending = null;
    this.#hint = next;
  }
  /** Classifies a client's request, and on a hit takes one from the file's count (call {@link served} after sending). */
  request(file, _client) {
    const entry = this.store.get(file);
    if (entry && entry.count > 0) {
      this.store.beginRead(file);
      this.#hits++;
      return "hit";
    }
    if (this.#pending === file || this.#waitForPushes && !entry) return "wait";
    this.#misses++;
    return "miss";
  }
  /** A hit has been sent in full (or abandoned); the file may now be evicted. */
  served(file) {
    return this.store.endRead(file);
  }
  /** The file to ask the origin for now, if any (marks it pending). */
  refill() {
    if (this.#pending !== null || this.#hint === null) return null;
    if (this.store.get(this.#hint)) return null;
    if (!this.store.fits(this.#size(this.#hint))) return null;
    this.#pending = this.#hint;
    return this.#pending;
  }
};

// core/max_flow.ts
var FlowNetwork = class {
  #epsilon;
  #head;
  #to = [];
  #cap = [];
  #next = [];
  #initial = [];
  /**
   * @param nodes number of nodes (0..nodes-1)
   * @param epsilon residual capacity treated as none
   */
  constructor(nodes, epsilon = 1e-9) {
    this.#head = new Array(nodes).fill(-1);
    this.#epsilon = epsilon;
  }
  /** Adds an edge `from → to` of capacity `cap` (negative counts as 0); returns its id. */
  addEdge(from, to, cap) {
    const id = this.#to.length;
    const c = Math.max(0, cap);
    this.#push(from, to, c);
    this.#push(to, from, 0);
    this.#initial.push(c, 0);
    return id;
  }
  /** Flow on edge `id` after {@link maxFlow}. */
  flow(id) {
    return this.#initial[id] - this.#cap[id];
  }
  /** Pushes the most flow from `source` to `sink` and returns its value. */
  maxFlow(source, sink) {
    const n = this.#head.length;
    let total = 0;
    const level = new Int32Array(n);
    const iter = new Array(n);
    while (true) {
      level.fill(-1);
      level[source] = 0;
      const queue = [source];
      for (let q = 0; q < queue.length; q++) {
        const u = queue[q];
        for (let e = this.#head[u]; e >= 0; e = this.#next[e]) {
          const v5 = this.#to[e];
          if (level[v5] < 0 && this.#cap[e] > this.#epsilon) {
            level[v5] = level[u] + 1;
            queue.push(v5);
          }
        }
      }
      if (level[sink] < 0) return total;
      for (let i = 0; i < n; i++) iter[i] = this.#head[i];
      for (let f = this.#augment(source, sink, Infinity, level, iter); f > 0; ) {
        total += f;
        f = this.#augment(source, sink, Infinity, level, iter);
      }
    }
  }
  #augment(u, sink, limit, level, iter) {
    if (u === sink) return limit;
    for (let e = iter[u]; e >= 0; e = iter[u] = this.#next[e]) {
      const v5 = this.#to[e];
      if (this.#cap[e] <= this.#epsilon || level[v5] !== level[u] + 1) continue;
      const got = this.#augment(v5, sink, Math.min(limit, this.#cap[e]), level, iter);
      if (got > 0) {
        this.#cap[e] -= got;
        this.#cap[e ^ 1] += got;
        return got;
      }
    }
    return 0;
  }
  #push(from, to, cap) {
    this.#to.push(to);
    this.#cap.push(cap);
    this.#next.push(this.#head[from]);
    this.#head[from] = this.#to.length - 1;
  }
};

// core/policy.ts
var ORIGIN_SOURCE = -1;

// core/route_plan.ts
function planRoutes(input) {
  const { lists, caches: caches2, capacity, size, rates } = input;
  const clients2 = lists.length;
  const requesters = /* @__PURE__ */ new Map();
  lists.forEach((list, c) => {
    for (const f of list) {
      const r = requesters.get(f);
      if (r) r.push(c);
      else requesters.set(f, [c]);
    }
  });
  const source = lists.map(() => /* @__PURE__ */ new Map());
  const g = {
    files: Array.from({ length: caches2 * clients2 }, () => []),
    bytes: new Float64Array(caches2 * clients2),
    directFixed: new Float64Array(clients2),
    inflowFixed: new Float64Array(caches2),
    linkFixed: new Float64Array(caches2 * clients2)
  };
  for (const [f, who] of requesters) {
    const s2 = size(f);
    if (caches2 === 0 || s2 > capacity) {
      for (const c of who) {
        g.directFixed[c] += s2;
        source[c].set(f, ORIGIN_SOURCE);
      }
      continue;
    }
    const k = shardOf(f, caches2);
    if (who.length > 1) {
      g.inflowFixed[k] += s2;
      for (const c of who) {
        g.linkFixed[k * clients2 + c] += s2;
        source[c].set(f, k);
      }
    } else {
      g.files[k * clients2 + who[0]].push(f);
      g.bytes[k * clients2 + who[0]] += s2;
    }
  }
  const { seconds, direct } = balance(g, caches2, clients2, capacity, rates);
  for (let k = 0; k < caches2; k++) {
    for (let c = 0; c < clients2; c++) {
      const files = g.files[k * clients2 + c].sort((a, b) => size(b) - size(a) || b - a);
      let left = direct[k * clients2 + c];
      for (const f of files) {
        const s2 = size(f);
        if (s2 <= left) {
          left -= s2;
          source[c].set(f, ORIGIN_SOURCE);
        } else {
          source[c].set(f, k);
        }
      }
    }
  }
  const ascending = (a, b) => size(a) - size(b) || a - b;
  const counts = /* @__PURE__ */ new Map();
  const viaCache = Array.from({ length: caches2 }, () => []);
  source.forEach((routes2) => {
    for (const [f, s2] of routes2) {
      if (s2 === ORIGIN_SOURCE) continue;
      const n = counts.get(f) ?? 0;
      if (n === 0) viaCache[s2].push(f);
      counts.set(f, n + 1);
    }
  });
  const warm = [];
  const pushes = [];
  for (const files of viaCache) {
    files.sort(ascending);
    let used = 0;
    let i = 0;
    while (i < files.length && used + size(files[i]) <= capacity) used += size(files[i++]);
    warm.push(files.slice(0, i));
    pushes.push(files.slice(i));
  }
  const routes = source.map(
    (m) => [...m.keys()].sort(ascending).map((f) => [f, m.get(f)])
  );
  return { routes, warm, pushes, counts, fluidSeconds: seconds };
}
function balance(g, caches2, clients2, capacity, rates) {
  const groups = caches2 * clients2;
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < clients2; c++) {
    let all = g.directFixed[c];
    for (let k = 0; k < caches2; k++) all += g.bytes[k * clients2 + c];
    hi = Math.max(hi, all / rates.originClient);
    lo = Math.max(lo, g.directFixed[c] / rates.originClient);
  }
  for (let k = 0; k < caches2; k++) {
    lo = Math.max(lo, (g.inflowFixed[k] - capacity) / rates.originCache);
    for (let c = 0; c < clients2; c++) lo = Math.max(lo, g.linkFixed[k * clients2 + c] / rates.cacheClient);
  }
  hi = Math.max(hi, lo);
  let total = 0;
  for (let i = 0; i < groups; i++) total += g.bytes[i];
  const epsilon = Math.max(total, 1) * 1e-12;
  const split = (t) => {
    const net2 = new FlowNetwork(2 + groups + clients2 + caches2, epsilon);
    const edges = new Int32Array(groups).fill(-1);
    for (let k = 0; k < caches2; k++) {
      for (let c = 0; c < clients2; c++) {
        const i = k * clients2 + c;
        if (g.bytes[i] <= 0) continue;
        net2.addEdge(0, 2 + i, g.bytes[i]);
        edges[i] = net2.addEdge(2 + i, 2 + groups + c, g.bytes[i]);
        net2.addEdge(2 + i, 2 + groups + clients2 + k, rates.cacheClient * t - g.linkFixed[i]);
      }
    }
    for (let c = 0; c < clients2; c++) {
      net2.addEdge(2 + groups + c, 1, rates.originClient * t - g.directFixed[c]);
    }
    for (let k = 0; k < caches2; k++) {
      net2.addEdge(2 + groups + clients2 + k, 1, rates.originCache * t + capacity - g.inflowFixed[k]);
    }
    if (net2.maxFlow(0, 1) < total - epsilon * (groups + 1)) return null;
    const direct = new Float64Array(groups);
    for (let i = 0; i < groups; i++) direct[i] = edges[i] >= 0 ? net2.flow(edges[i]) : 0;
    return direct;
  };
  let best = split(hi) ?? new Float64Array(groups).fill(Infinity);
  if (total > 0) {
    for (let round = 0; round < 100 && hi - lo > 1e-9 * hi; round++) {
      const mid = (lo + hi) / 2;
      const got = split(mid);
      if (got) {
        hi = mid;
        best = got;
      } else {
        lo = mid;
      }
    }
  }
  return { seconds: hi, direct: best };
}

// core/foresight_origin.ts
var ForesightOrigin = class {
  /** The plan this origin plays. */
  plan;
  #at;
  /**
   * @param view the lists, caches, capacity and sizes
   * @param rates link rates in bytes per second
   */
  constructor(view, rates) {
    this.plan = planRoutes({
      lists: view.lists,
      caches: view.caches,
      capacity: view.capacity,
      size: (f) => view.size(f),
      rates
    });
    this.#at = new Array(view.caches).fill(0);
  }
  warmup() {
    return this.plan.warm.flatMap((files, cache2) => files.map((file) => ({ cache: cache2, file })));
  }
  hint(cache2) {
    return this.plan.pushes[cache2]?.[this.#at[cache2]] ?? null;
  }
  grant(cache2, file) {
    if (this.hint(cache2) !== file) return false;
    this.#at[cache2]++;
    return true;
  }
  routes(client) {
    return this.plan.routes[client] ?? [];
  }
  pushCount(_cache, file) {
    return this.plan.counts.get(file) ?? 0;
  }
};

// core/parallel_client.ts
var ParallelClient = class {
  #list;
  #caches;
  /** Per source: its files in fetch order, and the position of the next one. */
  #queues = /* @__PURE__ */ new Map();
  #outstanding = /* @__PURE__ */ new Map();
  #done = /* @__PURE__ */ new Set();
  /**
   * @param list the client's distinct files
   * @param caches number of caches (0: every file from the origin)
   */
  constructor(list, caches2) {
    this.#list = [...list].sort((a, b) => a - b);
    this.#caches = caches2;
    this.route([]);
  }
  get finished() {
    return this.#done.size >= this.#list.length;
  }
  poll(busy) {
    const fetches = [];
    for (const [source, queue] of this.#queues) {
      if (busy.has(source) || this.#outstanding.has(source)) continue;
      while (queue.at < queue.files.length && this.#done.has(queue.files[queue.at])) queue.at++;
      const file = queue.files[queue.at];
      if (file === void 0) continue;
      this.#outstanding.set(source, file);
      fetches.push({ file, source });
    }
    return fetches;
  }
  received(file, source) {
    if (this.#outstanding.get(source) !== file) return;
    this.#outstanding.delete(source);
    this.#done.add(file);
    this.#queues.get(source).at++;
  }
  missed(file, source) {
    if (this.#outstanding.get(source) !== file) return;
    this.#outstanding.delete(source);
    const queue = this.#queues.get(source);
    queue.at++;
    if (source === ORIGIN_SOURCE) return;
    const origin = this.#queue(ORIGIN_SOURCE);
    origin.files.splice(origin.at, 0, file);
  }
  /**
   * Routes each listed file to its source; each source fetches its routed
   * files in the order given, then its other files ascending. Call before the
   * first poll.
   */
  route(routes) {
    const mine = new Set(this.#list);
    const routed = /* @__PURE__ */ new Set();
    this.#queues = /* @__PURE__ */ new Map();
    for (const [file, source] of routes) {
      if (!mine.has(file) || routed.has(file)) continue;
      routed.add(file);
      this.#queue(source).files.push(file);
    }
    for (const file of this.#list) {
      if (routed.has(file)) continue;
      this.#queue(this.#caches > 0 ? shardOf(file, this.#caches) : ORIGIN_SOURCE).files.push(file);
    }
  }
  #queue(source) {
    let queue = this.#queues.get(source);
    if (!queue) this.#queues.set(source, queue = { files: [], at: 0 });
    return queue;
  }
};

// core/pull_through_origin.ts
var PullThroughOrigin = class {
  #caches;
  #files;
  /** @param scenario the number of caches and of files */
  constructor(scenario) {
    this.#caches = scenario.caches;
    this.#files = scenario.files;
  }
  warmup() {
    return [];
  }
  hint() {
    return null;
  }
  grant(cache2, file) {
    return Number.isInteger(file) && file >= 1 && file <= this.#files && shardOf(file, this.#caches) === cache2;
  }
  routes() {
    return void 0;
  }
  pushCount() {
    return 0;
  }
};

// core/seed_policy.ts
var SeedOrigin = class {
  #view;
  /** Per cache: its shard's requested files, ascending. */
  #order;
  /** Per cache: first position of #order not known to be ineligible. */
  #at;
  /** @param view the demand and lists the policy reads */
  constructor(view) {
    this.#view = view;
    const wanted = /* @__PURE__ */ new Set();
    for (const list of view.lists) for (const f of list) wanted.add(f);
    this.#order = Array.from({ length: view.caches }, () => []);
    for (const f of [...wanted].sort((a, b) => a - b)) this.#order[shardOf(f, view.caches)].push(f);
    this.#at = new Array(view.caches).fill(0);
  }
  #eligible(file) {
    const { ledger } = this.#view;
    return ledger.owner(file) === ORIGIN && ledger.outstanding(file) > 0;
  }
  warmup() {
    const pushes = [];
    for (let cache2 = 0; cache2 < this.#view.caches; cache2++) {
      let used = 0;
      for (let f = this.hint(cache2); f !== null; f = this.hint(cache2)) {
        const size = this.#view.size(f);
        if (used + size > this.#view.capacity) break;
        used += size;
        pushes.push({ cache: cache2, file: f });
        this.#at[cache2]++;
      }
    }
    return pushes;
  }
  hint(cache2) {
    const order = this.#order[cache2];
    let i = this.#at[cache2];
    while (i < order.length && !this.#eligible(order[i])) i++;
    this.#at[cache2] = i;
    return order[i] ?? null;
  }
  grant(cache2, file) {
    return shardOf(file, this.#view.caches) === cache2 && this.#eligible(file);
  }
  routes() {
    return void 0;
  }
};
var NoCacheOrigin = class {
  warmup() {
    return [];
  }
  hint() {
    return null;
  }
  grant() {
    return false;
  }
  routes() {
    return void 0;
  }
};
var SequentialClient = class {
  #queue;
  #caches;
  #routes = /* @__PURE__ */ new Map();
  #next = 0;
  #current = null;
  /**
   * @param list the client's files (any order; fetched ascending)
   * @param caches number of caches (0: always the origin)
   */
  constructor(list, caches2) {
    this.#queue = [...list].sort((a, b) => a - b);
    this.#caches = caches2;
  }
  get finished() {
    return this.#next >= this.#queue.length;
  }
  poll(busy) {
    if (this.#current || this.finished) return [];
    const file = this.#queue[this.#next];
    const source = this.#routes.get(file) ?? (this.#caches > 0 ? shardOf(file, this.#caches) : ORIGIN_SOURCE);
    if (busy.has(source)) return [];
    this.#current = { file, source };
    return [this.#current];
  }
  received(file) {
    if (this.#current?.file !== file) return;
    this.#current = null;
    this.#next++;
  }
  missed(file, source) {
    if (this.#current?.file !== file) return;
    this.#current = null;
    if (source !== ORIGIN_SOURCE) this.#routes.set(file, ORIGIN_SOURCE);
    else if (this.#caches > 0) this.#routes.set(file, shardOf(file, this.#caches));
  }
  route(routes) {
    for (const [file, source] of routes) this.#routes.set(file, source);
  }
};

// core/policies.ts
var LIVE_READY = ["seed", "nocache"];
function check2(scenario, options) {
  if ((options.driver ?? "live") === "live" && !LIVE_READY.includes(scenario.policy)) {
    throw new ForesightError(
      "CONFIG",
      `Cannot run policy "${scenario.policy}" live: not wired in this version (the simulator runs it)`
    );
  }
}
function byteRates(scenario) {
  return {
    originClient: scenario.rateOriginClient * 1024,
    originCache: scenario.rateOriginCache * 1024,
    cacheClient: scenario.rateCacheClient * 1024
  };
}
function makeOriginPolicy(scenario, view, options = {}) {
  check2(scenario, options);
  switch (scenario.policy) {
    case "seed":
      return new SeedOrigin(view);
    case "nocache":
      return new NoCacheOrigin();
    case "lru":
    case "belady":
      return new PullThroughOrigin(scenario);
    case "foresight":
      return new ForesightOrigin(view, byteRates(scenario));
  }
}
function makeClientPolicy(scenario, list, options = {}) {
  check2(scenario, options);
  switch (scenario.policy) {
    case "seed":
      return new SequentialClient(list, scenario.caches);
    case "nocache":
      return new SequentialClient(list, 0);
    case "lru":
    case "belady":
    case "foresight":
      return new ParallelClient(list, scenario.caches);
  }
}

// protocol/frame.ts
var HEADER_BYTES = 5;
var DEFAULT_MAX_BODY = 1048576;
var CHUNK_BYTES = 65536;
var MAX_U32 = 4294967295;
function writeHeader(out, offset, type, length) {
  out[offset] = type;
  out[offset + 1] = length >>> 24;
  out[offset + 2] = length >>> 16 & 255;
  out[offset + 3] = length >>> 8 & 255;
  out[offset + 4] = length & 255;
}
function encodeFrame(type, body) {
  if (!Number.isInteger(type) || type < 0 || type > 255) {
    throw new ForesightError("PROTOCOL", `Cannot encode frame: type ${type} is not a byte`);
  }
  if (body.length > MAX_U32) {
    throw new ForesightError(
      "FRAME_TOO_LARGE",
      `Cannot encode frame: body length ${body.length} exceeds limit ${MAX_U32}`
    );
  }
  const out = new Uint8Array(HEADER_BYTES + body.length);
  writeHeader(out, 0, type, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}
var FrameDecoder = class {
  #maxBody;
  /** Header bytes of the pending frame, while fewer than HEADER_BYTES have arrived. */
  #head = new Uint8Array(HEADER_BYTES);
  #headFill = 0;
  /** Type and body of the pending frame, once its header is complete. */
  #type = 0;
  #body = null;
  #bodyFill = 0;
  #error = null;
  /**
   * @param options `maxBody`: the largest body accepted, 0..2^32-1
   * @throws {ForesightError} `CONFIG` when `maxBody` is out of range
   */
  constructor(options = {}) {
    const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    if (!Number.isInteger(maxBody) || maxBody < 0 || maxBody > MAX_U32) {
      throw new ForesightError(
        "CONFIG",
        `Cannot create frame decoder: maxBody ${maxBody} is not an integer in 0..${MAX_U32}`
      );
    }
    this.#maxBody = maxBody;
  }
  /** Bytes held for the pending partial frame (header included). */
  get buffered() {
    return this.#body === null ? this.#headFill : HEADER_BYTES + this.#bodyFill;
  }
  /** True when no partial frame is pending; false at EOF means the stream was truncated. */
  get idle() {
    return this.#body === null && this.#headFill === 0;
  }
  /**
   * Consumes `chunk` and returns the frames it completes, in order.
   *
   * @param chunk the next bytes of the stream
   * @returns the complete frames (possibly none)
   * @throws {ForesightError} `FRAME_TOO_LARGE` as soon as a header announces a
   *   body over `maxBody`
   */
  push(chunk) {
    if (this.#error !== null) throw this.#error;
    const frames = [];
    const end = chunk.length;
    let at = 0;
    while (at < end) {
      if (this.#body !== null) {
        const take = Math.min(this.#body.length - this.#bodyFill, end - at);
        this.#body.set(chunk.subarray(at, at + take), this.#bodyFill);
        this.#bodyFill += take;
        at += take;
        if (this.#bodyFill === this.#body.length) {
          frames.push({ type: this.#type, body: this.#body });
          this.#body = null;
        }
      } else if (this.#headFill === 0 && end - at >= HEADER_BYTES) {
        const length = this.#start(chunk, at);
        at += HEADER_BYTES;
        at = this.#begin(chunk, at, end, length, frames);
      } else {
        const take = Math.min(HEADER_BYTES - this.#headFill, end - at);
        this.#head.set(chunk.subarray(at, at + take), this.#headFill);
        this.#headFill += take;
        at += take;
        if (this.#headFill === HEADER_BYTES) {
          this.#headFill = 0;
          const length = this.#start(this.#head, 0);
          at = this.#begin(chunk, at, end, length, frames);
        }
      }
    }
    return frames;
  }
  /** Reads and checks the header at `bytes[at]`; returns the body length. */
  #start(bytes, at) {
    this.#type = bytes[at];
    const length = (bytes[at + 1] << 24 | bytes[at + 2] << 16 | bytes[at + 3] << 8 | bytes[at + 4]) >>> 0;
    if (length > this.#maxBody) {
      this.#error = new ForesightError(
        "FRAME_TOO_LARGE",
        `Cannot decode frame: body length ${length} exceeds limit ${this.#maxBody}`
      );
      throw this.#error;
    }
    return length;
  }
  /** Starts a body of `length` bytes at `chunk[at]`; returns the new read position. */
  #begin(chunk, at, end, length, frames) {
    if (end - at >= length) {
      frames.push({ type: this.#type, body: chunk.subarray(at, at + length) });
      return at + length;
    }
    const body = new Uint8Array(length);
    body.set(chunk.subarray(at, end));
    this.#body = body;
    this.#bodyFill = end - at;
    return end;
  }
};

// protocol/messages.ts
import * as v3 from "valibot";
var PROTOCOL_VERSION = 1;
var MAX_FILE_ID = 2147483647;
var DEFAULT_MAX_LIST = 1e5;
var MessageType = {
  hello: 1,
  welcome: 2,
  caches: 3,
  list: 4,
  start: 5,
  stop: 6,
  request: 7,
  file: 8,
  hit: 9,
  miss: 10,
  chunk: 11,
  done: 12,
  error: 13,
  plan: 14
};
var NAMES = new Array(256).fill(void 0);
for (const [name, code] of Object.entries(MessageType)) NAMES[code] = name;
function messageName(code) {
  return NAMES[code];
}
var int = (min, max) => v3.pipe(v3.number(), v3.safeInteger(), v3.minValue(min), v3.maxValue(max));
var Count = int(0, Number.MAX_SAFE_INTEGER);
var AnyInt = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
var FileId = int(1, MAX_FILE_ID);
var Host = v3.pipe(v3.string(), v3.minLength(1), v3.maxLength(255));
var Port = int(0, 65535);
function disorder(xs) {
  for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) return i;
  return -1;
}
var Ascending = v3.check(
  (xs) => disorder(xs) < 0,
  ({ input }) => {
    const i = disorder(input);
    const got = `${input[i]} after ${input[i - 1]} at index ${i}`;
    return `Invalid order: Expected ascending distinct ids but received ${got}`;
  }
);
function build(maxList) {
  const list = (item) => v3.pipe(
    v3.array(item),
    v3.maxLength(maxList, `Invalid length: Expected at most ${maxList} items`)
  );
  const schemas = {
    hello: v3.object({
      type: v3.literal("hello"),
      v: AnyInt,
      role: v3.picklist(["cache", "client", "probe"]),
      index: v3.optional(Count),
      advertise: v3.optional(v3.object({ host: Host, port: Port })),
      capacity: v3.optional(Count),
      runtime: v3.optional(v3.picklist(["node", "deno", "bun"]))
    }),
    welcome: v3.object({ type: v3.literal("welcome"), v: AnyInt, index: Count, scenario: ScenarioSchema }),
    caches: v3.object({
      type: v3.literal("caches"),
      caches: list(v3.object({ index: Count, host: Host, port: Port }))
    }),
    list: v3.object({ type: v3.literal("list"), files: v3.pipe(list(FileId), Ascending) }),
    start: v3.object({ type: v3.literal("start") }),
    stop: v3.object({ type: v3.literal("stop"), reason: v3.string() }),
    request: v3.object({ type: v3.literal("request"), file: FileId }),
    file: v3.object({
      type: v3.literal("file"),
      file: FileId,
      size: Count,
      count: Count,
      next: v3.nullable(FileId)
    }),
    hit: v3.object({ type: v3.literal("hit"), file: FileId, size: Count }),
    miss: v3.object({ type: v3.literal("miss"), file: FileId, next: v3.optional(v3.nullable(FileId)) }),
    done: v3.object({ type: v3.literal("done"), files: Count, bytes: Count }),
    error: v3.object({ type: v3.literal("error"), code: v3.string(), message: v3.string() }),
    plan: v3.object({
      type: v3.literal("plan"),
      routes: list(v3.tuple([FileId, int(-1, Number.MAX_SAFE_INTEGER)]))
    })
  };
  const s2 = schemas;
  const union = v3.variant("type", [
    s2.hello,
    s2.welcome,
    s2.caches,
    s2.list,
    s2.start,
    s2.stop,
    s2.request,
    s2.file,
    s2.hit,
    s2.miss,
    s2.done,
    s2.error,
    s2.plan
  ]);
  return { schemas, union };
}
var cache = /* @__PURE__ */ new Map();
function controlSchemas(maxList = DEFAULT_MAX_LIST) {
  if (!Number.isSafeInteger(maxList) || maxList < 0) {
    throw new ForesightError(
      "CONFIG",
      `Cannot build message schemas: maxList ${maxList} is not a non-negative integer`
    );
  }
  let built = cache.get(maxList);
  if (built === void 0) cache.set(maxList, built = build(maxList));
  return built;
}
var ControlMessageSchema = controlSchemas().union;

// protocol/codec.ts
import * as v4 from "valibot";
var FILE_ID_BYTES = 4;
var CHUNK = MessageType.chunk;
var MAX_U322 = 4294967295;
var utf8Encoder = new TextEncoder();
var utf8Decoder = new TextDecoder("utf-8", { fatal: true });
function checkFile(file, action) {
  if (!Number.isInteger(file) || file < 1 || file > MAX_FILE_ID) {
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot ${action} chunk: file ${file} is not an integer in 1..${MAX_FILE_ID}`
    );
  }
}
function describe(issues) {
  const issue = issues[0];
  if (issue === void 0) return "invalid body";
  const path = v4.getDotPath(issue);
  return path === null ? issue.message : `field "${path}": ${issue.message}`;
}
function encodeChunk(file, data) {
  checkFile(file, "encode");
  const length = FILE_ID_BYTES + data.length;
  if (length > MAX_U322) {
    throw new ForesightError(
      "FRAME_TOO_LARGE",
      `Cannot encode chunk: body length ${length} exceeds limit ${MAX_U322}`
    );
  }
  const out = new Uint8Array(HEADER_BYTES + length);
  writeHeader(out, 0, CHUNK, length);
  out[HEADER_BYTES] = file >>> 24;
  out[HEADER_BYTES + 1] = file >>> 16 & 255;
  out[HEADER_BYTES + 2] = file >>> 8 & 255;
  out[HEADER_BYTES + 3] = file & 255;
  out.set(data, HEADER_BYTES + FILE_ID_BYTES);
  return out;
}
function encodeMessage(msg, limits = {}) {
  if (msg.type === "chunk") return encodeChunk(msg.file, msg.data);
  const { schemas } = controlSchemas(limits.maxList);
  if (!Object.hasOwn(schemas, msg.type)) {
    throw new ForesightError("UNKNOWN_TYPE", `Cannot encode message: unknown type "${msg.type}"`);
  }
  const schema = schemas[msg.type];
  const result = v4.safeParse(schema, msg, { abortEarly: true });
  if (!result.success) {
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot encode ${msg.type}: ${describe(result.issues)}`
    );
  }
  const { type: _, ...body } = result.output;
  return encodeFrame(MessageType[msg.type], utf8Encoder.encode(JSON.stringify(body)));
}
function decodeMessage(frame, limits = {}) {
  const { type, body } = frame;
  if (type === CHUNK) {
    if (body.length < FILE_ID_BYTES) {
      throw new ForesightError(
        "PROTOCOL",
        `Cannot decode chunk: body length ${body.length} is shorter than the ${FILE_ID_BYTES}-byte file id`
      );
    }
    const file = (body[0] << 24 | body[1] << 16 | body[2] << 8 | body[3]) >>> 0;
    checkFile(file, "decode");
    return { type: "chunk", file, data: body.subarray(FILE_ID_BYTES) };
  }
  const name = messageName(type);
  if (name === void 0 || name === "chunk") {
    const hex = type.toString(16).padStart(2, "0");
    throw new ForesightError("UNKNOWN_TYPE", `Cannot decode frame: unknown type 0x${hex}`);
  }
  let json;
  try {
    json = JSON.parse(utf8Decoder.decode(body));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ForesightError(
      "SCHEMA_INVALID",
      `Cannot decode ${name}: body is not UTF-8 JSON (${why})`,
      { cause }
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ForesightError("SCHEMA_INVALID", `Cannot decode ${name}: body is not a JSON object`);
  }
  json.type = name;
  const schema = controlSchemas(limits.maxList).schemas[name];
  const result = v4.safeParse(schema, json, { abortEarly: true });
  if (!result.success) {
    throw new ForesightError("SCHEMA_INVALID", `Cannot decode ${name}: ${describe(result.issues)}`);
  }
  return result.output;
}
var MessageDecoder = class {
  #frames;
  #limits;
  #error = void 0;
  #failed = false;
  /**
   * @param options `maxBody` (bytes per frame) and `maxList` (items per list)
   * @throws {ForesightError} `CONFIG` when `maxBody` or `maxList` is out of range
   */
  constructor(options = {}) {
    this.#frames = new FrameDecoder(options);
    this.#limits = { maxList: options.maxList };
    controlSchemas(options.maxList);
  }
  /** Bytes held for the pending partial frame. */
  get buffered() {
    return this.#frames.buffered;
  }
  /** True when no partial frame is pending; false at EOF means the stream was truncated. */
  get idle() {
    return this.#frames.idle;
  }
  /**
   * Consumes `chunk` and returns the messages it completes, in order.
   *
   * @param chunk the next bytes of the stream (do not reuse it afterwards:
   *   chunk payloads may be views into it)
   * @returns the complete messages (possibly none)
   * @throws {ForesightError} any error of {@link FrameDecoder.push} or {@link decodeMessage}
   */
  push(chunk) {
    if (this.#failed) throw this.#error;
    try {
      const frames = this.#frames.push(chunk);
      const messages = new Array(frames.length);
      for (let i = 0; i < frames.length; i++) messages[i] = decodeMessage(frames[i], this.#limits);
      return messages;
    } catch (e) {
      this.#failed = true;
      this.#error = e;
      throw e;
    }
  }
};

// live/peer.ts
var Peer = class {
  /** The connection underneath. */
  conn;
  #pacer;
  #maxBody;
  #log;
  #tail = Promise.resolve();
  #closed = false;
  #payloadSent = 0;
  /** @param conn an open connection */
  constructor(conn, options) {
    this.conn = conn;
    this.#pacer = options.pacer;
    this.#maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    this.#log = options.log;
  }
  /** File payload bytes sent so far. */
  get payloadSent() {
    return this.#payloadSent;
  }
  /** Paces file bytes from now on with `pacer`. */
  setPacer(pacer) {
    this.#pacer = pacer;
  }
  /** True once {@link close} was called. */
  get isClosed() {
    return this.#closed;
  }
  #locked(work) {
    const run = this.#tail.then(work);
    this.#tail = run.then(() => {
    }, () => {
    });
    return run;
  }
  /** Sends one control message after everything queued before it. */
  send(msg) {
    const bytes = encodeMessage(msg);
    return this.#locked(() => this.conn.write(bytes));
  }
  /**
   * Sends a file: `header` (a `file` or `hit` message), then the parts of
   * `body` as chunks, nothing else in between, paced.
   */
  sendFile(header, body) {
    return this.#locked(async () => {
      await this.conn.write(encodeMessage(header));
      for await (const part of body) {
        for (let at = 0; at < part.length; at += CHUNK_BYTES) {
          const piece = part.subarray(at, Math.min(part.length, at + CHUNK_BYTES));
          if (this.#pacer) await this.#pacer.take(piece.length);
          await this.conn.write(encodeChunk(header.file, piece));
          this.#payloadSent += piece.length;
        }
      }
    });
  }
  /**
   * The peer's messages until EOF. A decode failure sends an `error` message,
   * closes the connection, logs the reason and ends the iteration by throwing.
   */
  async *messages() {
    const decoder = new MessageDecoder({ maxBody: this.#maxBody });
    for await (const chunk of this.conn.readable) {
      let msgs;
      try {
        msgs = decoder.push(chunk);
      } catch (e) {
        const err = isForesightError(e) ? e : new ForesightError("PROTOCOL", "Cannot decode message", { cause: e });
        this.#log.log("warn", "closing connection: bad input", { remote: `${this.conn.remote.host}:${this.conn.remote.port}`, code: err.code, reason: err.message });
        await this.reject(err);
        throw err;
      }
      for (const m of msgs) yield m;
    }
    if (!decoder.idle) {
      throw new ForesightError("PROTOCOL", `Cannot decode message: connection ended inside a frame (${decoder.buffered} bytes pending)`);
    }
  }
  /** Answers `err` with an error message (best effort) and closes. */
  async reject(err) {
    const bytes = encodeMessage({ type: "error", code: err.code, message: err.message });
    try {
      await Promise.race([this.conn.write(bytes), new Promise((r) => setTimeout(r, 1e3))]);
    } catch {
    }
    this.close(err);
  }
  /** Closes the connection (gracefully when no reason is given). Safe to call twice. */
  close(reason) {
    if (this.#closed) return;
    this.#closed = true;
    if (reason) {
      this.conn.close(reason);
      return;
    }
    this.#locked(() => this.conn.closeWrite()).catch(() => {
    }).finally(() => {
      const timer = setTimeout(() => this.conn.close(), 3e3);
      this.conn.closed.finally(() => clearTimeout(timer));
    });
  }
};

// live/handshake.ts
async function nextMessage(msgs, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new ForesightError("TIMEOUT", `Cannot ${what}: no message within ${timeoutMs} ms`)),
      timeoutMs
    );
  });
  try {
    const r = await Promise.race([msgs.next(), timeout]);
    if (r.done) throw new ForesightError("CONN_CLOSED", `Cannot ${what}: the peer closed the connection`);
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}
async function handshake(msgs, timeoutMs) {
  const msg = await nextMessage(msgs, timeoutMs, "complete the handshake");
  if (msg.type !== "hello") {
    throw new ForesightError("PROTOCOL", `Cannot complete the handshake: expected "hello", got "${msg.type}"`);
  }
  if (msg.v !== PROTOCOL_VERSION) {
    throw new ForesightError("VERSION", `Cannot complete the handshake: peer speaks version ${msg.v}, this side ${PROTOCOL_VERSION}`);
  }
  return msg;
}
async function awaitWelcome(msgs, timeoutMs) {
  const msg = await nextMessage(msgs, timeoutMs, "join");
  if (msg.type === "error") throw new ForesightError("PROTOCOL", `Cannot join: refused (${msg.code}): ${msg.message}`);
  if (msg.type !== "welcome") throw new ForesightError("PROTOCOL", `Cannot join: expected "welcome", got "${msg.type}"`);
  if (msg.v !== PROTOCOL_VERSION) {
    throw new ForesightError("VERSION", `Cannot join: peer speaks version ${msg.v}, this side ${PROTOCOL_VERSION}`);
  }
  return msg;
}

// live/file_parts.ts
function* fileParts(files, n, partBytes = MAX_SLICE) {
  const size = files.size(n);
  for (let at = 0; at < size; at += partBytes) {
    yield files.slice(n, at, Math.min(partBytes, size - at));
  }
}

// live/origin.ts
async function runOrigin(options) {
  const { scenario: s2, adapter, log } = options;
  const clock = options.clock ?? realClock;
  const files = new FileSource({ seed: s2.seed });
  const ledger = new DemandLedger(s2.files);
  const caches2 = new Array(s2.caches).fill(void 0);
  const clients2 = new Array(s2.clients).fill(void 0);
  const lists = new Array(s2.clients).fill(void 0);
  const done = /* @__PURE__ */ new Set();
  const peers = /* @__PURE__ */ new Set();
  let policy;
  let started = false;
  let finished = false;
  let failure;
  const summary = {
    ok: false,
    bytesToCaches: 0,
    bytesToClients: 0,
    filesToCaches: 0,
    filesToClients: 0,
    ownerRaces: 0,
    redirects: 0,
    ledger: ledger.totals()
  };
  let resolveEnd;
  const ended = new Promise((r) => resolveEnd = r);
  const emit = (event) => options.onEvent?.(event);
  const welcome = (index) => ({ type: "welcome", v: PROTOCOL_VERSION, index, scenario: s2 });
  const cacheList = () => ({
    type: "caches",
    caches: caches2.map((c, index) => ({ index, host: c.address.host, port: c.address.port }))
  });
  const allCaches = () => caches2.every((c) => c !== void 0);
  const fail = (reason) => {
    if (finished) return;
    failure = reason;
    log.log("error", "run failed", { reason });
    stopAll(reason);
  };
  const stopAll = (reason) => {
    if (finished) return;
    finished = true;
    for (const p of peers) p.send({ type: "stop", reason }).catch(() => {
    }).finally(() => p.close());
    resolveEnd();
  };
  const push = (cache2, file, count) => {
    const slot = caches2[cache2];
    const size = files.size(file);
    summary.filesToCaches++;
    summary.bytesToCaches += size;
    slot.peer.sendFile(
      { type: "file", file, size, count, next: policy.hint(cache2) },
      fileParts(files, file)
    ).catch((e) => fail(`Cannot push file ${file} to cache ${cache2}: ${e.message}`));
  };
  const serveClient = (client, file) => {
    const peer = clients2[client];
    const owner = ledger.owner(file);
    if (owner !== ORIGIN && caches2[owner]) {
      summary.redirects++;
      peer.send({ type: "miss", file, next: null }).catch(() => {
      });
      return;
    }
    if (!ledger.serveDirect(file)) {
      summary.ownerRaces++;
      log.log("warn", "direct request for a file nobody listed; serving it anyway", { client, file });
    }
    const size = files.size(file);
    summary.filesToClients++;
    summary.bytesToClients += size;
    peer.sendFile({ type: "file", file, size, count: ledger.outstanding(file), next: null }, fileParts(files, file)).catch((e) => log.log("warn", "cannot send file to client", { client, file, reason: e.message }));
  };
  const begin = async () => {
    policy = makeOriginPolicy(s2, {
      ledger,
      caches: s2.caches,
      capacity: s2.capacityKiB * 1024,
      lists,
      size: (f) => files.size(f)
    });
    const pushes = policy.warmup();
    const counts = pushes.map((p) => ledger.handOff(p.file, p.cache));
    pushes.forEach((p, i) => push(p.cache, p.file, counts[i]));
    log.log("info", "warming caches", { pushes: pushes.length });
    for (const c of caches2) await c.peer.send({ type: "start" });
  };
  const maybeStartClients = async () => {
    if (started || !caches2.every((c) => c?.warm)) return;
    started = true;
    const t02 = clock.now();
    emit({ event: "start", at: t02 });
    log.log("info", "all caches warm: starting clients");
    for (let i = 0; i < s2.clients; i++) {
      const routes = policy.routes(i);
      if (routes) await clients2[i].send({ type: "plan", routes });
      await clients2[i].send({ type: "start" });
    }
  };
  const onCacheMessage = (index, msg) => {
    const slot = caches2[index];
    switch (msg.type) {
      case "start":
        slot.warm = true;
        maybeStartClients().catch((e) => fail(`Cannot start the clients: ${e.message}`));
        return;
      case "request": {
        if (policy && policy.grant(index, msg.file)) {
          push(index, msg.file, ledger.handOff(msg.file, index));
        } else {
          slot.peer.send({ type: "miss", file: msg.file, next: policy ? policy.hint(index) : null }).catch(() => {
          });
        }
        return;
      }
      default:
        throw new ForesightError("PROTOCOL", `Cannot handle "${msg.type}" from cache ${index}: not expected`);
    }
  };
  const onClientMessage = (index, msg) => {
    switch (msg.type) {
      case "list": {
        if (lists[index]) throw new ForesightError("PROTOCOL", `Cannot take a second list from client ${index}`);
        if (msg.files.length > s2.requests) {
          throw new ForesightError("PROTOCOL", `Cannot take list of client ${index}: ${msg.files.length} files, at most ${s2.requests} allowed`);
        }
        ledger.add(msg.files);
        lists[index] = msg.files;
        emit({ event: "list", client: index, files: msg.files.length });
        if (lists.every((l) => l !== void 0)) begin().catch((e) => fail(`Cannot warm the caches: ${e.message}`));
        return;
      }
      case "request":
        if (!started) throw new ForesightError("PROTOCOL", `Cannot serve client ${index} before the start`);
        serveClient(index, msg.file);
        return;
      case "done":
        done.add(index);
        emit({ event: "done", client: index });
        if (done.size === s2.clients) stopAll("every client is done");
        return;
      default:
        throw new ForesightError("PROTOCOL", `Cannot handle "${msg.type}" from client ${index}: not expected`);
    }
  };
  const register = (peer, hello) => {
    const table = hello.role === "cache" ? caches2 : clients2;
    const index = hello.index ?? table.findIndex((x) => x === void 0);
    if (index < 0 || index >= table.length) {
      throw new ForesightError("PROTOCOL", `Cannot register ${hello.role}: all ${table.length} places are taken`);
    }
    if (table[index] !== void 0) throw new ForesightError("PROTOCOL", `Cannot register ${hello.role} ${index}: already registered`);
    if (hello.role === "cache") {
      const adv = hello.advertise;
      if (!adv) throw new ForesightError("PROTOCOL", "Cannot register cache: no advertised address");
      const host = adv.host === "0.0.0.0" || adv.host === "::" ? peer.conn.remote.host : adv.host;
      caches2[index] = { peer, address: { host, port: adv.port }, warm: false };
    } else {
      clients2[index] = peer;
    }
    return { role: hello.role, index };
  };
  const onConnection = async (conn) => {
    const remote = `${conn.remote.host}:${conn.remote.port}`;
    const peer = new Peer(conn, {
      log,
      pacer: void 0
    });
    let who;
    try {
      const msgs = peer.messages();
      const hello = await handshake(msgs, 5e3);
      if (finished) throw new ForesightError("PROTOCOL", "Cannot register: the run is over");
      if (hello.role === "probe") {
        await peer.send(welcome(0));
        peer.close();
        return;
      }
      who = register(peer, hello);
      peers.add(peer);
      const rate2 = who.role === "cache" ? s2.rateOriginCache : s2.rateOriginClient;
      peer.setPacer(new Pacer(wireRate(rate2, s2.scale), clock));
      log.log("info", `${who.role} registered`, { index: who.index, remote });
      emit({ event: "register", role: who.role, index: who.index });
      await peer.send(welcome(who.index));
      if (who.role === "cache" && allCaches()) {
        for (const c of clients2) if (c) await c.send(cacheList());
      } else if (who.role === "client" && allCaches()) {
        await peer.send(cacheList());
      }
      for await (const msg of msgs) {
        if (who.role === "cache") onCacheMessage(who.index, msg);
        else onClientMessage(who.index, msg);
      }
      if (!finished) fail(`${who.role} ${who.index} disconnected before the run ended`);
    } catch (e) {
      const err = e instanceof ForesightError ? e : new ForesightError("INTERNAL", String(e), { cause: e });
      log.log("warn", "connection closed", { remote, code: err.code, reason: err.message });
      if (!peer.isClosed) await peer.reject(err);
      if (who && !finished) fail(`${who.role} ${who.index} failed: ${err.message}`);
    } finally {
      peer.close();
    }
  };
  const listener = await adapter.listen(options.listen, (conn) => void onConnection(conn));
  options.onListening?.(listener.address);
  log.log("info", "origin listening", { host: listener.address.host, port: listener.address.port });
  options.signal?.addEventListener("abort", () => fail("aborted"));
  await ended;
  await listener.close();
  await Promise.race([
    Promise.all([...peers].map((p) => p.conn.closed)),
    clock.sleep(5e3)
  ]);
  for (const p of peers) p.conn.close();
  summary.ok = failure === void 0;
  if (failure) summary.error = failure;
  summary.ledger = ledger.totals();
  return summary;
}

// core/file_buffer.ts
var FileBuffer = class {
  #data;
  #filled = 0;
  #failed = null;
  #wake = [];
  /** @param size total bytes */
  constructor(size) {
    this.#data = new Uint8Array(size);
  }
  /** Total bytes. */
  get size() {
    return this.#data.length;
  }
  /** Bytes stored so far. */
  get filled() {
    return this.#filled;
  }
  /** Stores the next part; throws PROTOCOL when it overruns the size. */
  append(part) {
    if (this.#filled + part.length > this.#data.length) {
      throw new ForesightError("PROTOCOL", `Cannot store ${part.length} bytes: file holds ${this.#data.length}, ${this.#filled} already stored`);
    }
    this.#data.set(part, this.#filled);
    this.#filled += part.length;
    this.#notify();
  }
  /** Marks the buffer as never to be completed; readers throw `reason`. */
  fail(reason) {
    this.#failed = reason;
    this.#notify();
  }
  #notify() {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }
  /** Yields the whole file in parts of at most `partBytes`, waiting for bytes not yet stored. */
  async *read(partBytes) {
    let at = 0;
    while (at < this.#data.length) {
      if (this.#failed) throw this.#failed;
      if (this.#filled === at) {
        await new Promise((resolve) => this.#wake.push(resolve));
        continue;
      }
      const end = Math.min(this.#filled, at + partBytes);
      yield this.#data.subarray(at, end);
      at = end;
    }
  }
};

// live/connect.ts
async function connectWithRetry(adapter, to, options) {
  const clock = options.clock ?? realClock;
  const deadline = clock.now() + (options.deadlineMs ?? 3e4);
  let delay = options.firstDelayMs ?? 100;
  let attempts = 0;
  let last;
  while (true) {
    attempts++;
    try {
      return await adapter.connect({ host: to.host, port: to.port, timeoutMs: Math.max(100, Math.min(1e4, deadline - clock.now())) });
    } catch (e) {
      last = e;
      const retriable = isForesightError(e, "CONN_REFUSED") || isForesightError(e, "TIMEOUT") || isForesightError(e, "CONN_RESET");
      if (!retriable || clock.now() + delay > deadline) break;
      if (attempts === 1) options.log.log("info", "server not there yet; retrying", { host: to.host, port: to.port });
      await clock.sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 2e3);
    }
  }
  throw new ForesightError(
    "TIMEOUT",
    `Cannot connect to ${to.host}:${to.port}: ${attempts} attempts failed within ${options.deadlineMs ?? 3e4} ms (last: ${last?.message})`,
    { cause: last }
  );
}

// live/cache.ts
async function runCache(options) {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const peers = /* @__PURE__ */ new Set();
  let listenerAddress;
  let brain;
  let scenario;
  let files;
  const buffers = /* @__PURE__ */ new Map();
  const waiting = /* @__PURE__ */ new Map();
  let stopped = false;
  const summary = {
    ok: false,
    index: -1,
    capacityBytes: 0,
    peakBytes: 0,
    hits: 0,
    misses: 0,
    pushedFiles: 0,
    pushedBytes: 0,
    evicted: 0,
    bytesToClients: 0,
    heldAtStop: 0
  };
  let ready2;
  const isReady = new Promise((r) => ready2 = r);
  const serve = async (peer, file) => {
    const b = brain;
    const outcome = b.request(file);
    if (outcome === "wait") {
      await new Promise((resolve) => {
        const list = waiting.get(file) ?? [];
        list.push(resolve);
        waiting.set(file, list);
      });
      return serve(peer, file);
    }
    if (outcome === "miss") {
      await peer.send({ type: "miss", file, next: null });
      return;
    }
    const buffer = buffers.get(file);
    try {
      await peer.sendFile({ type: "hit", file, size: buffer.size }, buffer.read(1 << 20));
      summary.bytesToClients += buffer.size;
    } finally {
      if (b.served(file)) {
        buffers.delete(file);
        summary.evicted++;
        refill();
      }
    }
  };
  let origin;
  let warm = false;
  const refill = () => {
    if (stopped || !origin || !warm) return;
    const want = brain.refill();
    if (want !== null) origin.send({ type: "request", file: want }).catch(() => {
    });
  };
  const wake = (file) => {
    const list = waiting.get(file);
    waiting.delete(file);
    for (const w of list ?? []) w();
  };
  const onClientConn = async (conn2) => {
    const remote = `${conn2.remote.host}:${conn2.remote.port}`;
    const peer = new Peer(conn2, { log });
    try {
      const msgs2 = peer.messages();
      const hello = await handshake(msgs2, 5e3);
      if (hello.role === "cache") throw new ForesightError("PROTOCOL", "Cannot register a cache at a cache");
      await isReady;
      if (stopped) throw new ForesightError("CONN_CLOSED", "Cannot serve: this cache has stopped");
      peer.setPacer(new Pacer(wireRate(scenario.rateCacheClient, scenario.scale), clock));
      await peer.send({ type: "welcome", v: PROTOCOL_VERSION, index: summary.index, scenario });
      if (hello.role === "probe") {
        peer.close();
        return;
      }
      peers.add(peer);
      for await (const msg of msgs2) {
        if (msg.type !== "request") throw new ForesightError("PROTOCOL", `Cannot handle "${msg.type}" from a client: expected "request"`);
        if (!Number.isInteger(msg.file) || msg.file > scenario.files) {
          throw new ForesightError("PROTOCOL", `Cannot serve file ${msg.file}: ids run from 1 to ${scenario.files}`);
        }
        await serve(peer, msg.file);
      }
    } catch (e) {
      const err = e instanceof ForesightError ? e : new ForesightError("INTERNAL", String(e), { cause: e });
      if (!stopped) log.log("warn", "client connection closed", { remote, code: err.code, reason: err.message });
      if (!peer.isClosed) await peer.reject(err);
    } finally {
      peers.delete(peer);
      peer.close();
    }
  };
  const listener = await adapter.listen(options.listen, (c) => void onClientConn(c));
  listenerAddress = listener.address;
  const advertise = options.advertise ?? listenerAddress;
  log.log("info", "cache listening", { host: listenerAddress.host, port: listenerAddress.port });
  const conn = await connectWithRetry(adapter, options.origin, { log, clock });
  origin = new Peer(conn, { log });
  const msgs = origin.messages();
  let current;
  try {
    await origin.send({ type: "hello", v: PROTOCOL_VERSION, role: "cache", advertise, index: options.index, runtime: adapter.runtime });
    const welcome = await awaitWelcome(msgs, 1e4);
    scenario = welcome.scenario;
    summary.index = welcome.index;
    summary.capacityBytes = scenario.capacityKiB * 1024;
    files = new FileSource({ seed: scenario.seed });
    const f = files;
    brain = new CacheBrain(summary.capacityBytes, (n) => f.size(n));
    ready2();
    log.log("info", "registered with origin", { index: summary.index });
    options.onEvent?.({ event: "registered", index: summary.index, port: advertise.port });
    for await (const msg of msgs) {
      switch (msg.type) {
        case "file": {
          if (current) throw new ForesightError("PROTOCOL", `Cannot start file ${msg.file}: file ${current.file} is incomplete`);
          brain.pushed(msg.file, msg.size, msg.count, msg.next);
          const buffer = new FileBuffer(msg.size);
          buffers.set(msg.file, buffer);
          summary.pushedFiles++;
          current = { file: msg.file, buffer, received: 0 };
          if (msg.size === 0) current = void 0;
          wake(msg.file);
          refill();
          break;
        }
        case "chunk": {
          if (!current || current.file !== msg.file) throw new ForesightError("PROTOCOL", `Cannot store a chunk of file ${msg.file}: no such file is arriving`);
          current.buffer.append(msg.data);
          summary.pushedBytes += msg.data.length;
          if (current.buffer.filled === current.buffer.size) current = void 0;
          break;
        }
        case "miss":
          brain.declined(msg.file, msg.next ?? null);
          wake(msg.file);
          refill();
          break;
        case "start":
          warm = true;
          await origin.send({ type: "start" });
          options.onEvent?.({ event: "warm", files: brain.store.size, bytes: brain.store.used });
          refill();
          break;
        case "stop":
          log.log("info", "origin says stop", { reason: msg.reason });
          stopped = true;
          break;
        default:
          throw new ForesightError("PROTOCOL", `Cannot handle "${msg.type}" from the origin: not expected`);
      }
      if (stopped) break;
    }
    if (!stopped) throw new ForesightError("CONN_CLOSED", "Cannot go on: the origin closed the connection before saying stop");
    summary.ok = true;
  } catch (e) {
    summary.error = e.message;
    log.log("error", "cache failed", { reason: summary.error });
    current?.buffer.fail(e);
  } finally {
    stopped = true;
    for (const w of waiting.keys()) wake(w);
    await listener.close();
    origin.close();
    for (const p of peers) p.close();
    await Promise.race([Promise.all([origin.conn.closed, ...[...peers].map((p) => p.conn.closed)]), clock.sleep(5e3)]);
  }
  if (brain) {
    summary.peakBytes = brain.store.peak;
    summary.hits = brain.hits;
    summary.misses = brain.misses;
    summary.heldAtStop = brain.store.size;
  }
  return summary;
}

// live/client.ts
async function runClient(options) {
  const { adapter, log } = options;
  const clock = options.clock ?? realClock;
  const summary = {
    ok: false,
    index: -1,
    files: 0,
    bytes: 0,
    verified: 0,
    corrupt: 0,
    hits: 0,
    misses: 0,
    fromOrigin: 0,
    finishSimSeconds: 0,
    wallSeconds: 0,
    requested: 0
  };
  const sources = /* @__PURE__ */ new Map();
  let progressTimer;
  try {
    const originConn = await connectWithRetry(adapter, options.origin, { log, clock });
    const origin = new Peer(originConn, { log });
    sources.set(ORIGIN_SOURCE, origin);
    const originMsgs = origin.messages();
    await origin.send({ type: "hello", v: PROTOCOL_VERSION, role: "client", index: options.index, runtime: adapter.runtime });
    const welcome = await awaitWelcome(originMsgs, 1e4);
    const s2 = welcome.scenario;
    summary.index = welcome.index;
    const files = new FileSource({ seed: s2.seed });
    const list = requestList(s2.seed, summary.index, s2.files, s2.requests);
    summary.requested = list.length;
    const policy = makeClientPolicy(s2, list);
    const cachesMsg = await nextMessage(originMsgs, 12e4, "learn the caches");
    if (cachesMsg.type !== "caches") throw new ForesightError("PROTOCOL", `Cannot learn the caches: got "${cachesMsg.type}"`);
    const cacheMsgs = /* @__PURE__ */ new Map();
    for (const c of cachesMsg.caches) {
      const conn = await connectWithRetry(adapter, { host: c.host, port: c.port }, { log, clock, deadlineMs: 1e4 });
      const peer = new Peer(conn, { log });
      const msgs = peer.messages();
      await peer.send({ type: "hello", v: PROTOCOL_VERSION, role: "client", index: summary.index, runtime: adapter.runtime });
      await awaitWelcome(msgs, 1e4);
      sources.set(c.index, peer);
      cacheMsgs.set(c.index, msgs);
    }
    await origin.send({ type: "list", files: list });
    log.log("info", "list sent; waiting for the start", { index: summary.index, files: list.length });
    while (true) {
      const m = await nextMessage(originMsgs, 6e5, "wait for the start");
      if (m.type === "plan") policy.route(m.routes);
      else if (m.type === "start") break;
      else if (m.type === "stop") throw new ForesightError("PROTOCOL", `Cannot run: the origin stopped the run (${m.reason})`);
      else throw new ForesightError("PROTOCOL", `Cannot wait for the start: got "${m.type}"`);
    }
    const t02 = clock.now();
    const progress = () => options.onEvent?.({
      event: "progress",
      index: summary.index,
      files: summary.files,
      of: list.length,
      bytes: summary.bytes,
      hits: summary.hits,
      misses: summary.misses,
      simSeconds: (clock.now() - t02) / 1e3 * s2.scale
    });
    progressTimer = setInterval(progress, options.progressMs ?? 250);
    const busy = /* @__PURE__ */ new Map();
    const inflight = /* @__PURE__ */ new Map();
    let finishResolve;
    let finishReject;
    const finished = new Promise((res, rej) => (finishResolve = res, finishReject = rej));
    let stopResolve;
    const stopped = new Promise((res) => stopResolve = res);
    const pump = () => {
      if (policy.finished) return finishResolve();
      const busySet = new Set(busy.keys());
      for (const f of policy.poll(busySet)) {
        const peer = sources.get(f.source);
        if (!peer) return finishReject(new ForesightError("PROTOCOL", `Cannot fetch file ${f.file}: no source ${f.source}`));
        busy.set(f.source, f.file);
        peer.send({ type: "request", file: f.file }).catch((e) => finishReject(e));
      }
    };
    const onMessage = (source, m) => {
      const want = busy.get(source);
      switch (m.type) {
        case "file":
        case "hit": {
          if (want !== m.file) throw new ForesightError("PROTOCOL", `Cannot accept file ${m.file} from source ${source}: asked for ${want}`);
          if (m.size !== files.size(m.file)) {
            throw new ForesightError("CORRUPT", `Cannot accept file ${m.file}: size ${m.size}, expected ${files.size(m.file)}`);
          }
          if (m.type === "hit") summary.hits++;
          else summary.fromOrigin++;
          inflight.set(source, { file: m.file, size: m.size, received: 0, ok: true });
          if (m.size === 0) complete(source);
          return;
        }
        case "chunk": {
          const t = inflight.get(source);
          if (!t || t.file !== m.file) throw new ForesightError("PROTOCOL", `Cannot accept a chunk of file ${m.file} from source ${source}: not expected`);
          if (t.received + m.data.length > t.size) throw new ForesightError("PROTOCOL", `Cannot accept file ${m.file}: more than its ${t.size} bytes`);
          if (t.ok && !files.verify(m.file, t.received, m.data)) t.ok = false;
          t.received += m.data.length;
          summary.bytes += m.data.length;
          if (t.received === t.size) complete(source);
          return;
        }
        case "miss":
          if (want !== m.file) throw new ForesightError("PROTOCOL", `Cannot accept a miss for file ${m.file}: asked for ${want}`);
          if (source !== ORIGIN_SOURCE) summary.misses++;
          busy.delete(source);
          policy.missed(m.file, source);
          pump();
          return;
        case "stop":
          if (source === ORIGIN_SOURCE && policy.finished) return stopResolve();
          throw new ForesightError("PROTOCOL", `Cannot finish: the origin stopped the run (${m.reason})`);
        default:
          throw new ForesightError("PROTOCOL", `Cannot handle "${m.type}" during the run`);
      }
    };
    const complete = (source) => {
      const t = inflight.get(source);
      inflight.delete(source);
      busy.delete(source);
      summary.files++;
      if (t.ok) summary.verified++;
      else {
        summary.corrupt++;
        log.log("error", "file failed verification", { file: t.file, source });
      }
      policy.received(t.file, source);
      pump();
    };
    const readLoop = async (source, msgs) => {
      try {
        for await (const m of msgs) onMessage(source, m);
        if (!policy.finished) throw new ForesightError("CONN_CLOSED", `Cannot finish: source ${source} closed the connection`);
      } catch (e) {
        finishReject(e);
      }
    };
    for (const [src, msgs] of cacheMsgs) void readLoop(src, msgs);
    void readLoop(ORIGIN_SOURCE, originMsgs);
    pump();
    await finished;
    summary.finishSimSeconds = (clock.now() - t02) / 1e3 * s2.scale;
    summary.wallSeconds = (clock.now() - t02) / 1e3;
    clearInterval(progressTimer);
    progress();
    await origin.send({ type: "done", files: summary.files, bytes: summary.bytes });
    let timer;
    await Promise.race([stopped, new Promise((_, rej) => {
      timer = setTimeout(() => rej(new ForesightError("TIMEOUT", "Cannot end: no stop from the origin within 60 s")), 6e4);
    })]).finally(() => clearTimeout(timer));
    summary.ok = summary.corrupt === 0 && summary.verified === list.length;
  } catch (e) {
    summary.error = e.message;
    log.log("error", "client failed", { reason: summary.error });
  } finally {
    clearInterval(progressTimer);
    for (const p of sources.values()) p.close();
    await Promise.race([Promise.all([...sources.values()].map((p) => p.conn.closed)), clock.sleep(5e3)]);
  }
  return summary;
}

// scratch/inproc.ts
var mk = (role) => ({ log(l, m, f) {
  if (l !== "debug") console.error(role, l, m, JSON.stringify(f ?? {}));
}, child() {
  return this;
} });
var s = { ...CANONICAL, ...JSON.parse(process.env.SCN ?? "{}") };
var port = 0;
var ready = new Promise((r) => {
  void runOrigin({ scenario: s, adapter: nodeAdapter, listen: { host: "127.0.0.1", port: 0 }, log: mk("data"), onListening: (a) => {
    port = a.port;
    r();
  } }).then((x) => console.log("origin", JSON.stringify(x)));
});
await ready;
var o = { host: "127.0.0.1", port };
var t0 = performance.now();
var caches = [0, 1].map((i) => runCache({ adapter: nodeAdapter, origin: o, listen: { host: "127.0.0.1", port: 0 }, index: i, log: mk("cache" + i) }));
var clients = [0, 1, 2, 3].map((i) => runClient({ adapter: nodeAdapter, origin: o, index: i, log: mk("client" + i) }));
for (const c of await Promise.all(clients)) console.log("client", JSON.stringify(c));
for (const c of await Promise.all(caches)) console.log("cache", JSON.stringify(c));
console.log("wall", (performance.now() - t0) / 1e3);
