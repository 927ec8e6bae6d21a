import { z } from '@hono/zod-openapi';

/** One field problem, the shape shared by 422 problems, `validate` answers and config errors. */
export const FieldErrorSchema = z
  .object({
    path: z.string().openapi({ description: 'Dotted path of the offending field', example: 'ownerEmail' }),
    message: z.string().openapi({ example: 'Invalid email address' }),
  })
  .openapi('FieldError');
export type FieldError = z.infer<typeof FieldErrorSchema>;

/**
 * Flattens zod issues into `{path, message}` pairs with dotted paths (`resourceOverrides.apiReplicas`).
 * Unknown keys are reported one per key, at the key's own path, so a typo names itself.
 * `rootLabel` names issues about the whole value (e.g. `body` when the JSON is not an object).
 */
export function fieldErrorsFrom(error: z.ZodError, rootLabel = ''): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: joinPath([...base, key]), message: 'is not a known field' });
      continue;
    }
    errors.push({ path: joinPath(base) || rootLabel, message: issue.message });
  }
  return errors;
}

function joinPath(segments: readonly string[]): string {
  return segments.join('.');
}
