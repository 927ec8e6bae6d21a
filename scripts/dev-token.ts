import { SignJWT } from 'jose';

/** A superadmin bearer token for local use, signed with the dev HS256 secret. */
export async function mintDevToken(secret: string, hours = 12, roles: string[] = ['superadmin']): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('dev-admin')
    .setIssuedAt()
    .setExpirationTime(`${hours}h`)
    .sign(new TextEncoder().encode(secret));
}
