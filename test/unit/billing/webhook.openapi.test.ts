import { describe, expect, it } from 'vitest';
import { webhookApp } from './support/webhook-app.ts';

describe('POST /api/webhooks/stripe in the OpenAPI document', () => {
  it('is documented without bearer security, with its raw Stripe event body and its problems', () => {
    const { app } = webhookApp();
    const document = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const operation = document.paths?.['/api/webhooks/stripe']?.post;
    expect(operation?.security).toEqual([]);
    expect(operation?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'stripe-signature', required: false }));
    expect(operation?.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: ['id', 'type', 'created', 'data'] } } } });
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(['200', '400', '409', '413', '500', '503']);
  });
});
