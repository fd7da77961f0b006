export type ServiceClass = 'up' | 'rs' | 'rsf' | 'api' | 'fusion' | 'download';

export const SERVICE_CLASSES: ServiceClass[] = ['up', 'rs', 'rsf', 'api', 'fusion', 'download'];

export interface FaultOptions {
  /** Wait this long before answering (or dropping). */
  delayMs?: number;
}

/** What the router must do to one request. `status: 0` means drop the connection without answering. */
export interface FaultAction {
  status?: number;
  delayMs: number;
}

interface PendingFailure {
  remaining: number;
  status: number;
  delayMs: number;
}

export class Faults {
  private failures = new Map<ServiceClass, PendingFailure[]>();
  private latencies = new Map<ServiceClass, number>();
  private wrongHashes = 0;

  /** Fails the next `count` requests of `service` with `status` (0 = drop the connection). */
  failNext(service: ServiceClass, count = 1, status = 503, options: FaultOptions = {}): void {
    if (!SERVICE_CLASSES.includes(service)) throw new Error(`unknown service class ${service}`);
    const queue = this.failures.get(service) ?? [];
    queue.push({ remaining: count, status, delayMs: options.delayMs ?? 0 });
    this.failures.set(service, queue);
  }

  /** Adds latency to every request of `service` until cleared (0 clears). */
  setLatency(service: ServiceClass, delayMs: number): void {
    if (delayMs > 0) this.latencies.set(service, delayMs);
    else this.latencies.delete(service);
  }

  /** The next `count` upload replies report a wrong hash (form/complete) or a wrong part md5 (v2 part). */
  wrongHash(count = 1): void {
    this.wrongHashes += count;
  }

  take(service: ServiceClass): FaultAction {
    const latency = this.latencies.get(service) ?? 0;
    const queue = this.failures.get(service);
    const head = queue?.[0];
    if (!queue || !head) return { delayMs: latency };
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return { status: head.status, delayMs: latency + head.delayMs };
  }

  takeWrongHash(): boolean {
    if (this.wrongHashes <= 0) return false;
    this.wrongHashes -= 1;
    return true;
  }

  clear(): void {
    this.failures.clear();
    this.latencies.clear();
    this.wrongHashes = 0;
  }

  snapshot() {
    return {
      failures: [...this.failures].flatMap(([service, queue]) => queue.map((f) => ({ service, count: f.remaining, status: f.status, delayMs: f.delayMs }))),
      latencies: Object.fromEntries(this.latencies),
      wrongHash: this.wrongHashes,
    };
  }
}
