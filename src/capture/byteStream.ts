// The byte connection under the direct hook's Redis client: bytes out, chunks in, one end.
//
// The direct hook starts once per agent event and Cursor waits for it, so how the connection is
// opened is chosen for start-up time. Loading node:net (which loads node:stream) costs a Node
// process 4-7 ms of its ~17 ms of work on this machine; for a plain TCP connection to an IP
// address the hook uses the same libuv TCP handle node:net wraps, without the stream machinery
// (tcpWrapStream.ts). Host names (DNS), TLS, and any Node whose internals do not look as expected
// go through node:net / node:tls, loaded only then.
import type { Socket } from 'node:net';
import { openTcpWrapStream } from './tcpWrapStream';

export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
}

export interface ByteStreamEvents {
  data(chunk: Buffer): void;
  /** The connection failed or closed. May be called more than once; the first call counts. */
  end(err: Error): void;
}

export interface ByteStream {
  /** Queued until the connection is up. */
  write(data: Buffer): void;
  /** Close now; no events after this. */
  destroy(): void;
  /** Which implementation carries it: for tests and diagnostics. */
  readonly via: 'tcp_wrap' | 'net' | 'tls';
}

/** 4 for a dotted IPv4 address, 6 for an IPv6 one, 0 for a host name (which needs DNS). */
export function ipVersion(host: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host)) return 4;
  // A loose check is enough: a wrong guess fails to connect and the event is spooled, with the reason.
  if (host.includes(':') && /^[0-9A-Fa-f:.]+$/.test(host)) return 6;
  return 0;
}

export function openByteStream(endpoint: Endpoint, events: ByteStreamEvents, options: { allowTcpWrap?: boolean } = {}): ByteStream {
  const family = ipVersion(endpoint.host);
  if (!endpoint.tls && family !== 0 && options.allowTcpWrap !== false) {
    const raw = openTcpWrapStream(endpoint.host, endpoint.port, family, events);
    if (raw) return raw;
  }
  return openNodeSocket(endpoint, events);
}

/** node:net, or node:tls for rediss://; required here, not imported, so the fast path never loads them. */
function openNodeSocket(endpoint: Endpoint, events: ByteStreamEvents): ByteStream {
  const net = require('node:net') as typeof import('node:net');
  let socket: Socket | undefined;
  let queued: Buffer[] = [];
  let destroyed = false;
  const attach = (s: Socket): Socket => {
    s.on('data', (chunk: Buffer) => events.data(chunk));
    s.once('error', (err) => events.end(err));
    s.once('close', () => events.end(new Error(`Redis at ${endpoint.host}:${endpoint.port} closed the connection`)));
    return s;
  };
  if (!endpoint.tls) {
    socket = attach(net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true }));
  } else {
    import('node:tls').then(
      (tls) => {
        if (destroyed) return;
        const servername = net.isIP(endpoint.host) ? undefined : endpoint.host;
        socket = attach(tls.connect({ host: endpoint.host, port: endpoint.port, servername }));
        for (const data of queued) socket.write(data);
        queued = [];
      },
      (err: Error) => events.end(err),
    );
  }
  return {
    via: endpoint.tls ? 'tls' : 'net',
    write(data) {
      if (socket) socket.write(data);
      else queued.push(data);
    },
    destroy() {
      destroyed = true;
      socket?.destroy();
    },
  };
}
