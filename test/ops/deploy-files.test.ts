import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const compose = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
const composeBinary = compose.status === 0 ? compose.stdout.trim() : null;
if (!composeBinary) {
  console.warn(
    'test/ops/deploy-files: docker-compose absent (apt-get install docker-compose; .ci/run does): compose checks skipped',
  );
}

/** The secrets compose.yaml requires (no defaults): what an operator's .env would set. */
const REQUIRED_SECRETS = {
  CAPTCHA_HMAC_KEY: 'test-captcha-key-from-the-operators-env-file',
  POSTGRES_PASSWORD: 'test-postgres-password-from-the-env-file',
  MINIO_ROOT_PASSWORD: 'test-minio-root-password-from-the-env-file',
  S3_SECRET_ACCESS_KEY: 'test-s3-secret-from-the-env-file',
};
// An empty env file: a developer's own .env in the repository must not change what these tests see.
const noEnvFile = path.join(mkdtempSync(path.join(tmpdir(), 'plaza-compose-')), 'empty.env');
writeFileSync(noEnvFile, '');

/** compose's own view of compose.yaml, after interpolation and merges. */
function composeConfig(args: string[], env: Record<string, string> = REQUIRED_SECRETS) {
  return spawnSync(composeBinary!, ['--env-file', noEnvFile, '-f', 'compose.yaml', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
}

type Service = {
  image?: string;
  command?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: unknown; memory?: unknown } } };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: Array<string | { source: string; target: string }>;
  ports?: Array<string | { host_ip?: string; published: number; target: number }>;
};

interface Container {
  command: string[];
  readinessProbe?: { httpGet: { path: string } };
  livenessProbe?: { httpGet: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}
interface PodTemplate {
  template: { spec: { terminationGracePeriodSeconds?: number; containers: Container[] } };
}

describe.skipIf(!composeBinary)('compose.yaml', () => {
  it('parses with docker-compose config -q', () => {
    const result = composeConfig(['config', '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses to start without each secret: no default key or password to fall back on', () => {
    for (const name of Object.keys(REQUIRED_SECRETS)) {
      const others = Object.fromEntries(Object.entries(REQUIRED_SECRETS).filter(([key]) => key !== name));
      for (const env of [others, { ...others, [name]: '' }]) {
        const result = composeConfig(['config', '-q'], env);
        expect(result.status, name).not.toBe(0);
        expect(result.stderr, name).toContain(`set ${name} in .env`);
      }
    }
  });

  it('takes the secrets from the environment and defaults none of them', () => {
    const result = composeConfig(['config']);
    expect(result.status).toBe(0);
    const services = (parse(result.stdout) as { services: Record<string, Service> }).services;
    for (const name of ['migrate', 'server', 'workers']) {
      const env = services[name]!.environment!;
      expect(env.CAPTCHA_HMAC_KEY, name).toBe(REQUIRED_SECRETS.CAPTCHA_HMAC_KEY);
      expect(env.DATABASE_URL, name).toContain(`:${REQUIRED_SECRETS.POSTGRES_PASSWORD}@`);
      expect(env.S3_SECRET_ACCESS_KEY, name).toBe(REQUIRED_SECRETS.S3_SECRET_ACCESS_KEY);
    }
    expect(services.postgres!.environment?.POSTGRES_PASSWORD).toBe(REQUIRED_SECRETS.POSTGRES_PASSWORD);
    expect(services.minio!.environment?.MINIO_ROOT_PASSWORD).toBe(REQUIRED_SECRETS.MINIO_ROOT_PASSWORD);
    expect(services['minio-init']!.environment).toEqual({
      MINIO_ROOT_PASSWORD: REQUIRED_SECRETS.MINIO_ROOT_PASSWORD,
      S3_SECRET_ACCESS_KEY: REQUIRED_SECRETS.S3_SECRET_ACCESS_KEY,
    });
    // Nothing secret-looking has a `${NAME:-default}` or `${NAME-default}` fallback.
    const defaulted = [...read('compose.yaml').matchAll(/\$\{([A-Z0-9_]+):?-/g)].map((m) => m[1]!);
    expect(defaulted.filter((name) => /PASSWORD|KEY|SECRET|TOKEN/.test(name))).toEqual([]);
  });

  it('publishes only the app on every interface; Mailpit (no authentication) on loopback', () => {
    const result = composeConfig(['config']);
    expect(result.status).toBe(0);
    const services = (parse(result.stdout) as { services: Record<string, Service> }).services;
    const published = Object.entries(services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name).sort()).toEqual(['mailpit', 'nginx']);
    // docker-compose prints `host:published:target` or `{ host_ip, published, target }`.
    const hostOf = (port: string | { host_ip?: string }) =>
      typeof port === 'string' ? port.split(':').slice(0, -2).join(':') : (port.host_ip ?? '');
    for (const port of services.mailpit!.ports!) expect(hostOf(port)).toBe('127.0.0.1');
  });

  it('runs PostgreSQL, durable Redis, MinIO, a one-shot migration, two servers, workers, nginx and Mailpit', () => {
    const result = composeConfig(['config']);
    expect(result.status).toBe(0);
    const services = (parse(result.stdout) as { services: Record<string, Service> }).services;
    expect(Object.keys(services).sort()).toEqual([
      'mailpit',
      'migrate',
      'minio',
      'minio-init',
      'nginx',
      'postgres',
      'redis',
      'server',
      'workers',
    ]);
    expect(services.redis!.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    // The package.json scripts, run without npm in between (npm does not forward SIGTERM).
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const script = (name: string) => scripts[name]!.split(' ');
    expect(services.migrate!.command).toEqual(script('migrate'));
    expect(services.migrate!.restart).toBe('no');
    expect(services.server!.command).toEqual(script('server'));
    expect(services.server!.deploy?.replicas).toBe(2);
    expect(services.server!.environment?.TRUST_PROXY).toBe('true');
    expect(services.server!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(services.workers!.command).toEqual(script('workers'));
    expect(services.workers!.environment?.SMTP_URL).toBe('smtp://mailpit:1025');
    expect(JSON.stringify(services.nginx!.volumes)).toContain('deploy/nginx.conf');
    for (const name of ['postgres', 'redis', 'mailpit', 'minio', 'server', 'workers', 'nginx']) {
      const service = services[name]!;
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.test?.length, name).toBeGreaterThan(0);
      expect(service.deploy?.resources?.limits?.memory, name).toBeDefined();
    }
  });
});

describe.skipIf(!composeBinary)('compose.yaml media', () => {
  it('stores media in MinIO, its bucket made at start, variants public through nginx and nothing else', () => {
    const result = composeConfig(['config']);
    expect(result.status).toBe(0);
    const services = (
      parse(result.stdout) as { services: Record<string, Service & { entrypoint?: string[] }> }
    ).services;
    for (const name of ['server', 'workers']) {
      const env = services[name]!.environment!;
      expect(env, name).toMatchObject({
        STORAGE: 's3',
        S3_ENDPOINT: 'http://minio:9000',
        S3_PUBLIC_ENDPOINT: 'http://localhost:8080/s3',
        S3_BUCKET: 'plaza',
        S3_FORCE_PATH_STYLE: 'true',
        MEDIA_PUBLIC_URL: 'http://localhost:8080/',
      });
      expect(services[name]!.depends_on?.['minio-init']?.condition, name).toBe(
        'service_completed_successfully',
      );
    }
    expect(services.minio!.ports ?? []).toEqual([]);
    const init = services['minio-init']!;
    expect(init.restart).toBe('no');
    expect(init.depends_on?.minio?.condition).toBe('service_healthy');
    const script = (init.command ?? []).join('\n');
    expect(script).toContain('mc mb --ignore-existing local/plaza');
    // Anonymous reads of media/ only: a public listing or a public original would give away private keys.
    const policies = [...script.matchAll(/printf '%s' '([\s\S]*?)' >/g)].map(
      (m) =>
        JSON.parse(m[1]!) as {
          Statement: Array<{ Principal?: unknown; Action: string[]; Resource: string[] }>;
        },
    );
    const anonymous = policies.flatMap((p) => p.Statement).filter((statement) => statement.Principal);
    expect(anonymous).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: ['*'] },
        Action: ['s3:GetObject'],
        Resource: ['arn:aws:s3:::plaza/media/*'],
      },
    ]);

    const nginx = read('deploy/nginx.conf');
    expect(nginx).toMatch(/location ~ "\^\/media\/.*\.webp\$"[\s\S]*?immutable/);
    expect(nginx).toMatch(/location \/s3\/ \{[\s\S]*?proxy_set_header Host minio:9000;/);
  });
});

describe('.env.example', () => {
  it('lists every variable of server/config.ts', () => {
    const schema = /const schema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(read('server/config.ts'))?.[1] ?? '';
    const variables = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(15);
    const listed = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(variables.filter((v) => !listed.has(v))).toEqual([]);
  });
});

describe('deploy/', () => {
  it('builds a multi-stage, non-root image with production dependencies and a /health check', () => {
    const dockerfile = read('deploy/Dockerfile');
    expect(dockerfile).toMatch(/node:24-bookworm-slim/);
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK[\s\S]*\/health/m);
  });

  it('runs the sources on Node 24 itself, with dist/ built by the image, never through tsx', () => {
    const dockerfile = read('deploy/Dockerfile');
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    for (const file of [
      'deploy/Dockerfile',
      'compose.yaml',
      ...readdirSync(path.join(root, 'deploy/k8s')).map((f) => `deploy/k8s/${f}`),
    ]) {
      expect(read(file), file).not.toMatch(/--import|tsx/);
    }
    const commands = [...read('compose.yaml').matchAll(/command: (\[.*\])/g)].map(
      (m) => JSON.parse(m[1]!) as string[],
    );
    expect(commands.filter((c) => c[0] === 'node').map((c) => c.slice(0, 2))).toEqual([
      ['node', '--conditions=plaza-source'],
      ['node', '--conditions=plaza-source'],
      ['node', '--conditions=plaza-source'],
    ]);
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; dependencies: object };
    expect(pkg.engines.node).toBe('>=24.11');
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
  });

  it('has valid Kubernetes manifests with probes, draining, affinity and socket timeouts', () => {
    const dir = path.join(root, 'deploy/k8s');
    type Manifest = {
      kind: string;
      metadata: { name: string; annotations?: Record<string, string> };
      spec: Record<string, unknown>;
      data?: Record<string, string>;
    };
    const manifests: Manifest[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
        expect(doc.errors, file).toEqual([]);
        manifests.push(doc.toJSON() as Manifest);
      }
    }
    const kinds = manifests.map((m) => m.kind);
    for (const kind of [
      'Deployment',
      'Service',
      'Ingress',
      'ConfigMap',
      'Secret',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Job',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    const byName = (kind: string, name: string) =>
      manifests.find((m) => m.kind === kind && m.metadata.name === name)!;

    const pod = (byName('Deployment', 'plaza-server').spec as unknown as PodTemplate).template.spec;
    const server = pod.containers[0]!;
    expect(server.readinessProbe?.httpGet.path).toBe('/ready');
    expect(server.livenessProbe?.httpGet.path).toBe('/health');
    const pause = Number(server.lifecycle?.preStop?.exec?.command.at(-1));
    expect(pause).toBeGreaterThan(0);
    const shutdownMs = Number(byName('ConfigMap', 'plaza-config').data!.SHUTDOWN_TIMEOUT_MS);
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(pause * 1000 + shutdownMs);

    const workers = (byName('Deployment', 'plaza-workers').spec as unknown as PodTemplate).template.spec
      .containers[0]!;
    expect(workers.command.join(' ')).toContain('workers/main.ts');
    expect(workers.livenessProbe?.httpGet.path).toBe('/health');

    const ingress = byName('Ingress', 'plaza').metadata.annotations!;
    expect(ingress['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    // Socket.IO pings every 25 s: an idle socket must outlive that by the ping timeout.
    expect(Number(ingress['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThan(45);
    expect(Number(ingress['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThan(45);

    const job = byName('Job', 'plaza-migrate').spec as unknown as PodTemplate;
    expect(job.template.spec.containers[0]!.command.join(' ')).toContain('server/db/migrate.ts');
  });
});
