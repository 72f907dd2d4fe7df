import * as grpc from '@grpc/grpc-js';
import express from 'express';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { AuthServiceClient } from '@chat/auth';
import { Invalid, Unavailable } from '@chat/contracts';
import { sendPage } from './csp';

const PUBLIC_DIR = join(__dirname, '..', '..', 'public');

/** The browser bundle socket.io-client ships (its package exports do not name dist/, so find it from the entry). */
function clientBundle(): string {
  const entry = require.resolve('socket.io-client');
  const root = entry.slice(0, entry.lastIndexOf('socket.io-client') + 'socket.io-client'.length);
  const file = join(root, 'dist', 'socket.io.min.js');
  if (!existsSync(file)) throw new Error(`socket.io-client browser bundle not found at ${file}`);
  return file;
}

/** The demo's test users: fixed ids, so two browsers that pick "alice" and "bob" find each other. */
export const DEMO_USERS = [
  { name: 'alice', id: '64d000000000000000000a11' },
  { name: 'bob', id: '64d000000000000000000b0b' },
  { name: 'carol', id: '64d000000000000000000ca1' },
] as const;

/**
 * A small web chat at /demo (static HTML and socket.io-client, no build step), for trying the service in a
 * browser. It gets tokens for its fixed test users from the auth service (role "user"), so it is mounted
 * only when DEMO_ENABLED=true: never on a deployment that holds real users.
 */
export function mountDemo(app: express.Express, auth: AuthServiceClient, timeoutMs: number): void {
  const router = express.Router();
  const bundle = clientBundle();
  router.get('/', sendPage(join(PUBLIC_DIR, 'demo', 'index.html')));
  router.get('/socket.io.min.js', (_req, res) => res.sendFile(bundle));
  router.get('/users', (_req, res) => void res.json({ users: DEMO_USERS }));
  router.post('/token', async (req, res) => {
    const name = (req.body as { user?: unknown } | undefined)?.user;
    const user = DEMO_USERS.find((u) => u.name === name);
    if (!user) throw new Invalid(`user must be one of ${DEMO_USERS.map((u) => u.name).join(', ')}`);
    const token = await new Promise<string>((resolve, reject) =>
      auth.GenerateToken(
        { userId: user.id, email: `${user.name}@demo.test`, role: 'user' },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, r) => (err || !r ? reject(new Unavailable('auth service unavailable')) : resolve(r.access_token)),
      ),
    );
    res.json({ user, token });
  });
  app.use('/demo', router);
}
