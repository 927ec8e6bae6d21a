import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';

function capture(level: 'info' | 'silent' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, pretty: false, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time', () => {
    const { logger, records } = capture();
    logger.child({ requestId: 'r-1' }).info({ tenantId: 'acme-3f9a1c' }, 'provision queued');
    expect(records()).toEqual([expect.objectContaining({ msg: 'provision queued', requestId: 'r-1', tenantId: 'acme-3f9a1c', level: 30 })]);
    expect(records()[0]?.['time']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('redacts credentials, cookies, Stripe signatures and secrets', () => {
    const { logger, records } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJ.secret', cookie: 'session=1', 'stripe-signature': 't=1,v1=abc', host: 'api' } },
        res: { headers: { 'set-cookie': 'session=2' } },
        password: 'hunter2',
        credentials: { username: 'admin', password: 'hunter3' },
        config: { auth: { jwtSecret: 'shh-this-is-secret' } },
        stripeSignature: 'v1=def',
      },
      'request',
    );
    const text = JSON.stringify(records());
    for (const secret of ['eyJ.secret', 'session=1', 'session=2', 't=1,v1=abc', 'hunter2', 'hunter3', 'shh-this-is-secret', 'v1=def']) {
      expect(text).not.toContain(secret);
    }
    expect(records()[0]).toMatchObject({ req: { headers: { host: 'api', authorization: '[redacted]' } }, credentials: { username: 'admin' } });
  });

  it('is silent when asked', () => {
    const { logger, records } = capture('silent');
    logger.error('nobody hears this');
    expect(records()).toEqual([]);
  });
});
