export { SshConnection, type SshConnectOptions, type StreamOptions, type StreamResult } from './connection.js';
export { SshError, type SshErrorCode } from './errors.js';
export { connectAll, connectOptionsFor, type ConnectAllOptions, type ConnectAllResult, type SshNode } from './pool.js';
