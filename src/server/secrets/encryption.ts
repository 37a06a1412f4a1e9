import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeSecretFile } from '../../util/secret-file.js';

const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;

/**
 * Encrypts secrets before they reach the datastore (kubeconfigs, registration tokens), with
 * AES-256-GCM and a key kept outside it: someone with a copy of the database or of etcd alone
 * reads nothing. Replicas sharing one etcd must share the key file.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Reads the key file, creating a random key (mode 0600) the first time. */
  static async open(path: string): Promise<SecretBox> {
    if (!existsSync(path)) await writeSecretFile(path, randomBytes(KEY_BYTES).toString('base64') + '\n');
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${path} must hold a base64 ${KEY_BYTES}-byte key`);
    return new SecretBox(key);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('not an encrypted value');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
