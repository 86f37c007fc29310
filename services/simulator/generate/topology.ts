/**
 * The Bookinfo mesh: its workloads (one pod each), their proxies' identities, and who calls whom. In ambient
 * mode the services have no sidecars: the namespace's waypoint (`waypoint`, Istio's default name for
 * `istioctl waypoint apply`) reports their layer 7 spans, and ztunnel reports none.
 */
import type { Flavour } from './flavour.ts';

export type ServiceName = 'istio-ingressgateway' | 'productpage' | 'details' | 'reviews' | 'ratings';
export const SERVICE_NAMES: readonly ServiceName[] = ['istio-ingressgateway', 'productpage', 'details', 'reviews', 'ratings'];

export interface Workload {
  /** Deployment name, e.g. `reviews-v2`: the key of its sidecar's span buffer. */
  readonly name: string;
  readonly service: ServiceName;
  readonly version: string;
  readonly namespace: string;
  readonly pod: string;
  readonly ipv4: string;
  readonly zone: string;
  /** `sidecar~ip~pod.ns~ns.svc.cluster.local`, or `router~…` for the gateway. */
  readonly nodeId: string;
}

/** A namespace's waypoint proxy (ambient mode): one Envoy reporting the layer 7 spans of every service it serves. */
export interface Waypoint {
  /** Deployment name, `waypoint`: the key of its span buffer. */
  readonly name: string;
  readonly namespace: string;
  readonly pod: string;
  readonly ipv4: string;
  readonly zone: string;
  /** `waypoint~ip~pod.ns~ns.svc.cluster.local` (istio/istio#54901). */
  readonly nodeId: string;
}

function workload(service: ServiceName, version: string, namespace: string, podSuffix: string, ipv4: string, zone: string): Workload {
  const name = service === 'istio-ingressgateway' ? service : `${service}-${version}`;
  const pod = `${name}-${podSuffix}`;
  const role = service === 'istio-ingressgateway' ? 'router' : 'sidecar';
  return { name, service, version, namespace, pod, ipv4, zone, nodeId: `${role}~${ipv4}~${pod}.${namespace}~${namespace}.svc.cluster.local` };
}

function waypoint(namespace: string, podSuffix: string, ipv4: string, zone: string): Waypoint {
  const pod = `waypoint-${podSuffix}`;
  return { name: 'waypoint', namespace, pod, ipv4, zone, nodeId: `waypoint~${ipv4}~${pod}.${namespace}~${namespace}.svc.cluster.local` };
}

export const GATEWAY = workload('istio-ingressgateway', 'latest', 'istio-system', '75b84dd8bf-72qrp', '10.0.1.19', 'us-central1-a');
export const PRODUCTPAGE = workload('productpage', 'v1', 'default', '6c668694dc-6x2xd', '10.0.0.12', 'us-central1-a');
export const DETAILS = workload('details', 'v1', 'default', '7964b4bb49-zv4n9', '10.0.1.21', 'us-central1-a');
export const REVIEWS = {
  v1: workload('reviews', 'v1', 'default', '5b86c7bd7c-xkq4t', '10.0.2.8', 'us-central1-b'),
  v2: workload('reviews', 'v2', 'default', '664994896d-6plc5', '10.0.3.11', 'us-central1-b'),
  v3: workload('reviews', 'v3', 'default', '7dbcdcbc56-2wvqz', '10.0.2.9', 'us-central1-b'),
} as const;
export const RATINGS = workload('ratings', 'v1', 'default', '7bb4dbd557-qdvj5', '10.0.3.10', 'us-central1-a');

/** Every workload that emits spans in sidecar mode, i.e. every sidecar (and the gateway). */
export const WORKLOADS: readonly Workload[] = [GATEWAY, PRODUCTPAGE, DETAILS, REVIEWS.v1, REVIEWS.v2, REVIEWS.v3, RATINGS];

/** One waypoint per namespace that has Bookinfo services (`default`); the gateway's namespace has none. */
export const WAYPOINTS: Readonly<Record<string, Waypoint>> = Object.freeze({
  default: waypoint('default', '5f89fbb8b5-nmdsg', '10.0.4.7', 'us-central1-a'),
});

/** The waypoint serving `namespace` (ambient mode). */
export function waypointOf(namespace: string): Waypoint {
  const found = WAYPOINTS[namespace];
  if (found === undefined) throw new RangeError(`no waypoint in namespace ${namespace}`);
  return found;
}

/** The workload a sidecar-mode emitter name stands for (`reviews-v2`, `istio-ingressgateway`). */
export function workloadNamed(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

/** `details.default.svc.cluster.local` */
export const hostOf = (w: Workload): string => `${w.service}.${w.namespace}.svc.cluster.local`;

/** `localEndpoint.serviceName` as the flavour's Istio sets it (`--service-cluster`). */
export function serviceNameOf(w: Workload, flavour: Flavour): string {
  if (w.service === 'istio-ingressgateway') return flavour === 'modern' || flavour === 'ambient' ? `${w.service}.${w.namespace}` : w.service;
  return `${w.service}.${w.namespace}`;
}

export const outboundClusterOf = (callee: Workload): string => `outbound|9080||${hostOf(callee)}`;

export const inboundClusterOf = (callee: Workload, flavour: Flavour): string =>
  flavour === 'modern' || flavour === 'ambient' ? 'inbound|9080||' : `inbound|9080|http|${hostOf(callee)}`;

/** A waypoint's cluster for a service it serves (listener_waypoint.go: `BuildSubsetKey(TrafficDirectionInboundVIP, "http", host, port)`). */
export const inboundVipClusterOf = (callee: Workload): string => `inbound-vip|9080|http|${hostOf(callee)}`;
