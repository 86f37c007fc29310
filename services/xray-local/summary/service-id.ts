import type { SegmentDocument } from '../../../shared/core/xray/segment-document.ts';

/** A service as the X-Ray API names it (ServiceId): name, aliases and type. */
export interface ServiceId {
  Name: string;
  Names: string[];
  Type: string;
}

/**
 * A segment's service type: its `origin` (e.g. `AWS::EC2::Instance`), or `service` when it has none
 * (X-Ray itself leaves such services untyped; the console needs a type).
 */
export const serviceTypeOf = (doc: SegmentDocument): string => doc.origin ?? 'service';

export const serviceIdOf = (doc: SegmentDocument): ServiceId => ({ Name: doc.name, Names: [doc.name], Type: serviceTypeOf(doc) });

export const serviceKey = (id: { Name: string; Type: string }): string => `${id.Type}\u0000${id.Name}`;
