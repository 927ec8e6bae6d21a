import { SignJWT, type JWTPayload } from 'jose';
import { JWT_SECRET } from './config.ts';

/** An HS256 token as the API expects it: superadmin role, 5 minutes, subject ops@example.com. */
export function mintToken(claims: JWTPayload = {}, secret = JWT_SECRET): Promise<string> {
  return new SignJWT({ roles: ['superadmin'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'ops@example.com')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}
