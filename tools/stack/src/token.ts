/* npm run token -- <userId>: asks the running auth service (AUTH_GRPC_URL) for an access token. */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { createAuthClient } from '@chat/auth';

const userId = process.argv[2] ?? randomBytes(12).toString('hex');
const client = createAuthClient(process.env.AUTH_GRPC_URL ?? '127.0.0.1:50051');
client.GenerateToken({ userId, email: `${userId}@example.test`, role: 'user' }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => {
  if (err) {
    process.stderr.write(`could not get a token: ${err.details || err.message} (is npm start running?)\n`);
    process.exit(1);
  }
  process.stdout.write(`${res!.access_token}\n`);
  client.close();
});
