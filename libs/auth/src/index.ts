export { AUTH_PROTO_PATH, loadAuthService, createAuthClient } from './proto';
export type { AuthServiceClient, AuthServiceDefinition, TokenPayload, TokenResponse, UserPayload } from './proto';
export { TokenVerifier, type Identity, type VerifierStats } from './token-verifier';
