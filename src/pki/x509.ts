// The one place that loads @peculiar/x509: its dependency injection (tsyringe) needs the
// reflect-metadata polyfill loaded first, and its crypto provider set to Node's WebCrypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
