export { AuthError, JwksConfigError } from './errors';
export { loadJwks, mergeJwks } from './jwks';
export { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions, type Principal } from './jwt-verifier';
