/**
 * The one error vocabulary. Every problem the API can answer is a row here; the error class,
 * the `onError` renderer, the validation hook and the OpenAPI error responses are all derived
 * from it, so a status or title cannot drift between code and documentation.
 *
 * `type` values are tag URIs (RFC 4151): stable identifiers that clients compare, which RFC 9457
 * allows when a type is not meant to be dereferenced.
 */
export const PROBLEM_CODES = {
  bad_request: { status: 400, type: 'tag:tenant-provisioner,2026:problem:bad_request', title: 'Bad request' },
  unauthorized: { status: 401, type: 'tag:tenant-provisioner,2026:problem:unauthorized', title: 'Authentication required' },
  forbidden: { status: 403, type: 'tag:tenant-provisioner,2026:problem:forbidden', title: 'Forbidden' },
  not_found: { status: 404, type: 'tag:tenant-provisioner,2026:problem:not_found', title: 'Not found' },
  method_not_allowed: {
    status: 405,
    type: 'tag:tenant-provisioner,2026:problem:method_not_allowed',
    title: 'Method not allowed',
  },
  conflict: { status: 409, type: 'tag:tenant-provisioner,2026:problem:conflict', title: 'Conflict' },
  payload_too_large: {
    status: 413,
    type: 'tag:tenant-provisioner,2026:problem:payload_too_large',
    title: 'Payload too large',
  },
  validation_failed: {
    status: 422,
    type: 'tag:tenant-provisioner,2026:problem:validation_failed',
    title: 'Validation failed',
  },
  idempotency_mismatch: {
    status: 422,
    type: 'tag:tenant-provisioner,2026:problem:idempotency_mismatch',
    title: 'Idempotency key reused with a different request',
  },
  rate_limited: { status: 429, type: 'tag:tenant-provisioner,2026:problem:rate_limited', title: 'Too many requests' },
  internal: { status: 500, type: 'tag:tenant-provisioner,2026:problem:internal', title: 'Internal server error' },
  dependency_unavailable: {
    status: 503,
    type: 'tag:tenant-provisioner,2026:problem:dependency_unavailable',
    title: 'Dependency unavailable',
  },
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;
export type ProblemStatus<C extends ProblemCode = ProblemCode> = (typeof PROBLEM_CODES)[C]['status'];

export const PROBLEM_CODE_NAMES = Object.keys(PROBLEM_CODES) as ProblemCode[];

/** The code for a bare HTTP status (e.g. a Hono `HTTPException`): the first row with that status, else a generic one. */
export function problemCodeForStatus(status: number): ProblemCode {
  const match = PROBLEM_CODE_NAMES.find((code) => PROBLEM_CODES[code].status === status);
  if (match) return match;
  return status >= 500 ? 'internal' : 'bad_request';
}
