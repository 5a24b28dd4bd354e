import { signZaloHeader } from '../../bot/zalo/signature.js';
import { SANDBOX_ZALO } from '../../runtime/config.js';

/**
 * A `user_send_text` webhook body as Zalo sends it (ZALO.md §2.3), signed the way Zalo signs
 * (bot/zalo/signature.ts) with the sandbox credentials the app uses when ZALO_APP_ID is unset.
 */
export function signedTextEvent(input: { userId: string; text: string; msgId: string; timestamp?: number }): { body: string; signature: string } {
  const timestamp = String(input.timestamp ?? Date.now());
  const body = JSON.stringify({
    app_id: SANDBOX_ZALO.appId,
    user_id_by_app: '4400000000000000000',
    sender: { id: input.userId },
    recipient: { id: SANDBOX_ZALO.oaId },
    event_name: 'user_send_text',
    message: { msg_id: input.msgId, text: input.text },
    timestamp,
  });
  return { body, signature: signZaloHeader({ appId: SANDBOX_ZALO.appId, rawBody: body, timestamp, oaSecretKey: SANDBOX_ZALO.oaSecretKey }) };
}
