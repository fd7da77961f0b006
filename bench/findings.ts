/** A goal of issue 7, as a ratio measured in one bench run. */
interface Goal {
  name: string;
  /** The findings it judges; each must pass. */
  measures: RegExp;
  limit: number;
  kind: 'at least' | 'at most';
}

const GOALS: Goal[] = [
  { name: 'e2e avatars/s, local driver, vs plain sharp', measures: /^e2e local /, limit: 0.85, kind: 'at least' },
  { name: 'e2e avatars/s, Qiniu (emulator), vs plain sharp', measures: /^e2e qiniu /, limit: 0.75, kind: 'at least' },
  { name: 'worker CPU per job vs the image work', measures: /^worker CPU /, limit: 1.15, kind: 'at most' },
  { name: 'worker RSS after N jobs vs after 500', measures: /^worker RSS growth/, limit: 1.2, kind: 'at most' },
  { name: 'API accept rate vs bare Express+multer', measures: /^API accept rate/, limit: 0.9, kind: 'at least' },
  { name: 'API idle RSS vs the API before issue 7 (both settled)', measures: /^API idle RSS/, limit: 0.6, kind: 'at most' },
  { name: 'p99 of the 202, 32 in flight, vs one upload', measures: /^API p99 under burst/, limit: 3, kind: 'at most' },
];

/** Ratios the benches measured, judged against the goals once every bench has run. */
class Findings {
  private readonly ratios = new Map<string, number>();

  record(name: string, ratio: number): void {
    this.ratios.set(name, ratio);
  }

  print(): void {
    console.log('\n# goals (issue 7), as ratios measured in this run');
    for (const goal of GOALS) {
      const measured = [...this.ratios].filter(([name]) => goal.measures.test(name));
      if (measured.length === 0) continue;
      for (const [name, ratio] of measured) {
        const met = goal.kind === 'at least' ? ratio >= goal.limit : ratio <= goal.limit;
        console.log(`${met ? 'met    ' : 'NOT met'}  ${name.padEnd(34)} ${ratio.toFixed(2).padStart(6)}   (goal: ${goal.kind} ${goal.limit}; ${goal.name})`);
      }
    }
  }
}

export const findings = new Findings();
