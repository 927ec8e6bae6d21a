/** The name of the bearer JWT security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth';

/** `security` of every route behind `bearerAuth`. */
export const BEARER_SECURITY = [{ [BEARER_SCHEME]: [] }];
