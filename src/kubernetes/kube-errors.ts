/** The HTTP status of a failed Kubernetes API call, if it got that far. */
export function kubeStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

export const isNotFound = (error: unknown) => kubeStatus(error) === 404;
export const isConflict = (error: unknown) => kubeStatus(error) === 409;
export const isForbidden = (error: unknown) => kubeStatus(error) === 403;

/**
 * 400/403/404/422 will fail the same way next time (bad object, missing permission, missing
 * parent); 409, 429, 5xx and network errors may pass on retry.
 */
export function isPermanentKubeError(error: unknown): boolean {
  const status = kubeStatus(error);
  return status === 400 || status === 403 || status === 404 || status === 422;
}

/** The API server's own message (`Status.message`), without the client's response dump. */
export function kubeMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'body' in error) {
    const body = (error as { body: unknown }).body;
    try {
      const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string });
      if (parsed?.message) return parsed.message;
    } catch {
      /* not JSON */
    }
  }
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
