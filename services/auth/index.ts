export { AuthError, JwksConfigError } from './errors';
export { loadJwks, mergeJwks } from './jwks';
export {
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  type Principal,
  type VerificationKeys,
} from './jwt-verifier';
export { createConfiguredVerifier, verificationKeysFromEnv } from './configured-verifier';
