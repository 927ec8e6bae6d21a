import { PROBLEM_CODES, type ProblemCode, type ProblemStatus } from './problem-codes.ts';
import { PROBLEM_CONTENT_TYPE, ProblemDocument } from './problem.schema.ts';

interface ProblemResponseConfig {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof ProblemDocument } };
}

export type ErrorResponses<C extends ProblemCode> = { [K in C as ProblemStatus<K>]: ProblemResponseConfig };

/** Problems every authenticated `/api` route can answer. */
export const API_PROBLEMS = ['unauthorized', 'forbidden', 'rate_limited', 'internal'] as const;

/**
 * The problem+json responses for `createRoute({ responses: { 202: …, ...errorResponses('conflict') } })`.
 * Codes sharing a status (two 422s) are merged into one response whose description names both.
 */
export function errorResponses<const C extends readonly ProblemCode[]>(...codes: C): ErrorResponses<C[number]> {
  const responses: Record<number, ProblemResponseConfig> = {};
  for (const code of new Set(codes)) {
    const { status, title } = PROBLEM_CODES[code];
    const existing = responses[status];
    responses[status] = {
      description: existing ? `${existing.description}; or ${title} (${code})` : `${title} (${code})`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDocument } },
    };
  }
  return responses as ErrorResponses<C[number]>;
}
