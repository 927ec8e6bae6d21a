/** Things to release on shutdown, in reverse order of acquisition (the last acquired goes first). */
export class Releasers {
  private readonly items: Array<{ name: string; release: () => Promise<unknown> }> = [];

  add(name: string, release: () => Promise<unknown>): void {
    this.items.push({ name, release });
  }

  async releaseAll(onError: (name: string, error: unknown) => void): Promise<void> {
    for (const { name, release } of this.items.splice(0).reverse()) {
      try {
        await release();
      } catch (error) {
        onError(name, error);
      }
    }
  }
}
