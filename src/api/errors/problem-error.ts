import type { FieldError } from '../../domain/field-error.ts';
import { PROBLEM_CODES, type ProblemCode, type ProblemStatus } from './problem-codes.ts';

export interface ProblemErrorOptions {
  /** Shown to the client: write it for them, never put internals here (use `cause`). */
  detail?: string;
  errors?: readonly FieldError[];
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Readonly<Record<string, string>>;
  /** Logged for 5xx problems, never sent. */
  cause?: unknown;
}

/** The one error the API throws on purpose; `onError` renders it as RFC 9457 problem+json. */
export class ProblemError<C extends ProblemCode = ProblemCode> extends Error {
  override readonly name = 'ProblemError';
  readonly code: C;
  readonly status: ProblemStatus<C>;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: C, options: ProblemErrorOptions = {}) {
    const row = PROBLEM_CODES[code];
    super(options.detail ?? row.title, { cause: options.cause });
    this.code = code;
    this.status = row.status as ProblemStatus<C>;
    this.type = row.type;
    this.title = row.title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function isProblemError(error: unknown): error is ProblemError {
  return error instanceof ProblemError;
}
