import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver took (answered 2xx or not). */
export interface HookRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent (what the signature covers). */
  raw: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: any;
  /** The status the receiver answered. */
  status: number;
  at: number;
}

/**
 * A loopback HTTP receiver for outgoing webhooks and push: records every request with its headers and body,
 * answers 204, or `status` when told to fail; stop() takes it down (connections refused) and start() brings
 * it back on the same port.
 */
export class HookReceiver {
  readonly requests: HookRequest[] = [];
  /** What to answer (2xx counts as taken). */
  status = 204;
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    if (this.port === 0) throw new Error('the receiver has not started');
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The requests answered 2xx: what the receiver took. */
  get accepted(): HookRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const status = this.status;
        this.requests.push({ path: req.url ?? '', headers: req.headers, raw, body, status, at: Date.now() });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Down: the port refuses connections until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every event the receiver took (from `{ events: [...] }` bodies), in arrival order. */
  events(): Array<{ id: string; type: string; createdAt: string; data: any; deliveryId: string }> {
    return this.accepted.flatMap((r) =>
      Array.isArray(r.body?.events)
        ? (r.body.events as Array<{ id: string; type: string; createdAt: string; data: unknown }>).map((e) => ({
            ...e,
            deliveryId: String(r.headers['x-chat-webhook-id']),
          }))
        : [],
    );
  }
}
