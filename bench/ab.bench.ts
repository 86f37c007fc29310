/**
 * A/B of meshray's hand-written fast paths against the general tools they replace (`BENCH=ab`), on the Bookinfo
 * fixture's spans, one core, items per CPU second (codec.bench.ts's `rate`): a fast path stays only where it is
 * at least 1.5× faster (issue 9).
 * - Avro writer: span-writer.ts (`writeSpanDirect`) vs avsc's compiled type (`Type.toBuffer` of the record copy);
 * - Avro reader: span-reader.ts (`readSpanDirect`) vs scanDatum + avsc `fromBuffer` + the record → Span copy;
 * - span-list value (v2, the receiver's records): the direct reader vs avsc;
 * - JSON: xray/serialize.ts `zipkinMetadataJsonOf` vs `JSON.stringify` of the same object built per span.
 */
import {
  decodeSpansVia, decodeSpanVia, encodeSpanItems, encodeSpanVia, SPAN_LIST_SCHEMA_FINGERPRINT, SPAN_SCHEMA_FINGERPRINT,
} from '../shared/core/avro/span-codec.ts';
import { spanListValueOf } from '../shared/core/avro/index.ts';
import { zipkinMetadataJsonOf } from '../shared/core/xray/serialize.ts';
import type { Span } from '../shared/core/zipkin/span.ts';
import { bookinfoSpans, rate } from './codec.bench.ts';
import type { BenchFigure } from './translate.bench.ts';

function ab(name: string, unit: string, fast: () => number, general: () => number): BenchFigure[] {
  const a = rate(fast);
  const b = rate(general);
  return [
    { name: `${name}: meshray's own`, value: a, unit },
    { name: `${name}: general (avsc / JSON.stringify)`, value: b, unit },
    { name: `${name}: speed-up`, value: Math.round((a / b) * 100) / 100, unit: '×', target: '>= 1.5 to keep' },
  ];
}

const metadataObject = (s: Span) => ({
  traceId: s.traceId, id: s.id, parentId: s.parentId, kind: s.kind, name: s.name, localEndpoint: s.localEndpoint,
  remoteEndpoint: s.remoteEndpoint, shared: s.shared === true ? true : undefined, annotations: s.annotations.length > 0 ? s.annotations : undefined,
});

export function runAbBench(): BenchFigure[] {
  const spans = bookinfoSpans();
  const bytes = spans.map((s) => encodeSpanVia(s, true));
  const list = spanListValueOf([encodeSpanItems(spans)], spans.length);
  let sink = 0;
  const figures = [
    ...ab('Avro encode, Bookinfo spans', 'spans/s',
      () => { for (const s of spans) sink += encodeSpanVia(s, true).length; return spans.length; },
      () => { for (const s of spans) sink += encodeSpanVia(s, false).length; return spans.length; }),
    ...ab('Avro decode, Bookinfo spans', 'spans/s',
      () => { for (const b of bytes) if (!decodeSpanVia(b, SPAN_SCHEMA_FINGERPRINT, true).ok) throw new Error('decode'); return bytes.length; },
      () => { for (const b of bytes) if (!decodeSpanVia(b, SPAN_SCHEMA_FINGERPRINT, false).ok) throw new Error('decode'); return bytes.length; }),
    ...ab('Avro decode of a span list (v2 record), Bookinfo spans', 'spans/s',
      () => { if (!decodeSpansVia(list, SPAN_LIST_SCHEMA_FINGERPRINT, true).ok) throw new Error('decode'); return spans.length; },
      () => { if (!decodeSpansVia(list, SPAN_LIST_SCHEMA_FINGERPRINT, false).ok) throw new Error('decode'); return spans.length; }),
    ...ab('JSON metadata.zipkin of a span', 'spans/s',
      () => { for (const s of spans) sink += zipkinMetadataJsonOf(s).length; return spans.length; },
      () => { for (const s of spans) sink += JSON.stringify(metadataObject(s)).length; return spans.length; }),
  ];
  if (sink === 0) throw new Error('nothing written');
  return figures;
}
