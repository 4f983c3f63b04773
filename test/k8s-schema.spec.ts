// Every manifest of deploy/k8s against the Kubernetes API's schemas, with no field the API
// server would refuse, and kustomization.yaml listing them all.
// Most assertions collect human-readable problems and expect that list to be empty, so a failure
// names every offending field at once.
import { describe, expect, it } from 'vitest';
import {} from '@app/config';
import { kustomization, manifests, schemaOf, unknownFields } from './utils/k8s-manifests.js';

describe('deploy/k8s: the manifests', () => {
  it('defines the ConfigMap, the Deployment, its Service, HPA and PDB, and the migration Job', () => {
    const kinds = manifests.map((manifest) => manifest.kind);
    const expected = ['ConfigMap', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Job'];
    expect({
      missing: expected.filter((kind) => !kinds.includes(kind)),
      twice: kinds.filter((kind, index) => kinds.indexOf(kind) !== index),
    }).toEqual({ missing: [], twice: [] });
  });

  it.each(manifests)('$label matches the Kubernetes API schema', (manifest) => {
    const validate = schemaOf(manifest);
    expect(validate ? 'known' : `no schema wired for ${manifest.apiVersion} ${manifest.kind} (MODELS)`).toBe('known');
    expect(() => validate?.(manifest.doc)).not.toThrow();
  });

  it.each(manifests)('$label uses only fields the Kubernetes API knows', (manifest) => {
    const validate = schemaOf(manifest);
    expect(validate && unknownFields(manifest.doc, validate)).toEqual([]);
  });

  it('lists every manifest of the folder in kustomization.yaml, and nothing else', () => {
    expect({ apiVersion: kustomization?.apiVersion, kind: kustomization?.kind }).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
    });
    const listed = ((kustomization?.resources ?? []) as string[]).slice().sort();
    expect(listed).toEqual([...new Set(manifests.map((manifest) => manifest.file))].sort());
  });
});
