/**
 * Just enough multipart/form-data parsing for the fake upload endpoints: find the part named `file`
 * and return its bytes, file name and content type. @fastify/multipart is not a dependency of the
 * project and a test double does not justify one; the real Zalo client sends one small part.
 */

export interface MultipartFile {
  fieldName: string;
  fileName?: string;
  contentType?: string;
  bytes: Buffer;
}

export function readMultipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = (match?.[1] ?? match?.[2])?.trim();
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

function parsePartHeaders(block: string): { name?: string; fileName?: string; contentType?: string } {
  const out: { name?: string; fileName?: string; contentType?: string } = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-type') out.contentType = value;
    if (header === 'content-disposition') {
      const name = /(?:^|;)\s*name="([^"]*)"/i.exec(value);
      // RFC 5987 `filename*=UTF-8''…` wins over the plain one, as browsers send both for non-ASCII names.
      const extended = /filename\*=(?:UTF-8|utf-8)''([^;]+)/.exec(value);
      const plain = /(?:^|;)\s*filename="([^"]*)"/i.exec(value);
      if (name) out.name = name[1];
      if (extended?.[1]) {
        try {
          out.fileName = decodeURIComponent(extended[1]);
        } catch {
          out.fileName = extended[1];
        }
      } else if (plain) {
        // Browsers and form-data libraries put UTF-8 bytes inside the quotes; the body was read as latin1.
        out.fileName = Buffer.from(plain[1] ?? '', 'latin1').toString('utf8');
      }
    }
  }
  return out;
}

/** The part named `fieldName`, or undefined when the body has no such part or is not multipart. */
export function findMultipartFile(body: Buffer, boundary: string, fieldName = 'file'): MultipartFile | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let cursor = body.indexOf(delimiter);
  while (cursor >= 0) {
    const partStart = cursor + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(partStart, partStart + 2).toString('latin1') === '--') return undefined;
    const headerEnd = body.indexOf('\r\n\r\n', partStart);
    if (headerEnd < 0) return undefined;
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next < 0) return undefined;
    const headers = parsePartHeaders(body.subarray(partStart, headerEnd).toString('latin1'));
    // The CRLF before the next delimiter belongs to the delimiter, not to the content.
    const contentEnd = next >= 2 && body[next - 2] === 0x0d && body[next - 1] === 0x0a ? next - 2 : next;
    if (headers.name === fieldName) {
      return {
        fieldName,
        ...(headers.fileName === undefined ? {} : { fileName: headers.fileName }),
        ...(headers.contentType === undefined ? {} : { contentType: headers.contentType }),
        bytes: Buffer.from(body.subarray(headerEnd + 4, contentEnd)),
      };
    }
    cursor = next;
  }
  return undefined;
}
