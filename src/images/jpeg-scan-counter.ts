import { createReadStream } from 'node:fs';

/** Markers that stand alone, without a length field: TEM, RST0–7, SOI, EOI. */
const STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9]);
const SOS = 0xda;
const EOI = 0xd9;

type State = 'soi' | 'marker' | 'code' | 'length' | 'segment' | 'entropy' | 'entropyMarker' | 'done';

/**
 * Counts the scans (SOS markers) of a JPEG as its bytes go by, a chunk at a time and without buffering. A
 * progressive JPEG costs a full pass over every block per scan, so the count bounds the decoder's work: real
 * files have at most a dozen or so, a crafted one thousands. Input that does not start like a JPEG counts 0.
 */
export class JpegScanCounter {
  scans = 0;
  private state: State = 'soi';
  private marker = 0;
  private lengthBytes: number[] = [];
  private remaining = 0;
  private seen = 0;

  write(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      switch (this.state) {
        case 'soi': {
          const expected = this.seen === 0 ? 0xff : 0xd8;
          this.seen += 1;
          if (chunk[i++] !== expected) this.state = 'done';
          else if (this.seen === 2) this.state = 'marker';
          break;
        }
        case 'marker':
          // Anything but 0xFF between segments is junk that decoders skip; so do we.
          if (chunk[i++] === 0xff) this.state = 'code';
          break;
        case 'code':
          this.startSegment(chunk[i++]);
          break;
        case 'length':
          this.lengthBytes.push(chunk[i++]);
          if (this.lengthBytes.length === 2) {
            this.remaining = Math.max(0, ((this.lengthBytes[0] << 8) | this.lengthBytes[1]) - 2);
            this.state = 'segment';
            this.afterSegmentIfDone();
          }
          break;
        case 'segment': {
          const skipped = Math.min(this.remaining, chunk.length - i);
          this.remaining -= skipped;
          i += skipped;
          this.afterSegmentIfDone();
          break;
        }
        case 'entropy': {
          const next = chunk.indexOf(0xff, i);
          if (next === -1) i = chunk.length;
          else {
            i = next + 1;
            this.state = 'entropyMarker';
          }
          break;
        }
        case 'entropyMarker': {
          const code = chunk[i++];
          // 0xFF00 is a stuffed data byte and RSTn sits inside a scan; more 0xFF are fill bytes.
          if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) this.state = 'entropy';
          else if (code !== 0xff) this.startSegment(code);
          break;
        }
      }
    }
  }

  private startSegment(code: number): void {
    if (code === 0xff) return; // fill byte before the marker code
    this.marker = code;
    if (code === EOI) this.state = 'done';
    else if (STANDALONE.has(code)) this.state = 'marker';
    else {
      if (code === SOS) this.scans += 1;
      this.lengthBytes = [];
      this.state = 'length';
    }
  }

  private afterSegmentIfDone(): void {
    if (this.remaining === 0) this.state = this.marker === SOS ? 'entropy' : 'marker';
  }
}

/** Scans in a JPEG file, read as a stream; stops reading once the count passes `stopAbove`. */
export async function countJpegScans(path: string, stopAbove = Infinity): Promise<number> {
  const counter = new JpegScanCounter();
  for await (const chunk of createReadStream(path)) {
    counter.write(chunk as Buffer);
    if (counter.scans > stopAbove) break;
  }
  return counter.scans;
}

/** Why a JPEG with too many scans is refused, for the person who sent it (API's 415 and the worker's failure). */
export function tooManyScansMessage(maxScans: number): string {
  return `the JPEG has more than ${maxScans} progressive scans (photos have about 10) and would take too long to decode; save it again as a standard JPEG`;
}
