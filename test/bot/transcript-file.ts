/**
 * Golden dialog transcripts (test/bot/transcripts/*.txt). A file is a conversation:
 *
 *   # comment            kept as written
 *   > text               the user sends a text
 *   > [follow]           follows the OA
 *   > [tap Người dân]    taps the most recent `oa.query.*` button with that title (sends its payload)
 *   > [location 21.0285 105.8542]
 *   > [image <url>]      sends a photo (Zalo's CDN URL)
 *   > [sticker <url>]    sends a sticker
 *   > [share Nguyễn Văn An 0912345678]   shares name and phone through Zalo's info card
 *   < text               what the OA answered; `<   [Nút: …]` are buttons, a bare `<` separates messages
 *
 * Consecutive `>` lines are one burst: delivered back to back, then everything is answered. Only the
 * `>` lines and comments are read; the `<` lines are what the replay must produce, exactly.
 */

export type TranscriptItem = { kind: 'comment'; line: string } | { kind: 'batch'; inputs: string[] };

export function parseTranscript(text: string): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  let open: { kind: 'batch'; inputs: string[] } | undefined;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.startsWith('> ')) {
      if (!open) {
        open = { kind: 'batch', inputs: [] };
        items.push(open);
      }
      open.inputs.push(line.slice(2).trim());
      continue;
    }
    open = undefined;
    if (line.startsWith('#')) items.push({ kind: 'comment', line });
    else if (line.trim() !== '' && !line.startsWith('<')) throw new Error(`transcript line must start with "#", "> " or "<": ${line}`);
  }
  return items;
}

/** The file as the replay produced it: comments, each burst's inputs, then the answers to them. */
export function renderTranscript(items: TranscriptItem[], answers: string[][]): string {
  const lines: string[] = [];
  let batch = 0;
  let previous: TranscriptItem['kind'] | undefined;
  for (const item of items) {
    if (item.kind === 'comment') {
      if (previous === 'batch') lines.push('');
      lines.push(item.line);
    } else {
      if (lines.length > 0) lines.push('');
      lines.push(...item.inputs.map((input) => `> ${input}`), ...(answers[batch] ?? []));
      batch += 1;
    }
    previous = item.kind;
  }
  return `${lines.join('\n')}\n`;
}
