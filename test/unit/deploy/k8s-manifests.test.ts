import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { registerOpsRoutes } from '../../../shared/edge/http/ops-routes.ts';
import { K8S_DIR, asArray, asRecord, k8sObjects, k8sResourceFiles, podTemplates, rel, type K8sObject } from './deploy-files.ts';
import { render } from './k8s-render.ts';
import { IMAGE_NODE_MAJOR, nodeOptionsFor } from '../../../services/cli/node-options.ts';
import { COMMAND_NAMES, HEALTH_PATHS, SERVICES, envProblems, serviceForCommand, servicePort } from './service-specs.ts';

interface Validatable { validate(): void }
type ModelClass = new (data: unknown) => Validatable;

/** The module that carries the model classes for an apiVersion, or undefined (Strimzi: no schema on npm). */
function modulePathFor(apiVersion: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '' || !group!.includes('.') || group!.endsWith('.k8s.io')) return group === '' ? 'kubernetes-models/v1' : `kubernetes-models/${group}/${version}`;
  if (group!.endsWith('.istio.io')) return `@kubernetes-models/istio/${group}/${version}`;
  return undefined;
}

const STRIMZI = 'kafka.strimzi.io/v1beta2';
const OVERLAYS = ['overlays/local', 'overlays/eks'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(join(K8S_DIR, o))])) as Record<(typeof OVERLAYS)[number], K8sObject[]>;
const resources = k8sResourceFiles();
// Patches are partial objects; what they produce is validated through the rendered overlays below.
const wholeObjects = k8sObjects().filter(({ file }) => resources.has(file));

/**
 * The model classes, from packages that carry the published schemas: kubernetes-models (the Kubernetes
 * 1.27 OpenAPI) for core kinds, @kubernetes-models/istio (Istio's CRD schemas) for Istio. Loaded once, as
 * the file loads (like its static imports), so each test below times only its own validation.
 */
const modules = new Map(await Promise.all(
  [...new Set([...wholeObjects.map((o) => o.object), ...Object.values(rendered).flat()].map((o) => o.apiVersion))]
    .flatMap((apiVersion) => {
      const path = modulePathFor(apiVersion);
      return path === undefined ? [] : [import(path).then((mod) => [apiVersion, mod as Record<string, unknown>] as const)];
    }),
));

function modelFor(o: K8sObject): ModelClass | undefined {
  const mod = modules.get(o.apiVersion);
  if (!mod) return undefined;
  const ctor = mod[o.kind];
  assert.equal(typeof ctor, 'function', `no model for ${o.apiVersion} ${o.kind}`);
  return ctor as ModelClass;
}

function assertValid(o: K8sObject, where: string): boolean {
  const Model = modelFor(o);
  if (!Model) return false;
  assert.doesNotThrow(() => new Model(o).validate(), (e: unknown) => { throw new Error(`${where}: ${o.kind}/${o.metadata.name}: ${(e as Error).message}`); });
  return true;
}

// ajv compiles a kind's schema the first time an object of that kind is validated (about 1 s for the
// Deployment/PodSpec tree). Compile every kind used here as the file loads, one object each, so each test
// below times its own validation; what these calls find is asserted by the tests, not here.
for (const o of new Map([...wholeObjects.map((w) => w.object), ...Object.values(rendered).flat()].map((o) => [`${o.apiVersion} ${o.kind}`, o])).values()) {
  const Model = modules.get(o.apiVersion)?.[o.kind] as ModelClass | undefined;
  try { if (typeof Model === 'function') new Model(o).validate(); } catch { /* asserted below */ }
}

test('at least 20 manifest objects have a published schema to validate against', () => {
  assert.ok(wholeObjects.filter(({ object }) => modelFor(object)).length >= 20);
});

for (const file of [...new Set(wholeObjects.map((o) => o.file))]) {
  test(`${rel(file)}: every Kubernetes and Istio object validates against its published JSON schema`, () => {
    for (const { object } of wholeObjects.filter((o) => o.file === file)) {
      if (!assertValid(object, rel(file))) assert.equal(object.apiVersion, STRIMZI, `${rel(file)}: ${object.apiVersion} ${object.kind} has no schema check`);
    }
  });
}

for (const [overlay, objects] of Object.entries(rendered)) {
  test(`the rendered ${overlay} (base + patches) validates too`, () => {
    for (const o of objects) assertValid(o, overlay);
  });
}

const byKind = (objects: readonly K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const podOf = (object: K8sObject) => {
  const [pod] = podTemplates([{ file: '', object }]);
  assert.ok(pod, `${object.kind}/${object.metadata.name} has a pod template`);
  return pod;
};
const one = (objects: readonly K8sObject[], kind: string, name: string): K8sObject => {
  const found = byKind(objects, kind, name);
  assert.equal(found.length, 1, `one ${kind}/${name}`);
  return found[0]!;
};

test('containers: args name CLI commands; env (ConfigMaps + env) matches the config schemas; ports and probes match', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    for (const { object, podSpec } of podTemplates(objects.map((o) => ({ file: overlay, object: o })))) {
      for (const c of asArray(podSpec.containers).map(asRecord)) {
        if (!String(c.image).includes('meshray')) continue;
        const where = `${overlay} ${object.kind}/${object.metadata.name}`;
        assert.equal(c.command, undefined, `${where}: keeps the image ENTRYPOINT`);
        const command = asArray(c.args).map(String);
        assert.ok(COMMAND_NAMES.has(command[0] ?? ''), `${where}: args ${command[0]} is not a meshray command`);
        const spec = serviceForCommand(command[0]);
        assert.ok(spec, `${where}: runs a service`);
        const env: Record<string, string> = {};
        for (const from of asArray(c.envFrom).map(asRecord)) {
          const name = String(asRecord(from.configMapRef).name);
          const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name && o.metadata.namespace === object.metadata.namespace);
          assert.ok(cm, `${where}: ConfigMap ${name} exists in ${object.metadata.namespace}`);
          Object.assign(env, cm.data);
        }
        for (const e of asArray(c.env).map(asRecord)) env[String(e.name)] = String(e.value ?? '');
        assert.deepEqual(envProblems(spec, env, where), []);
        assert.equal(env['NODE_OPTIONS'], nodeOptionsFor(spec.command, {}, IMAGE_NODE_MAJOR), `${where}: NODE_OPTIONS is the service's default on the image's Node (services/cli/node-options.ts)`);
        const port = servicePort(spec, env);
        const ports = asArray(c.ports).map(asRecord);
        assert.deepEqual(ports.map((p) => p.containerPort), [port], `${where}: containerPort ${port}`);
        const portName = ports[0]?.name;
        for (const [probe, path] of [['readinessProbe', HEALTH_PATHS.ready], ['livenessProbe', HEALTH_PATHS.live]] as const) {
          const get = asRecord(asRecord(c[probe]).httpGet);
          assert.equal(get.path, path, `${where}: ${probe} path`);
          assert.ok(get.port === port || get.port === portName, `${where}: ${probe} on port ${port}`);
        }
        assert.ok(asRecord(c.resources).requests && asRecord(c.resources).limits, `${where}: resources`);
        const podMeta = asRecord(asRecord(asRecord(object.spec).template).metadata);
        if (spec.command === 'receiver') {
          // The receiver joins the mesh so its :9411 is under STRICT mTLS (k8s/base/mesh-mtls.yaml, test/unit/deploy/mesh-mtls.test.ts).
          assert.equal(asRecord(podMeta.labels)['sidecar.istio.io/inject'], 'true', `${where}: sidecar injected`);
        } else {
          assert.equal(asRecord(podMeta.annotations)['sidecar.istio.io/inject'], 'false', `${where}: no sidecar`);
        }
      }
    }
  }
});

test('the health paths used by probes are the ones the ops routes register', async () => {
  const app = Fastify();
  registerOpsRoutes(app, { live: () => undefined, ready: () => undefined, registry: new Registry() });
  await app.ready();
  for (const url of Object.values(HEALTH_PATHS)) assert.ok(app.hasRoute({ method: 'GET', url }), `GET ${url}`);
  await app.close();
});

test('Istio reaches the receiver as zipkin.istio-system:9411, and the Service selects the receiver pods', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    const svc = one(objects, 'Service', 'zipkin');
    assert.equal(svc.metadata.namespace, 'istio-system', overlay);
    const deploy = one(objects, 'Deployment', 'meshray-receiver');
    assert.equal(deploy.metadata.namespace, 'istio-system', `${overlay}: a Service selects pods of its own namespace`);
    const { podSpec, podLabels } = podOf(deploy);
    for (const [k, v] of Object.entries(asRecord(svc.spec?.selector))) assert.equal(podLabels[k], v, `${overlay}: selector ${k}`);
    const port = asRecord(asArray(svc.spec?.ports)[0]);
    const receiverPort = servicePort(SERVICES.receiver!, asRecord(one(objects, 'ConfigMap', 'meshray-receiver').data) as Record<string, string>);
    assert.equal(port.port, 9411);
    const container = asRecord(asArray(podSpec.containers)[0]);
    const target = asArray(container.ports).map(asRecord).find((p) => p.name === port.targetPort || p.containerPort === port.targetPort);
    assert.equal(target?.containerPort, receiverPort, `${overlay}: zipkin targets the receiver port`);
  }
});

test('meshray pods take no Service-link variables (a Service xray-local would set XRAY_LOCAL_PORT=tcp://…)', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    for (const name of ['meshray-receiver', 'meshray-translator', ...(overlay === 'overlays/local' ? ['xray-local'] : [])]) {
      assert.equal(podOf(one(objects, 'Deployment', name)).podSpec.enableServiceLinks, false, `${overlay}: ${name}`);
    }
  }
});

test('translators: HPA (autoscaling/v2) bounded by the span topic\'s partitions, PDB, ServiceAccount', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    const hpa = one(objects, 'HorizontalPodAutoscaler', 'meshray-translator');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    const translatorCm = asRecord(one(objects, 'ConfigMap', 'meshray-translator').data);
    const topicName = String(translatorCm.SPANS_TOPIC ?? 'meshray.spans');
    const topic = byKind(objects, 'KafkaTopic').find((t) => (asRecord(t.spec).topicName ?? t.metadata.name) === topicName);
    assert.ok(topic, `${overlay}: KafkaTopic ${topicName}`);
    const max = Number(asRecord(hpa.spec).maxReplicas);
    assert.ok(max <= Number(asRecord(topic.spec).partitions), `${overlay}: maxReplicas ${max} ≤ partitions`);
    assert.equal(asRecord(asRecord(hpa.spec).scaleTargetRef).name, 'meshray-translator');
    const pdb = one(objects, 'PodDisruptionBudget', 'meshray-translator');
    // Unready translators (X-Ray down, Transaction Search off) must not block node drains.
    assert.equal(asRecord(pdb.spec).unhealthyPodEvictionPolicy, 'AlwaysAllow', `${overlay}: translator PDB`);
    assert.equal(asRecord(one(objects, 'PodDisruptionBudget', 'meshray-receiver').spec).unhealthyPodEvictionPolicy, 'AlwaysAllow', `${overlay}: receiver PDB`);
    const deploy = one(objects, 'Deployment', 'meshray-translator');
    const { podSpec, podLabels } = podOf(deploy);
    for (const [k, v] of Object.entries(asRecord(asRecord(pdb.spec).selector).matchLabels ?? {})) assert.equal(podLabels[k], v);
    assert.equal(podSpec.serviceAccountName, 'meshray-translator');
    one(objects, 'ServiceAccount', 'meshray-translator');
  }
  const sa = one(rendered['overlays/eks'], 'ServiceAccount', 'meshray-translator');
  assert.match(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '', /^arn:aws:iam::\d{12}:role\/.+/, 'IRSA role on EKS');
  assert.equal(one(rendered['overlays/local'], 'ServiceAccount', 'meshray-translator').metadata.annotations?.['eks.amazonaws.com/role-arn'], undefined);
});

test('xray-local only in the local overlay; local translators export to it, EKS ones to AWS X-Ray', () => {
  const local = rendered['overlays/local'];
  const eks = rendered['overlays/eks'];
  const xraySvc = one(local, 'Service', 'xray-local');
  const endpoint = new URL(String(asRecord(one(local, 'ConfigMap', 'meshray-translator').data).XRAY_ENDPOINT));
  assert.equal(endpoint.hostname.split('.')[0], xraySvc.metadata.name);
  assert.equal(endpoint.hostname.split('.')[1], xraySvc.metadata.namespace);
  assert.equal(Number(endpoint.port), asRecord(asArray(xraySvc.spec?.ports)[0]).port);
  assert.equal(byKind(eks, 'Deployment', 'xray-local').length, 0);
  assert.equal(asRecord(one(eks, 'ConfigMap', 'meshray-translator').data).XRAY_ENDPOINT, undefined);
});

test('services reach Kafka and Redis by the names the manifests create', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    const kafka = one(objects, 'Kafka', 'meshray');
    const listener = asArray(asRecord(asRecord(kafka.spec).kafka).listeners).map(asRecord).find((l) => l.tls === false);
    const bootstrap = `${kafka.metadata.name}-kafka-bootstrap.${kafka.metadata.namespace}.svc.cluster.local:${listener?.port}`;
    for (const cm of ['meshray-receiver', 'meshray-translator']) {
      assert.equal(asRecord(one(objects, 'ConfigMap', cm).data).KAFKA_BROKERS, bootstrap, `${overlay} ${cm}`);
    }
    const redis = one(objects, 'Service', 'meshray-redis');
    const redisPort = asRecord(asArray(redis.spec?.ports)[0]).port;
    assert.equal(asRecord(one(objects, 'ConfigMap', 'meshray-translator').data).REDIS_URL,
      `redis://${redis.metadata.name}.${redis.metadata.namespace}.svc.cluster.local:${redisPort}`);
  }
});

test('Strimzi Kafka (structure; no Strimzi CRD schema on npm): KRaft with a node pool, topics with partitions and retention', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    const kafka = one(objects, 'Kafka', 'meshray');
    assert.equal(kafka.apiVersion, STRIMZI);
    assert.equal(kafka.metadata.annotations?.['strimzi.io/kraft'], 'enabled');
    assert.equal(kafka.metadata.annotations?.['strimzi.io/node-pools'], 'enabled');
    const spec = asRecord(kafka.spec);
    assert.equal(asRecord(spec).zookeeper, undefined, 'no ZooKeeper');
    const listeners = asArray(asRecord(spec.kafka).listeners).map(asRecord);
    for (const l of listeners) {
      assert.match(String(l.name), /^[a-z0-9]{1,11}$/, 'Strimzi listener name');
      assert.ok(['internal', 'route', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'].includes(String(l.type)));
      assert.equal(typeof l.port, 'number');
      assert.equal(typeof l.tls, 'boolean');
    }
    assert.ok(asRecord(spec.entityOperator).topicOperator, 'topic operator reconciles the KafkaTopics');
    const pools = byKind(objects, 'KafkaNodePool');
    assert.ok(pools.length > 0);
    const roles = new Set(pools.flatMap((p) => asArray(asRecord(p.spec).roles).map(String)));
    assert.ok(roles.has('controller') && roles.has('broker'), `${overlay}: controllers and brokers`);
    let replicasTotal = 0;
    for (const pool of pools) {
      assert.equal(pool.apiVersion, STRIMZI);
      assert.equal(pool.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name);
      const ps = asRecord(pool.spec);
      replicasTotal += Number(ps.replicas);
      const storage = asRecord(ps.storage);
      assert.ok(['jbod', 'ephemeral', 'persistent-claim'].includes(String(storage.type)));
      for (const v of asArray(storage.volumes).map(asRecord)) {
        assert.ok(['ephemeral', 'persistent-claim'].includes(String(v.type)));
        assert.equal(typeof v.id, 'number');
        if (v.type === 'persistent-claim') assert.match(String(v.size), /^\d+[GMT]i$/);
      }
      assert.ok(asArray(storage.volumes).map(asRecord).some((v) => v.kraftMetadata === 'shared'), `${overlay}: a volume holds the KRaft metadata`);
    }
    const config = asRecord(asRecord(spec.kafka).config);
    const topics = byKind(objects, 'KafkaTopic');
    for (const t of topics) {
      assert.equal(t.apiVersion, STRIMZI);
      assert.equal(t.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name);
      const ts = asRecord(t.spec);
      assert.ok(Number(ts.replicas) <= replicasTotal, `${overlay}: ${t.metadata.name} replicas ≤ brokers`);
      assert.ok(Number(asRecord(ts.config)['min.insync.replicas']) <= Number(ts.replicas));
    }
    assert.ok(Number(config['offsets.topic.replication.factor']) <= replicasTotal, `${overlay}: offsets topic replication ≤ brokers`);
    const spans = one(objects, 'KafkaTopic', 'meshray.spans');
    const dlq = one(objects, 'KafkaTopic', 'meshray.spans.dlq');
    assert.equal(asRecord(spans.spec).partitions, 12);
    assert.equal(asRecord(dlq.spec).partitions, 3);
    assert.equal(asRecord(asRecord(spans.spec).config)['retention.ms'], 24 * 3600 * 1000);
    assert.equal(asRecord(asRecord(dlq.spec).config)['retention.ms'], 7 * 24 * 3600 * 1000);
    const dlqName = asRecord(one(objects, 'ConfigMap', 'meshray-translator').data).DLQ_TOPIC;
    assert.equal(dlqName, dlq.metadata.name);
  }
});

test('NetworkPolicies: spans only from the mesh\'s proxies, metrics only from monitoring', () => {
  for (const [overlay, objects] of Object.entries(rendered)) {
    const np = one(objects, 'NetworkPolicy', 'meshray-receiver');
    assert.equal(np.metadata.namespace, 'istio-system');
    const rules = asArray(asRecord(np.spec).ingress).map(asRecord);
    const peers = JSON.stringify(rules.flatMap((r) => asArray(r.from)));
    assert.match(peers, /"istio-injection":"enabled"/);
    assert.match(peers, /"key":"istio.io\/rev","operator":"Exists"/);
    assert.match(peers, /ingressgateway/);
    assert.match(peers, /"kubernetes.io\/metadata.name":"monitoring"/);
    // Spans on the Zipkin port; Prometheus through the sidecar agent's merged metrics (9411 is STRICT mTLS).
    const ports = (fromMonitoring: boolean) => rules.filter((r) => JSON.stringify(r.from).includes('"monitoring"') === fromMonitoring).flatMap((r) => asArray(r.ports).map(asRecord).map((p) => p.port));
    assert.deepEqual(ports(false), [9411], `${overlay}: mesh proxies reach only the Zipkin port`);
    assert.deepEqual(ports(true), [15020], `${overlay}: monitoring reaches only the sidecar agent's merged metrics`);
    const tr = one(objects, 'NetworkPolicy', 'meshray-translator');
    const trRules = asArray(asRecord(tr.spec).ingress).map(asRecord);
    assert.deepEqual(trRules.flatMap((r) => asArray(r.ports).map(asRecord).map((p) => p.port)), [servicePort(SERVICES.translator!, asRecord(one(objects, 'ConfigMap', 'meshray-translator').data) as Record<string, string>)]);
    assert.match(JSON.stringify(trRules), /"kubernetes.io\/metadata.name":"monitoring"/);
  }
});

test('Istio configuration for both generations points at zipkin.istio-system:9411', async () => {
  const istio = k8sObjects().filter(({ file }) => file.includes('/k8s/istio/')).map(({ object }) => object);
  const legacy = istio.find((o) => o.kind === 'IstioOperator' && asRecord(asRecord(asRecord(o.spec).meshConfig).defaultConfig).tracing);
  assert.ok(legacy, 'istio-1.7-meshconfig.yaml IstioOperator');
  const tracing = asRecord(asRecord(asRecord(asRecord(legacy.spec).meshConfig).defaultConfig).tracing);
  assert.equal(asRecord(tracing.zipkin).address, 'zipkin.istio-system:9411');
  assert.equal(typeof tracing.sampling, 'number');
  const modern = istio.find((o) => o.kind === 'IstioOperator' && asRecord(asRecord(o.spec).meshConfig).extensionProviders);
  assert.ok(modern, 'telemetry-api.yaml IstioOperator');
  const providers = asArray(asRecord(asRecord(modern.spec).meshConfig).extensionProviders).map(asRecord);
  const meshray = providers.find((p) => p.name === 'meshray');
  assert.deepEqual({ service: asRecord(meshray?.zipkin).service, port: asRecord(meshray?.zipkin).port }, { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 });
  const telemetry = istio.find((o) => o.kind === 'Telemetry');
  assert.ok(telemetry);
  assert.equal(telemetry.metadata.namespace, 'istio-system', 'root namespace: mesh-wide');
  const t = asRecord(asArray(asRecord(telemetry.spec).tracing)[0]);
  assert.deepEqual(asArray(t.providers).map((p) => asRecord(p).name), ['meshray']);
  assert.equal(typeof t.randomSamplingPercentage, 'number');
  for (const o of istio) assert.ok(await assertValid(o, 'k8s/istio'));
});
