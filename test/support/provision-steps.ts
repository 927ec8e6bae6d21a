/** The seed's 13 provision steps, in order: the visible plan the tests and benchmarks expect. */
export const PROVISION_STEPS = [
  'validate',
  'generate-id',
  'build-values',
  'deploy-chart',
  'wait-for-database',
  'wait-for-api',
  'wait-for-web',
  'set-urls',
  'set-admin-credentials',
  'set-resource-allocation',
  'set-expiry',
  'set-billing-info',
  'return-result',
] as const;
