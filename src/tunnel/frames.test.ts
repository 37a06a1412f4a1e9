import { describe, expect, it } from 'vitest';
import {
  FrameType,
  ProtocolError,
  decodeFrame,
  decodeHello,
  decodeReset,
  decodeUint32,
  encodeFrame,
  encodeHello,
  encodeReset,
  encodeUint32,
} from './frames.js';

describe('tunnel frames', () => {
  it('round-trips a frame whose payload comes in several pieces', () => {
    const frame = encodeFrame(FrameType.Data, 0x8000_0007, [Buffer.from('ab'), Buffer.from('cde')]);
    expect(frame.subarray(0, 5)).toEqual(Buffer.from([FrameType.Data, 0x80, 0, 0, 7]));
    const decoded = decodeFrame(frame);
    expect(decoded).toMatchObject({ type: FrameType.Data, id: 0x8000_0007 });
    expect(decoded.payload.toString()).toBe('abcde');
  });

  it('round-trips HELLO, WINDOW and RESET payloads', () => {
    expect(decodeHello(decodeFrame(encodeHello(256 * 1024)).payload)).toEqual({ version: 1, windowBytes: 256 * 1024 });
    expect(decodeUint32(encodeUint32(0xffff_ffff), 'WINDOW')).toBe(0xffff_ffff);
    expect(decodeReset(encodeReset(true, 'boom'))).toEqual({ failed: true, reason: 'boom' });
    expect(decodeReset(encodeReset(false, ''))).toEqual({ failed: false, reason: '' });
  });

  it('rejects short frames, unknown types and malformed payloads', () => {
    expect(() => decodeFrame(Buffer.from([FrameType.Data, 0, 0]))).toThrow(ProtocolError);
    expect(() => decodeFrame(Buffer.from([42, 0, 0, 0, 1]))).toThrow(/unknown frame type 42/);
    expect(() => decodeUint32(Buffer.alloc(3), 'WINDOW')).toThrow(ProtocolError);
    expect(() => decodeReset(Buffer.alloc(0))).toThrow(ProtocolError);
  });
});
