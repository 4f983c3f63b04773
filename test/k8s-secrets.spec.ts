// The secrets of deploy/k8s: read from the one Secret the operator creates (deploy/k8s/README.md),
// never committed, never a literal, never in a URL.
// Most assertions collect human-readable problems and expect that list to be empty, so a failure
// names every offending field at once.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '@app/config';
import {
  apiContainer,
  apiEnvironment,
  configMap,
  DIR,
  jobContainers,
  manifests,
  PLACEHOLDER_SECRET,
  secretKeyRefs,
} from './utils/k8s-manifests.js';
import { repoFile, strings } from './utils/deployment-files.js';

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

describe('deploy/k8s: secrets', () => {
  it('reads JWT_SECRET, DATABASE_URL and REDIS_URL from the Secret', () => {
    const config = loadConfig(apiEnvironment());
    expect({
      JWT_SECRET: config.auth.jwtSecret,
      DATABASE_URL: config.database.url,
      REDIS_URL: config.cache.redisUrl,
    }).toEqual(PLACEHOLDER_SECRET);
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
