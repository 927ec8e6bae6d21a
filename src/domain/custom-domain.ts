import type { z } from '@hono/zod-openapi';
import { Hostname } from './dns-names.ts';

/** A tenant's own hostname, e.g. `shop.acmeauto.com`: syntax only; see `checkCustomDomain` for the platform rule. */
export const CustomDomain = Hostname.openapi({
  description:
    'Lowercase hostname served besides {tenantId}.{baseDomain}. IDNs as punycode (xn--): the server accepts a punycode label that decodes, which the pattern cannot check and so leaves out',
  example: 'shop.acmeauto.com',
});

/**
 * Why a syntactically valid custom domain cannot be used on this platform, or undefined when it can.
 * The platform's base domain and its subdomains belong to the platform: a tenant claiming one could
 * take over another tenant's host.
 */
export function checkCustomDomain(domain: string, baseDomain: string): string | undefined {
  const base = baseDomain.toLowerCase();
  const candidate = domain.toLowerCase();
  if (candidate === base || candidate.endsWith(`.${base}`)) {
    return `must not be ${base} or a subdomain of it; those hosts belong to the platform`;
  }
  return undefined;
}

/**
 * `customDomainRule` as JSON Schema, for the document of a request object: a string `customDomain`
 * is not the base domain or under it (a valid hostname is lowercase, as the base domain is).
 */
export function customDomainJsonSchema(baseDomain: string) {
  const base = baseDomain.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { not: { required: ['customDomain'], properties: { customDomain: { type: 'string' as const, pattern: `(^|\\.)${base}$` } } } };
}

/**
 * A `superRefine` applying `checkCustomDomain` to a request's `customDomain`, for routes that know
 * the configured base domain: `ProvisionRequest.superRefine(customDomainRule(config.platform.baseDomain))`.
 */
export function customDomainRule(baseDomain: string) {
  return (value: { customDomain?: string | null | undefined }, ctx: z.RefinementCtx): void => {
    if (typeof value.customDomain !== 'string') return;
    const problem = checkCustomDomain(value.customDomain, baseDomain);
    if (problem) ctx.addIssue({ code: 'custom', path: ['customDomain'], message: problem });
  };
}
