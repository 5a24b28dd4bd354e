import type { Role } from '../../workflows/cases/actor.js';

/** How the header names an official's roles. */
export const ROLE_LABELS: Record<Role, string> = {
  dispatcher: 'Điều phối viên',
  handler: 'Chuyên viên xử lý',
  unit_leader: 'Lãnh đạo đơn vị',
  admin: 'Quản trị hệ thống',
  viewer: 'Người theo dõi',
};

export function describeRoles(roles: readonly Role[]): string {
  return roles.length === 0 ? 'Chưa được phân quyền' : roles.map((r) => ROLE_LABELS[r]).join(', ');
}
