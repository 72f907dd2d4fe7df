import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

/** proto/auth.proto at the repository root: the contract with any auth service. */
export const AUTH_PROTO_PATH = join(__dirname, '..', '..', '..', 'proto', 'auth.proto');

export interface TokenPayload {
  userId: string;
  email?: string;
  role?: string;
  deviceId?: string;
  ipAddress?: string;
  userAgent?: string;
}
export interface TokenResponse {
  access_token: string;
  /** @deprecated always empty: no refresh tokens are issued (see proto/auth.proto). */
  refresh_token: string;
}
export interface UserPayload {
  userId: string;
  email: string;
  role: string;
  deviceId: string;
  issuedAt: number;
  expiresAt: number;
}

type Unary<Req, Res> = (
  req: Req,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

export interface AuthServiceClient extends grpc.Client {
  GenerateToken: Unary<TokenPayload, TokenResponse>;
  ValidateToken: Unary<{ access_token: string }, UserPayload>;
}

export interface AuthServiceDefinition {
  service: grpc.ServiceDefinition;
  Client: new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => AuthServiceClient;
}

/** int64 as JS numbers (seconds since epoch fit easily); defaults filled so absent strings read as ''. */
export function loadAuthService(): AuthServiceDefinition {
  const def = protoLoader.loadSync(AUTH_PROTO_PATH, { keepCase: true, longs: Number, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    auth: { AuthService: AuthServiceDefinition['Client'] & { service: grpc.ServiceDefinition } };
  };
  return { service: pkg.auth.AuthService.service, Client: pkg.auth.AuthService };
}

export function createAuthClient(address: string): AuthServiceClient {
  const { Client } = loadAuthService();
  return new Client(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2_000,
  });
}
