// The pods of deploy/k8s run hardened and bounded: non-root, read-only, no capabilities, no
// service account token, requests and limits, and a V8 heap inside the memory limit.
// Most assertions collect human-readable problems and expect that list to be empty, so a failure
// names every offending field at once.
import { describe, expect, it } from 'vitest';
import {} from '@app/config';
import { allContainers, apiContainer, bytes, deployment, job, podSpec } from './utils/k8s-manifests.js';

/**
 * Room the API process needs beside the V8 heap's old generation: native allocations (~85 MiB)
 * and the Node binary (~40 MiB) as measured (the top-level README.md, "Start-up and memory"), the
 * young generation's semi-spaces (up to 48 MiB), and a margin.
 */
const NON_HEAP_MIB = 256;

describe('deploy/k8s: pod hardening and resources', () => {
  it.each(['Deployment', 'Job'])(
    'hardens every container of the %s: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp',
    (kind) => {
      const spec = podSpec(kind === 'Deployment' ? deployment() : job());
      const pod = spec.securityContext ?? {};
      const settings = allContainers(spec).map((container) => {
        const own = container.securityContext ?? {};
        const runAsUser = own.runAsUser ?? pod.runAsUser;
        return {
          name: container.name,
          runAsNonRoot: own.runAsNonRoot ?? pod.runAsNonRoot,
          // A numeric uid: the kubelet cannot check runAsNonRoot against the image's `USER node`.
          numericNonRootUser: runAsUser !== undefined && runAsUser > 0,
          readOnlyRootFilesystem: own.readOnlyRootFilesystem,
          allowPrivilegeEscalation: own.allowPrivilegeEscalation,
          privileged: own.privileged ?? false,
          capabilities: own.capabilities,
          seccomp: (own.seccompProfile ?? pod.seccompProfile)?.type,
        };
      });
      expect(settings).toEqual(
        allContainers(spec).map((container) => ({
          name: container.name,
          runAsNonRoot: true,
          numericNonRootUser: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccomp: 'RuntimeDefault',
        })),
      );
    },
  );

  it.each(['Deployment', 'Job'])('mounts no service account token into the pods of the %s', (kind) => {
    expect(podSpec(kind === 'Deployment' ? deployment() : job()).automountServiceAccountToken).toBe(false);
  });

  it.each(['Deployment', 'Job'])('gives every container of the %s CPU and memory requests and limits', (kind) => {
    const spec = podSpec(kind === 'Deployment' ? deployment() : job());
    const missing = allContainers(spec).flatMap((container) =>
      (['requests', 'limits'] as const).flatMap((bound) =>
        (['cpu', 'memory'] as const)
          .filter((resource) => container.resources?.[bound]?.[resource] === undefined)
          .map((resource) => `${container.name}: no ${resource} ${bound.slice(0, -1)}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it("caps the V8 heap well inside the API container's memory limit", () => {
    const options = (apiContainer().env ?? []).find((entry) => entry.name === 'NODE_OPTIONS')?.value ?? '';
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
    const limitMiB = bytes(apiContainer().resources?.limits?.memory) / 2 ** 20;
    expect({ heapMiB, limitMiB, fits: heapMiB + NON_HEAP_MIB <= limitMiB }).toEqual({
      heapMiB: expect.any(Number),
      limitMiB,
      fits: true,
    });
  });
});
