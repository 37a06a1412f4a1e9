export { Tunnel, type TunnelClose, type TunnelOptions, type TunnelStats, type StreamMeta } from './tunnel.js';
export { TunnelStream, STREAM_RESET_CODE, type StreamFlow } from './stream.js';
export { MAX_FRAME_BYTES } from './frames.js';
