// How the manifests of deploy/k8s fit together: the probes reach the app's health routes on
// its port, the selectors find the right pods, the autoscaler, the disruption budget and the
// rollout keep pods serving, and the pods' database connections fit in PostgreSQL's default.
// Most assertions collect human-readable problems and expect that list to be empty, so a failure
// names every offending field at once.
import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import {
  apiContainer,
  apiEnvironment,
  containerEnvironment,
  containerPort,
  deployment,
  hpa,
  job,
  jobContainers,
  pdb,
  PLACEHOLDER_SECRET,
  podLabels,
  podSpec,
  selects,
  service,
} from './utils/k8s-manifests.js';

const HEALTH_LIVE = '/health/live';
const HEALTH_READY = '/health/ready';

/** PostgreSQL's default max_connections, less its superuser_reserved_connections. */
const POSTGRES_DEFAULT_CONNECTIONS = 100 - 3;

describe('deploy/k8s: probes, selectors and scaling', () => {
  it('points the startup and liveness probes at /health/live and the readiness probe at /health/ready', () => {
    const container = apiContainer();
    expect({
      startup: container.startupProbe?.httpGet?.path,
      liveness: container.livenessProbe?.httpGet?.path,
      readiness: container.readinessProbe?.httpGet?.path,
    }).toEqual({ startup: HEALTH_LIVE, liveness: HEALTH_LIVE, readiness: HEALTH_READY });
  });

  it('probes the container port the app listens on (PORT)', () => {
    const container = apiContainer();
    const { port } = loadConfig(apiEnvironment()).app;
    expect({
      startup: containerPort(container, container.startupProbe?.httpGet?.port),
      liveness: containerPort(container, container.livenessProbe?.httpGet?.port),
      readiness: containerPort(container, container.readinessProbe?.httpGet?.port),
    }).toEqual({ startup: port, liveness: port, readiness: port });
  });

  it("selects the Deployment's own pods with its selector and its spread constraints", () => {
    const labels = podLabels(deployment());
    const selectors = {
      selector: deployment().spec?.selector.matchLabels,
      ...Object.fromEntries(
        (podSpec(deployment()).topologySpreadConstraints ?? []).map((constraint) => [
          constraint.topologyKey,
          constraint.labelSelector?.matchLabels,
        ]),
      ),
    };
    const missing = Object.entries(selectors)
      .filter(([, selector]) => !selects(selector, labels))
      .map(([name, selector]) => `${name} ${JSON.stringify(selector)} does not select ${JSON.stringify(labels)}`);
    expect(missing).toEqual([]);
  });

  it("sends the Service's traffic to the Deployment's pods, on the app's port", () => {
    const { selector, ports = [] } = service().spec ?? {};
    const { port } = loadConfig(apiEnvironment()).app;
    expect({
      type: service().spec?.type ?? 'ClusterIP',
      selectsPods: selects(selector, podLabels(deployment())),
      targetPorts: ports.map((p) => containerPort(apiContainer(), p.targetPort ?? p.port)),
    }).toEqual({ type: 'ClusterIP', selectsPods: true, targetPorts: [port] });
  });

  it("covers the Deployment's pods with the PodDisruptionBudget", () => {
    expect(selects(pdb().spec?.selector?.matchLabels, podLabels(deployment()))).toBe(true);
  });

  it("selects none of the migration Job's pods with the Service or the PodDisruptionBudget", () => {
    const labels = podLabels(job());
    expect({
      service: selects(service().spec?.selector, labels),
      pdb: selects(pdb().spec?.selector?.matchLabels, labels),
    }).toEqual({ service: false, pdb: false });
  });

  it('scales the Deployment with the HorizontalPodAutoscaler, on CPU utilization', () => {
    const spec = hpa().spec;
    expect({
      target: spec?.scaleTargetRef,
      cpu: spec?.metrics?.some(
        (metric) =>
          metric.type === 'Resource' &&
          metric.resource?.name === 'cpu' &&
          metric.resource.target.type === 'Utilization',
      ),
    }).toEqual({ target: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata?.name }, cpu: true });
  });

  it('leaves the replica count to the HorizontalPodAutoscaler, from at least 2 pods', () => {
    expect({ replicas: deployment().spec?.replicas, atLeastTwo: (hpa().spec?.minReplicas ?? 1) >= 2 }).toEqual({
      replicas: undefined,
      atLeastTwo: true,
    });
  });

  it('keeps a pod serving at the HPA minimum while the PodDisruptionBudget allows an eviction', () => {
    const maxUnavailable = pdb().spec?.maxUnavailable;
    expect(typeof maxUnavailable).toBe('number');
    expect(Number(maxUnavailable)).toBeGreaterThanOrEqual(1);
    expect((hpa().spec?.minReplicas ?? 1) - Number(maxUnavailable)).toBeGreaterThanOrEqual(1);
  });

  it('rolls out with maxUnavailable 0, a surge pod at a time', () => {
    expect(deployment().spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it("fits the database connections at the HPA's maximum, mid-rollout, in PostgreSQL's default max_connections", () => {
    const surge = deployment().spec?.strategy?.rollingUpdate?.maxSurge;
    const pods = (hpa().spec?.maxReplicas ?? 0) + (typeof surge === 'number' ? surge : Number.NaN);
    const poolMax = (container: IContainer) =>
      loadConfig(containerEnvironment(container, PLACEHOLDER_SECRET).env).database.poolMax;
    // The Job's containers run one after the other: the largest pool of them is open at a time.
    const connections = pods * poolMax(apiContainer()) + Math.max(...jobContainers().map(poolMax));
    expect({ connections, fits: connections <= POSTGRES_DEFAULT_CONNECTIONS }).toEqual({ connections, fits: true });
  });
});
