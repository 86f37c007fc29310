import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { accept, refuse, type Outcome } from './outcome.ts';

/** What the Content-Type says the body is; `unspecified` when there is none (the body is sniffed). */
export type MediaType = 'json' | 'proto' | 'unspecified';

const BY_ESSENCE: Readonly<Record<string, MediaType>> = {
  'application/json': 'json',
  'application/x-protobuf': 'proto',
  'application/protobuf': 'proto',
};

/** Reads a Content-Type header (parameters such as charset are ignored). */
export function parseMediaType(contentType: string | undefined): Outcome<MediaType> {
  const essence = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (essence === '') return accept('unspecified');
  const type = BY_ESSENCE[essence];
  if (type) return accept(type);
  return refuse(new MeshrayError('UNSUPPORTED_MEDIA_TYPE',
    `unsupported Content-Type "${essence}": use application/json or application/x-protobuf`));
}
