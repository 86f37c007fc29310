import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostOfUrl,
  localServiceOf,
  outboundServiceOf,
  remoteServiceOf,
  resolveKind,
  stripPort,
  workloadOfNodeId,
  workloadOfPod,
} from '../../../../../shared/core/xray/span-kind.ts';
import type { SpanKind } from '../../../../../shared/core/zipkin/span.ts';
import { span } from './support.ts';

test('kind repair table (Istio ≤ 1.7.3 marks every sidecar span CLIENT)', () => {
  const cases: [SpanKind | undefined, Record<string, string>, SpanKind | undefined, boolean][] = [
    ['CLIENT', { upstream_cluster: 'inbound|9080|http|productpage.default.svc.cluster.local' }, 'SERVER', true],
    ['CLIENT', { upstream_cluster: 'outbound|9080||details.default.svc.cluster.local' }, 'CLIENT', false],
    ['SERVER', { upstream_cluster: 'outbound|9080||details.default.svc.cluster.local' }, 'CLIENT', true],
    ['SERVER', { upstream_cluster: 'outbound|9080||details.default.svc.cluster.local', node_id: 'sidecar~10.0.0.5~details-v1-1.default~default.svc.cluster.local' }, 'CLIENT', true],
    // A gateway's server side routes to an outbound cluster; its call is a separate CLIENT span.
    ['SERVER', { upstream_cluster: 'outbound|9080||productpage.default.svc.cluster.local', node_id: 'router~10.0.1.19~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local' }, 'SERVER', false],
    ['CLIENT', { upstream_cluster: 'outbound|9080||productpage.default.svc.cluster.local', node_id: 'router~10.0.1.19~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local' }, 'CLIENT', false],
    [undefined, { upstream_cluster: 'inbound|9080||' }, 'SERVER', true],
    ['CLIENT', { 'upstream_cluster.name': 'inbound|9080||' }, 'SERVER', true],
    ['CONSUMER', { upstream_cluster: 'inbound|9080||' }, 'CONSUMER', false],
    ['PRODUCER', { upstream_cluster: 'outbound|9092||kafka.default.svc.cluster.local' }, 'PRODUCER', false],
    ['SERVER', { upstream_cluster: 'serving-tests/tracing-bdectujw' }, 'SERVER', false],
    ['CLIENT', {}, 'CLIENT', false],
    [undefined, {}, undefined, false],
  ];
  for (const [given, tags, kind, repaired] of cases) {
    const s = given === undefined ? span({ tags }) : span({ kind: given, tags });
    const input = given === undefined ? (({ kind: _k, ...rest }) => rest)(s) : s;
    assert.deepEqual(resolveKind(input), { kind, repaired }, `${given} ${JSON.stringify(tags)}`);
  }
});

test('outbound cluster → service, cut at .svc.', () => {
  assert.equal(outboundServiceOf('outbound|9080||details.default.svc.cluster.local'), 'details.default');
  assert.equal(outboundServiceOf('outbound|9080|v2|reviews.default.svc.cluster.local'), 'reviews.default');
  assert.equal(outboundServiceOf('outbound|443||httpbin.org'), 'httpbin.org');
  assert.equal(outboundServiceOf('inbound|9080||'), undefined);
  assert.equal(outboundServiceOf('service_google'), undefined);
});

test('remote service fallbacks: cluster, remoteEndpoint, url host, peer.address, plain cluster name', () => {
  const cases: [Parameters<typeof span>[0], string | undefined][] = [
    [{ kind: 'CLIENT', tags: { upstream_cluster: 'outbound|9080||details.default.svc.cluster.local' }, remoteEndpoint: { serviceName: 'x' } }, 'details.default'],
    [{ kind: 'CLIENT', remoteEndpoint: { serviceName: 'backend' }, tags: { 'http.url': 'http://h/x' } }, 'backend'],
    [{ kind: 'CLIENT', tags: { 'http.url': 'https://user@api.example.com:8443/v1?q=1', 'peer.address': '1.2.3.4:80' } }, 'api.example.com'],
    [{ kind: 'CLIENT', tags: { 'peer.address': '10.0.0.9:9080' } }, '10.0.0.9'],
    [{ kind: 'CLIENT', tags: { upstream_cluster: 'service_google' } }, 'service_google'],
    [{ kind: 'CLIENT', tags: {} }, undefined],
  ];
  for (const [overrides, expected] of cases) assert.equal(remoteServiceOf(span(overrides)), expected, JSON.stringify(overrides));
});

test('url host and port stripping', () => {
  assert.equal(hostOfUrl('http://35.232.140.107/productpage'), '35.232.140.107');
  assert.equal(hostOfUrl('http://[::1]:8080/x'), '::1');
  assert.equal(hostOfUrl('/relative'), undefined);
  assert.equal(stripPort('10.244.1.1'), '10.244.1.1');
  assert.equal(stripPort('10.244.1.1:41234'), '10.244.1.1');
  assert.equal(stripPort('2001:db8::1'), '2001:db8::1');
  assert.equal(stripPort('[2001:db8::1]:443'), '2001:db8::1');
});

test('local service: serviceName, then istio canonical service, then node_id workload', () => {
  const noName = { localEndpoint: { ipv4: '10.0.0.1' } };
  assert.equal(localServiceOf(span()), 'productpage.default');
  assert.equal(localServiceOf(span({ ...noName, tags: { 'istio.canonical_service': 'sleep', 'istio.namespace': 'default' } })), 'sleep.default');
  assert.equal(localServiceOf(span({ ...noName, tags: { 'istio.canonical_service': 'sleep' } })), 'sleep');
  assert.equal(
    localServiceOf(span({ ...noName, tags: { node_id: 'sidecar~10.0.0.12~productpage-v1-6c668694dc-6x2xd.default~default.svc.cluster.local' } })),
    'productpage-v1.default',
  );
  assert.equal(localServiceOf(span({ ...noName, tags: { node_id: '3scale-kourier-gateway' } })), undefined);
});

test('pod → workload', () => {
  assert.equal(workloadOfPod('productpage-v1-6c668694dc-6x2xd'), 'productpage-v1');
  assert.equal(workloadOfPod('istio-ingressgateway-75b84dd8bf-72qrp'), 'istio-ingressgateway');
  assert.equal(workloadOfPod('fluentd-x7k2z'), 'fluentd');
  assert.equal(workloadOfPod('redis-0'), 'redis');
  assert.equal(workloadOfPod('productpage-v1'), 'productpage-v1');
  assert.equal(workloadOfNodeId('router~10.0.1.19~istio-ingressgateway-75b84dd8bf-72qrp.istio-system~istio-system.svc.cluster.local'), 'istio-ingressgateway.istio-system');
});
