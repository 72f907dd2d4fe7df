/* npm run token -- [--admin] [userId]: asks the running auth service (AUTH_GRPC_URL) for an access token. */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { createAuthClient } from '@chat/auth';

const args = process.argv.slice(2);
const admin = args.includes('--admin');
const userId = args.find((a) => !a.startsWith('--')) ?? randomBytes(12).toString('hex');
// a production auth service wants the caller's credential; development is open without it
const metadata = new grpc.Metadata();
const key = (admin ? process.env.AUTH_ADMIN_MINT_KEY : undefined) ?? process.env.AUTH_MINT_KEY;
if (key) metadata.set('x-chat-mint-key', key);
const client = createAuthClient(process.env.AUTH_GRPC_URL ?? '127.0.0.1:50051');
client.GenerateToken(
  { userId, email: `${userId}@example.test`, role: admin ? 'admin' : 'user' },
  metadata,
  { deadline: Date.now() + 5000 },
  (err, res) => {
    if (err) {
      process.stderr.write(`could not get a token: ${err.details || err.message} (is npm start running?)\n`);
      process.exit(1);
    }
    process.stdout.write(`${res!.access_token}\n`);
    client.close();
  },
);
