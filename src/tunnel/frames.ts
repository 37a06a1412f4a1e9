/**
 * Wire format of the tunnel: every WebSocket binary message is one frame.
 *
 *   byte 0      frame type
 *   bytes 1-4   stream id, unsigned 32-bit big-endian (0 = the tunnel itself)
 *   bytes 5-    payload, by type:
 *     HELLO   u8 protocol version, u32 the sender's per-stream receive window
 *     OPEN    UTF-8 JSON object (stream metadata)
 *     DATA    bytes
 *     END     empty (the sender will send no more DATA on this stream)
 *     RESET   u8 flags (bit 0: the stream failed with an error), UTF-8 reason
 *     WINDOW  u32 credit increment: bytes the receiver has consumed and may be sent again
 *
 * Stream ids: bit 31 set means "opened by the receiver of this frame" (see tunnel.ts). Each side
 * sends HELLO first; a frame other than HELLO before the peer's HELLO is a protocol error.
 */

export const FrameType = { Hello: 0, Open: 1, Data: 2, End: 3, Reset: 4, Window: 5 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 5;
/** Largest DATA payload the sender puts in one frame, so that one busy stream cannot hog the socket. */
export const MAX_DATA_PAYLOAD = 32 * 1024;
/** Whatever a peer sends, one frame is never larger than this; pass it as `maxPayload` to the WebSocket. */
export const MAX_FRAME_BYTES = 1024 * 1024;

const RESET_ERROR_FLAG = 1;
const MAX_REASON_BYTES = 1024;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface Frame {
  type: FrameType;
  id: number;
  payload: Buffer;
}

/** Encodes a frame; `payload` may be several buffers, copied once into the frame. */
export function encodeFrame(type: FrameType, id: number, payload: Buffer | readonly Buffer[] = []): Buffer {
  const parts = Buffer.isBuffer(payload) ? [payload] : payload;
  let length = HEADER_BYTES;
  for (const part of parts) length += part.length;
  const frame = Buffer.allocUnsafe(length);
  frame.writeUInt8(type, 0);
  frame.writeUInt32BE(id >>> 0, 1);
  let offset = HEADER_BYTES;
  for (const part of parts) offset += part.copy(frame, offset);
  return frame;
}

export function decodeFrame(message: Buffer): Frame {
  if (message.length < HEADER_BYTES)
    throw new ProtocolError(`frame of ${message.length} bytes is shorter than its header`);
  const type = message.readUInt8(0);
  if (type > FrameType.Window) throw new ProtocolError(`unknown frame type ${type}`);
  return { type: type as FrameType, id: message.readUInt32BE(1), payload: message.subarray(HEADER_BYTES) };
}

export function encodeHello(windowBytes: number): Buffer {
  const payload = Buffer.allocUnsafe(5);
  payload.writeUInt8(PROTOCOL_VERSION, 0);
  payload.writeUInt32BE(windowBytes, 1);
  return encodeFrame(FrameType.Hello, 0, payload);
}

export function decodeHello(payload: Buffer): { version: number; windowBytes: number } {
  if (payload.length < 5) throw new ProtocolError('HELLO frame too short');
  return { version: payload.readUInt8(0), windowBytes: payload.readUInt32BE(1) };
}

export function encodeUint32(value: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(value, 0);
  return payload;
}

export function decodeUint32(payload: Buffer, what: string): number {
  if (payload.length !== 4) throw new ProtocolError(`${what} payload must be 4 bytes, got ${payload.length}`);
  return payload.readUInt32BE(0);
}

export function encodeReset(failed: boolean, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, MAX_REASON_BYTES);
  return Buffer.concat([Buffer.of(failed ? RESET_ERROR_FLAG : 0), text]);
}

export function decodeReset(payload: Buffer): { failed: boolean; reason: string } {
  if (payload.length < 1) throw new ProtocolError('RESET frame without flags');
  return { failed: (payload.readUInt8(0) & RESET_ERROR_FLAG) !== 0, reason: payload.subarray(1).toString('utf8') };
}
