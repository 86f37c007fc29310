import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { accept, refuse, type Outcome } from './outcome.ts';

/** What the Content-Type says the body is; `unspecified` when it does not say (the body is sniffed). */
export type MediaType = 'json' | 'proto' | 'unspecified';

const BY_ESSENCE: Readonly<Record<string, MediaType>> = {
  'application/json': 'json',
  'application/x-protobuf': 'proto',
  'application/protobuf': 'proto',
};

/**
 * Reads a Content-Type header (parameters such as charset are ignored). As Zipkin's collector does
 * (zipkin-server ZipkinHttpCollector: only protobuf and Thrift have routes of their own, any other type is
 * decoded as JSON), a type it does not name (none, `text/plain`, curl -d's `application/x-www-form-urlencoded`)
 * is not refused: the body is sniffed. Thrift, which meshray does not read, is refused.
 */
export function parseMediaType(contentType: string | undefined): Outcome<MediaType> {
  const essence = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (essence === 'application/x-thrift') {
    return refuse(new MeshrayError('UNSUPPORTED_MEDIA_TYPE',
      'Zipkin Thrift ("application/x-thrift") is not read: send Zipkin JSON (application/json), or protobuf to /api/v2/spans'));
  }
  return accept(BY_ESSENCE[essence] ?? 'unspecified');
}
