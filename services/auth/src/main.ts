import * as grpc from '@grpc/grpc-js';
import { loadAuthService, type TokenPayload } from '@chat/auth';
import { loadConfig } from '@chat/config';
import { createLogger } from '@chat/logging';
import { authLookups, closeServer, initMetrics, Readiness, startOpsServer } from '@chat/ops';
import { InvalidRequest, TokenIssuer } from './token-issuer';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('auth', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('auth', config.INSTANCE_ID);
  const issuer = new TokenIssuer({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.JWT_TTL_SECONDS,
  });
  const { service } = loadAuthService();
  const server = new grpc.Server();
  server.addService(service, {
    GenerateToken: (call: grpc.ServerUnaryCall<TokenPayload, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      try {
        cb(null, issuer.issue(call.request));
      } catch (err) {
        const code = err instanceof InvalidRequest ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
        cb({ code, details: (err as Error).message });
      }
    },
    ValidateToken: (call: grpc.ServerUnaryCall<{ access_token: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      try {
        cb(null, issuer.validate(String(call.request.access_token ?? '')));
        authLookups.inc({ result: 'valid' });
      } catch {
        authLookups.inc({ result: 'invalid' });
        cb({ code: grpc.status.UNAUTHENTICATED, details: 'invalid token' });
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(config.AUTH_GRPC_URL, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  // the auth service depends on nothing but its key; ready as soon as the gRPC port is bound
  const readiness = new Readiness([]);
  const ops = await startOpsServer(config.OPS_PORT, readiness, log);
  log.info({ address: config.AUTH_GRPC_URL, port }, 'auth service listening');

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    readiness.drain();
    void closeServer(ops);
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(`auth: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
