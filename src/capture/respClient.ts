// A minimal Redis client for the direct hook: one connection, a few pipelined commands, replies
// read, socket closed. The hook starts once per agent event and Cursor waits for it; loading
// ioredis costs tens of milliseconds before the first byte is sent (DESIGN.md §2), this file
// costs next to nothing. Speaks RESP2 over the connection byteStream.ts opens (plain TCP, or TLS
// for rediss:// URLs), with AUTH (password, or username and password) and SELECT from the URL.
import { openByteStream, type ByteStream } from './byteStream';

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db?: number;
}

export type RespValue = string | number | null | RespValue[] | RespError;

/** An error reply from the server (`-ERR ...`), as opposed to a connection failure. */
export class RespError extends Error {
  override name = 'RespError';
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`Redis URL "${url.replace(/\/\/[^@/]*@/, '//***@')}" is not a valid URL; set it as redis://host:port.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Redis URL scheme "${u.protocol}" is not supported; use redis:// or rediss://.`);
  }
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? undefined : Number(dbText);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db !== undefined && Number.isInteger(db) && db > 0 ? db : undefined,
  };
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const body = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

type Parsed = { value: RespValue; next: number } | undefined;

/** Parse one reply at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, offset: number): Parsed {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`Redis sent an unexpected reply type "${type}"; check that the URL points at a Redis server.`);
  }
}

/**
 * One connection for one pipelined exchange. Opened as early as possible, so the TCP (and TLS)
 * handshake runs while the hook reads stdin and builds its entry; `send` then only waits for the
 * replies.
 */
export class RespConnection {
  private readonly stream: ByteStream;
  /** A failure before `send` listens (refused, reset), kept so it is neither lost nor unhandled. */
  private failure: Error | undefined;
  private onData: ((chunk: Buffer) => void) | undefined;
  private onEnd: ((err: Error) => void) | undefined;

  private constructor(
    private readonly target: RedisTarget,
    options: { allowTcpWrap?: boolean },
  ) {
    this.stream = openByteStream(
      target,
      {
        data: (chunk) => this.onData?.(chunk),
        end: (err) => {
          this.failure ??= err;
          this.onEnd?.(err);
        },
      },
      options,
    );
  }

  /** `allowTcpWrap: false` forces node:net (tests of that path). */
  static open(target: RedisTarget, options: { allowTcpWrap?: boolean } = {}): RespConnection {
    return new RespConnection(target, options);
  }

  /** The connection's failure, once there is one (refused, reset, closed); undefined before. */
  get connectionError(): Error | undefined {
    return this.failure;
  }

  /** Which transport carries the connection (see byteStream.ts). */
  get via(): ByteStream['via'] {
    return this.stream.via;
  }

  private where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  /**
   * Send `commands` pipelined (AUTH and SELECT first when the URL asks for them) and return the
   * replies of `commands`, in order; closes the connection. Rejects on a connection error, on the
   * deadline, and on an error reply to AUTH or SELECT; error replies to `commands` are returned
   * as RespError values for the caller to judge.
   */
  send(commands: readonly (readonly string[])[], timeoutMs: number): Promise<RespValue[]> {
    const { target } = this;
    const setup: string[][] = [];
    if (target.password !== undefined) setup.push(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
    if (target.db !== undefined) setup.push(['SELECT', String(target.db)]);
    const all = [...setup, ...commands];
    return new Promise<RespValue[]>((resolve, reject) => {
      let settled = false;
      let received: Buffer = Buffer.alloc(0);
      const replies: RespValue[] = [];
      let offset = 0;
      const finish = (err: Error | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.onData = undefined;
        this.onEnd = undefined;
        this.stream.destroy();
        if (err) reject(err);
        else resolve(replies.slice(setup.length));
      };
      const timer = setTimeout(() => finish(new Error(`Redis at ${this.where()} did not answer within ${timeoutMs} ms`)), timeoutMs);
      if (this.failure) return finish(this.failure);
      this.onEnd = (err) => finish(err);
      this.onData = (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        try {
          for (;;) {
            const reply = parseReply(received, offset);
            if (!reply) break;
            replies.push(reply.value);
            offset = reply.next;
            if (replies.length <= setup.length && reply.value instanceof RespError) {
              finish(new Error(`Redis refused ${setup[replies.length - 1][0]}: ${reply.value.message}`));
              return;
            }
            if (replies.length === all.length) {
              finish(undefined);
              return;
            }
          }
        } catch (err) {
          finish(err as Error);
        }
      };
      this.stream.write(Buffer.concat(all.map(encodeCommand)));
    });
  }

  /** Close without sending (the hook had nothing to send after all). */
  close(): void {
    this.onData = undefined;
    this.onEnd = undefined;
    this.stream.destroy();
  }
}

/** Open, send, close: one exchange on a fresh connection (see RespConnection.send). */
export function runCommands(target: RedisTarget, commands: readonly (readonly string[])[], timeoutMs: number, options: { allowTcpWrap?: boolean } = {}): Promise<RespValue[]> {
  return RespConnection.open(target, options).send(commands, timeoutMs);
}
