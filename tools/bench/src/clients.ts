import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { createAuthClient } from '@chat/auth';

export interface BenchUser {
  id: string;
  token: string;
}

export async function makeUsers(authAddress: string, n: number): Promise<BenchUser[]> {
  const client = createAuthClient(authAddress);
  try {
    const ids = Array.from({ length: n }, () => randomBytes(12).toString('hex'));
    const out: BenchUser[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      out.push(
        ...(await Promise.all(
          chunk.map(
            (id) =>
              new Promise<BenchUser>((resolve, reject) =>
                client.GenerateToken(
                  { userId: id, email: '', role: 'user' },
                  new grpc.Metadata(),
                  { deadline: Date.now() + 10000 },
                  (err, res) => (err ? reject(err) : resolve({ id, token: res!.access_token })),
                ),
              ),
          ),
        )),
      );
    }
    return out;
  } finally {
    client.close();
  }
}

export function connect(url: string, namespace: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(`${url}${namespace}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const t = setTimeout(() => reject(new Error('connect timeout')), 20000);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('connect_error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export async function connectMany(urls: string[], namespace: string, users: BenchUser[], concurrency = 50): Promise<Socket[]> {
  const out = new Array<Socket>(users.length);
  for (let i = 0; i < users.length; i += concurrency) {
    await Promise.all(
      users.slice(i, i + concurrency).map(async (u, k) => (out[i + k] = await connect(urls[(i + k) % urls.length], namespace, u.token))),
    );
  }
  return out;
}

export function request<T = unknown>(s: Socket, event: string, payload: unknown, timeoutMs = 15000): Promise<T> {
  return s.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}
