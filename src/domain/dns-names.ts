import { domainToASCII, domainToUnicode } from 'node:url';
import { z } from '@hono/zod-openapi';

/** RFC 1123 label as Kubernetes uses it: lowercase alphanumerics and '-', alphanumeric at both ends. */
export const DNS1123_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// The same label inside the documented patterns below (JSON Schema regexes: no flags, no \p classes).
const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
// A hostname label without a reserved `??--` (punycode is left out: a regex cannot check that it decodes).
const PLAIN_LABEL = `(?!..--)${LABEL}`;

/**
 * `hostnameProblem` as a JSON Schema pattern: at most 253 characters, two or more lowercase labels,
 * a top-level label that is not numeric. Punycode (`xn--`) labels are accepted by the server when
 * they decode, which no regex can check, so the documented pattern leaves them out and says so.
 */
export const HOSTNAME_PATTERN = `^(?=.{1,253}$)(${PLAIN_LABEL}\\.)+(?![0-9]+$)(?!0x[0-9a-f]*$)${PLAIN_LABEL}$`;

/** A Kubernetes object name such as a StorageClass or ClusterIssuer: dot-separated labels, at most 253. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => DNS1123_LABEL.test(label));
}

/** The name of a cluster object a tenant may name, such as a StorageClass (`local-path`, `fast-ssd`). */
export const KubernetesName = z
  .string()
  .refine(isDns1123Subdomain, 'must be a DNS-1123 name such as local-path')
  .openapi({ pattern: `^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$` });

/**
 * Why `value` is not a public lowercase hostname (at least two labels, ASCII, no IP, no wildcard,
 * no scheme/port/path), or undefined when it is one. IDNs must arrive as punycode A-labels.
 */
export function hostnameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 253) return 'must be at most 253 characters';
  if (/[/:?#@\s]/.test(value)) return 'must be a bare hostname: no scheme, port, path or spaces';
  if (value.includes('*')) return 'wildcard domains are not allowed';
  if (/[^\x00-\x7f]/.test(value)) return 'internationalised names must be given in punycode (xn--…)';
  if (value !== value.toLowerCase()) return 'must be lowercase';
  if (/^[0-9.]+$/.test(value)) return 'IP addresses are not allowed';
  if (value.endsWith('.')) return 'must not end with a dot';
  const labels = value.split('.');
  if (labels.length < 2) return 'must have at least two labels, like shop.example.com';
  for (const label of labels) {
    if (!DNS1123_LABEL.test(label)) return `label "${label}" must be 1-63 of a-z, 0-9 and '-', not starting or ending with '-'`;
    // RFC 5891 reserves "??--" for encodings; only xn-- (punycode) is defined, and it must decode.
    if (label.slice(2, 4) === '--' && (!label.startsWith('xn--') || !isValidPunycodeLabel(label))) {
      return `label "${label}" is not a valid punycode (xn--) label`;
    }
  }
  // WHATWG URL parsers read a host whose last label is a number (decimal or 0x hex) as an IPv4
  // address: `https://0x7f.0x0.0x0.0x1` is https://127.0.0.1.
  if (/^([0-9]+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? '')) return 'the top-level label must not be numeric';
  return undefined;
}

function isValidPunycodeLabel(label: string): boolean {
  // node:url decodes A-labels per UTS #46 (no I/O); a malformed one comes back unchanged.
  const unicode = domainToUnicode(label);
  return unicode !== label && domainToASCII(unicode) === label;
}

/** A public lowercase hostname (see `hostnameProblem`): the base domain and every custom domain. */
export const Hostname = z
  .string()
  .superRefine((value, ctx) => {
    const problem = hostnameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ pattern: HOSTNAME_PATTERN });
