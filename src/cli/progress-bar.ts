/**
 * Progress on stderr, so stdout keeps only the summary. On a terminal, one bar redrawn in place; otherwise (a log
 * file, CI) a line at every tenth of the way.
 */
export class ProgressBar {
  private done = 0;
  private lastTenth = -1;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(note = ''): void {
    this.done += 1;
    const fraction = this.total === 0 ? 1 : Math.min(this.done / this.total, 1);
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.out.write(
        `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${note}`.padEnd(100),
      );
      if (this.done >= this.total) this.out.write('\n');
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== this.lastTenth || this.done === this.total) {
      this.lastTenth = tenth;
      this.out.write(`${this.label}: ${this.done}/${this.total} (${Math.round(fraction * 100)}%)\n`);
    }
  }
}
