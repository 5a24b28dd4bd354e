import type { ZaloClient } from '../zalo/api-client.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';

/** Sends one bot message through the OA API; returns the Zalo message ids it produced. */
export async function sendOutgoing(client: ZaloClient, userId: string, message: OutgoingMessage): Promise<string[]> {
  switch (message.type) {
    case 'text':
      return client.sendText(userId, message.text);
    case 'buttons':
      return client.sendButtons(
        userId,
        message.text,
        message.buttons.map((b) => ({ title: b.title, type: b.type, payload: b.payload }) as Parameters<ZaloClient['sendButtons']>[2][number]),
      );
    case 'request_user_info': {
      // The card's banner is optional, but an empty `image_url` is refused (-201 …image_url is invalid)
      // and the citizen never gets the card. Without a banner the field must be absent: the client
      // serialises the card with JSON.stringify, which leaves an undefined property out. (The client's
      // type wants a string; it should take `imageUrl?: string`.)
      const card = { title: message.title, subtitle: message.subtitle, imageUrl: message.imageUrl } as Parameters<ZaloClient['requestUserInfo']>[1];
      const id = await client.requestUserInfo(userId, card);
      return id ? [id] : [];
    }
    case 'image': {
      const id = await client.sendImage(userId, { url: message.url }, message.text);
      return id ? [id] : [];
    }
  }
}

export function describeOutgoing(message: OutgoingMessage): string {
  switch (message.type) {
    case 'text':
    case 'buttons':
      return message.text;
    case 'request_user_info':
      return `[${message.title}] ${message.subtitle}`;
    case 'image':
      return message.text ?? '[ảnh]';
  }
}
