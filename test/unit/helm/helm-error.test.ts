import { describe, expect, it } from 'vitest';
import { HelmError, helmMessage } from '../../../src/helm/helm-error.ts';

describe('HelmError', () => {
  it('reports Helm\'s own error from its Error: line on, without usage hints', () => {
    const stderr = 'Error: execution error at (x/templates/a.yaml:1:4): database.engine is required\n\nUse --debug flag to render out invalid YAML\n';
    expect(helmMessage(stderr)).toBe('execution error at (x/templates/a.yaml:1:4): database.engine is required');
  });

  it('treats schema, template and permission errors as permanent', () => {
    expect(new HelmError('upgrade', 1, "Error: values don't meet the specifications of the schema(s)").permanent).toBe(true);
    expect(new HelmError('upgrade', 1, 'Error: x/templates/a.yaml:1:64\n  executing "x" at <.Values.a.b>:\n nil pointer evaluating interface {}.b').permanent).toBe(true);
    expect(new HelmError('upgrade', 1, 'Error: secrets is forbidden: User "x" cannot create resource').permanent).toBe(true);
  });

  it('treats locks, network trouble and cancellation as worth retrying', () => {
    expect(new HelmError('upgrade', 1, 'Error: another operation (install/upgrade/rollback) is in progress').permanent).toBe(false);
    expect(new HelmError('upgrade', 1, 'Error: Kubernetes cluster unreachable: dial tcp 127.0.0.1:6443: connect: connection refused').permanent).toBe(false);
    expect(new HelmError('upgrade', undefined, '', true).permanent).toBe(false);
  });
});
