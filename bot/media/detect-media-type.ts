/**
 * Media types PAKN Desk accepts (citizens' photos and documents, sandbox uploads), by their first bytes: what a client claims in Content-Type is
 * not trusted, since the bytes are later served back to a browser.
 */

export type MediaKind = 'image' | 'gif' | 'document';

export interface DetectedMediaType {
  mime: string;
  kind: MediaKind;
  extension: string;
}

const startsWith = (bytes: Buffer, signature: number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

export function detectMediaType(bytes: Buffer, fileName?: string): DetectedMediaType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mime: 'image/png', kind: 'image', extension: 'png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { mime: 'image/jpeg', kind: 'image', extension: 'jpg' };
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return { mime: 'image/gif', kind: 'gif', extension: 'gif' };
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    return { mime: 'image/webp', kind: 'image', extension: 'webp' };
  }
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) return { mime: 'application/pdf', kind: 'document', extension: 'pdf' };
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return { mime: 'application/msword', kind: 'document', extension: 'doc' };
  // A .docx is a zip; only the name tells it from any other zip.
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) && /\.docx$/i.test(fileName ?? '')) {
    return { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', kind: 'document', extension: 'docx' };
  }
  return undefined;
}
