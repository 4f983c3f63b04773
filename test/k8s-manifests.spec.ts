// Static checks of the Kubernetes manifests in deploy/k8s, offline: every YAML document against
// the Kubernetes API's schemas (kubernetes-models: validators generated from the API's OpenAPI
// document), then what no schema can know: that the probes reach the app's health routes, that
// the selectors find the right pods, that the environment the pods get is one the app's
// configuration (libs/config) accepts in production, that the shutdown fits in the grace period,
// and that no secret is committed. No cluster and no network are needed.
//
// Most assertions collect human-readable problems and expect that list to be empty, so a
// failure names every offending field at once.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import proxyAddr from '@fastify/proxy-addr';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '@app/config';
import { configProblems, repoFile, strings } from './utils/deployment-files.js';

const DIR = 'deploy/k8s';
const KUSTOMIZATION = 'kustomization.yaml';
const MIGRATE_JS = 'dist/apps/api/libs/database/src/cli/migrate.js';
const SEED_JS = 'dist/apps/api/apps/api/src/cli/seed.js';
const HEALTH_LIVE = '/health/live';
const HEALTH_READY = '/health/ready';

/**
 * The configuration variables that hold a secret (or a URL that may carry credentials): they
 * come from the Secret only, never from the ConfigMap or a literal in a manifest.
 */
const SECRET_VARIABLES = [
  'JWT_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'DATA_ENCRYPTION_KEYS',
  'SMTP_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SEED_ADMIN_PASSWORD',
];
/** Of those, what only the seed reads: the Job gets it, the API's pods need not hold it. */
const SEED_ONLY_VARIABLES = ['SEED_ADMIN_PASSWORD'];

/** Read by Node itself, not by the app's configuration. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

/** PostgreSQL's default max_connections, less its superuser_reserved_connections. */
const POSTGRES_DEFAULT_CONNECTIONS = 100 - 3;
/**
 * Room the API process needs beside the V8 heap's old generation: native allocations (~85 MiB)
 * and the Node binary (~40 MiB) as measured (the top-level README.md, "Start-up and memory"), the
 * young generation's semi-spaces (up to 48 MiB), and a margin.
 */
const NON_HEAP_MIB = 256;

/**
 * Stand-ins for the Secret that deploy/k8s/README.md has the operator create: its required keys
 * only, as an operator who follows it has. A fresh random JWT_SECRET, so none is written down
 * here either.
 */
const PLACEHOLDER_SECRET: Record<string, string> = {
  JWT_SECRET: randomBytes(48).toString('base64url'),
  DATABASE_URL: 'postgresql://api@postgres.example.internal:5432/app',
  REDIS_URL: 'redis://redis.example.internal:6379',
};

/** The API schema of each kind the manifests may hold, by `apiVersion/kind`. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

interface Manifest {
  file: string;
  /** `configmap.yaml ConfigMap/api-config`, for test names and messages. */
  label: string;
  apiVersion: string;
  kind: string;
  name: string;
  /** As parsed; typed by its kind once the schema has accepted it. */
  doc: unknown;
}

/**
 * Every document of every YAML file in deploy/k8s, parsed as YAML 1.1 as Kubernetes' own parser
 * reads it (there an unquoted `no` or `on` is a boolean, which a ConfigMap value must not be).
 */
function readManifests(): { manifests: Manifest[]; kustomization: Record<string, unknown> | undefined } {
  const files = readdirSync(resolve(process.cwd(), DIR))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  const manifests: Manifest[] = [];
  let kustomization: Record<string, unknown> | undefined;
  for (const file of files) {
    for (const document of parseAllDocuments(repoFile(`${DIR}/${file}`), { version: '1.1' })) {
      if (document.errors.length > 0) throw new Error(`${DIR}/${file}: ${document.errors.join('; ')}`);
      const doc = document.toJS() as Record<string, unknown> | null;
      if (doc === null) continue;
      if (file === KUSTOMIZATION) {
        kustomization = doc;
        continue;
      }
      const metadata = (doc.metadata ?? {}) as { name?: string };
      const [apiVersion, kind, name] = [String(doc.apiVersion), String(doc.kind), String(metadata.name)];
      manifests.push({ file, label: `${file} ${kind}/${name}`, apiVersion, kind, name, doc });
    }
  }
  return { manifests, kustomization };
}

const { manifests, kustomization } = readManifests();

/** The one manifest of `kind` (the directory holds one of each). */
function single<T>(kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in ${DIR}, found ${found.length}`);
  return found[0]?.doc as T;
}

const deployment = (): IDeployment => single<IDeployment>('Deployment');
const job = (): IJob => single<IJob>('Job');
const configMap = (): IConfigMap => single<IConfigMap>('ConfigMap');
const service = (): IService => single<IService>('Service');
const hpa = (): IHorizontalPodAutoscaler => single<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
const pdb = (): IPodDisruptionBudget => single<IPodDisruptionBudget>('PodDisruptionBudget');

const podSpec = (workload: IDeployment | IJob): IPodSpec => workload.spec?.template.spec ?? { containers: [] };
const podLabels = (workload: IDeployment | IJob): Record<string, string> =>
  workload.spec?.template.metadata?.labels ?? {};
const allContainers = (spec: IPodSpec): IContainer[] => [...(spec.initContainers ?? []), ...spec.containers];

/** The API's container: the one that runs the image's default command (main.mjs). */
function apiContainer(): IContainer {
  const [container, ...others] = podSpec(deployment()).containers;
  if (!container || others.length > 0) throw new Error('the Deployment should run one container');
  return container;
}

/** The Job's containers, init containers first (today one, `migrate`, which also seeds). */
const jobContainers = (): IContainer[] => allContainers(podSpec(job()));

/** Whether `selector` (matchLabels only: the manifests use no expressions) selects pods with `labels`. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** A probe's or a Service's port, by name or number, as the container port it reaches. */
function containerPort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every Secret key a container reads, with the variable it sets and whether the pod starts without it. */
function secretKeyRefs(container: IContainer): { variable: string; secret: string; key: string; optional: boolean }[] {
  return (container.env ?? []).flatMap((entry) => {
    const ref = entry.valueFrom?.secretKeyRef;
    return ref ? [{ variable: entry.name, secret: ref.name ?? '', key: ref.key, optional: ref.optional === true }] : [];
  });
}

/**
 * The environment a container starts with when the Secret holds `secret`, as the kubelet builds
 * it: `envFrom` first, then `env` over it. `problems` names what would keep the pod from starting
 * (a missing ConfigMap or required Secret key) or what this check cannot resolve.
 */
function containerEnvironment(
  container: IContainer,
  secret: Record<string, string>,
): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const configMaps = new Map(
    manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.name, (m.doc as IConfigMap).data ?? {}]),
  );
  for (const source of container.envFrom ?? []) {
    const data = source.configMapRef?.name === undefined ? undefined : configMaps.get(source.configMapRef.name);
    if (data === undefined) {
      problems.push(`envFrom ${JSON.stringify(source)}: only ConfigMaps of ${DIR} (Secret keys go one by one in env)`);
      continue;
    }
    Object.assign(env, data);
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (ref && secret[ref.key] !== undefined) env[entry.name] = secret[ref.key] ?? '';
    else if (ref && ref.optional !== true) problems.push(`${entry.name}: the Secret lacks the required key ${ref.key}`);
    else if (!ref) problems.push(`${entry.name}: only literal values and Secret keys are resolved here`);
  }
  return { env, problems };
}

/** The environment of the API's container, with the placeholder Secret. */
function apiEnvironment(): Record<string, string> {
  return containerEnvironment(apiContainer(), PLACEHOLDER_SECRET).env;
}

/**
 * Calls `validate` on a proxy of `root` that records which fields it reads, and returns the
 * fields it never read. The API's published schemas accept fields they do not define, which the
 * API server refuses (kubectl's default strict field validation); the validators, generated by
 * Ajv, read every field their schema defines. So a field never read is one the API does not know:
 * most often a typo (`readinesProbe`) or a field at the wrong level (`readOnlyRootFilesystem` on
 * the pod instead of the container).
 */
function unknownFields(root: unknown, validate: (data: unknown) => void): string[] {
  const reads = new WeakMap<object, Set<string>>();
  const proxies = new WeakMap<object, object>();
  const watch = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    const known = proxies.get(node);
    if (known) return known;
    const read = new Set<string>();
    const proxy = new Proxy(node, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || !Object.hasOwn(target, key)) return value;
        read.add(key);
        return watch(value);
      },
    });
    reads.set(node, read);
    proxies.set(node, proxy);
    return proxy;
  };
  try {
    validate(watch(root));
  } catch {
    // Schema errors are the other test's; the fields read are recorded all the same.
  }
  const unread = (node: unknown, path: string): string[] => {
    if (node === null || typeof node !== 'object') return [];
    const read = reads.get(node);
    return Object.entries(node).flatMap(([key, value]) => {
      const at = Array.isArray(node) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      return read?.has(key) ? unread(value, at) : [at];
    });
  };
  return unread(root, '');
}

/** The schema's validation, as a function of the data (the model's own `validate`, on plain data). */
function schemaOf(manifest: Manifest): ((data: unknown) => void) | undefined {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  return model && ((data: unknown) => model.prototype.validate.call(data));
}

/** A Kubernetes memory quantity (`768Mi`, `1Gi`, `512M`, bytes), in bytes. */
function bytes(quantity: number | string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity ?? ''));
  if (!match) return Number.NaN;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}

/** What a request that reached the pod from `peer` with this X-Forwarded-For counts as its client. */
function clientAddress(trust: readonly string[], peer: string, forwardedFor: string): string {
  const request = { headers: { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress: peer } };
  return proxyAddr(request as unknown as IncomingMessage, proxyAddr.compile([...trust]));
}

describe('deploy/k8s', () => {
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

  it('reads JWT_SECRET, DATABASE_URL and REDIS_URL from the Secret', () => {
    const config = loadConfig(apiEnvironment());
    expect({
      JWT_SECRET: config.auth.jwtSecret,
      DATABASE_URL: config.database.url,
      REDIS_URL: config.cache.redisUrl,
    }).toEqual(PLACEHOLDER_SECRET);
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

  it('references only Secret keys the configuration knows, each as the variable of its name, from one Secret', () => {
    const config = new Set(CONFIG_VARIABLES);
    const refs = [apiContainer(), ...jobContainers()].flatMap(secretKeyRefs);
    const problems = refs.flatMap((ref) => [
      ...(config.has(ref.key) ? [] : [`${ref.key} is not a configuration variable`]),
      ...(ref.variable === ref.key ? [] : [`${ref.variable} is read from the key ${ref.key}`]),
    ]);
    expect({ problems, secrets: [...new Set(refs.map((ref) => ref.secret))] }).toEqual({
      problems: [],
      secrets: ['api-secrets'],
    });
  });

  it('lets the Secret provide every secret variable (the seed-only ones to the Job alone)', () => {
    const keys = (containers: IContainer[]) => new Set(containers.flatMap(secretKeyRefs).map((ref) => ref.key));
    const [api, migrate] = [keys([apiContainer()]), keys(jobContainers())];
    expect({
      api: SECRET_VARIABLES.filter((name) => !api.has(name)),
      job: SECRET_VARIABLES.filter((name) => !migrate.has(name)),
    }).toEqual({ api: SEED_ONLY_VARIABLES, job: [] });
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

  it('commits no secret: no Secret data, no secret variable in the ConfigMap or as a literal', () => {
    const problems = [
      ...manifests
        .filter((manifest) => manifest.kind === 'Secret')
        .filter((manifest) => {
          const { data, stringData } = manifest.doc as ISecret;
          return Object.values({ ...data, ...stringData }).some((value) => value !== '');
        })
        .map((manifest) => `${manifest.label} holds values (create it with kubectl, README.md)`),
      ...Object.keys(configMap().data ?? {})
        .filter((key) => SECRET_VARIABLES.includes(key))
        .map((key) => `ConfigMap sets ${key}`),
      ...[apiContainer(), ...jobContainers()].flatMap((container) =>
        (container.env ?? [])
          .filter((entry) => SECRET_VARIABLES.includes(entry.name) && entry.value !== undefined)
          .map((entry) => `${container.name} sets ${entry.name} to a literal`),
      ),
    ];
    expect(problems).toEqual([]);
  });

  it('writes no credentials into any URL of the manifests', () => {
    const withCredentials = manifests.flatMap((manifest) =>
      strings(manifest.doc)
        .flatMap((text) => text.match(/[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]*@/gi) ?? [])
        .map((url) => `${manifest.label}: ${url}`),
    );
    expect(withCredentials).toEqual([]);
  });

  it('gives the pods more terminationGracePeriodSeconds than SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS', () => {
    const { shutdownDrainMs: drainMs, shutdownTimeoutMs: timeoutMs } = loadConfig(apiEnvironment()).http;
    expect(drainMs).toBeGreaterThan(0);
    expect(podSpec(deployment()).terminationGracePeriodSeconds ?? 30).toBeGreaterThan((drainMs + timeoutMs) / 1000);
  });

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

  it("fits the database connections at the HPA's maximum, mid-rollout, in PostgreSQL's default max_connections", () => {
    const surge = deployment().spec?.strategy?.rollingUpdate?.maxSurge;
    const pods = (hpa().spec?.maxReplicas ?? 0) + (typeof surge === 'number' ? surge : Number.NaN);
    const poolMax = (container: IContainer) =>
      loadConfig(containerEnvironment(container, PLACEHOLDER_SECRET).env).database.poolMax;
    // The Job's containers run one after the other: the largest pool of them is open at a time.
    const connections = pods * poolMax(apiContainer()) + Math.max(...jobContainers().map(poolMax));
    expect({ connections, fits: connections <= POSTGRES_DEFAULT_CONNECTIONS }).toEqual({ connections, fits: true });
  });

  it('documents in README.md the kubectl create secret of every required Secret key', () => {
    const readme = repoFile(`${DIR}/README.md`);
    const envFile = /cat > api-secrets\.env <<'?EOF'?\n([\s\S]*?)\nEOF/.exec(readme)?.[1] ?? '';
    const documented = [...envFile.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]).sort();
    const required = [
      ...new Set(
        [apiContainer(), ...jobContainers()]
          .flatMap(secretKeyRefs)
          .filter((ref) => !ref.optional)
          .map((ref) => ref.key),
      ),
    ].sort();
    expect({
      createsSecret: readme.includes('create secret generic api-secrets --from-env-file=api-secrets.env'),
      documented,
    }).toEqual({ createsSecret: true, documented: required });
  });
});
