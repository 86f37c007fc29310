/**
 * Fitting one OTLP span into the endpoint's span size limit (CloudWatch "OTLP Endpoints": 200 KB per span): quick
 * size bounds first, the exact OTLP/JSON size only when the bounds do not settle it, then the largest
 * non-essential attributes dropped one by one, then the events. Pure.
 */
import type { KeyValue, OtlpEvent, OtlpSpan } from './otlp-request.ts';
import { ENVOY_TWIN, str, strArray } from './attributes.ts';
import { spanJsonBytes } from './encode.ts';
import { MAX_DROPPED_NAME_CHARS, MAX_DROPPED_NAMES, truncateChars } from '../xray/limits.ts';

/** Marks a trimmed span: what was dropped (`attributes`, `attributes,events` or `events`). */
export const TRIMMED_KEY = 'meshray.trimmed';
/** Names the attributes a trimmed span lost (the segments path's `metadata.meshray.droppedMetadata`). */
export const TRIMMED_ATTRIBUTES_KEY = 'meshray.trimmed_attributes';

/** Attributes a trimmed span keeps: what names its node and edge and says whether it failed. */
const ESSENTIAL = new Set([
  'http.request.method',
  'http.response.status_code',
  'rpc.grpc.status_code',
  'aws.remote.service',
  'peer.service',
  'server.address',
  'server.port',
  'meshray.kind_repaired_from',
  'meshray.zipkin_span_id',
]);

const keyValueBytes = (kv: KeyValue): number => JSON.stringify(kv).length;

/** Characters of a value's strings (AnyValue), for the quick size bounds. */
function valueUnits(value: KeyValue['value']): number {
  if ('stringValue' in value) return value.stringValue.length;
  if ('intValue' in value) return value.intValue.length;
  if ('arrayValue' in value) return value.arrayValue.values.reduce((n, v) => n + valueUnits(v) + 24, 0);
  return 24;
}

/**
 * Quick bounds on a span's size without serializing it: `json` ≥ its OTLP/JSON UTF-8 bytes (each UTF-16
 * unit is at most 6 bytes once escaped, plus a generous allowance per member), `proto` ≥ its protobuf
 * bytes (at most 3 bytes per unit plus tags and lengths).
 */
export function sizeBounds(span: OtlpSpan): { json: number; proto: number } {
  let units = span.name.length;
  let members = 16;
  for (const kv of span.attributes) {
    units += kv.key.length + valueUnits(kv.value);
    members += 1;
  }
  for (const e of span.events) {
    units += e.name.length + e.timeUnixNano.length;
    members += 2;
    for (const kv of e.attributes) {
      units += kv.key.length + valueUnits(kv.value);
      members += 1;
    }
  }
  if (span.status.message !== undefined) units += span.status.message.length;
  return { json: 6 * units + 48 * members + 256, proto: 3 * units + 24 * members + 128 };
}

/**
 * The span if it fits `maxBytes` (OTLP/JSON bytes), with an upper bound of its protobuf bytes; else a
 * trimmed copy that does; undefined when nothing fits. A trimmed copy says so: `meshray.trimmed`
 * (`attributes`, `attributes,events` or `events`), the counts in `droppedAttributesCount` / `droppedEventsCount`, and
 * TRIMMED_ATTRIBUTES_KEY names the dropped attributes (the first MAX_DROPPED_NAMES, largest first, each cut to
 * MAX_DROPPED_NAME_CHARS) when they fit too: the names never cost an attribute nor the span (the same
 * attributes are dropped as without them; a newcomer could not tell which tag a 2 MB value was).
 */
export function fitSpan(span: OtlpSpan, maxBytes: number): { span: OtlpSpan; bytes: number } | undefined {
  const bounds = sizeBounds(span);
  if (bounds.json <= maxBytes) return { span, bytes: bounds.proto };
  const bytes = spanJsonBytes(span);
  if (bytes <= maxBytes) return { span, bytes };
  // A tag of the span's own under a marker's name would be a second attribute of that key (OTLP keys are unique):
  // it goes first, counted and named like any other dropped attribute.
  const isMarker = (kv: KeyValue): boolean => kv.key === TRIMMED_KEY || kv.key === TRIMMED_ATTRIBUTES_KEY;
  const keys = new Set(span.attributes.map((kv) => kv.key));
  const twinned = (kv: KeyValue): boolean => { const envoy = ENVOY_TWIN[kv.key]; return envoy !== undefined && keys.has(envoy); };
  const droppable = span.attributes.filter((kv) => !ESSENTIAL.has(kv.key) && !isMarker(kv)).sort((a, b) => keyValueBytes(b) - keyValueBytes(a));
  const dropped = new Set<KeyValue>(span.attributes.filter(isMarker)); // in dropping order
  const marked = (events: readonly OtlpEvent[], droppedEvents: number, what: string): OtlpSpan => ({
    ...span,
    attributes: [...span.attributes.filter((kv) => !dropped.has(kv)), str(TRIMMED_KEY, what)],
    droppedAttributesCount: span.droppedAttributesCount + dropped.size,
    events,
    droppedEventsCount: span.droppedEventsCount + droppedEvents,
  });
  const named = (fitted: { span: OtlpSpan; bytes: number }): { span: OtlpSpan; bytes: number } => {
    if (dropped.size === 0) return fitted;
    const names = [...dropped].slice(0, MAX_DROPPED_NAMES).map((kv) => truncateChars(kv.key, MAX_DROPPED_NAME_CHARS));
    const withNames = { ...fitted.span, attributes: [...fitted.span.attributes, strArray(TRIMMED_ATTRIBUTES_KEY, names)] };
    const withNamesBytes = spanJsonBytes(withNames);
    return withNamesBytes <= maxBytes ? { span: withNames, bytes: withNamesBytes } : fitted;
  };
  // A convention's attribute whose Envoy-named twin is kept for an annotation (attributes.ts keepNamed) holds a
  // value found in that twin: when dropping such attributes alone makes the span fit, nothing else goes (found by
  // review: a large request id kept twice cost another tag); when it does not, they stay and the largest go.
  const twins = droppable.filter(twinned);
  for (const kv of twins) {
    dropped.add(kv);
    const candidate = marked(span.events, 0, 'attributes');
    const candidateBytes = spanJsonBytes(candidate);
    if (candidateBytes <= maxBytes) return named({ span: candidate, bytes: candidateBytes });
  }
  for (const kv of twins) dropped.delete(kv);
  for (const kv of droppable) {
    dropped.add(kv);
    const candidate = marked(span.events, 0, 'attributes');
    const candidateBytes = spanJsonBytes(candidate);
    if (candidateBytes <= maxBytes) return named({ span: candidate, bytes: candidateBytes });
  }
  const withoutEvents = marked([], span.events.length, dropped.size > 0 ? 'attributes,events' : 'events');
  const lastBytes = spanJsonBytes(withoutEvents);
  return lastBytes <= maxBytes ? named({ span: withoutEvents, bytes: lastBytes }) : undefined;
}
