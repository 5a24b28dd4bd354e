import { z } from 'zod';
import { sharedTemplateRenderer } from '../templates.js';
import type { ProductPart } from '../start.js';
import { createMailer } from './mailer.js';

const ZEmailRecipient = z.object({ email: z.email(), name: z.string().optional() });

/**
 * Delivers outbox rows of kind 'email': template `email/<name>` renders the subject (first line, after
 * "Subject:"), and `email/<name>.html` when present renders the HTML part.
 */
export const mailPart: ProductPart = {
  name: 'mail',
  senders: (deps) => {
    const mailer = createMailer({ smtpUrl: deps.config.smtpUrl, from: deps.config.mailFrom });
    const templates = sharedTemplateRenderer(deps.database.db, deps.logger);
    return {
      email: async (row) => {
        // The admin's edited texts (console → Mẫu tin nhắn) apply to the next mail.
        await templates.refresh();
        const recipient = ZEmailRecipient.safeParse(row.recipient);
        if (!recipient.success) return { ok: false, retry: false, error: 'invalid email recipient' };
        if (!row.template) return { ok: false, retry: false, error: 'email without template' };
        const rendered = templates.render(`email/${row.template}`, row.data);
        const [firstLine = '', ...rest] = rendered.split('\n');
        const subject = firstLine.replace(/^Subject:\s*/i, '').trim();
        const text = rest.join('\n').trim();
        const html = templates.has(`email/${row.template}.html`) ? templates.render(`email/${row.template}.html`, row.data) : undefined;
        if (mailer.transport === 'mailbox') {
          return { ok: true, channel: 'mailbox', result: { subject, text } };
        }
        try {
          const info = await mailer.send({ to: recipient.data.email, subject, text, html });
          return { ok: true, channel: 'email', result: { messageId: info.messageId, subject } };
        } catch (err) {
          return { ok: false, retry: true, error: err instanceof Error ? err.message : String(err) };
        }
      },
    };
  },
};
