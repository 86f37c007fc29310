import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { K8S_DIR, asArray, asRecord, k8sObjects, podTemplates, type K8sObject } from './deploy-files.ts';
import { render } from './k8s-render.ts';
import { SERVICES, servicePort } from './service-specs.ts';

// Issue 10 §4: the manifests default to mesh mTLS. Schema validation of these objects (@kubernetes-models/istio)
// is done with every other manifest in k8s-manifests.test.ts; this file checks what they mean.
const OVERLAYS = ['overlays/local', 'overlays/eks'] as const;
const rendered = OVERLAYS.map((o) => [o, render(join(K8S_DIR, o))] as const);

const matches = (selector: unknown, labels: Record<string, unknown>): boolean =>
  Object.entries(asRecord(asRecord(selector).matchLabels)).every(([k, v]) => labels[k] === v);

function receiverPod(objects: readonly K8sObject[]) {
  const deploy = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'meshray-receiver');
  assert.ok(deploy, 'receiver Deployment');
  const [pod] = podTemplates([{ file: '', object: deploy }]);
  assert.ok(pod);
  return { deploy, ...pod };
}

test('STRICT mTLS: for meshray\'s namespace and for the receiver pods, never mesh-wide', () => {
  for (const [overlay, objects] of rendered) {
    const peer = objects.filter((o) => o.kind === 'PeerAuthentication');
    assert.ok(peer.length >= 2, overlay);
    for (const p of peer) assert.equal(asRecord(asRecord(p.spec).mtls).mode, 'STRICT', `${overlay}: ${p.metadata.name}`);
    const meshray = peer.find((p) => p.metadata.namespace === 'meshray' && asRecord(p.spec).selector === undefined);
    assert.ok(meshray, `${overlay}: a namespace-wide PeerAuthentication in meshray`);
    // istio-system is Istio's root namespace: a selector-less policy there would bind the whole mesh.
    for (const p of peer.filter((x) => x.metadata.namespace === 'istio-system')) {
      assert.ok(asRecord(p.spec).selector, `${overlay}: ${p.metadata.name} in istio-system has a selector`);
    }
    const { podLabels, deploy } = receiverPod(objects);
    const onReceiver = peer.filter((p) => p.metadata.namespace === deploy.metadata.namespace && matches(asRecord(p.spec).selector, podLabels));
    assert.equal(onReceiver.length, 1, `${overlay}: one PeerAuthentication selects the receiver pods`);
    assert.equal(podLabels['sidecar.istio.io/inject'], 'true', `${overlay}: the receiver has the sidecar that enforces it`);
  }
});

test('AuthorizationPolicy: only authenticated mesh identities (istio-system, workload service accounts) reach :9411, only POST to the span routes', () => {
  for (const [overlay, objects] of rendered) {
    const { podLabels, deploy } = receiverPod(objects);
    const receiverPort = servicePort(SERVICES.receiver!, asRecord(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'meshray-receiver')?.data) as Record<string, string>);
    const policies = objects.filter((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === deploy.metadata.namespace
      && matches(asRecord(o.spec).selector, podLabels));
    assert.equal(policies.length, 1, `${overlay}: one AuthorizationPolicy selects the receiver pods`);
    const spec = asRecord(policies[0]!.spec);
    assert.equal(spec.action ?? 'ALLOW', 'ALLOW');
    const rules = asArray(spec.rules).map(asRecord);
    assert.ok(rules.length > 0, `${overlay}: an ALLOW policy without rules would deny everything`);
    const sources = new Set<string>();
    for (const rule of rules) {
      const from = asArray(rule.from).map((f) => asRecord(asRecord(f).source));
      assert.ok(from.length > 0, `${overlay}: every rule names its sources (a rule without from admits anyone)`);
      for (const s of from) {
        const keys = Object.keys(s);
        assert.ok(keys.every((k) => k === 'namespaces' || k === 'principals'), `${overlay}: sources are mTLS identities, got ${keys.join(',')}`);
        for (const v of [...asArray(s.namespaces), ...asArray(s.principals)]) sources.add(`${keys[0]}:${String(v)}`);
      }
      const ops = asArray(rule.to).map((t) => asRecord(asRecord(t).operation));
      assert.ok(ops.length > 0, `${overlay}: every rule names its operations`);
      for (const op of ops) {
        assert.deepEqual(asArray(op.ports), [String(receiverPort)], `${overlay}: only the receiver port`);
        assert.deepEqual(asArray(op.methods), ['POST']);
        assert.deepEqual(new Set(asArray(op.paths)), new Set(['/api/v2/spans', '/api/v1/spans']));
      }
    }
    assert.deepEqual([...sources].sort(), ['namespaces:istio-system', 'principals:*']);
  }
});

test('the receiver\'s own sidecar reports no spans (no feedback loop), with and without the Telemetry API', () => {
  for (const [overlay, objects] of rendered) {
    const { deploy } = receiverPod(objects);
    const annotations = asRecord(asRecord(asRecord(asRecord(deploy.spec).template).metadata).annotations);
    assert.deepEqual(JSON.parse(String(annotations['proxy.istio.io/config'])), { tracing: { sampling: 0 } }, overlay);
    assert.equal(annotations['traffic.sidecar.istio.io/excludeOutboundPorts'], '9092', `${overlay}: Kafka bypasses the sidecar`);
  }
  const telemetry = k8sObjects().map((o) => o.object).find((o) => o.kind === 'Telemetry' && o.metadata.name === 'meshray-receiver');
  assert.ok(telemetry);
  assert.deepEqual(asArray(asRecord(telemetry.spec).tracing), [{ disableSpanReporting: true }]);
});
