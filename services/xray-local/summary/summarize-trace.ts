import type { AnnotationValue } from '../../../shared/core/xray/segment-document.ts';
import { type ServiceId, serviceIdOf, serviceKey } from './service-id.ts';
import type { TraceFacts } from './trace-facts.ts';

type AnnotationValueShape = { NumberValue: number } | { BooleanValue: boolean } | { StringValue: string };

export interface TraceSummary {
  Id: string;
  StartTime: number;
  Duration: number;
  ResponseTime: number;
  HasFault: boolean;
  HasError: boolean;
  HasThrottle: boolean;
  IsPartial: boolean;
  Http?: { HttpURL?: string; HttpStatus?: number; HttpMethod?: string; UserAgent?: string; ClientIp?: string };
  Annotations: Record<string, { AnnotationValue: AnnotationValueShape; ServiceIds: ServiceId[] }[]>;
  ServiceIds: ServiceId[];
  EntryPoint?: ServiceId;
  Users: never[];
  ResourceARNs: never[];
  InstanceIds: never[];
  AvailabilityZones: never[];
  FaultRootCauses: never[];
  ErrorRootCauses: never[];
  ResponseTimeRootCauses: never[];
  Revision: number;
}

const shapeOf = (value: AnnotationValue): AnnotationValueShape =>
  typeof value === 'number' ? { NumberValue: value } : typeof value === 'boolean' ? { BooleanValue: value } : { StringValue: value };

function httpOf(facts: TraceFacts): TraceSummary['Http'] {
  const request = facts.root?.http?.request;
  const response = facts.root?.http?.response;
  if (!request && !response) return undefined;
  const http: NonNullable<TraceSummary['Http']> = {};
  if (request?.url !== undefined) http.HttpURL = request.url;
  if (response?.status !== undefined) http.HttpStatus = response.status;
  if (request?.method !== undefined) http.HttpMethod = request.method;
  if (request?.user_agent !== undefined) http.UserAgent = request.user_agent;
  if (request?.client_ip !== undefined) http.ClientIp = request.client_ip;
  return http;
}

/** A GetTraceSummaries entry; root causes, users and resources are not tracked by xray-local (empty). */
export function summarizeTrace(facts: TraceFacts): TraceSummary {
  const segmentsById = new Map(facts.entities.filter((e) => e.kind === 'segment').map((e) => [e.id, e.doc]));
  const services = new Map<string, ServiceId>();
  for (const doc of segmentsById.values()) services.set(serviceKey(serviceIdOf(doc)), serviceIdOf(doc));

  const annotations: TraceSummary['Annotations'] = {};
  for (const entity of facts.entities) {
    const owner = entity.ownerSegmentId === undefined ? undefined : segmentsById.get(entity.ownerSegmentId);
    for (const [key, value] of Object.entries(entity.doc.annotations ?? {})) {
      const values = (annotations[key] ??= []);
      const shape = shapeOf(value);
      let entry = values.find((v) => JSON.stringify(v.AnnotationValue) === JSON.stringify(shape));
      if (!entry) {
        entry = { AnnotationValue: shape, ServiceIds: [] };
        values.push(entry);
      }
      if (owner && !entry.ServiceIds.some((s) => serviceKey(s) === serviceKey(serviceIdOf(owner)))) entry.ServiceIds.push(serviceIdOf(owner));
    }
  }

  const summary: TraceSummary = {
    Id: facts.trace.traceId,
    StartTime: facts.startSec,
    Duration: facts.durationSec,
    ResponseTime: facts.responseTimeSec,
    HasFault: facts.hasFault,
    HasError: facts.hasError,
    HasThrottle: facts.hasThrottle,
    IsPartial: facts.isPartial,
    Annotations: annotations,
    ServiceIds: [...services.values()],
    Users: [],
    ResourceARNs: [],
    InstanceIds: [],
    AvailabilityZones: [],
    FaultRootCauses: [],
    ErrorRootCauses: [],
    ResponseTimeRootCauses: [],
    Revision: facts.trace.segments.size,
  };
  const http = httpOf(facts);
  if (http) summary.Http = http;
  if (facts.root) summary.EntryPoint = serviceIdOf(facts.root);
  return summary;
}
