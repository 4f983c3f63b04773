// The Kubernetes manifests of deploy/k8s, read and resolved for the test/k8s-*.spec.ts checks,
// offline: every YAML document as the API server parses it, the workloads' pod specs and
// containers, the environment a container starts with, and the API's schema validators
// (kubernetes-models: generated from the Kubernetes API's OpenAPI document). No cluster and no
// network are needed.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
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
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { repoFile } from './deployment-files.js';

export const DIR = 'deploy/k8s';
const KUSTOMIZATION = 'kustomization.yaml';

/**
 * Stand-ins for the Secret that deploy/k8s/README.md has the operator create: its required keys
 * only, as an operator who follows it has. A fresh random JWT_SECRET, so none is written down
 * here either.
 */
export const PLACEHOLDER_SECRET: Record<string, string> = {
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

export interface Manifest {
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

export const { manifests, kustomization } = readManifests();

/** The one manifest of `kind` (the directory holds one of each). */
function single<T>(kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in ${DIR}, found ${found.length}`);
  return found[0]?.doc as T;
}

export const deployment = (): IDeployment => single<IDeployment>('Deployment');
export const job = (): IJob => single<IJob>('Job');
export const configMap = (): IConfigMap => single<IConfigMap>('ConfigMap');
export const service = (): IService => single<IService>('Service');
export const hpa = (): IHorizontalPodAutoscaler => single<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
export const pdb = (): IPodDisruptionBudget => single<IPodDisruptionBudget>('PodDisruptionBudget');

export const podSpec = (workload: IDeployment | IJob): IPodSpec => workload.spec?.template.spec ?? { containers: [] };
export const podLabels = (workload: IDeployment | IJob): Record<string, string> =>
  workload.spec?.template.metadata?.labels ?? {};
export const allContainers = (spec: IPodSpec): IContainer[] => [...(spec.initContainers ?? []), ...spec.containers];

/** The API's container: the one that runs the image's default command (main.mjs). */
export function apiContainer(): IContainer {
  const [container, ...others] = podSpec(deployment()).containers;
  if (!container || others.length > 0) throw new Error('the Deployment should run one container');
  return container;
}

/** The Job's containers, init containers first (today one, `migrate`, which also seeds). */
export const jobContainers = (): IContainer[] => allContainers(podSpec(job()));

/** Whether `selector` (matchLabels only: the manifests use no expressions) selects pods with `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** A probe's or a Service's port, by name or number, as the container port it reaches. */
export function containerPort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every Secret key a container reads, with the variable it sets and whether the pod starts without it. */
export function secretKeyRefs(
  container: IContainer,
): { variable: string; secret: string; key: string; optional: boolean }[] {
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
export function containerEnvironment(
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
export function apiEnvironment(): Record<string, string> {
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
export function unknownFields(root: unknown, validate: (data: unknown) => void): string[] {
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
export function schemaOf(manifest: Manifest): ((data: unknown) => void) | undefined {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  return model && ((data: unknown) => model.prototype.validate.call(data));
}

/** A Kubernetes memory quantity (`768Mi`, `1Gi`, `512M`, bytes), in bytes. */
export function bytes(quantity: number | string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity ?? ''));
  if (!match) return Number.NaN;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}

/** What a request that reached the pod from `peer` with this X-Forwarded-For counts as its client. */
export function clientAddress(trust: readonly string[], peer: string, forwardedFor: string): string {
  const request = { headers: { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress: peer } };
  return proxyAddr(request as unknown as IncomingMessage, proxyAddr.compile([...trust]));
}
