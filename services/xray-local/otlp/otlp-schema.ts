/**
 * xray-local's own load of the OTLP trace protocol: the vendored opentelemetry-proto `.proto` files
 * (shared/core/otlp/proto, see its README for provenance), read with protobufjs at start-up. meshray's sender
 * (shared/core/otlp) uses an embedded descriptor instead, so the two sides decode with separately loaded
 * schemas. `google.rpc.Status` (the OTLP/HTTP error body, OTLP specification "Failures") is declared
 * here with the two fields xray-local writes (googleapis `google/rpc/status.proto`: code = 1, message = 2).
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const protoDir = fileURLToPath(new URL('../../../shared/core/otlp/proto/', import.meta.url));

function loadTraceService(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `${protoDir}${target}`;
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  const status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
  root.define('google.rpc').add(status);
  root.resolveAll();
  return root;
}

const root = loadTraceService();

export const ExportTraceServiceRequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatusType = root.lookupType('google.rpc.Status');

/** toObject options giving the OTLP/JSON value forms (64-bit integers as decimal strings, enums as numbers). */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: Array, defaults: false, arrays: true };
