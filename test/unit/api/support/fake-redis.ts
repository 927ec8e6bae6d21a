import type { RedisCommands } from '../../../../src/services/redis-commands.ts';

/**
 * The few Redis commands the API uses, in memory, with expiry. `down` makes every command fail as
 * ioredis does with enableOfflineQueue:false; `hang` makes every command never answer.
 */
export class FakeRedis {
  readonly values = new Map<string, { value: string; expiresAt: number | undefined }>();
  down = false;
  hang = false;
  now: () => number = Date.now;

  private async guard(): Promise<void> {
    if (this.hang) await new Promise(() => undefined);
    if (this.down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
  }

  private live(key: string) {
    const entry = this.values.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  ttlOf(key: string): number | undefined {
    const entry = this.live(key);
    return entry?.expiresAt === undefined ? undefined : entry.expiresAt - this.now();
  }

  keys(): string[] {
    return [...this.values.keys()].filter((key) => this.live(key) !== undefined);
  }

  async ping() {
    await this.guard();
    return 'PONG';
  }

  async get(key: string) {
    await this.guard();
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, px?: 'PX', ms?: number, nx?: 'NX') {
    await this.guard();
    if (nx === 'NX' && this.live(key)) return null;
    this.values.set(key, { value, expiresAt: px === 'PX' && ms !== undefined ? this.now() + ms : undefined });
    return 'OK';
  }

  async del(key: string) {
    await this.guard();
    return this.values.delete(key) ? 1 : 0;
  }

  async incr(key: string) {
    await this.guard();
    const entry = this.live(key);
    const next = Number(entry?.value ?? '0') + 1;
    this.values.set(key, { value: String(next), expiresAt: entry?.expiresAt });
    return next;
  }

  async pexpire(key: string, ms: number) {
    await this.guard();
    const entry = this.live(key);
    if (!entry) return 0;
    entry.expiresAt = this.now() + ms;
    return 1;
  }

  asCommands(): RedisCommands {
    return this as unknown as RedisCommands;
  }
}
