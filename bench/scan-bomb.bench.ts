import sharp from 'sharp';
import { JpegScanCounter } from '../src/images/jpeg-scan-counter';
import { scanBombJpeg } from '../test/fixtures/scan-bomb';

const EDGE = 6000;
const SCAN_COUNTS = [100, 500, 1000];
/** The issue's file: what the worker would have spent on it is extrapolated from the rows above. */
const ISSUE_SCANS = 20_000;

/** What a progressive-JPEG scan bomb costs the decoder unchecked, and what counting its scans costs the API. */
export async function run(): Promise<void> {
  sharp.cache(false);
  console.log(`${EDGE}×${EDGE} greyscale progressive JPEG, one DC scan then N EOBRUN-only AC scans; sharp ${sharp.versions.sharp}`);
  console.log(['scans', 'bytes', 'decode ms', 'ms/scan', 'count ms'].map((c) => c.padStart(16)).join(' '));
  let msPerScan = 0;
  for (const scans of [...SCAN_COUNTS, ISSUE_SCANS]) {
    const bytes = scanBombJpeg(EDGE, scans);
    const counted = Date.now();
    const counter = new JpegScanCounter();
    counter.write(bytes);
    const countMs = Date.now() - counted;
    let decodeMs = Number.NaN;
    if (scans !== ISSUE_SCANS) {
      const started = Date.now();
      await sharp(bytes, { failOn: 'error', limitInputPixels: 40_000_000 }).resize(512, 512).raw().toBuffer();
      decodeMs = Date.now() - started;
      msPerScan = decodeMs / scans;
    }
    const decode = Number.isNaN(decodeMs) ? `~${Math.round(msPerScan * scans)} (est.)` : String(decodeMs);
    console.log([scans, bytes.length, decode, msPerScan.toFixed(2), countMs].map((c) => String(c).padStart(16)).join(' '));
  }
}
