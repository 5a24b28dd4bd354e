/**
 * ZNS/ZBS by phone wants `84` + the 9-digit subscriber number, no leading 0 or `+` (ZALO.md §5.1).
 * Only mobile numbers (prefixes 3, 5, 7, 8, 9) can receive Zalo template messages.
 */
const MOBILE = /^(?:\+?84|0)?([35789]\d{8})$/;

/** `0912 345 678`, `+84912345678`, `84-912-345-678` → `84912345678`; anything else → undefined. */
export function normalisePhoneForZalo(input: string): string | undefined {
  const compact = input.trim().replace(/[\s.\-()]/g, '');
  const match = MOBILE.exec(compact);
  return match ? `84${match[1]}` : undefined;
}
