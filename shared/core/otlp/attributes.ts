/**
 * Envoy/Istio Zipkin tags → OpenTelemetry span and resource attributes, in the current (stable) semantic
 * conventions: HTTP spans (semconv "Semantic conventions for HTTP spans", v1.23+ names:
 * `http.request.method`, `http.response.status_code`, `url.full`, `server.address`, `server.port`,
 * `client.address`, `network.peer.address`, `network.protocol.version`, `user_agent.original`,
 * `http.request.body.size`, `http.response.body.size`), gRPC (`rpc.grpc.status_code`), Kubernetes and
 * service resources (`service.name`, `service.namespace`, `k8s.pod.name`, `k8s.namespace.name`, `host.ip`,
 * `cloud.availability_zone`). Tags with no convention keep their Envoy name (`upstream_cluster`,
 * `response_flags`, `node_id`, `istio.*`, …), so nothing the sidecar said is lost.
 */
import type { Span } from '../zipkin/span.ts';
import { parseNonNegativeInt, statusOf } from '../xray/http.ts';
import { hostOfUrl, stripPort, workloadOfNodeId, workloadOfPod } from '../xray/span-kind.ts';
import type { AnyValue, KeyValue } from './otlp-request.ts';

export const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
export const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(Math.trunc(value)) } });
export const strArray = (key: string, values: readonly string[]): KeyValue => ({
  key,
  value: { arrayValue: { values: values.map((v): AnyValue => ({ stringValue: v })) } },
});

/** Known methods (semconv `http.request.method`); any other becomes `_OTHER` with the original kept. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

/** Tags whose content is carried by a semantic-convention attribute (not repeated under the Envoy name unless allowlisted as an annotation). */
const MAPPED_TAGS = new Set([
  'http.method',
  'http.status_code',
  'http.url',
  'http.protocol',
  'user_agent',
  'http.user_agent',
  'request_size',
  'response_size',
  'peer.address',
  'grpc.status_code',
  'guid:x-request-id',
  'error',
]);

/**
 * The mapped tags that `spanAttributesOf` may also keep under their own name (`keepNamed`), each with the
 * convention's attribute that carries it and how its value becomes that attribute (undefined: not carried).
 * One table for both: `spanAttributesOf` writes the attributes from it, and ENVOY_TWIN is read from it.
 */
const TWINNED = {
  requestSize: { tag: 'request_size', attribute: 'http.request.body.size', of: (v: string, a: string) => sizeAttribute(a, v) },
  responseSize: { tag: 'response_size', attribute: 'http.response.body.size', of: (v: string, a: string) => sizeAttribute(a, v) },
  requestId: { tag: 'guid:x-request-id', attribute: 'http.request.header.x-request-id', of: (v: string, a: string): KeyValue => strArray(a, [v]) },
} as const satisfies Record<string, { tag: string; attribute: string; of: (value: string, attribute: string) => KeyValue | undefined }>;

function sizeAttribute(attribute: string, value: string): KeyValue | undefined {
  const size = parseNonNegativeInt(value);
  return size === undefined ? undefined : int(attribute, size);
}

/** `out` gets the attribute that carries `twin`'s tag, when the span has the tag and its value converts. */
function pushTwinned(out: KeyValue[], tags: Readonly<Record<string, string>>, twin: (typeof TWINNED)[keyof typeof TWINNED]): void {
  const value = tags[twin.tag];
  if (value === undefined) return;
  const kv = twin.of(value, twin.attribute);
  if (kv !== undefined) out.push(kv);
}

/**
 * A convention's attribute → the Envoy tag it carries, for the mapped tags `spanAttributesOf` may also keep under
 * their own name (`keepNamed`): fit.ts drops such a twin first when that alone makes a span fit.
 */
export const ENVOY_TWIN: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.values(TWINNED).map((t) => [t.attribute, t.tag])),
);

/** `host:port` split; port undefined when absent or not a number. */
function hostPort(address: string): { host: string; port: number | undefined } {
  const host = stripPort(address);
  let rest = address.slice(address.startsWith('[') ? address.indexOf(']') + 1 : host.length);
  if (rest.startsWith(':')) rest = rest.slice(1);
  return { host, port: parseNonNegativeInt(rest) };
}

function portOfUrl(url: string): number | undefined {
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  const afterScheme = url.slice(scheme + 3);
  const end = afterScheme.search(/[/?#]/);
  let authority = end >= 0 ? afterScheme.slice(0, end) : afterScheme;
  authority = authority.slice(authority.lastIndexOf('@') + 1);
  const explicit = hostPort(authority).port;
  if (explicit !== undefined) return explicit;
  const s = url.slice(0, scheme).toLowerCase();
  return s === 'https' ? 443 : s === 'http' ? 80 : undefined;
}

/**
 * The span's attributes from its tags; `isServer` selects the receiving-side names (client.address). A tag in
 * `keepNamed` (the ANNOTATION_TAGS allowlist) is also kept under its Envoy name when a convention carries it
 * (`guid:x-request-id`, `request_size`, …), so the annotation it becomes through `aws.xray.annotations` has the
 * segments path's key and an `annotation.guid_x_request_id` filter finds the trace on both paths (a newcomer
 * trial found three default annotations missing on the OTLP path).
 */
export function spanAttributesOf(span: Span, isServer: boolean, keepNamed?: ReadonlySet<string>): KeyValue[] {
  const tags = span.tags;
  const out: KeyValue[] = [];
  const method = tags['http.method'];
  if (method !== undefined && method.length > 0) {
    const upper = method.toUpperCase();
    if (KNOWN_METHODS.has(upper)) out.push(str('http.request.method', upper));
    else out.push(str('http.request.method', '_OTHER'), str('http.request.method_original', method));
  }
  const status = statusOf(tags);
  if (status !== undefined) out.push(int('http.response.status_code', status));
  const url = tags['http.url'];
  if (url !== undefined && url.length > 0) {
    out.push(str('url.full', url));
    const host = hostOfUrl(url);
    if (host !== undefined) out.push(str('server.address', host));
    const port = portOfUrl(url);
    if (port !== undefined) out.push(int('server.port', port));
    const scheme = url.indexOf('://');
    if (scheme > 0) out.push(str('url.scheme', url.slice(0, scheme).toLowerCase()));
  }
  const protocol = tags['http.protocol'];
  if (protocol !== undefined) {
    const slash = protocol.indexOf('/');
    if (slash > 0) {
      out.push(str('network.protocol.name', protocol.slice(0, slash).toLowerCase()));
      out.push(str('network.protocol.version', protocol.slice(slash + 1)));
    } else if (protocol.length > 0) out.push(str('network.protocol.name', protocol.toLowerCase()));
  }
  const userAgent = tags['user_agent'] ?? tags['http.user_agent'];
  if (userAgent !== undefined && userAgent.length > 0) out.push(str('user_agent.original', userAgent));
  pushTwinned(out, tags, TWINNED.requestSize);
  pushTwinned(out, tags, TWINNED.responseSize);
  const peer = tags['peer.address'];
  if (peer !== undefined && peer.length > 0) {
    const { host, port } = hostPort(peer);
    out.push(str('network.peer.address', host));
    if (port !== undefined) out.push(int('network.peer.port', port));
    if (isServer) out.push(str('client.address', host));
  }
  const grpcStatus = parseNonNegativeInt(tags['grpc.status_code']);
  if (grpcStatus !== undefined) {
    out.push(str('rpc.system', 'grpc'));
    out.push(int('rpc.grpc.status_code', grpcStatus));
  }
  pushTwinned(out, tags, TWINNED.requestId);
  const errorTag = tags['error'];
  if (errorTag !== undefined && errorTag !== 'false' && errorTag.length > 0 && errorTag !== 'true') out.push(str('error.type', errorTag));
  for (const key of Object.keys(tags).sort()) {
    if (MAPPED_TAGS.has(key) && (keepNamed === undefined || !keepNamed.has(key))) continue;
    out.push(str(key, tags[key] as string));
  }
  return out;
}

/**
 * Resource attributes of the workload that recorded the span: `service.name` (given, already named as
 * the segments path names it), the pod and namespace parsed from Envoy's `node_id`
 * (`sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`), `istio.canonical_*` tags, the
 * local endpoint's address and the `zone` tag.
 */
export function resourceAttributesOf(span: Span, serviceName: string): KeyValue[] {
  const tags = span.tags;
  const out: KeyValue[] = [str('service.name', serviceName)];
  const canonicalRevision = tags['istio.canonical_revision'];
  if (canonicalRevision !== undefined && canonicalRevision.length > 0) out.push(str('service.version', canonicalRevision));
  const nodeId = tags['node_id'];
  let namespace = tags['istio.namespace'];
  if (nodeId !== undefined) {
    const parts = nodeId.split('~');
    if (parts.length >= 4) {
      const podDotNs = parts[2] ?? '';
      const dot = podDotNs.indexOf('.');
      const pod = dot >= 0 ? podDotNs.slice(0, dot) : podDotNs;
      if (pod.length > 0) {
        out.push(str('k8s.pod.name', pod));
        const workload = workloadOfPod(pod);
        if (workload !== pod) out.push(str('k8s.deployment.name', workload));
      }
      if (dot >= 0 && namespace === undefined) namespace = podDotNs.slice(dot + 1);
      const proxy = parts[0];
      if (proxy !== undefined && proxy.length > 0) out.push(str('istio.proxy.type', proxy));
    } else if (workloadOfNodeId(nodeId) === undefined && nodeId.length > 0) out.push(str('service.instance.id', nodeId));
  }
  if (namespace !== undefined && namespace.length > 0) {
    out.push(str('k8s.namespace.name', namespace));
    out.push(str('service.namespace', namespace));
  }
  const ip = span.localEndpoint?.ipv4 ?? span.localEndpoint?.ipv6;
  if (ip !== undefined) out.push(strArray('host.ip', [ip]));
  const zone = tags['zone'];
  if (zone !== undefined && zone.length > 0) out.push(str('cloud.availability_zone', zone));
  const mesh = tags['istio.mesh_id'];
  if (mesh !== undefined && mesh.length > 0) out.push(str('istio.mesh_id', mesh));
  return out;
}
