/**
 * MLLP framing: each message travels as VT (0x0B) + payload + FS (0x1C) CR (0x0D).
 *
 * Written here rather than taken from @medplum/hl7's Hl7Connection, which (4.5.2) decides that a
 * frame ended only when a TCP chunk happens to end in FS CR: two frames in one chunk become one
 * message (the second is lost yet acknowledged), a frame that fails to parse stays in its buffer
 * and spoils every later message on the connection, and a sender that never ends a frame grows
 * the buffer without bound.
 */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export type Frame = { kind: 'message'; payload: Buffer } | { kind: 'oversize'; bytes: number };

export const encodeFrame = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);

/** Splits a byte stream into frames; bytes outside a frame are ignored, as MLLP prescribes. */
export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** The previous chunk ended in FS: whether it ends the frame depends on the next byte. */
  private pendingFs = false;

  constructor(private readonly maxBytes: number) {}

  /** A frame has begun and not ended: what an idle sender left half-sent. */
  get midFrame(): boolean {
    return this.inFrame;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, at);
        if (start === -1) break;
        this.begin();
        at = start + 1;
      } else if (this.pendingFs) {
        this.pendingFs = false;
        if (chunk[at] === CR) {
          frames.push(this.end());
          at += 1;
        } else this.keep(Buffer.from([FS]));
      } else {
        at = this.scan(chunk, at, frames);
      }
    }
    return frames;
  }

  /** Consumes frame bytes from `at`; returns where to continue. */
  private scan(chunk: Buffer, at: number, frames: Frame[]): number {
    const fs = chunk.indexOf(FS, at);
    if (fs === -1) {
      this.keep(chunk.subarray(at));
      return chunk.length;
    }
    this.keep(chunk.subarray(at, fs));
    if (fs + 1 === chunk.length) {
      this.pendingFs = true;
    } else if (chunk[fs + 1] === CR) {
      frames.push(this.end());
      return fs + 2;
    } else {
      this.keep(chunk.subarray(fs, fs + 1));
    }
    return fs + 1;
  }

  private begin(): void {
    this.inFrame = true;
    this.parts = [];
    this.size = 0;
  }

  /** Past the limit the bytes are only counted, so a runaway frame costs no memory. */
  private keep(piece: Buffer): void {
    this.size += piece.length;
    if (this.size <= this.maxBytes) this.parts.push(piece);
    else this.parts = [];
  }

  private end(): Frame {
    this.inFrame = false;
    const frame: Frame = this.size > this.maxBytes ? { kind: 'oversize', bytes: this.size } : { kind: 'message', payload: Buffer.concat(this.parts) };
    this.parts = [];
    return frame;
  }
}
