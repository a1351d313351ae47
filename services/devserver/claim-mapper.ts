import type { JWTPayload } from 'jose';
import type { MethodAccess } from './method-access';

/**
 * Roles from a verified token, like Temporal's default JWT claim mapper: the `permissions` claim
 * is an array of `"<namespace>:<role>"` strings, role one of `read|write|worker|admin`; the
 * namespace `system` grants the role cluster-wide. Unknown roles and malformed entries are ignored
 * (they grant nothing).
 */

/** Temporal's role bits; a caller's standing is the highest bit held. */
export const ROLES = { worker: 1, read: 2, write: 4, admin: 8 } as const;

export type RoleName = keyof typeof ROLES;

/** The role a method of each access class needs. */
export const REQUIRED_ROLE: Readonly<Record<MethodAccess, RoleName>> = {
  read: 'read',
  write: 'write',
  admin: 'admin',
};

/** Namespace whose permissions apply to every namespace and to cluster-scoped calls. */
export const SYSTEM_NAMESPACE = 'system';

/** A caller's roles as bit masks: the system role and one per namespace. */
export interface MappedClaims {
  system: number;
  namespaces: ReadonlyMap<string, number>;
}

/** Maps the `permissions` claim to role masks. */
export function mapClaims(claims: JWTPayload): MappedClaims {
  const namespaces = new Map<string, number>();
  let system = 0;
  const permissions = Array.isArray(claims.permissions) ? (claims.permissions as unknown[]) : [];
  for (const entry of permissions) {
    if (typeof entry !== 'string') continue;
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) continue;
    const namespace = entry.slice(0, colon);
    const role = ROLES[entry.slice(colon + 1).toLowerCase() as RoleName] as number | undefined;
    if (role === undefined) continue;
    if (namespace === SYSTEM_NAMESPACE) system |= role;
    else namespaces.set(namespace, (namespaces.get(namespace) ?? 0) | role);
  }
  return { system, namespaces };
}

/** Whether a role mask reaches `role` (its highest bit is at least the role's bit). */
export function reaches(mask: number, role: RoleName): boolean {
  return mask >= ROLES[role];
}
