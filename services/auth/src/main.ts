import * as grpc from '@grpc/grpc-js';
import { loadAuthService, type TokenPayload } from '@chat/auth';
import { loadConfig } from '@chat/config';
import { createLogger } from '@chat/logging';
import { authLookups, closeServer, initMetrics, Readiness, startOpsServer } from '@chat/ops';
import { MINT_KEY_HEADER, MintPolicy, MintRefused } from './mint-policy';
import { InvalidRequest, TokenIssuer } from './token-issuer';

async function main(): Promise<void> {
  const config = loadConfig(undefined, { mints: true });
  const log = createLogger('auth', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('auth', config.INSTANCE_ID);
  const issuer = new TokenIssuer({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.JWT_TTL_SECONDS,
  });
  // production always checks (loadConfig refuses to start without a strong key); development checks
  // only when a key is configured, so `npm run token` and the tests work on a laptop
  const policy = new MintPolicy({
    open: config.NODE_ENV !== 'production' && !config.AUTH_MINT_KEY,
    userKey: config.AUTH_MINT_KEY,
    adminKey: config.AUTH_ADMIN_MINT_KEY,
  });
  const { service } = loadAuthService();
  const server = new grpc.Server();
  server.addService(service, {
    GenerateToken: (call: grpc.ServerUnaryCall<TokenPayload, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      try {
        const presented = call.metadata.get(MINT_KEY_HEADER)[0];
        policy.check(typeof presented === 'string' ? presented : undefined, call.request.role || 'user');
        cb(null, issuer.issue(call.request));
      } catch (err) {
        if (err instanceof MintRefused)
          log.warn({ peer: call.getPeer(), role: call.request.role, reason: err.reason }, 'token request refused');
        const code =
          err instanceof InvalidRequest
            ? grpc.status.INVALID_ARGUMENT
            : err instanceof MintRefused
              ? err.reason === 'forbidden'
                ? grpc.status.PERMISSION_DENIED
                : grpc.status.UNAUTHENTICATED
              : grpc.status.INTERNAL;
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
  if (policy.open) log.warn('GenerateToken is open (development): anyone who reaches this port can mint any token, admin included');
  else log.info({ admin: config.AUTH_ADMIN_MINT_KEY !== undefined }, `GenerateToken requires the caller's credential (${MINT_KEY_HEADER})`);
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
