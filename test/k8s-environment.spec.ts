// The environment the pods of deploy/k8s start with, as the app's configuration (libs/config)
// reads it in production: accepted, production settings, only known variables, the shutdown
// inside the grace period, and the migration Job's commands and image.
// Most assertions collect human-readable problems and expect that list to be empty, so a failure
// names every offending field at once.
import { isDeepStrictEqual } from 'node:util';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '@app/config';
import {
  apiContainer,
  apiEnvironment,
  clientAddress,
  configMap,
  containerEnvironment,
  deployment,
  job,
  jobContainers,
  PLACEHOLDER_SECRET,
  podSpec,
  secretKeyRefs,
} from './utils/k8s-manifests.js';
import { configProblems } from './utils/deployment-files.js';

const MIGRATE_JS = 'dist/apps/api/libs/database/src/cli/migrate.js';
const SEED_JS = 'dist/apps/api/apps/api/src/cli/seed.js';

/** Read by Node itself, not by the app's configuration. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

describe('deploy/k8s: the environment of the pods', () => {
  it.each(['Deployment', 'Job'])(
    'gives the %s an environment loadConfig accepts in production, with the Secret of README.md',
    (kind) => {
      const containers = kind === 'Deployment' ? [apiContainer()] : jobContainers();
      const problems = containers.flatMap((container) => {
        const { env, problems: unresolved } = containerEnvironment(container, PLACEHOLDER_SECRET);
        return [...unresolved, ...configProblems(env)].map((problem) => `${container.name}: ${problem}`);
      });
      expect(problems).toEqual([]);
    },
  );

  it('runs the app in production, with JSON logs', () => {
    const config = loadConfig(apiEnvironment());
    expect({ env: config.app.env, logFormat: config.app.logFormat, warnings: config.warnings }).toEqual({
      env: 'production',
      logFormat: 'json',
      warnings: [],
    });
  });

  it('leaves the migrations and the seed to the Job, not to the pods at boot', () => {
    const { migrateOnBoot, seedOnBoot } = loadConfig(apiEnvironment()).database;
    expect({ migrateOnBoot, seedOnBoot }).toEqual({ migrateOnBoot: false, seedOnBoot: false });
  });

  it("believes an ingress pod's X-Forwarded-For, and not one from a client that reaches a pod directly", () => {
    const { trustProxy } = loadConfig(apiEnvironment()).http;
    expect(Array.isArray(trustProxy) ? 'addresses' : `TRUST_PROXY is ${JSON.stringify(trustProxy)}`).toBe('addresses');
    const trusted = trustProxy as readonly string[];
    expect({
      viaIngress: clientAddress(trusted, '10.244.3.17', '203.0.113.7'),
      viaCloudBalancerAndIngress: clientAddress(trusted, '10.244.3.17', '203.0.113.7, 172.20.0.9'),
      direct: clientAddress(trusted, '203.0.113.7', '198.51.100.1'),
    }).toEqual({ viaIngress: '203.0.113.7', viaCloudBalancerAndIngress: '203.0.113.7', direct: '203.0.113.7' });
  });

  it('sets only configuration variables in the ConfigMap', () => {
    const known = new Set(CONFIG_VARIABLES);
    const unknown = Object.keys(configMap().data ?? {}).filter((key) => !known.has(key));
    expect(unknown.map((key) => `${key} is not read by the app (not in CONFIG_VARIABLES)`)).toEqual([]);
  });

  it('sets only configuration variables (and Node options) in the containers', () => {
    const known = new Set([...CONFIG_VARIABLES, ...NODE_RUNTIME_VARIABLES]);
    const unknown = [apiContainer(), ...jobContainers()].flatMap((container) =>
      (container.env ?? [])
        .filter((entry) => !known.has(entry.name))
        .map((entry) => `${container.name}: ${entry.name} is not read by the app (not in CONFIG_VARIABLES)`),
    );
    expect(unknown).toEqual([]);
  });

  it("gives the Job the Deployment's ConfigMap and every Secret key it reads, required alike", () => {
    const refs = (container: IContainer) =>
      secretKeyRefs(container).map((ref) => `${ref.key}${ref.optional ? ' (optional)' : ' (required)'}`);
    const problems = jobContainers().flatMap((container) => [
      ...(isDeepStrictEqual(container.envFrom, apiContainer().envFrom)
        ? []
        : [`${container.name}: envFrom ${JSON.stringify(container.envFrom)} is not the Deployment's`]),
      ...refs(apiContainer())
        .filter((ref) => !refs(container).includes(ref))
        .map((ref) => `${container.name}: lacks the Secret key ${ref}`),
    ]);
    expect(problems).toEqual([]);
  });

  it('gives the pods more terminationGracePeriodSeconds than SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS', () => {
    const { shutdownDrainMs: drainMs, shutdownTimeoutMs: timeoutMs } = loadConfig(apiEnvironment()).http;
    expect(drainMs).toBeGreaterThan(0);
    expect(podSpec(deployment()).terminationGracePeriodSeconds ?? 30).toBeGreaterThan((drainMs + timeoutMs) / 1000);
  });

  it('runs the migrate CLI, then the seed CLI, once per try, in the Job', () => {
    const command = jobContainers()
      .map((container) => [...(container.command ?? []), ...(container.args ?? [])].join(' '))
      .join(' ; ');
    const [migrateAt, seedAt] = [command.indexOf(MIGRATE_JS), command.indexOf(SEED_JS)];
    expect({
      migrateFirst: migrateAt >= 0 && seedAt > migrateAt,
      restartPolicy: podSpec(job()).restartPolicy,
      backoffLimit: job().spec?.backoffLimit !== undefined,
      command,
    }).toEqual({ migrateFirst: true, restartPolicy: 'Never', backoffLimit: true, command });
  });

  it("runs the Deployment's image, by a tag other than latest, in the Job", () => {
    const image = apiContainer().image ?? '';
    expect({
      tagged: /:[\w][\w.-]{0,127}$/.test(image.split('/').at(-1) ?? '') && !image.endsWith(':latest'),
      job: jobContainers().map((container) => container.image),
    }).toEqual({ tagged: true, job: jobContainers().map(() => image) });
  });
});
