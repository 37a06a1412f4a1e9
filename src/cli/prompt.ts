import { createInterface } from 'node:readline';

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Asks on stderr and reads one line from the terminal (echoed). */
export function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve, reject) => {
    rl.on('SIGINT', () => {
      rl.close();
      reject(new Error('interrupted'));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
  });
}

/** Reads a secret from the terminal without echoing it. */
export function askSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u0004') return done(value ? undefined : new Error('no password given'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** All of stdin, without its final newline (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export interface Prompter {
  /** Shows `question` on stderr and reads the next line of stdin (trimmed); null once input has ended. */
  ask(question: string): Promise<string | null>;
  close(): void;
}

/**
 * Asks several questions over one reader. Unlike ask(), it also works when the answers are piped
 * in (`printf 'a\nb\n' | corral config`): lines that arrive before their question are queued
 * rather than lost.
 */
export function createPrompter(): Prompter {
  const tty = Boolean(process.stdin.isTTY);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: tty });
  const lines: string[] = [];
  let waiting: { resolve: (line: string | null) => void; reject: (err: Error) => void } | undefined;
  let ended: 'eof' | Error | undefined;
  rl.on('line', (line) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.resolve(line.trim());
    } else lines.push(line.trim());
  });
  const end = (how: 'eof' | Error) => {
    ended ??= how;
    if (ended === 'eof') waiting?.resolve(null);
    else waiting?.reject(ended);
    waiting = undefined;
  };
  rl.on('close', () => end('eof'));
  rl.on('SIGINT', () => {
    end(new Error('interrupted'));
    rl.close();
  });
  // Piped answers are not echoed by a terminal; show them so the transcript reads well.
  const echo = (line: string | null) => {
    if (!tty) process.stderr.write(line === null ? '\n' : `${line}\n`);
    return line;
  };
  return {
    ask(question) {
      if (tty) {
        rl.setPrompt(question);
        rl.prompt();
      } else process.stderr.write(question);
      const next = lines.shift();
      if (next !== undefined) return Promise.resolve(echo(next));
      if (ended === 'eof') return Promise.resolve(echo(null));
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => {
        waiting = { resolve: (line) => resolve(echo(line)), reject };
      });
    },
    close() {
      rl.close();
    },
  };
}
