import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface SmtpMessage {
  host: string;
  port: number;
  /** STARTTLS is required: a server that does not offer it is refused before any credential is sent. */
  requireTls: boolean;
  username?: string;
  password?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  timeoutMs?: number;
}

export class SmtpError extends Error {}

/**
 * Just enough SMTP (RFC 5321) to hand one plain-text message to a relay: EHLO, STARTTLS
 * (RFC 3207), AUTH PLAIN (RFC 4954), MAIL, RCPT, DATA. Written here rather than adding a mail
 * library for one message shape; the tests hold it to a real server (mailpit).
 */
export async function sendMail(m: SmtpMessage): Promise<void> {
  const timeoutMs = m.timeoutMs ?? 15_000;
  let socket: Socket | TLSSocket = netConnect({ host: m.host, port: m.port });
  socket.setTimeout(timeoutMs);
  let buffer = '';
  let waiter: ((line: string | Error) => void) | undefined;
  const lines: string[] = [];
  let failure: Error | undefined;
  const feed = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i).replace(/\r$/, ''));
      buffer = buffer.slice(i + 1);
    }
    flush();
  };
  const flush = () => {
    if (!waiter) return;
    if (lines.length) {
      const w = waiter;
      waiter = undefined;
      w(lines.shift()!);
    } else if (failure) {
      const w = waiter;
      waiter = undefined;
      w(failure);
    }
  };
  const fail = (err: Error) => {
    failure ??= err;
    flush();
  };
  const attach = (s: Socket | TLSSocket) => {
    s.on('data', feed);
    s.on('error', (e) => fail(new SmtpError(`SMTP ${m.host}:${m.port}: ${e.message}`)));
    s.on('timeout', () => {
      fail(new SmtpError(`SMTP ${m.host}:${m.port}: no answer in ${timeoutMs / 1000}s`));
      s.destroy();
    });
    s.on('close', () => fail(new SmtpError(`SMTP ${m.host}:${m.port}: the server closed the connection`)));
  };
  attach(socket);
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      waiter = (l) => (l instanceof Error ? reject(l) : resolve(l));
      flush();
    });
  /** One reply (possibly multi-line); throws unless its code is one of `ok`. */
  const reply = async (what: string, ...ok: number[]): Promise<string[]> => {
    const got: string[] = [];
    for (;;) {
      const line = await nextLine();
      got.push(line.slice(4));
      if (line[3] !== '-') {
        const code = Number(line.slice(0, 3));
        if (!ok.includes(code)) throw new SmtpError(`SMTP ${m.host}:${m.port} refused ${what}: ${line}`);
        return got;
      }
    }
  };
  const send = (line: string) => socket.write(line + '\r\n');
  try {
    await reply('the connection', 220);
    send('EHLO corral');
    let ehlo = await reply('EHLO', 250);
    if (m.requireTls) {
      if (!ehlo.some((l) => /^STARTTLS\b/i.test(l)))
        throw new SmtpError(`SMTP ${m.host}:${m.port} does not offer STARTTLS (set tls: false to send in the clear)`);
      send('STARTTLS');
      await reply('STARTTLS', 220);
      socket.off('data', feed);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.removeAllListeners('timeout');
      const plain = socket;
      socket = await new Promise<TLSSocket>((resolve, reject) => {
        const t = tlsConnect({ socket: plain, servername: /^[\d.]+$|:/.test(m.host) ? undefined : m.host }, () =>
          resolve(t),
        );
        t.once('error', (e) => reject(new SmtpError(`SMTP ${m.host}:${m.port}: TLS: ${e.message}`)));
      });
      socket.setTimeout(timeoutMs);
      attach(socket);
      send('EHLO corral');
      ehlo = await reply('EHLO', 250);
    }
    if (m.username) {
      const plainAuth = Buffer.from(`\0${m.username}\0${m.password ?? ''}`).toString('base64');
      send(`AUTH PLAIN ${plainAuth}`);
      // The reply is checked without echoing what was sent: the line holds the password.
      await reply('the username or password', 235);
    }
    send(`MAIL FROM:<${m.from}>`);
    await reply(`sender ${m.from}`, 250);
    for (const to of m.to) {
      send(`RCPT TO:<${to}>`);
      await reply(`recipient ${to}`, 250, 251);
    }
    send('DATA');
    await reply('DATA', 354);
    const headers = [
      `From: ${m.from}`,
      `To: ${m.to.join(', ')}`,
      `Subject: ${encodeHeader(m.subject)}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ];
    // Dot-stuffing (RFC 5321 4.5.2): a line starting with "." gets another one.
    const body = m.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}\r\n.\r\n`);
    await reply('the message', 250);
    send('QUIT');
    await reply('QUIT', 221).catch(() => undefined);
  } finally {
    socket.destroy();
  }
}

/** RFC 2047 for a subject that is not plain ASCII. */
function encodeHeader(s: string): string {
  const clean = s.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?utf-8?B?${Buffer.from(clean).toString('base64')}?=`;
}
