import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

/** The WebCrypto parameters used to generate, import and sign with each key algorithm. */
const ALGORITHMS = {
  'ecdsa-p256': {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  'rsa-2048': {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  },
} as const;

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export function signingAlgorithm(algorithm: KeyAlgorithm): webcrypto.EcdsaParams | webcrypto.Algorithm {
  return ALGORITHMS[algorithm].sign;
}

// ECDSA P-256 is the default: every Kubernetes component accepts it and generating one takes
// microseconds, where an RSA key takes tens of milliseconds (a control plane needs a dozen).
export async function generateKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<KeyPair> {
  const pair = (await webcrypto.subtle.generateKey(ALGORITHMS[algorithm].generate, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function publicKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('spki', key);
  return x509.PemConverter.encode(der, 'PUBLIC KEY');
}

function algorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa-p256';
  }
  if (key.asymmetricKeyType === 'rsa') return 'rsa-2048';
  throw new Error(`unsupported private key type ${key.asymmetricKeyType ?? 'unknown'}: use an ECDSA P-256 or RSA key`);
}

/** Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) into a key pair usable for signing. */
export function keyPairFromPem(pem: string): KeyPair {
  const privateObject = createPrivateKey(pem);
  const algorithm = algorithmOf(privateObject);
  const params = ALGORITHMS[algorithm].import;
  const privateKey = privateObject.toCryptoKey(params, true, ['sign']) as CryptoKey;
  const publicObject = createPublicKey(privateObject);
  const publicKey = publicObject.toCryptoKey(params, true, ['verify']) as CryptoKey;
  return { algorithm, privateKey, publicKey };
}
