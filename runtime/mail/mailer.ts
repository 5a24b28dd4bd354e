import nodemailer, { type Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** 'smtp' sends through SMTP_URL; 'mailbox' keeps mail in the outbox for the console and sandbox to show. */
  readonly transport: 'smtp' | 'mailbox';
  send(message: MailMessage): Promise<{ messageId?: string }>;
  close(): void;
}

export function createMailer(options: { smtpUrl?: string; from: string }): Mailer {
  if (!options.smtpUrl) {
    return { transport: 'mailbox', send: async () => ({}), close: () => undefined };
  }
  const url = new URL(options.smtpUrl);
  // Plain smtp:// to a local relay or test server must not try STARTTLS upgrades it cannot do.
  const transporter: Transporter = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
    secure: url.protocol === 'smtps:',
    ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: 10_000,
  });
  return {
    transport: 'smtp',
    async send(message) {
      const info = await transporter.sendMail({ from: options.from, ...message });
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}
