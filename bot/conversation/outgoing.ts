/** What the bot says, independent of how it travels (CS message, sandbox, ZBS template). */
export interface OutgoingButton {
  title: string;
  type: 'oa.query.show' | 'oa.query.hide' | 'oa.open.url' | 'oa.open.phone';
  payload: string | { url: string } | { phone_code: string };
}

export type OutgoingMessage =
  | { type: 'text'; text: string }
  | { type: 'buttons'; text: string; buttons: OutgoingButton[] }
  | { type: 'request_user_info'; title: string; subtitle: string; imageUrl?: string }
  | { type: 'image'; url: string; text?: string };

/** Zalo shows at most 5 buttons under one message, so longer choices are split over several messages. */
export const MAX_BUTTONS_PER_MESSAGE = 5;

export function queryButton(title: string, payload: string): OutgoingButton {
  return { title: title.slice(0, 100), type: 'oa.query.hide', payload };
}

export function buttonMessages(text: string, continuation: string, buttons: OutgoingButton[]): OutgoingMessage[] {
  const messages: OutgoingMessage[] = [];
  for (let i = 0; i < buttons.length; i += MAX_BUTTONS_PER_MESSAGE) {
    messages.push({ type: 'buttons', text: i === 0 ? text : continuation, buttons: buttons.slice(i, i + MAX_BUTTONS_PER_MESSAGE) });
  }
  return messages.length > 0 ? messages : [{ type: 'text', text }];
}
