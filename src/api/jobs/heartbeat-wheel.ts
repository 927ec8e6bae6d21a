/** Something the wheel beats. */
export type Beating = { beat(): void };

/**
 * One timer for every open stream's heartbeat, instead of a timer per stream. The period is cut
 * into `slots` ticks and one slot beats per tick; a member joins the slot that beats last, so its
 * first heartbeat comes about one period after it joined (never at once, which a client reading
 * the first frames would see) and it beats once per period after that. Streams that open at
 * different moments are spread over the period; a heartbeat only writes a comment and reads
 * nothing. The timer runs only while the wheel has members.
 */
export class HeartbeatWheel<T extends Beating> {
  readonly #slots: Set<T>[];
  readonly #tickMs: number;
  #tick = 0;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(periodMs: number, slots = 15) {
    this.#slots = Array.from({ length: slots }, () => new Set<T>());
    this.#tickMs = periodMs / slots;
  }

  /** Adds a member; returns its slot, which `delete` takes. */
  add(member: T): number {
    // The slot that beat last: its next turn is `slots` ticks away.
    const slot = (this.#tick + this.#slots.length - 1) % this.#slots.length;
    this.#slots[slot]!.add(member);
    this.#size += 1;
    this.#timer ??= setInterval(() => this.#beat(), this.#tickMs);
    return slot;
  }

  delete(member: T, slot: number): void {
    if (!this.#slots[slot]?.delete(member)) return;
    this.#size -= 1;
    if (this.#size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get size(): number {
    return this.#size;
  }

  *members(): Generator<T> {
    for (const slot of this.#slots) yield* slot;
  }

  #beat(): void {
    const slot = this.#slots[this.#tick]!;
    this.#tick = (this.#tick + 1) % this.#slots.length;
    for (const member of slot) member.beat();
  }
}
