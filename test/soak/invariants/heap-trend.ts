/** A process to sample: `api-0`, `worker-2`…, its pid (a restart is a new series) and its metrics URL. */
export type MetricsTarget = { name: string; pid: number; url: string };
export type HeapSeries = { name: string; pid: number; samples: Array<{ at: number; bytes: number }> };
export type HeapVerdict = { name: string; pid: number; minutes: number; firstFloorMb: number; lastFloorMb: number; growing: boolean };

const HEAP_USED = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m;
// Only a series this long is judged: a restarted process warms up its caches, JIT and pools first.
const MIN_MINUTES = 10;
const WINDOWS = 5;

/** Samples each live process's heap from its Prometheus metrics (prom-client's default metrics). */
export class HeapSampler {
  readonly series = new Map<string, HeapSeries>();

  async sample(targets: MetricsTarget[]): Promise<void> {
    await Promise.all(
      targets.map(async (t) => {
        const text = await fetch(t.url, { signal: AbortSignal.timeout(5_000) })
          .then((r) => (r.ok ? r.text() : ''))
          .catch(() => '');
        const match = HEAP_USED.exec(text);
        if (!match) return;
        const key = `${t.name}:${t.pid}`;
        const series = this.series.get(key) ?? { name: t.name, pid: t.pid, samples: [] };
        series.samples.push({ at: Date.now(), bytes: Number(match[1]) });
        this.series.set(key, series);
      }),
    );
  }

  /**
   * The heap after GC, seen as the lower envelope of the samples: the minimum of each fifth of the
   * series. A process whose floor rises window after window, ending more than 50% and 30 MB above
   * its second window's, is leaking (the first window is warm-up).
   */
  verdicts(): HeapVerdict[] {
    const out: HeapVerdict[] = [];
    for (const s of this.series.values()) {
      const first = s.samples[0];
      const last = s.samples.at(-1);
      if (!first || !last) continue;
      const minutes = (last.at - first.at) / 60_000;
      if (minutes < MIN_MINUTES) continue;
      const span = (last.at - first.at) / WINDOWS;
      const floors = Array.from({ length: WINDOWS }, (_, w) =>
        Math.min(...s.samples.filter((x) => x.at >= first.at + w * span && x.at <= first.at + (w + 1) * span).map((x) => x.bytes)),
      );
      const base = floors[1]!;
      const end = floors[WINDOWS - 1]!;
      const rising = floors.slice(1).every((f, i, all) => i === 0 || f >= all[i - 1]!);
      const mb = (b: number) => Math.round((b / 1_048_576) * 10) / 10;
      out.push({
        name: s.name,
        pid: s.pid,
        minutes: Math.round(minutes),
        firstFloorMb: mb(base),
        lastFloorMb: mb(end),
        growing: rising && end > base * 1.5 && end - base > 30 * 1_048_576,
      });
    }
    return out;
  }
}
